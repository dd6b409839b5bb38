/**
 * A vault that cannot be used says why, in one line with a stable code, and changes nothing:
 * a file cut short by one byte, a read-only folder, a schema from a newer Hearth, a full disk,
 * another process holding the write lock too long, and wrong passphrases in a row. Real files,
 * real `hearth` processes; the read-only folder and the full disk are made for real (chattr or
 * chmod, a small tmpfs or a file size limit), each with a control that proves it.
 */
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { LATEST_SCHEMA_VERSION } from '../../main/vault/migrations.ts';
import { unlockDelayMs } from '../../main/vault/unlock-delay.ts';
import { Vault, VAULT_FILE_NAME } from '../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE, tempDir } from '../support/vault.ts';
import { runHearth, type Run } from './cli-fixture.ts';
import { refusalOf } from '../support/refusal.ts';

const isRoot = process.getuid?.() === 0;

function fingerprint(file: string): { sha256: string; mtimeMs: number; size: number } {
  return { sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), mtimeMs: statSync(file).mtimeMs, size: statSync(file).size };
}

function hearth(dir: string, args: string[], passphrase = PASSPHRASE): Promise<Run> {
  return runHearth(args, { ...process.env, HEARTH_VAULT: dir, HEARTH_PASSPHRASE: passphrase });
}

/** The CLI failed as a user error: exit 1 and exactly one line on stderr, no stack. */
function oneLineFailure(run: Run): string {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  return run.stderr;
}

/** A locked vault with two documents and a comment, written through the vault (min-cost Argon2id). */
async function vaultWithContent(dir?: string): Promise<{ dir: string; file: string; docId: string; emptyId: string }> {
  const vault = await createTestVault(dir ? { dir } : {});
  const ws = vault.workspaces.list()[0]!;
  const doc = vault.documents.create(ws.id, { title: 'Kept', init: (d) => A.splice(d, ['body'], 0, 0, 'the body that must survive') });
  const empty = vault.documents.create(ws.id, { title: 'Second' });
  vault.comments.add(doc.id, { text: 'a comment' });
  const vaultDir = vault.dir;
  vault.lock();
  return { dir: vaultDir, file: join(vaultDir, VAULT_FILE_NAME), docId: doc.id, emptyId: empty.id };
}

async function expectIntact(dir: string, docId: string): Promise<void> {
  const vault = await Vault.unlock(dir, PASSPHRASE);
  try {
    expect(vault.documents.get(docId).body).toBe('the body that must survive');
    expect(vault.comments.records(docId).map((c) => c.text)).toEqual(['a comment']);
  } finally {
    vault.lock();
  }
}

