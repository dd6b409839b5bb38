import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isHearthError } from '../../../common/errors.ts';
import { DEFAULT_KDF_COST, MIN_KDF_COST } from '../../../main/vault/keys.ts';
import { Vault, VAULT_FILE_NAME } from '../../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE, tempDir } from '../../support/vault.ts';
import { codeOf } from '../../support/refusal.ts';

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs `fn` against the raw SQLite file while the vault is locked. */
function raw<T>(dir: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(join(dir, VAULT_FILE_NAME));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe('vault lifecycle', () => {
  it('creates with Argon2id parameters stored beside the wrapped key, and unlocks again', async () => {
    const vault = await Vault.create(join(tempDir(), 'v'), {
      passphrase: PASSPHRASE,
      profile: { username: 'grace', displayName: 'Grace Hopper' },
    });
    const dir = vault.dir;
    const personal = vault.workspaces.list();
    expect(personal.map((w) => [w.name, w.kind])).toEqual([['Personal', 'personal']]);
    vault.lock();
    const kdf = raw(dir, (db) => JSON.parse((db.prepare("SELECT value FROM meta WHERE key = 'kdf'").get() as { value: Buffer }).value.toString()));
    expect(kdf).toMatchObject({ algorithm: 'argon2id13', opsLimit: DEFAULT_KDF_COST.opsLimit, memLimit: DEFAULT_KDF_COST.memLimit });
    expect(kdf.salt).toMatch(/^[0-9a-f]{32}$/);
    const again = await Vault.unlock(dir, PASSPHRASE);
    expect(again.profile).toEqual({ username: 'grace', displayName: 'Grace Hopper' });
    expect(again.workspaces.list()).toEqual(personal);
    again.lock();
  });

  it('refuses to create over an existing vault, and refuses a weak passphrase or a bad username', async () => {
    const vault = await createTestVault();
    vault.lock();
    expect(await codeOf(createTestVault({ dir: vault.dir }))).toBe('VAULT_EXISTS');
    expect(await codeOf(createTestVault({ passphrase: 'short' }))).toBe('BAD_REQUEST');
    expect(await codeOf(createTestVault({ profile: { username: 'Not Valid!' } }))).toBe('BAD_REQUEST');
  });

  it('a wrong passphrase gives a clear error, overwrites nothing, and is audited after the next unlock', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Kept safe' });
    const dir = vault.dir;
    vault.lock();
    const before = raw(dir, (db) => db.prepare('SELECT sealed FROM document_chunks').all());
    const error = await Vault.unlock(dir, 'not the passphrase').catch((e: unknown) => e);
    expect(isHearthError(error, 'WRONG_PASSPHRASE')).toBe(true);
    expect((error as Error).message).toMatch(/passphrase does not unlock/);
    expect(raw(dir, (db) => db.prepare('SELECT sealed FROM document_chunks').all())).toEqual(before);
    const again = await Vault.unlock(dir, PASSPHRASE);
    expect(again.documents.summary(doc.id).title).toBe('Kept safe');
    expect(again.audit.list().map((e) => e.action)).toEqual(['vault.created', 'vault.unlock_failed', 'vault.unlocked']);
    again.lock();
  });

  it('changing the passphrase rewraps the master key only: content rows are byte-for-byte the same', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Unchanged ciphertext' });
    const rowsBefore = raw(vault.dir, (db) => db.prepare('SELECT sealed FROM document_chunks UNION ALL SELECT sealed_key FROM workspaces').all());
    expect(await codeOf(vault.changePassphrase('wrong guess', 'a new passphrase', MIN_KDF_COST))).toBe('WRONG_PASSPHRASE');
    await vault.changePassphrase(PASSPHRASE, 'a new passphrase', MIN_KDF_COST);
    vault.lock();
    expect(raw(vault.dir, (db) => db.prepare('SELECT sealed FROM document_chunks UNION ALL SELECT sealed_key FROM workspaces').all())).toEqual(rowsBefore);
    expect(await codeOf(Vault.unlock(vault.dir, PASSPHRASE))).toBe('WRONG_PASSPHRASE');
    const again = await Vault.unlock(vault.dir, 'a new passphrase');
    expect(again.documents.summary(doc.id).title).toBe('Unchanged ciphertext');
    expect(again.audit.list().map((e) => e.action)).toContain('passphrase.changed');
    again.lock();
  });

  it('stays unlocked on this device with the master key, not the passphrase; the key survives a passphrase change, not a wipe', async () => {
    const vault = await createTestVault();
    const deviceKey = vault.deviceKey();
    expect(Buffer.from(deviceKey).toString()).not.toContain(PASSPHRASE);
    await vault.changePassphrase(PASSPHRASE, 'another passphrase', MIN_KDF_COST);
    vault.lock();
    const again = await Vault.unlockWithDeviceKey(vault.dir, deviceKey);
    expect(again.profile.username).toBe('ada');
    again.shredKeys();
    expect(await codeOf(Vault.unlockWithDeviceKey(vault.dir, deviceKey))).toBe('VAULT_CORRUPT');
    const other = await createTestVault();
    other.lock();
    const wrong = await Vault.unlockWithDeviceKey(other.dir, deviceKey).catch((e: unknown) => e);
    expect(isHearthError(wrong, 'WRONG_PASSPHRASE')).toBe(true);
    expect((wrong as Error).message).toMatch(/Unlock with your passphrase/);
  });

  it('a locked vault refuses every call', async () => {
    const vault = await createTestVault();
    vault.lock();
    expect(await codeOf(() => vault.search('x'))).toBe('VAULT_LOCKED');
    expect(await codeOf(() => vault.identityKeys())).toBe('VAULT_LOCKED');
  });
});

