// Encrypted backup and restore; wiping the device (S6): keys shredded first, then the files.
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHearthError } from '../../common/errors.ts';
import { createBackup, restoreBackup } from '../../main/portability/backup.ts';
import { exportVault } from '../../main/portability/export.ts';
import { Vault, VAULT_FILE_NAME } from '../../main/vault/vault.ts';
import { snapshotOf } from '../support/export.ts';
import { createTestVault, findInFiles, PASSPHRASE, tempDir } from '../support/vault.ts';

const NOW = new Date('2026-01-02T03:04:05.000Z');
const BACKUP_PASSPHRASE = 'a separate backup passphrase';

async function vaultWithMarkers() {
  const markers = {
    title: `MARKER-title-${Math.random()}`,
    body: `MARKER-body-${Math.random()}`,
    comment: `MARKER-comment-${Math.random()}`,
    file: `MARKER-file-${Math.random()}`,
  };
  const vault = await createTestVault();
  const ws = vault.workspaces.create({ name: 'Work' });
  const doc = vault.documents.create(ws.id, { title: markers.title, tags: ['t'], init: (d) => A.splice(d, ['body'], 0, 0, markers.body) });
  vault.comments.add(doc.id, { text: markers.comment, anchor: { from: 0, to: 5 } });
  await vault.files.add(ws.id, { name: 'notes.txt', source: [Buffer.from(markers.file.repeat(1000))] });
  return { vault, markers };
}

describe('encrypted backup', () => {
  it('restores on a fresh vault folder to the same export, under a new passphrase; the file holds nothing readable', async () => {
    const { vault, markers } = await vaultWithMarkers();
    const file = join(tempDir(), 'backups', 'hearth.backup');
    const progress: number[] = [];
    await createBackup(vault, file, BACKUP_PASSPHRASE, (p) => progress.push(p.done / p.total));
    expect(progress.at(-1)).toBe(1);
    expect(findInFiles(dirname(file), [...Object.values(markers), 'SQLite format 3', 'Work'])).toEqual([]);
    const original = join(tempDir(), 'original');
    await exportVault(vault, original, { now: NOW });

    const restoredDir = join(tempDir(), 'restored');
    const restored = await restoreBackup(file, BACKUP_PASSPHRASE, restoredDir, 'the new vault passphrase');
    const again = join(tempDir(), 'again');
    await exportVault(restored, again, { now: NOW });
    expect(snapshotOf(again)).toEqual(snapshotOf(original));
    restored.lock();
    expect(isHearthError(await Vault.unlock(restoredDir, BACKUP_PASSPHRASE).catch((e: unknown) => e), 'WRONG_PASSPHRASE')).toBe(true);
    (await Vault.unlock(restoredDir, 'the new vault passphrase')).lock();
    vault.lock();
  });

  it('a wrong backup passphrase or a truncated file gives a clear error and leaves no vault behind', async () => {
    const { vault } = await vaultWithMarkers();
    const file = join(tempDir(), 'hearth.backup');
    await createBackup(vault, file, BACKUP_PASSPHRASE);
    vault.lock();
    const target = join(tempDir(), 'target');
    const wrong = await restoreBackup(file, 'not the backup passphrase', target, 'whatever passphrase').catch((e: unknown) => e);
    expect(isHearthError(wrong, 'WRONG_PASSPHRASE')).toBe(true);
    expect((wrong as Error).message).toMatch(/backup passphrase/);
    expect(Vault.exists(target)).toBe(false);
    truncateSync(file, statSync(file).size - 100);
    expect(isHearthError(await restoreBackup(file, BACKUP_PASSPHRASE, target, 'whatever passphrase').catch((e: unknown) => e), 'VAULT_CORRUPT')).toBe(true);
    expect(Vault.exists(target)).toBe(false);
    expect(
      isHearthError(await createBackup(await Vault.unlock(vault.dir, PASSPHRASE), file, BACKUP_PASSPHRASE).catch((e: unknown) => e), 'ALREADY_EXISTS'),
    ).toBe(true);
  });
});

describe('S6: wiping the device', () => {
  it('shredding destroys the keys first: the passphrase no longer opens what is left, and the old key bytes are gone', async () => {
    const { vault } = await vaultWithMarkers();
    const dir = vault.dir;
    vault.lock();
    const db = new BetterSqlite3(join(dir, VAULT_FILE_NAME), { readonly: true });
    const wrappedKey = (db.prepare("SELECT value FROM meta WHERE key = 'master_key'").get() as { value: Buffer }).value;
    const workspaceKeys = (db.prepare('SELECT sealed_key FROM workspaces').all() as Array<{ sealed_key: Buffer }>).map((r) => r.sealed_key);
    const identity = (db.prepare('SELECT sealed FROM identity').get() as { sealed: Buffer }).sealed;
    db.close();
    expect(findInFiles(dir, [wrappedKey]).length).toBe(1);

    (await Vault.unlock(dir, PASSPHRASE)).shredKeys();
    expect(existsSync(join(dir, VAULT_FILE_NAME))).toBe(true);
    expect(isHearthError(await Vault.unlock(dir, PASSPHRASE).catch((e: unknown) => e), 'VAULT_CORRUPT')).toBe(true);
    expect(findInFiles(dir, [wrappedKey, identity.subarray(0, 32), ...workspaceKeys.map((k) => k.subarray(0, 32))])).toEqual([]);
  });

  it('wipe leaves no vault file and no marker or ciphertext anywhere under the parent folder', async () => {
    const { vault, markers } = await vaultWithMarkers();
    const parent = dirname(vault.dir);
    const sealed = readFileSync(join(vault.dir, VAULT_FILE_NAME)).subarray(4096, 4096 + 64);
    vault.wipe();
    expect(existsSync(vault.dir)).toBe(false);
    expect(Vault.exists(vault.dir)).toBe(false);
    expect(findInFiles(parent, [...Object.values(markers), sealed])).toEqual([]);
    expect(isHearthError(await Vault.unlock(vault.dir, PASSPHRASE).catch((e: unknown) => e), 'VAULT_NOT_FOUND')).toBe(true);
  });
});
