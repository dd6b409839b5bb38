// Each numbered migration starts from the previous version, keeps what was there, and adds its part.
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSodium, randomKey } from '../../../common/crypto/sodium.ts';
import { LATEST_SCHEMA_VERSION, migrate, migrations, schemaVersion } from '../../../main/vault/migrations.ts';
import { openJson, sealBytes, sealJson } from '../../../main/vault/sealed-records.ts';
import { Vault, VAULT_FILE_NAME } from '../../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE, tempDir } from '../../support/vault.ts';

function tables(db: BetterSqlite3.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

function freshDb(): BetterSqlite3.Database {
  const db = new BetterSqlite3(join(tempDir(), 'v.sqlite'));
  db.pragma('foreign_keys = ON');
  return db;
}

describe('vault migrations', () => {
  it('are numbered 1, 2, 3… without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(migrations.length);
  });

  it('1: an empty file gets key material, identity, workspaces and the audit log', () => {
    const db = freshDb();
    expect(schemaVersion(db)).toBe(0);
    migrate(db, 1);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['audit', 'identity', 'meta', 'pending_audit', 'workspaces']);
  });

  it('2: from version 1, workspaces survive and documents, their chunks and comments arrive', () => {
    const db = freshDb();
    migrate(db, 1);
    db.prepare("INSERT INTO workspaces (id, sealed_key, sealed) VALUES ('w1', x'01', x'02')").run();
    migrate(db, 2);
    expect(schemaVersion(db)).toBe(2);
    expect(tables(db)).toEqual(expect.arrayContaining(['documents', 'document_chunks', 'comments']));
    db.prepare("INSERT INTO documents (id, workspace_id, sealed_head) VALUES ('d1', 'w1', x'03')").run();
    db.prepare("INSERT INTO document_chunks (document_id, seq, kind, sealed) VALUES ('d1', 0, 'snapshot', x'04')").run();
    expect(() => db.prepare("INSERT INTO document_chunks (document_id, seq, kind, sealed) VALUES ('d1', 1, 'plaintext', x'04')").run()).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO documents (id, workspace_id, sealed_head) VALUES ('d2', 'missing', x'03')").run()).toThrow(/FOREIGN KEY/);
    db.prepare("DELETE FROM workspaces WHERE id = 'w1'").run();
    expect(db.prepare('SELECT count(*) AS n FROM document_chunks').get()).toEqual({ n: 0 });
  });

  it('3: from version 2, documents survive and files with their chunks arrive', () => {
    const db = freshDb();
    migrate(db, 2);
    db.prepare("INSERT INTO workspaces (id, sealed_key, sealed) VALUES ('w1', x'01', x'02')").run();
    db.prepare("INSERT INTO documents (id, workspace_id, sealed_head) VALUES ('d1', 'w1', x'03')").run();
    migrate(db, 3);
    expect(schemaVersion(db)).toBe(3);
    expect(db.prepare('SELECT id FROM documents').all()).toEqual([{ id: 'd1' }]);
    db.prepare("INSERT INTO files (id, workspace_id) VALUES ('f1', 'w1')").run();
    db.prepare("INSERT INTO file_chunks (file_id, idx, sealed) VALUES ('f1', 0, x'05')").run();
    db.prepare("DELETE FROM files WHERE id = 'f1'").run();
    expect(db.prepare('SELECT count(*) AS n FROM file_chunks').get()).toEqual({ n: 0 });
  });

  it('4: from version 3, documents survive with their search text marked as not yet written', () => {
    const db = freshDb();
    migrate(db, 3);
    db.prepare("INSERT INTO workspaces (id, sealed_key, sealed) VALUES ('w1', x'01', x'02')").run();
    db.prepare("INSERT INTO documents (id, workspace_id, sealed_head) VALUES ('d1', 'w1', x'03')").run();
    migrate(db, 4);
    expect(schemaVersion(db)).toBe(4);
    expect(db.prepare('SELECT id, sealed_head AS head, sealed_text AS text, text_seq AS seq FROM documents').all()).toEqual([
      { id: 'd1', head: Buffer.from([3]), text: null, seq: -1 },
    ]);
  });

  it('5: from version 4, workspaces and documents survive and the sync tables arrive, cascading with their workspace', () => {
    const db = freshDb();
    migrate(db, 4);
    db.prepare("INSERT INTO workspaces (id, sealed_key, sealed) VALUES ('w1', x'01', x'02')").run();
    db.prepare("INSERT INTO documents (id, workspace_id, sealed_head) VALUES ('d1', 'w1', x'03')").run();
    migrate(db, 5);
    expect(schemaVersion(db)).toBe(5);
    expect(tables(db)).toEqual(expect.arrayContaining(['sync_relays', 'sync_spaces', 'sync_documents', 'sync_outbox', 'sync_seen', 'sync_quarantine']));
    expect(db.prepare('SELECT id FROM documents').all()).toEqual([{ id: 'd1' }]);
    db.prepare("INSERT INTO sync_spaces (workspace_id, sealed) VALUES ('w1', x'04')").run();
    db.prepare("INSERT INTO sync_outbox (workspace_id, sealed) VALUES ('w1', x'05')").run();
    db.prepare("INSERT INTO sync_seen (workspace_id, document_id, change_id) VALUES ('w1', 'd1', 'c1')").run();
    db.prepare("DELETE FROM workspaces WHERE id = 'w1'").run();
    for (const table of ['sync_spaces', 'sync_outbox', 'sync_seen']) expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
  });

  it('6: from version 5, sync state survives and the sealed link records arrive, cascading with their workspace', () => {
    const db = freshDb();
    migrate(db, 5);
    db.prepare("INSERT INTO workspaces (id, sealed_key, sealed) VALUES ('w1', x'01', x'02')").run();
    db.prepare("INSERT INTO sync_spaces (workspace_id, sealed) VALUES ('w1', x'04')").run();
    migrate(db, 6);
    expect(schemaVersion(db)).toBe(6);
    expect(tables(db)).toContain('sync_links');
    expect(db.prepare('SELECT workspace_id AS id FROM sync_spaces').all()).toEqual([{ id: 'w1' }]);
    db.prepare("INSERT INTO sync_links (id, workspace_id, sealed) VALUES ('l1', 'w1', x'06')").run();
    expect(() => db.prepare("INSERT INTO sync_links (id, workspace_id, sealed) VALUES ('l2', 'missing', x'06')").run()).toThrow(/FOREIGN KEY/);
    db.prepare("DELETE FROM workspaces WHERE id = 'w1'").run();
    expect(db.prepare('SELECT count(*) AS n FROM sync_links').get()).toEqual({ n: 0 });
  });

  it('7: from version 6, key material and links survive and the second factor tables arrive, empty (no vault has a factor yet)', () => {
    const db = freshDb();
    migrate(db, 6);
    db.prepare("INSERT INTO meta (key, value) VALUES ('master_key', x'0102')").run();
    db.prepare("INSERT INTO workspaces (id, sealed_key, sealed) VALUES ('w1', x'01', x'02')").run();
    db.prepare("INSERT INTO sync_links (id, workspace_id, sealed) VALUES ('l1', 'w1', x'06')").run();
    migrate(db, 7);
    expect(schemaVersion(db)).toBe(7);
    expect(tables(db)).toEqual(expect.arrayContaining(['second_factor_credentials', 'recovery_codes']));
    expect(db.prepare("SELECT value FROM meta WHERE key = 'master_key'").get()).toEqual({ value: Buffer.from([1, 2]) });
    expect(db.prepare('SELECT id FROM sync_links').all()).toEqual([{ id: 'l1' }]);
    for (const table of ['second_factor_credentials', 'recovery_codes']) expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    expect(() => db.prepare("INSERT INTO recovery_codes (id, kdf, wrapped) VALUES ('c1', 'k', 'not a blob')").run()).toThrow(
      /cannot store TEXT value in BLOB column/,
    );
  });

  it("8: from version 7, workspace records say their kind: a share space's record and the holder of shared documents (found by what it lacks, not by its name); others unchanged; never without the key", async () => {
    await loadSodium();
    const recordsKey = randomKey();
    const db = freshDb();
    migrate(db, 7);
    const put = (id: string, record: object) =>
      db
        .prepare('INSERT INTO workspaces (id, sealed_key, sealed) VALUES (?, ?, ?)')
        .run(id, sealBytes(recordsKey, { kind: 'workspace-key', id }, randomKey()), sealJson(recordsKey, { kind: 'workspace', id }, record));
    put('team', { id: 'team', name: 'Team', kind: 'team', createdAt: 1, relay: 'ws://r/' });
    put('share', { id: 'share', name: 'Shared document', kind: 'team', createdAt: 2, relay: 'ws://r/', shareOf: 'doc-1' });
    put('holder', { id: 'holder', name: 'Renamed by its user', kind: 'team', createdAt: 3 });
    put('personal', { id: 'personal', name: 'Shared with me', kind: 'personal', createdAt: 4 });
    put('imported', { id: 'imported', name: 'Imported team', kind: 'team', createdAt: 5, relay: 'ws://r/' });
    for (const id of ['team', 'share']) db.prepare("INSERT INTO sync_spaces (workspace_id, sealed) VALUES (?, x'04')").run(id);
    const before = db.prepare("SELECT sealed FROM workspaces WHERE id = 'team'").get() as { sealed: Buffer };

    migrate(db);
    expect(schemaVersion(db)).toBe(7); // a sealed-record step waits for the key (the unlock)
    migrate(db, 8, recordsKey);
    expect(schemaVersion(db)).toBe(8);
    const kinds = Object.fromEntries(
      (db.prepare('SELECT id, sealed FROM workspaces ORDER BY id').all() as Array<{ id: string; sealed: Buffer }>).map((row) => [
        row.id,
        openJson<{ kind: string; name: string; shareOf?: string }>(recordsKey, { kind: 'workspace', id: row.id }, row.sealed),
      ]),
    );
    expect(Object.fromEntries(Object.entries(kinds).map(([id, w]) => [id, w.kind]))).toEqual({
      team: 'team',
      share: 'share-space',
      holder: 'shared-with-me',
      personal: 'personal',
      imported: 'team',
    });
    expect(kinds['share']).toMatchObject({ shareOf: 'doc-1', name: 'Shared document' });
    expect(kinds['holder']!.name).toBe('Renamed by its user');
    // What did not change was not rewritten.
    expect((db.prepare("SELECT sealed FROM workspaces WHERE id = 'team'").get() as { sealed: Buffer }).sealed).toEqual(before.sealed);
  });

  it('9: from version 8, documents survive at generation 0 (all their history) and a new generation can be recorded', async () => {
    await loadSodium();
    const db = freshDb();
    migrate(db, 8, randomKey());
    db.prepare("INSERT INTO workspaces (id, sealed_key, sealed) VALUES ('w1', x'01', x'02')").run();
    db.prepare("INSERT INTO documents (id, workspace_id, sealed_head) VALUES ('d1', 'w1', x'03')").run();
    migrate(db, 9);
    expect(schemaVersion(db)).toBe(9);
    expect(db.prepare('SELECT id, generation FROM documents').all()).toEqual([{ id: 'd1', generation: 0 }]);
    db.prepare("UPDATE documents SET generation = 1 WHERE id = 'd1'").run();
    expect(() => db.prepare("UPDATE documents SET generation = NULL WHERE id = 'd1'").run()).toThrow(/NOT NULL/);
  });

  it('a vault file at version 7 reaches 8 when it is unlocked, not when a wrong passphrase is tried', async () => {
    const vault = await createTestVault();
    const dir = vault.dir;
    vault.lock();
    const file = new BetterSqlite3(join(dir, VAULT_FILE_NAME));
    // The file as version 7 left it: without what later migrations add.
    file.exec('ALTER TABLE documents DROP COLUMN generation');
    file.pragma('user_version = 7');
    file.close();
    await expect(Vault.unlock(dir, 'not the passphrase')).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    const locked = new BetterSqlite3(join(dir, VAULT_FILE_NAME), { readonly: true });
    expect(schemaVersion(locked)).toBe(7);
    locked.close();
    const unlocked = await Vault.unlock(dir, PASSPHRASE);
    expect(unlocked.workspaces.list().map((w) => w.kind)).toEqual(['personal']);
    unlocked.lock();
    const after = new BetterSqlite3(join(dir, VAULT_FILE_NAME), { readonly: true });
    expect(schemaVersion(after)).toBeGreaterThanOrEqual(8);
    expect(schemaVersion(after)).toBe(LATEST_SCHEMA_VERSION);
    after.close();
  });

  it('running them again changes nothing', () => {
    const db = freshDb();
    const recordsKey = new Uint8Array(32);
    migrate(db, undefined, recordsKey);
    const before = tables(db);
    migrate(db, undefined, recordsKey);
    expect(tables(db)).toEqual(before);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
  });
});
