// Erasing a personal document's edit history: text deleted from it is then in no change of its
// history, and no byte of the vault file or WAL holds it or the ciphertext that held it. Each
// scan is run first as a control, which finds the marker before the erasure.
import * as A from '@automerge/automerge';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes, toHex } from '../../common/crypto/sodium.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { applyChanges } from '../../main/usecases/documents.ts';
import { documentHistory, forgetHistory } from '../../main/usecases/history.ts';
import { Vault } from '../../main/vault/vault.ts';
import { bytesHold, countFound, fingerprints, historyHolds, sqliteBytes, vaultChunks, vaultFile } from '../support/history-scan.ts';
import { createTestVault, PASSPHRASE } from '../support/vault.ts';

const open: Array<{ vault: Vault; engine: SyncEngine }> = [];
afterEach(async () => {
  for (const u of open.splice(0)) {
    await u.engine.close();
    if (!u.vault.isLocked) u.vault.lock();
  }
});

async function personal(): Promise<{ vault: Vault; engine: SyncEngine; workspace: string }> {
  const vault = await createTestVault();
  const engine = new SyncEngine(vault);
  open.push({ vault, engine });
  return { vault, engine, workspace: vault.workspaces.list()[0]!.id };
}

describe('erasing the edit history of a personal document', () => {
  it('leaves the text as it is, with no trace of deleted text in its history, the vault file or the WAL', async () => {
    const u = await personal();
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    const doc = u.vault.documents.create(u.workspace, { title: 'Diary', init: (d) => A.splice(d, ['body'], 0, 0, `Keep this line. ${marker} goes.`) });
    u.vault.comments.add(doc.id, { text: 'about the first words', anchor: { from: 0, to: 4 } });
    // The marker is deleted from the text: it is in no version of it now, only in its history.
    u.vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 'Keep this line. '.length, marker.length + 1, ''));
    const text = u.vault.documents.get(doc.id).body;
    expect(text).not.toContain(marker);
    const oldChunks = vaultChunks(u.vault.dir, doc.id);
    const prints = fingerprints(oldChunks);
    // Controls: every scan finds it (or the ciphertext that holds it) before the erasure.
    expect(historyHolds(u.vault.documents.get(doc.id), marker)).toBe(true);
    expect(prints.length).toBeGreaterThan(0);
    expect(countFound(sqliteBytes(vaultFile(u.vault.dir)), prints)).toBe(prints.length);
    expect(documentHistory(u, doc.id).versions.length).toBeGreaterThanOrEqual(1);

    const forgotten = await forgetHistory(u, doc.id);
    expect(forgotten).toMatchObject({ documentId: doc.id, generation: 1 });

    expect(u.vault.documents.get(doc.id).body).toBe(text);
    expect(u.vault.documents.summary(doc.id).title).toBe('Diary');
    expect(historyHolds(u.vault.documents.get(doc.id), marker)).toBe(false);
    const history = documentHistory(u, doc.id);
    expect(history.generation).toBe(1);
    expect(history.versions.map((v) => v.base)).toEqual([true]);
    // The comment keeps its anchor on the same words.
    expect(u.vault.comments.list(doc.id)[0]!.anchor).toMatchObject({ from: 0, to: 4 });
    // No byte of the file or WAL holds the old ciphertext (so no key can open it) or the marker.
    const bytes = sqliteBytes(vaultFile(u.vault.dir));
    expect(countFound(bytes, prints)).toBe(0);
    expect(bytesHold(bytes, marker)).toBe(false);
    expect(vaultChunks(u.vault.dir, doc.id)).toHaveLength(1);

    // Opened again from the file: the same text, one generation, no history before it.
    const dir = u.vault.dir;
    await u.engine.close();
    u.vault.lock();
    const again = await Vault.unlock(dir, PASSPHRASE);
    const engine = new SyncEngine(again);
    open.push({ vault: again, engine });
    expect(again.documents.get(doc.id).body).toBe(text);
    expect(again.documents.generationOf(doc.id)).toBe(1);
    expect(historyHolds(again.documents.get(doc.id), marker)).toBe(false);
    // It edits on as any document does.
    again.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'New: '));
    expect(again.documents.get(doc.id).body).toBe(`New: ${text}`);
  });

  it('another process holding the old copy reads the new generation from the file, and hears that it was replaced', async () => {
    const u = await personal();
    const doc = u.vault.documents.create(u.workspace, { title: 'Shared file', init: (d) => A.splice(d, ['body'], 0, 0, 'one') });
    const other = await Vault.unlock(u.vault.dir, PASSPHRASE);
    open.push({ vault: other, engine: new SyncEngine(other) });
    expect(other.documents.get(doc.id).body).toBe('one');
    const replaced: number[] = [];
    other.documents.replaced.on(({ generation }) => replaced.push(generation));
    await forgetHistory(u, doc.id);
    // The other process reads the new generation from the file.
    expect(other.documents.get(doc.id).body).toBe('one');
    expect(other.documents.generationOf(doc.id)).toBe(1);
    expect(replaced).toEqual([1]);
    expect(historyHolds(other.documents.get(doc.id), 'one')).toBe(true);
    expect(A.getAllChanges(other.documents.get(doc.id))).toHaveLength(1);
  });

  it("carries a page's edits that were on their way when the history was erased, instead of losing them", async () => {
    const u = await personal();
    const doc = u.vault.documents.create(u.workspace, { title: 'Typing', init: (d) => A.splice(d, ['body'], 0, 0, 'Before.') });
    // The page's replica, with a keystroke made on the old generation that reaches main only after the erasure.
    const page = A.load<{ body: string }>(u.vault.documents.save(doc.id));
    const typed = A.change(page, (d) => A.splice(d, ['body'], d.body.length, 0, ' Typed just then.'));
    const inFlight = A.getChanges(page, typed);
    await forgetHistory(u, doc.id);
    u.vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'New: '));
    applyChanges(u, doc.id, inFlight);
    expect(u.vault.documents.get(doc.id).body).toBe('New: Before. Typed just then.');
    // Written again on the new generation: none of the old one's changes came in with it.
    expect(A.getChangesMetaSince(u.vault.documents.get(doc.id), []).some((c) => A.decodeChange(inFlight[0]!).deps.includes(c.hash))).toBe(false);
    expect(u.vault.documents.generationOf(doc.id)).toBe(1);
  });
});