describe('damaged files are refused and left untouched', () => {
  async function lockedVaultWithContent() {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const a = vault.documents.create(ws.id, { title: 'Alpha', init: (d) => A.splice(d, ['body'], 0, 0, 'alpha body') });
    const b = vault.documents.create(ws.id, { title: 'Beta', init: (d) => A.splice(d, ['body'], 0, 0, 'beta body') });
    const comment = vault.comments.add(a.id, { text: 'on alpha' });
    vault.comments.add(b.id, { text: 'on beta' });
    const dir = vault.dir;
    vault.lock();
    return { dir, file: join(dir, VAULT_FILE_NAME), a, b, comment };
  }

  it('a truncated file: VAULT_CORRUPT, and the file is not changed', async () => {
    const { dir, file } = await lockedVaultWithContent();
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const hash = sha256(file);
    const error = await Vault.unlock(dir, PASSPHRASE).catch((e: unknown) => e);
    expect(isHearthError(error, 'VAULT_CORRUPT')).toBe(true);
    expect((error as Error).message).toMatch(/damaged.*has not changed it/);
    expect(sha256(file)).toBe(hash);
  });

  it('a file that is not a vault at all: VAULT_CORRUPT, untouched', async () => {
    const dir = tempDir();
    const file = join(dir, VAULT_FILE_NAME);
    writeFileSync(file, 'just some text, not a database');
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE))).toBe('VAULT_CORRUPT');
    expect(readFileSync(file, 'utf8')).toBe('just some text, not a database');
    expect(await codeOf(Vault.unlock(tempDir(), PASSPHRASE))).toBe('VAULT_NOT_FOUND');
  });

  it('a flipped byte in the wrapped master key is reported as damage, not as a wrong passphrase', async () => {
    const { dir, file } = await lockedVaultWithContent();
    raw(dir, (db) => {
      const { value } = db.prepare("SELECT value FROM meta WHERE key = 'master_key'").get() as { value: Buffer };
      value[30] = value[30]! ^ 0x01;
      db.prepare("UPDATE meta SET value = ? WHERE key = 'master_key'").run(value);
    });
    const hash = sha256(file);
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE))).toBe('VAULT_CORRUPT');
    expect(sha256(file)).toBe(hash);
  });

  it('a flipped byte in a document row is detected on read and the row is left as it was', async () => {
    const { dir, a, b } = await lockedVaultWithContent();
    const flipped = raw(dir, (db) => {
      const row = db.prepare('SELECT rowid, sealed FROM document_chunks WHERE document_id = ?').get(a.id) as { rowid: number; sealed: Buffer };
      row.sealed[40] = row.sealed[40]! ^ 0x80;
      db.prepare('UPDATE document_chunks SET sealed = ? WHERE rowid = ?').run(row.sealed, row.rowid);
      return row.sealed;
    });
    const vault = await Vault.unlock(dir, PASSPHRASE);
    const error = await codeOf(() => vault.documents.get(a.id));
    expect(error).toBe('RECORD_TAMPERED');
    expect(vault.documents.get(b.id).body).toBe('beta body');
    vault.lock();
    expect(raw(dir, (db) => (db.prepare('SELECT sealed FROM document_chunks WHERE document_id = ?').get(a.id) as { sealed: Buffer }).sealed)).toEqual(flipped);
  });

  it('a row swapped into another place (comment moved to another document, chunk moved to another document) is refused', async () => {
    const { dir, a, b, comment } = await lockedVaultWithContent();
    raw(dir, (db) => {
      db.prepare('UPDATE comments SET document_id = ? WHERE id = ?').run(b.id, comment.id);
      const bChunk = db.prepare('SELECT sealed FROM document_chunks WHERE document_id = ?').get(b.id) as { sealed: Buffer };
      db.prepare('UPDATE document_chunks SET sealed = ? WHERE document_id = ?').run(bChunk.sealed, a.id);
    });
    const vault = await Vault.unlock(dir, PASSPHRASE);
    expect(await codeOf(() => vault.comments.list(b.id))).toBe('RECORD_TAMPERED');
    expect(await codeOf(() => vault.documents.get(a.id))).toBe('RECORD_TAMPERED');
    vault.lock();
  });
});

