// The vault's write path keeps work that grows with the document out of a keystroke: the
// keystroke's chunk is committed before the call returns, and compaction, the search text and
// WAL checkpoints wait until the vault is quiet. Observed in the vault file itself, through a
// second SQLite connection, as another process would see it.
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SearchIndex } from '../../../main/vault/search.ts';
import { Vault } from '../../../main/vault/vault.ts';
import { QUIET_MS } from '../../../main/vault/wal.ts';
import { createTestVault, PASSPHRASE } from '../../support/vault.ts';

/** Rows of the vault's chunk table for one document, read by another connection. */
function chunksOf(dir: string, documentId: string): { snapshots: number[]; changes: number } {
  const reader = new BetterSqlite3(join(dir, 'vault.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = reader.prepare('SELECT seq, kind FROM document_chunks WHERE document_id = ? ORDER BY seq').all(documentId) as Array<{
      seq: number;
      kind: string;
    }>;
    return { snapshots: rows.filter((r) => r.kind === 'snapshot').map((r) => r.seq), changes: rows.filter((r) => r.kind === 'changes').length };
  } finally {
    reader.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the vault write path', () => {
  it('commits each keystroke before it returns and never compacts inside one; compaction waits for a pause', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Typing', init: (d) => A.splice(d, ['body'], 0, 0, 'Start. ') });
    // The editor's replica, whose changes reach the vault as they do from the page.
    let replica = A.load<{ body: string }>(vault.documents.save(doc.id));
    const line = 'A line of typing long enough that compaction comes due within the test. ';
    let typed = 0;
    // Well past the 64 KiB at which a compaction is due.
    for (let i = 0; i < 1200; i++) {
      replica = A.change(replica, (d) => A.splice(d, ['body'], d.body.length, 0, line));
      vault.documents.appendChanges(doc.id, [A.getLastLocalChange(replica)!]);
      typed++;
      if (i % 100 === 99) {
        // Committed when the call returned: another connection sees every keystroke as a chunk,
        // after the one snapshot the document was made with.
        expect(chunksOf(vault.dir, doc.id)).toEqual({ snapshots: [0], changes: typed });
      }
    }
    // Local changes (the CLI, an import) take the same path.
    for (let i = 0; i < 100; i++) vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'x'));
    expect(chunksOf(vault.dir, doc.id)).toEqual({ snapshots: [0], changes: typed + 100 });

    // Once typing pauses, one snapshot replaces everything before it.
    await expect.poll(() => chunksOf(vault.dir, doc.id), { timeout: 10_000 }).toEqual({ snapshots: [typed + 101], changes: 0 });
    const expected = vault.documents.get(doc.id).body;
    expect(expected.endsWith(line)).toBe(true);
    const dir = vault.dir;
    vault.lock();
    const reopened = await Vault.unlock(dir, PASSPHRASE);
    expect(reopened.documents.get(doc.id).body).toBe(expected);
    reopened.lock();
  });

  it('compacts at the pause only after reading, under the write lock, what another process appended: its chunks are folded in, never deleted unread', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Shared' });
    // A second Vault on the file is a second SQLite connection: what another process is to this one.
    const other = await Vault.unlock(vault.dir, PASSPHRASE);
    const otherDoc = other.documents.get(doc.id);
    expect(otherDoc.title).toBe('Shared');
    const external: number[] = [];
    vault.documents.changed.on(({ origin, changes }) => {
      if (origin.kind === 'external') external.push(changes.length);
    });
    let replica = A.load<{ body: string }>(vault.documents.save(doc.id));
    const line = `${'y'.repeat(1000)} `;
    // About 100 KiB of typing: a compaction comes due, and waits for the pause.
    const keystrokes = 100;
    for (let i = 0; i < keystrokes; i++) {
      replica = A.change(replica, (d) => A.splice(d, ['body'], d.body.length, 0, line));
      vault.documents.appendChanges(doc.id, [A.getLastLocalChange(replica)!]);
    }
    // Right after the last keystroke, before this copy's pause: another process writes its own
    // chunk (it cannot know this copy is about to compact) and then stops without compacting
    // anything itself (as one killed after its commit would): only this copy can keep that chunk.
    other.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'Written by the other process. '));
    other.documents.forgetDocuments([doc.id]);
    expect(chunksOf(vault.dir, doc.id)).toEqual({ snapshots: [0], changes: keystrokes + 1 });

    // This copy's snapshot holds the other process's chunk too: it comes after it.
    await expect.poll(() => chunksOf(vault.dir, doc.id), { timeout: 10_000 }).toEqual({ snapshots: [keystrokes + 2], changes: 0 });
    expect(external).toEqual([1]);
    // (Its copy was made before this one's typing, so where the two land relative to each other is Automerge's choice.)
    expect(vault.documents.get(doc.id).body).toContain('Written by the other process. ');
    const dir = vault.dir;
    other.lock();
    vault.lock();
    const reopened = await Vault.unlock(dir, PASSPHRASE);
    const body = reopened.documents.get(doc.id).body;
    expect(body).toContain('Written by the other process. ');
    expect(body.split(line).length - 1).toBe(keystrokes);
    reopened.lock();
  });

  it('still bounds the change log for someone who never pauses: past 8 times the due size, a write compacts', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Marathon' });
    const line = 'x'.repeat(1000);
    // 600 KiB of changes without a pause: past 8 × 64 KiB.
    for (let i = 0; i < 600; i++) vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, line));
    const { snapshots, changes } = chunksOf(vault.dir, doc.id);
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toBeGreaterThan(0);
    expect(changes).toBeLessThan(600);
    vault.lock();
  });

  it('does no search work for comments and edits until the index is built, then keeps it current', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Minutes', init: (d) => A.splice(d, ['body'], 0, 0, 'The quarterly harvest was good.') });
    const indexing = vi.spyOn(SearchIndex.prototype as unknown as { put: () => void }, 'put');
    for (let i = 0; i < 50; i++) vault.comments.add(doc.id, { text: `Comment ${i} about the orchard` });
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' Lanterns next time.'));
    expect(indexing).not.toHaveBeenCalled();

    // The first search builds the index from everything, so nothing written before it is missed.
    expect(vault.search('orchard')).toHaveLength(50);
    expect(vault.search('lanterns').map((hit) => hit.documentId)).toEqual([doc.id]);
    // From then on each write is indexed.
    vault.comments.add(doc.id, { text: 'A late note on the meadow' });
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' Quartz!'));
    expect(vault.search('meadow')).toHaveLength(1);
    expect(vault.search('quartz').map((hit) => hit.documentId)).toEqual([doc.id]);
    vault.lock();
  });

  it('checkpoints the WAL once the vault is quiet, not inside the commit that fills it', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Many comments' });
    const file = join(vault.dir, 'vault.sqlite');
    await sleep(QUIET_MS * 2);
    const before = statSync(file).size;
    // About 8 MiB of commits in a row: SQLite's own checkpoint would have run in the commit that
    // passed 1,000 pages (4 MiB) and copied them into the database file then.
    const text = 'x'.repeat(8000);
    for (let i = 0; i < 1000; i++) vault.comments.add(doc.id, { text: `${i} ${text}` });
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(6 * 1024 * 1024);
    expect(statSync(file).size).toBe(before);
    // A moment later the vault is quiet, and the pages reach the database file.
    await expect.poll(() => statSync(file).size, { timeout: 10_000 }).toBeGreaterThan(before + 6 * 1024 * 1024);
    expect(vault.comments.records(doc.id)).toHaveLength(1000);
    vault.lock();
  });
});

