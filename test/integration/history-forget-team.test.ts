// Erasing a team document's edit history, through a real relay: the relay keeps only the new
// generation (its SQLite file and WAL hold no byte of the old ciphertext, and what it stores,
// opened with every key any member held, holds no deleted text), every member's copy is
// replaced, a member's offline edits are carried onto the new generation, and a relay replaying
// an old-generation change brings nothing back. Each scan first runs as a control that finds the marker.
import * as A from '@automerge/automerge';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, randomBytes, toHex } from '../../common/crypto/sodium.ts';
import type { SyncWarning } from '../../main/sync/engine.ts';
import { documentHistory, forgetHistory } from '../../main/usecases/history.ts';
import {
  bytesHold,
  ciphertextHolds,
  ciphertextPrints,
  countFound,
  fingerprints,
  historyHolds,
  relayBlobs,
  relayFile,
  sqliteBytes,
  vaultChunks,
  vaultFile,
} from '../support/history-scan.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, makePeer, teamOfTwo, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let workspace: string;
const bobWarnings: SyncWarning[] = [];

/** Every epoch key either member ever held for the workspace. */
function everyKey(): Uint8Array[] {
  const keys = new Set<string>();
  for (const peer of [ann, bob]) for (const hex of Object.values(peer.vault.syncState.space(workspace)?.epochKeys ?? {})) keys.add(hex);
  return [...keys].map((hex) => fromHex(hex));
}

function newMarker(): string {
  return `erase-me-${toHex(randomBytes(8))}`;
}

/** A document both have, whose text once held `marker` (deleted again before anything else). */
async function documentThatHeld(marker: string, title: string): Promise<string> {
  const id = ann.vault.documents.create(workspace, { title, init: (d) => A.splice(d, ['body'], 0, 0, `Plan: ship it. ${marker} `) }).id;
  await ann.engine.syncOnce();
  ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 'Plan: ship it. '.length, marker.length + 1, ''));
  await ann.engine.syncOnce();
  await bob.engine.syncOnce();
  expect(bodyOf(bob, id)).toBe('Plan: ship it. ');
  return id;
}

beforeAll(async () => {
  relay = await startTestRelay();
  ({ ann, bob, workspace } = await teamOfTwo(relay.url, 'Erasure', { onBob: (peer) => peer.engine.onWarning((w) => bobWarnings.push(w)) }));
}, 60_000);
afterAll(() => closeAll([ann, bob], { relay }));