describe('documents', () => {
  it('a keystroke appends one small sealed chunk and never rewrites the document', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const big = 'x'.repeat(20_000);
    const doc = vault.documents.create(ws.id, { title: 'Long', init: (d) => A.splice(d, ['body'], 0, 0, big) });
    const rows = () =>
      raw(vault.dir, (db) =>
        db.prepare('SELECT seq, kind, length(sealed) AS bytes FROM document_chunks WHERE document_id = ? ORDER BY seq').all(doc.id),
      ) as Array<{ seq: number; kind: string; bytes: number }>;
    const before = rows();
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 5, 0, 'y'));
    const after = rows();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)!.kind).toBe('changes');
    expect(after.at(-1)!.bytes).toBeLessThan(300);
    vault.lock();
  });

  it('compacts the change log into a snapshot as it grows (once typing pauses), and reopens to the same document', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Typed' });
    const text = 'The quick brown fox jumps over the lazy dog. ';
    for (let i = 0; i < 3000; i++) vault.documents.change(doc.id, (d) => A.splice(d, ['body'], i, 0, text[i % text.length]!));
    // Compaction is not a keystroke's work (test/unit/main/vault-write-path.test.ts): it runs at the pause after typing.
    const chunkCount = () =>
      raw(vault.dir, (db) => (db.prepare('SELECT count(*) AS n FROM document_chunks WHERE document_id = ?').get(doc.id) as { n: number }).n);
    await expect.poll(chunkCount, { timeout: 10_000 }).toBeLessThan(3000);
    const heads = A.getHeads(vault.documents.get(doc.id));
    const body = vault.documents.get(doc.id).body;
    vault.lock();
    const again = await Vault.unlock(vault.dir, PASSPHRASE);
    expect(A.getHeads(again.documents.get(doc.id))).toEqual(heads);
    expect(again.documents.get(doc.id).body).toBe(body);
    again.lock();
  });

  it('applies changes made in another replica (the editor) and persists them', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Shared' });
    let replica = A.load<{ body: string }>(vault.documents.save(doc.id));
    replica = A.change(replica, (d) => A.splice(d, ['body'], 0, 0, 'from the editor'));
    vault.documents.applyChanges(doc.id, A.getChanges(A.load(vault.documents.save(doc.id)), replica));
    expect(await codeOf(() => vault.documents.applyChanges(doc.id, [new Uint8Array([1, 2, 3])]))).toBe('BAD_REQUEST');
    vault.lock();
    const again = await Vault.unlock(vault.dir, PASSPHRASE);
    expect(again.documents.get(doc.id).body).toBe('from the editor');
    again.lock();
  });

  it("the editor's fast path saves changes at once and applies them when read; a crash before that loses nothing", async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Draft' });
    const heard: number[] = [];
    vault.documents.changed.on(({ changes }) => heard.push(changes.length));
    let replica = A.load<{ body: string; title: string }>(vault.documents.save(doc.id));
    for (const word of ['one ', 'two ', 'three']) {
      replica = A.change(replica, (d) => A.splice(d, ['body'], d.body.length, 0, word));
      vault.documents.appendChanges(doc.id, [A.getLastLocalChange(replica)!]);
    }
    replica = A.change(replica, (d) => A.updateText(d, ['title'], 'Renamed'));
    vault.documents.appendChanges(doc.id, [A.getLastLocalChange(replica)!]);
    expect(heard).toEqual([1, 1, 1, 1]);
    expect(await codeOf(() => vault.documents.appendChanges(doc.id, [new Uint8Array([9, 9, 9])]))).toBe('BAD_REQUEST');
    // As after a crash: nothing was applied to the in-memory copy, and the head still says Draft.
    vault.documents.forget();
    vault.lock();
    const again = await Vault.unlock(vault.dir, PASSPHRASE);
    expect(again.documents.get(doc.id).body).toBe('one two three');
    expect(again.documents.list(ws.id)[0]!.title).toBe('Renamed');
    expect(again.search('three').map((h) => h.documentId)).toEqual([doc.id]);
    again.lock();
  });

  it('lists documents from their heads with title, tags and times; unknown ids are NOT_FOUND', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.create({ name: 'Notes' });
    const doc = vault.documents.create('Notes', { title: '  Groceries ', tags: ['Home', 'home', ' list '] });
    expect(vault.documents.list(ws.id)).toEqual([expect.objectContaining({ id: doc.id, title: 'Groceries', tags: ['home', 'list'] })]);
    expect(await codeOf(() => vault.documents.get('nope'))).toBe('NOT_FOUND');
    expect(await codeOf(() => vault.documents.list('no such workspace'))).toBe('NOT_FOUND');
    vault.lock();
  });
});