describe('group commit: edits made back to back share a commit, each acknowledged only after it', () => {
  it('acknowledges an edit once another connection can read it, never before; one chunk per group; the announced changes rebuild the document', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Trace' });
    let replica = A.load<{ body: string }>(vault.documents.save(doc.id));
    vault.documents.changed.on((event) => {
      if (event.documentId === doc.id) [replica] = A.applyChanges(replica, event.changes);
    });
    /** The body as another process reads it from the file now. */
    const inFile = async () => {
      const other = await Vault.unlock(vault.dir, PASSPHRASE);
      try {
        return other.documents.get(doc.id).body;
      } finally {
        other.lock();
      }
    };
    const first = vault.documents.edit(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'a'));
    // Made in memory at once, not yet in the file: nothing acknowledged it.
    expect(vault.documents.get(doc.id).body).toBe('a');
    expect(await inFile()).toBe('');
    await first;
    expect(await inFile()).toBe('a');

    // 1,000 edits with no pause between them (a replayed trace): each promise settles after its commit.
    const acks: Array<Promise<void>> = [];
    let seenAtAck = '';
    for (let i = 0; i < 1000; i++) {
      const edit = vault.documents.edit(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, String(i % 10)));
      if (i === 499) acks.push(edit.then(async () => void (seenAtAck = await inFile())));
      else acks.push(edit);
    }
    await Promise.all(acks);
    const body = vault.documents.get(doc.id).body;
    expect(body).toHaveLength(1001);
    expect(seenAtAck.length).toBeGreaterThanOrEqual(501);
    expect(seenAtAck.slice(0, 501)).toBe(body.slice(0, 501));
    // Grouped: far fewer chunks were appended than edits made (without groups, 1,001). (The
    // other connection's lock may have compacted some into a snapshot; seqs keep counting.)
    const { snapshots, changes } = chunksOf(vault.dir, doc.id);
    const appended = snapshots.at(-1)! + changes;
    expect(appended).toBeGreaterThan(3);
    expect(appended).toBeLessThan(100);
    // What listeners heard (the sync engine, pages) is every change, one by one.
    expect(replica.body).toBe(body);
    const dir = vault.dir;
    vault.lock();
    const reopened = await Vault.unlock(dir, PASSPHRASE);
    expect(reopened.documents.get(doc.id).body).toBe(body);
    reopened.lock();
  });

  it('commits what waits before a lock, and before another write to the document lands after it', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const doc = vault.documents.create(ws.id, { title: 'Order' });
    const waiting = vault.documents.edit(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'first '));
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, 'second'));
    await waiting;
    const late = vault.documents.edit(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' third'));
    const dir = vault.dir;
    vault.lock();
    await late;
    const reopened = await Vault.unlock(dir, PASSPHRASE);
    expect(reopened.documents.get(doc.id).body).toBe('first second third');
    reopened.lock();
  });

  it('rejects the edits of a document another process deleted meanwhile, and still commits the rest of the group', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const kept = vault.documents.create(ws.id, { title: 'Kept' });
    const doomed = vault.documents.create(ws.id, { title: 'Doomed' });
    vault.documents.get(doomed.id);
    const other = await Vault.unlock(vault.dir, PASSPHRASE);
    other.documents.delete(doomed.id);
    other.lock();
    const lost = vault.documents.edit(doomed.id, (d) => A.splice(d, ['body'], 0, 0, 'into the void'));
    const saved = vault.documents.edit(kept.id, (d) => A.splice(d, ['body'], 0, 0, 'safe'));
    await expect(lost).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await saved;
    const dir = vault.dir;
    vault.lock();
    const reopened = await Vault.unlock(dir, PASSPHRASE);
    expect(reopened.documents.get(kept.id).body).toBe('safe');
    expect(reopened.documents.list(ws.id).map((d) => d.title)).toEqual(['Kept']);
    reopened.lock();
  });
});

describe('splitChanges', () => {
  it('splits what saveSince wrote into the changes getChanges gives, and refuses a run cut short', async () => {
    const { splitChanges } = await import('../../../main/vault/document-copy.ts');
    let doc = A.from<{ body: string }>({ body: '' });
    const start = A.getHeads(doc);
    // Long inserts make compressed changes (a different chunk type) as well as short ones.
    for (const text of ['a', 'b'.repeat(5000), 'c']) doc = A.change(doc, (d) => A.splice(d, ['body'], 0, 0, text));
    const run = A.saveSince(doc, start);
    const expected = A.getChanges(A.view(doc, start), doc);
    expect(splitChanges(run).map((c) => Buffer.from(c).toString('hex'))).toEqual(expected.map((c) => Buffer.from(c).toString('hex')));
    expect(() => splitChanges(run.subarray(0, run.length - 1))).toThrow(/ends inside a change/);
  });
});
