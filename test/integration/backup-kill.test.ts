/**
 * Issue 16, item 8: "A killed backup leaves a full vault copy in the system temp folder; it
 * survives `hearth wipe` and opens with the backup passphrase." Here `hearth backup` runs as a real
 * process (with its own temp folder) and is killed with SIGKILL while it writes. Afterwards no
 * file anywhere it could have written — the vault's folder, the temp folder, the backup's folder —
 * opens with the backup passphrase or the vault passphrase (the vault itself aside), the partial
 * backup does not restore, and no marker is readable in any of them. `hearth wipe` then removes
 * the vault's folder with whatever the backup left in it.
 */
import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHearthError } from '../../common/errors.ts';
import { restoreBackup } from '../../main/portability/backup.ts';
import { deriveKek, unwrapMasterKey, type KdfParams } from '../../main/vault/keys.ts';
import { Vault, VAULT_FILE_NAME } from '../../main/vault/vault.ts';
import { runHearth } from './cli-fixture.ts';
import { createTestVault, filesUnder, findInFiles, PASSPHRASE, tempDir } from '../support/vault.ts';

const BACKUP_PASSPHRASE = `backup passphrase ${Math.random()}`;

function startsWith(file: string, magic: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === magic;
  } finally {
    closeSync(fd);
  }
}

/** Whether `passphrase` unwraps a master key from the SQLite file `file` (opened as a copy, so it is never changed). */
function opensWith(file: string, passphrase: string): boolean {
  const scratch = join(tempDir(), basename(file));
  copyFileSync(file, scratch);
  const db = new BetterSqlite3(scratch);
  try {
    const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer } | undefined)?.value;
    const kdf = meta('kdf');
    const wrapped = meta('master_key');
    const vaultId = meta('vault_id');
    if (!kdf || !wrapped || !vaultId) return false;
    return unwrapMasterKey(deriveKek(passphrase, JSON.parse(kdf.toString('utf8')) as KdfParams), wrapped, vaultId.toString('utf8')) !== undefined;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

describe('a backup killed half-way leaves nothing readable (issue 16, item 8)', () => {
  it('no copy in the temp folder, the vault folder or beside the backup opens; wipe removes what is left', async () => {
    const root = tempDir('hearth-backup-kill-');
    const vaultDir = join(root, 'vault');
    const tmp = join(root, 'tmp');
    const outDir = join(root, 'out');
    mkdirSync(tmp);
    mkdirSync(outDir);
    const markers = [`MARKER-title-${Math.random()}`, `MARKER-file-${Math.random()}`];
    const vault = await createTestVault({ dir: vaultDir });
    const ws = vault.workspaces.list()[0]!;
    vault.documents.create(ws.id, { title: markers[0]! });
    // Enough to stream for a while: the process is killed while it writes.
    await vault.files.add(ws.id, {
      name: 'big.bin',
      source: (function* () {
        for (let i = 0; i < 96; i++) yield Buffer.alloc(1024 * 1024, i);
        yield Buffer.from(markers[1]!);
      })(),
    });
    vault.lock();

    const out = join(outDir, 'vault.backup');
    const env = { ...process.env, HEARTH_VAULT: vaultDir, HEARTH_PASSPHRASE: PASSPHRASE, HEARTH_BACKUP_PASSPHRASE: BACKUP_PASSPHRASE, TMPDIR: tmp };
    const killed = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, ['bin/hearth.js', 'backup', '--out', out], { env, stdio: 'ignore' });
      const poll = setInterval(() => {
        const writing = [out, `${out}.partial`].some((f) => existsSync(f) && statSync(f).size > 0);
        if (writing) child.kill('SIGKILL');
      }, 5);
      child.on('close', (code, signal) => {
        clearInterval(poll);
        resolve({ code, signal });
      });
    });
    expect(killed.signal, 'the backup finished before it could be killed; give it more to write').toBe('SIGKILL');

    const written = [...filesUnder(vaultDir), ...filesUnder(tmp), ...filesUnder(outDir)];
    const vaultItself = [VAULT_FILE_NAME, `${VAULT_FILE_NAME}-wal`, `${VAULT_FILE_NAME}-shm`].map((name) => join(vaultDir, name));
    const leftovers = written.filter((f) => !vaultItself.includes(f));
    expect(leftovers.length, 'the kill left the backup under way').toBeGreaterThan(0);
    for (const file of leftovers) {
      if (startsWith(file, 'SQLite format 3\u0000')) {
        expect(opensWith(file, BACKUP_PASSPHRASE), `${file} opens with the backup passphrase`).toBe(false);
        expect(opensWith(file, PASSPHRASE), `${file} opens with the vault passphrase`).toBe(false);
      }
      if (startsWith(file, 'HEARTHBK')) {
        const target = join(tempDir(), 'restore');
        const restored = await restoreBackup(file, BACKUP_PASSPHRASE, target, 'a new passphrase').catch((e: unknown) => e);
        expect(isHearthError(restored, 'VAULT_CORRUPT'), `${file} restores: ${String(restored)}`).toBe(true);
        expect(Vault.exists(target)).toBe(false);
      }
    }
    expect(findInFiles(root, markers)).toEqual([]);

    const wiped = await runHearth(['wipe', '--confirm', 'ada'], env);
    expect(wiped.code, wiped.stderr).toBe(0);
    expect(existsSync(vaultDir)).toBe(false);
    for (const file of [...filesUnder(tmp), ...filesUnder(outDir)]) {
      expect(startsWith(file, 'SQLite format 3\u0000'), `${file} is a database`).toBe(false);
    }
  });
});