describe('comments', () => {
  it('threads with replies, an anchor that follows edits, and resolve', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Draft', init: (d) => A.splice(d, ['body'], 0, 0, 'Hello brave world') });
    const thread = vault.comments.add(doc.id, { text: 'Too bold?', anchor: { from: 6, to: 11 } });
    vault.comments.add(doc.id, { text: 'Agreed', replyTo: thread.id });
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'Oh, '));
    let [listed] = vault.comments.list(doc.id);
    expect(listed!.anchor).toEqual({ from: 10, to: 15, quote: 'brave' });
    expect(vault.documents.get(doc.id).body.slice(10, 15)).toBe('brave');
    expect(listed!.comments.map((c) => c.text)).toEqual(['Too bold?', 'Agreed']);
    vault.comments.resolve(thread.id);
    [listed] = vault.comments.list(doc.id);
    expect(listed!.resolved).toBe(true);
    expect(await codeOf(() => vault.comments.add(doc.id, { text: 'x', anchor: { from: 3, to: 999 } }))).toBe('BAD_REQUEST');
    expect(await codeOf(() => vault.comments.add(doc.id, { text: '   ' }))).toBe('BAD_REQUEST');
    vault.comments.delete(thread.id);
    expect(vault.comments.list(doc.id)).toEqual([]);
    vault.lock();
  });

  it('keeps the order comments were written in when they share a millisecond, and a thread opens with its first comment', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Draft' });
    const clock = vi.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    try {
      const thread = vault.comments.add(doc.id, { text: 'first' });
      for (const text of ['second', 'third', 'fourth', 'fifth', 'sixth']) vault.comments.add(doc.id, { text, replyTo: thread.id });
      const [listed] = vault.comments.list(doc.id);
      expect(listed!.comments.map((c) => c.text)).toEqual(['first', 'second', 'third', 'fourth', 'fifth', 'sixth']);
      // A reply stamped before its thread (a peer's clock behind ours) still comes after the first comment.
      const early = vault.comments.records(doc.id).find((r) => r.text === 'third')!;
      vault.comments.replace({ ...early, createdAt: early.createdAt - 60_000 });
      expect(vault.comments.list(doc.id)[0]!.comments.map((c) => c.text)).toEqual(['first', 'third', 'second', 'fourth', 'fifth', 'sixth']);
    } finally {
      clock.mockRestore();
    }
    vault.lock();
  });

  it("a comment read before is checked again when its row changes while the vault is open: tampered bytes are refused, another process's rewrite is seen", async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Draft' });
    const kept = vault.comments.add(doc.id, { text: 'kept as written' });
    const other = vault.comments.add(doc.id, { text: 'another comment' });
    expect(vault.comments.get(kept.id).text).toBe('kept as written');
    const sealedOf = (db: BetterSqlite3.Database, id: string) => (db.prepare('SELECT sealed FROM comments WHERE id = ?').get(id) as { sealed: Buffer }).sealed;
    // Another connection to the same file (as another process would) flips one byte of the ciphertext, keeping its nonce.
    const db = new BetterSqlite3(join(vault.dir, VAULT_FILE_NAME));
    try {
      const original = sealedOf(db, kept.id);
      const flipped = Buffer.from(original);
      flipped[flipped.length - 20]! ^= 1;
      db.prepare('UPDATE comments SET sealed = ? WHERE id = ?').run(flipped, kept.id);
      expect(await codeOf(() => vault.comments.get(kept.id))).toBe('RECORD_TAMPERED');
      expect(await codeOf(() => vault.comments.records(doc.id))).toBe('RECORD_TAMPERED');
      // Another comment's sealed bytes moved into this row do not open here either.
      db.prepare('UPDATE comments SET sealed = ? WHERE id = ?').run(sealedOf(db, other.id), kept.id);
      expect(await codeOf(() => vault.comments.get(kept.id))).toBe('RECORD_TAMPERED');
      db.prepare('UPDATE comments SET sealed = ? WHERE id = ?').run(original, kept.id);
      expect(vault.comments.get(kept.id).text).toBe('kept as written');
      // A row deleted behind the vault's back is gone for it too.
      db.prepare('DELETE FROM comments WHERE id = ?').run(other.id);
      expect(await codeOf(() => vault.comments.get(other.id))).toBe('NOT_FOUND');
      expect(vault.comments.records(doc.id).map((r) => r.text)).toEqual(['kept as written']);
    } finally {
      db.close();
    }
    // What a caller does to a record it was given does not change what the next read returns.
    const read = vault.comments.get(kept.id);
    read.text = 'changed by a caller';
    expect(vault.comments.get(kept.id).text).toBe('kept as written');
    vault.lock();
  });
});

