/**
 * Issue 11, item 4: a comment deleted in a team workspace is deleted everywhere. Real vaults, a real
 * relay on 127.0.0.1, real sockets. A Commenter writes a thread with a reply holding fresh random
 * markers; the Owner's edits make the relay take snapshots over it; then the Commenter deletes the
 * thread. Every scan (test/support/erasure-scan.ts) first finds the markers (the control), and after
 * the deletion finds them nowhere: not in the relay's files as bytes, nor in the sealed changes
 * carved from them or its rows opened with every key any member held, nor in any member's vault
 * (comments, full Automerge histories, outbox, search, files as bytes), nor in exports made
 * afterwards, nor with a member who joins later, past a snapshot made after the deletion. Another
 * member's thread stays everywhere.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../common/crypto/sodium.ts';
import { openChange, parseChange } from '../../common/protocol/change.ts';
import { decodeTombstone } from '../../main/sync/payload.ts';
import { relayPlaces, sealedVaultRows, vaultPlaces } from '../support/erasure-scan.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
const peers: Peer[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  for (const peer of peers) await closePeer(peer);
  await relay?.stop();
});

async function peer(name: string): Promise<Peer> {
  const made = await makePeer(relay.url, name, { snapshotEvery: 3 });
  peers.push(made);
  return made;
}

/** Every epoch key any of `people` ever held, for every space. */
function everyKey(people: Peer[]): Uint8Array[] {
  return people.flatMap((p) =>
    p.vault.syncState.spaceIds().flatMap((id) => Object.values(p.vault.syncState.space(id)!.epochKeys).map((hex) => Buffer.from(hex, 'hex'))),
  );
}

describe('a deleted comment is deleted everywhere', () => {
  it(
    "a Commenter's own thread: gone from the relay, every member, a later joiner, a later export; the control finds it before",
    { timeout: 240_000 },
    async () => {
      const mark = (what: string) => `MARKER-${what}-${newId()}`;
      const [thread, reply, kept] = [mark('thread'), mark('reply'), mark('kept')];
      const [ann, cat, bob, dan] = [await peer('ann'), await peer('cat'), await peer('bob'), await peer('dan')];
      const workspace = await ann.engine.createTeamWorkspace('Erasure', relay.url);
      const doc = ann.vault.documents.create(workspace.id, { title: 'Plan', init: (d) => A.updateText(d, ['body'], 'start') }).id;
      await ann.engine.invite(workspace.id, cat.vault.profile.username, 'commenter');
      await ann.engine.invite(workspace.id, bob.vault.profile.username, 'editor');
      await ann.engine.syncOnce(workspace.id);
      await cat.engine.acceptInvitation(workspace.id);
      await bob.engine.acceptInvitation(workspace.id);

      const first = cat.vault.comments.add(doc, { text: thread });
      const second = cat.vault.comments.add(doc, { text: reply, replyTo: first.id });
      await cat.engine.syncOnce(workspace.id);
      bob.vault.comments.add(doc, { text: kept });
      await bob.engine.syncOnce(workspace.id);
      // The Owner's edits pile up past snapshotEvery: the relay keeps a snapshot over the comments.
      for (let i = 0; i < 4; i++) {
        ann.vault.documents.change(doc, (d) => A.splice(d, ['body'], d.body.length, 0, ` edit ${i}`));
        await ann.engine.syncOnce(workspace.id);
      }
      for (const p of [cat, bob]) await p.engine.syncOnce(workspace.id);
      const [docRow] = await relay.store.driver.all('SELECT snapshot_covers FROM docs WHERE space = ? AND doc = ?', [workspace.id, doc]);
      expect(Number(docRow!.snapshot_covers)).toBeGreaterThan(0);

      // The control: every scan finds the markers while the thread exists.
      const members = [ann, cat, bob];
      const sealed = new Map(members.map((p) => [p.name, sealedVaultRows(p.vault, 'comments', [first.id, second.id])]));
      for (const p of members) expect(sealed.get(p.name)).toHaveLength(2);
      for (const marker of [thread, reply]) {
        const atRelay = relayPlaces(relay.dataDir, relay.logLines, everyKey(members), marker);
        expect(atRelay.some((p) => p.includes('carved'))).toBe(true);
        expect(atRelay.some((p) => p.includes('rows, opened'))).toBe(true);
        for (const p of members) {
          const here = await vaultPlaces(p.name, p.vault, marker, sealed.get(p.name));
          expect(here).toEqual(
            expect.arrayContaining([`${p.name}'s comments`, `${p.name}'s search index`, `${p.name}'s vault files (bytes)`, `${p.name}'s export made now`]),
          );
        }
      }

      // The Commenter deletes their own thread; everyone syncs; the Owner's next edits make another snapshot.
      cat.vault.comments.delete(first.id);
      await cat.engine.syncOnce(workspace.id);
      for (const p of [ann, bob]) await p.engine.syncOnce(workspace.id);
      for (let i = 0; i < 4; i++) {
        ann.vault.documents.change(doc, (d) => A.splice(d, ['body'], d.body.length, 0, ` later ${i}`));
        await ann.engine.syncOnce(workspace.id);
      }
      // A member who joins afterwards, from the snapshot and what the relay kept.
      await ann.engine.invite(workspace.id, dan.vault.profile.username, 'viewer');
      await ann.engine.syncOnce(workspace.id);
      await dan.engine.acceptInvitation(workspace.id);
      for (const p of [cat, bob, dan]) await p.engine.syncOnce(workspace.id);
      expect(dan.vault.documents.get(doc).body).toContain('later 3');

      const everyone = [ann, cat, bob, dan];
      for (const marker of [thread, reply]) {
        expect(relayPlaces(relay.dataDir, relay.logLines, everyKey(everyone), marker), marker).toEqual([]);
        for (const p of everyone) expect(await vaultPlaces(p.name, p.vault, marker, sealed.get(p.name)), `${p.name}: ${marker}`).toEqual([]);
      }
      // What was not deleted is still everywhere, and nothing was refused on the way.
      expect(relayPlaces(relay.dataDir, relay.logLines, everyKey(everyone), kept).length).toBeGreaterThan(0);
      for (const p of everyone) {
        expect(p.vault.comments.list(doc).map((t) => t.comments.map((c) => c.text))).toEqual([[kept]]);
        expect(p.engine.quarantined(workspace.id)).toEqual([]);
      }
      // The relay keeps the signed tombstone (the thread's id, nothing of its words) for late joiners and snapshots.
      const rows = await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? AND comment = ?', [workspace.id, doc, first.id]);
      expect(rows).toHaveLength(1);
      const key = everyKey([ann])[0]!;
      expect(decodeTombstone(openChange(parseChange(new Uint8Array(rows[0]!.bytes as Buffer)), key)!)).toEqual({ id: first.id, documentId: doc });
    },
  );
});
