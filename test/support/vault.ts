/** Shared pieces for tests that use a real vault in a real temporary folder. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { Vault, type Profile } from '../../main/vault/vault.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test file finishes. */
export function tempDir(prefix = 'hearth-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export const PASSPHRASE = 'correct horse battery staple';

/** A real vault with real Argon2id at libsodium's interactive cost, to keep tests quick. */
export async function createTestVault(options: { dir?: string; profile?: Partial<Profile>; passphrase?: string } = {}): Promise<Vault> {
  return Vault.create(options.dir ?? join(tempDir(), 'vault'), {
    passphrase: options.passphrase ?? PASSPHRASE,
    profile: { username: 'ada', displayName: 'Ada Lovelace', ...options.profile },
    kdfCost: MIN_KDF_COST,
  });
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** Which of `needles` occur in any file under `dir`, as UTF-8, UTF-16 or raw bytes. */
export function findInFiles(dir: string, needles: Array<string | Uint8Array>): Array<{ needle: string; file: string }> {
  const found: Array<{ needle: string; file: string }> = [];
  const files = filesUnder(dir).map((file) => ({ file, bytes: readFileSync(file) }));
  for (const needle of needles) {
    const forms = typeof needle === 'string' ? [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')] : [Buffer.from(needle)];
    for (const { file, bytes } of files) {
      if (forms.some((form) => form.length > 0 && bytes.includes(form))) {
        found.push({ needle: typeof needle === 'string' ? needle : `bytes:${Buffer.from(needle).toString('hex').slice(0, 16)}…`, file });
      }
    }
  }
  return found;
}