describe('files', () => {
  it('streams 100 MB in and out without holding it in memory, and detects a damaged chunk', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const total = 100 * 1024 * 1024;
    const piece = new Uint8Array(256 * 1024);
    function* source() {
      for (let sent = 0, n = 0; sent < total; sent += piece.length, n++) {
        piece.fill(n % 251);
        yield piece;
      }
    }
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = process.memoryUsage();
    let peak = 0;
    let rssPeak = 0;
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'tests run with --expose-gc').toBeTypeOf('function');
    const sample = () => {
      gc!();
      const now = process.memoryUsage();
      peak = Math.max(peak, now.arrayBuffers + now.heapUsed - baseline.arrayBuffers - baseline.heapUsed);
      rssPeak = Math.max(rssPeak, now.rss - baseline.rss);
    };
    const progress: number[] = [];
    const info = await vault.files.add(ws.id, { name: 'big.bin', source: source(), onProgress: (bytes) => (progress.push(bytes), sample()) });
    expect(info.size).toBe(total);
    expect(progress.at(-1)).toBe(total);
    let read = 0;
    let n = 0;
    let intact = true;
    for await (const chunk of vault.files.read(info.id)) {
      // Each 256 KiB run of the source has one byte value; check the chunk agrees.
      for (let offset = 0; offset < chunk.length; offset += piece.length) {
        if (chunk[offset] !== n % 251 || chunk[offset + piece.length - 1] !== n % 251) intact = false;
        n++;
      }
      read += chunk.length;
      sample();
    }
    expect(intact).toBe(true);
    expect(read).toBe(total);
    // What the process holds at any moment stays a few chunks, whatever the file's size.
    expect(peak).toBeLessThan(16 * 1024 * 1024);
    expect(rssPeak).toBeLessThan(total / 2);
    vault.lock();
    raw(vault.dir, (db) => {
      const row = db.prepare('SELECT rowid, sealed FROM file_chunks WHERE file_id = ? AND idx = 7').get(info.id) as { rowid: number; sealed: Buffer };
      row.sealed[100] = row.sealed[100]! ^ 1;
      db.prepare('UPDATE file_chunks SET sealed = ? WHERE rowid = ?').run(row.sealed, row.rowid);
    });
    const again = await Vault.unlock(vault.dir, PASSPHRASE);
    const error = await (async () => {
      for await (const _ of again.files.read(info.id));
    })().catch((e: unknown) => e);
    expect(isHearthError(error, 'RECORD_TAMPERED')).toBe(true);
    again.lock();
  });

  it('a missing chunk is detected; an interrupted upload leaves nothing behind', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const info = await vault.files.add(ws.id, { name: 'three.bin', source: [new Uint8Array(3 * 1024 * 1024 + 5)] });
    async function* failing() {
      yield new Uint8Array(2 * 1024 * 1024);
      throw new Error('disk went away');
    }
    await expect(vault.files.add(ws.id, { name: 'broken.bin', source: failing() })).rejects.toThrow('disk went away');
    expect(vault.files.list(ws.id).map((f) => f.name)).toEqual(['three.bin']);
    vault.lock();
    raw(vault.dir, (db) => {
      expect((db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n).toBe(1);
      db.prepare('DELETE FROM file_chunks WHERE file_id = ? AND idx = 3').run(info.id);
    });
    const again = await Vault.unlock(vault.dir, PASSPHRASE);
    const error = await (async () => {
      for await (const _ of again.files.read(info.id));
    })().catch((e: unknown) => e);
    expect(isHearthError(error, 'RECORD_TAMPERED')).toBe(true);
    expect(await codeOf(() => again.files.add(ws.id, { name: 'a/b', source: [] }))).toBe('BAD_REQUEST');
    again.lock();
  });
});