describe('a damaged vault file is refused and left exactly as it was', () => {
  it('one byte cut off the end: VAULT_CORRUPT, and neither the bytes nor the modification time change', async () => {
    const { dir, file } = await vaultWithContent();
    truncateSync(file, statSync(file).size - 1);
    const before = fingerprint(file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { code, message } = await refusalOf(Vault.unlock(dir, PASSPHRASE));
    expect(code).toBe('VAULT_CORRUPT');
    expect(message).toMatch(/damaged .*not a whole number of \d+-byte pages.*has not changed it; restore it from a backup/);
    expect(fingerprint(file)).toEqual(before);
    expect(oneLineFailure(await hearth(dir, ['doc', 'list', '--workspace', 'Personal']))).toMatch(/damaged/);
    expect(fingerprint(file)).toEqual(before);
  });

  it('a whole page cut off the end: VAULT_CORRUPT (the header counts more pages than the file holds)', async () => {
    const { dir, file } = await vaultWithContent();
    truncateSync(file, statSync(file).size - 4096);
    const before = fingerprint(file);
    const { code, message } = await refusalOf(Vault.unlock(dir, PASSPHRASE));
    expect(code).toBe('VAULT_CORRUPT');
    expect(message).toMatch(/cut short/);
    expect(fingerprint(file)).toEqual(before);
  });
});

describe('a healthy vault Hearth cannot write to', () => {
  /** Makes `dir` and its vault file unwritable for real: chattr +i as root (chmod does not stop root), chmod otherwise. */
  function makeReadOnly(dir: string, file: string): () => void {
    if (isRoot) {
      execFileSync('chattr', ['+i', file]);
      execFileSync('chattr', ['+i', dir]);
      return () => execFileSync('chattr', ['-i', dir, file]);
    }
    chmodSync(file, 0o400);
    chmodSync(dir, 0o500);
    return () => {
      chmodSync(dir, 0o700);
      chmodSync(file, 0o600);
    };
  }

  it('in a read-only folder: VAULT_READ_ONLY saying so (not "damaged"), and nothing changes', async () => {
    const { dir, file, docId } = await vaultWithContent();
    const before = fingerprint(file);
    const restore = makeReadOnly(dir, file);
    try {
      // The control: this process really cannot write there.
      expect(() => writeFileSync(join(dir, 'probe'), 'x')).toThrow();
      expect(() => writeFileSync(file, 'x', { flag: 'r+' })).toThrow();
      const { code, message } = await refusalOf(Vault.unlock(dir, PASSPHRASE));
      expect(code).toBe('VAULT_READ_ONLY');
      expect(message).toMatch(/cannot write to the vault in .*read-only.*make the folder writable/);
      expect(message).not.toMatch(/damaged|backup/);
      const stderr = oneLineFailure(await hearth(dir, ['doc', 'show', docId]));
      expect(stderr).toMatch(/read-only/);
      expect(stderr).not.toMatch(/damaged/);
      expect(fingerprint(file)).toEqual(before);
    } finally {
      restore();
    }
    await expectIntact(dir, docId);
  });
});

describe('a vault from a newer Hearth', () => {
  it(`is refused with VAULT_TOO_NEW naming both schema versions, and not written to`, async () => {
    const { dir, file } = await vaultWithContent();
    const db = new BetterSqlite3(file);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 2}`);
    db.close();
    const before = fingerprint(file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { code, message } = await refusalOf(Vault.unlock(dir, PASSPHRASE));
    expect(code).toBe('VAULT_TOO_NEW');
    expect(message).toContain(`vault schema ${LATEST_SCHEMA_VERSION + 2}`);
    expect(message).toContain(`schemas up to ${LATEST_SCHEMA_VERSION}`);
    expect(message).toMatch(/update Hearth/);
    expect(oneLineFailure(await hearth(dir, ['workspace', 'list']))).toMatch(/newer Hearth/);
    expect(fingerprint(file)).toEqual(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});

describe('a full disk', () => {
  /** A Markdown body of about `bytes` of random hex lines (hardly compressible, as the sealed chunks are anyway). */
  function bigMarkdown(bytes: number): string {
    return randomBytes(Math.floor(bytes / 2))
      .toString('hex')
      .replace(/(.{76})/g, '$1\n');
  }

  const canMount = isRoot && spawnSync('mount', ['--version']).status === 0;
  /** Mounts still up if a test was cut off by its timeout (a finally block does not run then). */
  const mounted: string[] = [];
  afterAll(() => {
    for (const mountPoint of mounted) spawnSync('umount', ['-l', mountPoint]);
  });

  it.skipIf(!canMount)(
    'on a small tmpfs that fills up: the CLI says DISK_FULL in one line, and the vault stays whole and usable',
    async () => {
      const mountPoint = tempDir('hearth-full-');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
      mounted.push(mountPoint);
      try {
        const dir = join(mountPoint, 'vault');
        const { docId, emptyId, file } = await vaultWithContent(dir);
        // Leave about 150 KB: enough to unlock, not enough for a 300 KB body (its chunk, a snapshot, its search text).
        const free = () => {
          const out = execFileSync('df', ['-B1', '--output=avail', mountPoint]).toString().trim().split('\n').pop()!;
          return Number(out);
        };
        writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(Math.max(0, free() - 150 * 1024)));
        const markdown = join(tempDir(), 'big.md');
        writeFileSync(markdown, bigMarkdown(300 * 1024));
        const stderr = oneLineFailure(await hearth(dir, ['doc', 'edit', emptyId, '--file', markdown]));
        expect(stderr).toMatch(/disk holding the vault .* is full, so that change was not saved; everything saved before is intact/);
        // Space again: the vault opens (quick_check passes), holds what it held, and takes new writes.
        rmSync(join(mountPoint, 'filler'));
        await expectIntact(dir, docId);
        expect((await hearth(dir, ['doc', 'edit', docId, '--append', 'after the disk was freed'])).code).toBe(0);
        expect(statSync(file).size).toBeGreaterThan(0);
      } finally {
        execFileSync('umount', ['-l', mountPoint]);
        mounted.splice(mounted.indexOf(mountPoint), 1);
      }
    },
    60_000,
  );

  it('past a file size limit (ulimit -f): one line, no stack, and the vault stays whole', async () => {
    const { dir, docId, emptyId, file } = await vaultWithContent();
    const markdown = join(tempDir(), 'big.md');
    writeFileSync(markdown, bigMarkdown(300 * 1024));
    const limitKb = Math.ceil(statSync(file).size / 1024) + 128;
    const run = spawnSync('bash', ['-c', `ulimit -f ${limitKb}; exec "${process.execPath}" bin/hearth.js doc edit ${emptyId} --file "${markdown}"`], {
      env: { ...process.env, HEARTH_VAULT: dir, HEARTH_PASSPHRASE: PASSPHRASE },
      encoding: 'utf8',
    });
    const stderr = oneLineFailure({ code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr });
    expect(stderr).toMatch(/could not write to the vault .*limit on file size.*everything saved before is intact/);
    await expectIntact(dir, docId);
  }, 60_000);
});

describe('another process holding the write lock', () => {
  it('past the 5 s wait: VAULT_BUSY in one line; once it lets go, the same command works', async () => {
    const { dir, file, docId } = await vaultWithContent();
    const holder = new BetterSqlite3(file);
    holder.pragma('busy_timeout = 5000');
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const stderr = oneLineFailure(await hearth(dir, ['doc', 'edit', docId, '--append', 'waited']));
      expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
      expect(stderr).toMatch(/Another Hearth process .* kept this vault busy for more than 5 s; nothing was changed\. Try again/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect((await hearth(dir, ['doc', 'edit', docId, '--append', 'waited'])).code).toBe(0);
  }, 60_000);
});

describe('wrong passphrases in a row', () => {
  it('wait 2 s, 4 s, 8 s… (capped at 5 minutes) after the third', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(unlockDelayMs)).toEqual([0, 0, 0, 2000, 4000, 8000, 16000]);
    expect(unlockDelayMs(30)).toBe(5 * 60_000);
  });

  it('after three, the next attempt waits (even with the right passphrase); a success resets the count', async () => {
    const vault = await Vault.create(join(tempDir(), 'vault'), {
      passphrase: PASSPHRASE,
      profile: { username: 'ada', displayName: 'Ada' },
      kdfCost: MIN_KDF_COST,
    });
    const dir = vault.dir;
    vault.lock();
    for (let i = 0; i < 3; i++) expect((await refusalOf(Vault.unlock(dir, 'not the passphrase'))).code).toBe('WRONG_PASSPHRASE');
    const refused = await refusalOf(Vault.unlock(dir, PASSPHRASE));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.message).toMatch(/^3 wrong passphrases in a row: wait [12] s before trying again/);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const opened = await Vault.unlock(dir, PASSPHRASE);
    // The refused attempt is not a failure (it ran no Argon2id); the three wrong ones are in the audit log.
    expect(opened.audit.list().filter((e) => e.action === 'vault.unlock_failed')).toHaveLength(3);
    opened.lock();
    expect((await refusalOf(Vault.unlock(dir, 'not the passphrase'))).code).toBe('WRONG_PASSPHRASE');
    expect((await refusalOf(Vault.unlock(dir, 'not the passphrase'))).code).toBe('WRONG_PASSPHRASE');
  }, 30_000);

  it('the count is kept in the vault file, so a new process (the CLI) waits too, and says so in one line', async () => {
    const { dir, file } = await vaultWithContent();
    // Six misses just now, as the unlock screen or other `hearth` runs would have recorded them.
    const db = new BetterSqlite3(file);
    for (let i = 0; i < 6; i++) db.prepare("INSERT INTO pending_audit (at, action) VALUES (?, 'vault.unlock_failed')").run(Date.now());
    db.close();
    const stderr = oneLineFailure(await hearth(dir, ['workspace', 'list']));
    expect(stderr).toMatch(/6 wrong passphrases in a row: wait 1\d s before trying again/);
  }, 30_000);
});
