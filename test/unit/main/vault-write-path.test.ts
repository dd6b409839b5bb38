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