describe('search', () => {
  it('finds titles, bodies, tags and comments as you type, and forgets deleted items', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const recipe = vault.documents.create(ws.id, {
      title: 'Crème brûlée',
      tags: ['dessert'],
      init: (d) => A.splice(d, ['body'], 0, 0, 'Caramelise the sugar with a torch.'),
    });
    const other = vault.documents.create(ws.id, { title: 'Taxes', init: (d) => A.splice(d, ['body'], 0, 0, 'Receipts in the blue folder.') });
    vault.comments.add(other.id, { text: 'Ask the accountant about receipts' });
    expect(vault.search('creme').map((h) => h.documentId)).toEqual([recipe.id]);
    expect(vault.search('carameli').map((h) => h.documentId)).toEqual([recipe.id]);
    expect(vault.search('dessert').map((h) => h.documentId)).toEqual([recipe.id]);
    expect(vault.search('accountant').map((h) => [h.kind, h.documentId])).toEqual([['comment', other.id]]);
    expect(
      vault
        .search('receipts')
        .map((h) => h.kind)
        .sort(),
    ).toEqual(['comment', 'document']);
    vault.documents.change(recipe.id, (d) => A.splice(d, ['body'], 0, 0, 'Vanilla. '));
    expect(vault.search('vanilla').map((h) => h.documentId)).toEqual([recipe.id]);
    vault.documents.delete(other.id);
    expect(vault.search('receipts')).toEqual([]);
    vault.lock();
    const again = await Vault.unlock(vault.dir, PASSPHRASE);
    expect(again.search('vanilla sugar').map((h) => h.documentId)).toEqual([recipe.id]);
    again.lock();
  });

  it('rebuilds the index after unlock from sealed search text, and from the document when that text is stale', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Journal', init: (d) => A.splice(d, ['body'], 0, 0, 'first entry') });
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' second entry'));
    vault.lock();
    // A clean lock flushed the text: no document needs loading to search it.
    let again = await Vault.unlock(vault.dir, PASSPHRASE);
    expect(again.search('second').map((h) => h.documentId)).toEqual([doc.id]);
    again.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' third entry'));
    // As after a crash: the change is persisted, but the text copy was never flushed.
    again.documents.forget();
    again.lock();
    expect(raw(vault.dir, (db) => db.prepare('SELECT text_seq < (SELECT max(seq) FROM document_chunks) AS stale FROM documents').get())).toEqual({ stale: 1 });
    again = await Vault.unlock(vault.dir, PASSPHRASE);
    expect(again.search('third').map((h) => h.documentId)).toEqual([doc.id]);
    again.lock();
  });
});