describe('erasing the edit history of a team document', { timeout: 60_000 }, () => {
  it('leaves the relay and every member with the text and no trace of deleted text', async () => {
    const marker = newMarker();
    const id = await documentThatHeld(marker, 'Launch');
    const relayBefore = relayBlobs(relay.dataDir, workspace, id);
    const relayPrints = ciphertextPrints(relayBefore);
    const bobPrints = fingerprints(vaultChunks(bob.dir, id));
    // Controls: each scan finds the marker (or the ciphertext holding it) before the erasure.
    expect(historyHolds(ann.vault.documents.get(id), marker)).toBe(true);
    expect(historyHolds(bob.vault.documents.get(id), marker)).toBe(true);
    expect(ciphertextHolds(relayBefore, everyKey(), marker).found).toBe(true);
    expect(relayPrints.length).toBeGreaterThan(0);
    expect(countFound(sqliteBytes(relayFile(relay.dataDir)), relayPrints)).toBe(relayPrints.length);
    expect(countFound(sqliteBytes(vaultFile(bob.dir)), bobPrints)).toBe(bobPrints.length);

    // An Editor may not erase history; the Owner may.
    await expect(forgetHistory(bob, id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await forgetHistory(ann, id)).toMatchObject({ generation: 1 });
    await bob.engine.syncOnce();

    expect(bodyOf(bob, id)).toBe('Plan: ship it. ');
    expect(bodyOf(ann, id)).toBe('Plan: ship it. ');
    for (const peer of [ann, bob]) {
      expect(peer.vault.documents.generationOf(id)).toBe(1);
      expect(historyHolds(peer.vault.documents.get(id), marker)).toBe(false);
      expect(documentHistory(peer, id).versions.map((v) => v.base)).toEqual([true]);
    }
    const relayAfter = relayBlobs(relay.dataDir, workspace, id);
    const opened = ciphertextHolds(relayAfter, everyKey(), marker);
    expect(opened.opened).toBeGreaterThan(0);
    expect(opened.found).toBe(false);
    const relayBytes = sqliteBytes(relayFile(relay.dataDir));
    expect(countFound(relayBytes, relayPrints)).toBe(0);
    expect(bytesHold(relayBytes, marker)).toBe(false);
    expect(bytesHold(Buffer.from(relay.logLines.join('\n')), marker)).toBe(false);
    expect(countFound(sqliteBytes(vaultFile(bob.dir)), bobPrints)).toBe(0);

    // Editing goes on in the new generation, both ways.
    bob.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, 'Bob: '));
    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    expect(bodyOf(ann, id)).toBe('Bob: Plan: ship it. ');
  });

  it("carries a member's offline edits onto the new generation, and the erased text stays erased", async () => {
    const marker = newMarker();
    const id = await documentThatHeld(marker, 'Offline');
    // Bob edits without syncing (offline): his edit is only in his outbox.
    bob.vault.documents.change(id, (d) => A.splice(d, ['body'], bodyOf(bob, id).length, 0, 'Bob adds this offline.'));
    await forgetHistory(ann, id);
    // Bob comes back: his push is refused as of the old generation, he takes the new one in and carries his edit.
    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    expect(bodyOf(ann, id)).toBe('Plan: ship it. Bob adds this offline.');
    expect(bodyOf(bob, id)).toBe(bodyOf(ann, id));
    for (const peer of [ann, bob]) {
      expect(peer.vault.documents.generationOf(id)).toBe(1);
      expect(historyHolds(peer.vault.documents.get(id), marker)).toBe(false);
    }
    expect(ciphertextHolds(relayBlobs(relay.dataDir, workspace, id), everyKey(), marker).found).toBe(false);
    expect(bob.engine.status(workspace)[0]!.pending).toBe(0);
  });

  it('drops an old-generation change a relay replays after the erasure, unread and not kept', async () => {
    const marker = newMarker();
    const id = ann.vault.documents.create(workspace, { title: 'Replay', init: (d) => A.splice(d, ['body'], 0, 0, 'Kept. ') }).id;
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, marker));
    await ann.engine.syncOnce();
    // The genuine, signed change that wrote the marker, as the relay stored it.
    const replayed = relayBlobs(relay.dataDir, workspace, id).filter((blob) => ciphertextHolds([blob], everyKey(), marker).found);
    expect(replayed).toHaveLength(1);
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, marker.length, ''));
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    await forgetHistory(ann, id);
    await bob.engine.syncOnce();
    expect(historyHolds(bob.vault.documents.get(id), marker)).toBe(false);

    // The relay (here: someone with its database) serves the old change again, as the next one.
    const db = new Database(relayFile(relay.dataDir), { timeout: 10_000 });
    const { last } = db.prepare('SELECT last_seq AS last FROM docs WHERE space = ? AND doc = ?').get(workspace, id) as { last: number };
    db.prepare('INSERT INTO changes (space, doc, seq, change_id, author, bytes) VALUES (?, ?, ?, ?, ?, ?)').run(
      workspace,
      id,
      last + 1,
      'replayed',
      ann.engine.account,
      replayed[0],
    );
    db.prepare('UPDATE docs SET last_seq = ? WHERE space = ? AND doc = ?').run(last + 1, workspace, id);
    db.close();
    bobWarnings.length = 0;
    await bob.engine.syncOnce();

    expect(bodyOf(bob, id)).toBe('Kept. ');
    expect(historyHolds(bob.vault.documents.get(id), marker)).toBe(false);
    expect(bobWarnings.map((w) => w.code)).toContain('RECORD_TAMPERED');
    // Nothing of it is kept aside to decrypt later: no quarantine row, no byte of its ciphertext in Bob's vault.
    expect(bob.engine.quarantined(workspace).filter((q) => q.documentId === id)).toEqual([]);
    expect(countFound(sqliteBytes(vaultFile(bob.dir)), ciphertextPrints(replayed))).toBe(0);
  });

  it('a member who joins later refuses the old generation even from a relay that serves only that (the signed index names the generation)', async () => {
    const marker = newMarker();
    const id = await documentThatHeld(marker, 'Rolled back');
    const old = relayBlobs(relay.dataDir, workspace, id);
    expect(ciphertextHolds(old, everyKey(), marker).found).toBe(true);
    await forgetHistory(ann, id);
    // The relay (here: someone with its database) puts the old log back and drops the new generation.
    const db = new Database(relayFile(relay.dataDir), { timeout: 10_000 });
    db.prepare('DELETE FROM changes WHERE space = ? AND doc = ?').run(workspace, id);
    old.forEach((blob, i) =>
      db
        .prepare('INSERT INTO changes (space, doc, seq, change_id, author, bytes) VALUES (?, ?, ?, ?, ?, ?)')
        .run(workspace, id, i + 1, `old${i}`, ann.engine.account, blob),
    );
    db.prepare('UPDATE docs SET last_seq = ?, snapshot = NULL, snapshot_covers = NULL, gen = 0 WHERE space = ? AND doc = ?').run(old.length, workspace, id);
    db.close();

    const cat = await makePeer(relay.url, 'cat');
    try {
      const warnings: SyncWarning[] = [];
      cat.engine.onWarning((w) => warnings.push(w));
      await ann.engine.invite(workspace, cat.vault.profile.username, 'viewer');
      await cat.engine.acceptInvitation(workspace);
      await cat.engine.syncOnce();
      expect(warnings.filter((w) => w.documentId === id).map((w) => w.code)).toContain('RECORD_TAMPERED');
      expect(cat.vault.documents.has(id) && historyHolds(cat.vault.documents.get(id), marker)).toBe(false);
      expect(bytesHold(sqliteBytes(vaultFile(cat.dir)), marker)).toBe(false);
      expect(countFound(sqliteBytes(vaultFile(cat.dir)), ciphertextPrints(old))).toBe(0);
    } finally {
      await closeAll([cat], {});
    }
  });

  it('sharing a personal document alone sends its state without history, unless the sharer keeps it', async () => {
    const personal = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!.id;
    const written = (title: string, marker: string) => {
      const id = ann.vault.documents.create(personal, { title, init: (d) => A.splice(d, ['body'], 0, 0, `Note: ${marker} `) }).id;
      ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 'Note: '.length, marker.length + 1, ''));
      return id;
    };
    const plain = newMarker();
    const kept = newMarker();
    const alone = written('Alone', plain);
    const whole = written('Whole', kept);
    expect(ann.engine.describeShare(alone).message).toMatch(/without its edit history/);
    await ann.engine.shareDocument(alone, bob.vault.profile.username, 'viewer', { confirmed: true });
    // The control: kept on request, the history goes to the relay and to Bob.
    expect(ann.engine.describeShare(whole, undefined, true).message).toMatch(/with its whole edit history/);
    await ann.engine.shareDocument(whole, bob.vault.profile.username, 'viewer', { confirmed: true, keepHistory: true });
    const spaceOf = (id: string) => ann.vault.workspaces.shareSpaces().find((w) => w.shareOf === id)!.id;
    for (const id of [alone, whole]) await bob.engine.acceptInvitation(spaceOf(id));
    const keysOf = (space: string) =>
      [...new Set([ann, bob].flatMap((p) => Object.values(p.vault.syncState.space(space)?.epochKeys ?? {})))].map((hex) => fromHex(hex));
    expect(bodyOf(bob, whole)).toBe('Note: ');
    expect(historyHolds(bob.vault.documents.get(whole), kept)).toBe(true);
    expect(ciphertextHolds(relayBlobs(relay.dataDir, spaceOf(whole), whole), keysOf(spaceOf(whole)), kept).found).toBe(true);

    expect(bodyOf(bob, alone)).toBe('Note: ');
    expect(historyHolds(bob.vault.documents.get(alone), plain)).toBe(false);
    const stored = ciphertextHolds(relayBlobs(relay.dataDir, spaceOf(alone), alone), keysOf(spaceOf(alone)), plain);
    expect(stored.opened).toBeGreaterThan(0);
    expect(stored.found).toBe(false);
    // Here too its earlier versions were erased (the sharer was told), so both copies stay one document.
    expect(historyHolds(ann.vault.documents.get(alone), plain)).toBe(false);
    ann.vault.documents.change(alone, (d) => A.splice(d, ['body'], 0, 0, 'Edited: '));
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(bob, alone)).toBe('Edited: Note: ');
  });

  it('refuses while the document is also shared on its own, naming whom to revoke; once nobody is left in the share, it erases and the share space goes with its copy', async () => {
    const marker = newMarker();
    const id = await documentThatHeld(marker, 'Shared too');
    const cat = await makePeer(relay.url, 'cat');
    try {
      await ann.engine.shareDocument(id, cat.vault.profile.username, 'viewer', { keepHistory: true });
      await ann.engine.syncOnce();
      const [share] = await relay.store.driver.all<{ space: string }>(
        `SELECT s.space FROM spaces s JOIN docs d ON d.space = s.space WHERE s.kind = 'document' AND d.doc = ?`,
        [id],
      );
      expect(share).toBeDefined();
      // The control: the share space at the relay holds the document's history with the marker.
      const shareKeys = Object.values(ann.vault.syncState.space(share!.space)!.epochKeys).map((hex) => fromHex(hex));
      expect(ciphertextHolds(relayBlobs(relay.dataDir, share!.space, id), shareKeys, marker).found).toBe(true);

      const refused = forgetHistory(ann, id);
      await expect(refused).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(refused).rejects.toThrow(`Nothing was erased: this document is also shared on its own with cat (${cat.vault.profile.username}).`);
      expect(ann.vault.documents.generationOf(id)).toBe(0);

      await ann.engine.unshareDocument(id, cat.vault.profile.username);
      expect(await forgetHistory(ann, id)).toMatchObject({ generation: 1 });
      await bob.engine.syncOnce();
      for (const peer of [ann, bob]) expect(historyHolds(peer.vault.documents.get(id), marker)).toBe(false);
      expect(await relay.store.driver.all(`SELECT space FROM spaces WHERE space = ?`, [share!.space])).toEqual([]);
      expect(relayBlobs(relay.dataDir, share!.space, id)).toEqual([]);
      expect(ciphertextHolds(relayBlobs(relay.dataDir, workspace, id), everyKey(), marker).found).toBe(false);
      expect(bytesHold(sqliteBytes(relayFile(relay.dataDir)), marker)).toBe(false);
    } finally {
      await closeAll([cat], {});
    }
  });
});
