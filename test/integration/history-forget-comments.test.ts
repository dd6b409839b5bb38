// Comments on a document whose edit history was erased: they come over into the new generation
// (re-anchored, each a change of its own beside its first snapshot), and a later snapshot of the
// document must not leave them behind — a member who joins after it gets every comment the others
// have. And one of them deleted afterwards is deleted everywhere at once: no copy at the relay
// (its first snapshot included) holds it, though no snapshot was made since.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../common/crypto/sodium.ts';
import { forgetHistory } from '../../main/usecases/history.ts';
import { relayPlaces, vaultPlaces } from '../support/erasure-scan.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closeAll, makePeer, teamOfTwo, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let workspace: string;

beforeAll(async () => {
  relay = await startTestRelay();
  // Ann uploads a snapshot once two relay changes have passed the last one.
  ({ ann, bob, workspace } = await teamOfTwo(relay.url, 'Comments', { ann: { snapshotEvery: 2 } }));
}, 60_000);
afterAll(() => closeAll([ann, bob], { relay }));

it('a member who joins after the erasure and a later snapshot gets the comments made before it', { timeout: 90_000 }, async () => {
  const id = ann.vault.documents.create(workspace, { title: 'Minutes', init: (d) => A.splice(d, ['body'], 0, 0, 'Agreed: ship on Friday.') }).id;
  await ann.engine.syncOnce();
  await bob.engine.syncOnce();
  const comment = bob.vault.comments.add(id, { text: 'Friday is a holiday here.', anchor: { from: 8, to: 12 } });
  await bob.engine.syncOnce();
  await ann.engine.syncOnce();
  expect(ann.vault.comments.has(comment.id)).toBe(true);

  await forgetHistory(ann, id);
  for (const word of [' Thursday', ' then', ' instead']) {
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.length, 0, word));
    await ann.engine.syncOnce();
  }
  await ann.engine.syncOnce();

  const cat = await makePeer(relay.url, 'cat');
  try {
    await ann.engine.invite(workspace, cat.vault.profile.username, 'viewer');
    await cat.engine.acceptInvitation(workspace);
    await cat.engine.syncOnce();
    expect(cat.vault.documents.get(id).body.toString()).toContain('instead');
    expect(cat.vault.comments.records(id).map((c) => c.text)).toEqual(['Friday is a holiday here.']);
  } finally {
    await closeAll([cat], {});
  }
});

/** Every epoch key any of `people` ever held, for every space. */
function everyKey(people: Peer[]): Uint8Array[] {
  return people.flatMap((p) =>
    p.vault.syncState.spaceIds().flatMap((id) => Object.values(p.vault.syncState.space(id)!.epochKeys).map((hex) => Buffer.from(hex, 'hex'))),
  );
}

it(
  "a Commenter's comment carried into a new generation and then deleted is nowhere: relay files, rows opened with every key, members, a later joiner",
  { timeout: 180_000 },
  async () => {
    const marker = `MARKER-carried-${newId()}`;
    const cat = await makePeer(relay.url, 'cat');
    const dan = await makePeer(relay.url, 'dan');
    try {
      await ann.engine.invite(workspace, cat.vault.profile.username, 'commenter');
      await cat.engine.acceptInvitation(workspace);
      const id = ann.vault.documents.create(workspace, { title: 'Budget', init: (d) => A.splice(d, ['body'], 0, 0, 'Travel: 400 euros.') }).id;
      await ann.engine.syncOnce();
      await cat.engine.syncOnce();
      const comment = cat.vault.comments.add(id, { text: marker, anchor: { from: 0, to: 6 } });
      await cat.engine.syncOnce();
      await ann.engine.syncOnce();
      expect(ann.vault.comments.has(comment.id)).toBe(true);

      // The Owner erases the document's history: the comment comes over into generation 1.
      await forgetHistory(ann, id);
      for (const p of [ann, bob, cat]) await p.engine.syncOnce();
      for (const p of [ann, bob, cat]) expect(p.vault.documents.generationOf(id)).toBe(1);
      // The control: the relay holds the comment in what the new generation stored, and every member has it.
      const members = [ann, bob, cat];
      expect(relayPlaces(relay.dataDir, relay.logLines, everyKey(members), marker)).toEqual(expect.arrayContaining([expect.stringContaining('rows, opened')]));
      for (const p of members) expect(await vaultPlaces(p.name, p.vault, marker)).toContain(`${p.name}'s comments`);

      // The Commenter deletes her own comment; everyone syncs; no snapshot is made since.
      cat.vault.comments.delete(comment.id);
      await cat.engine.syncOnce();
      for (const p of [ann, bob]) await p.engine.syncOnce();
      await ann.engine.invite(workspace, dan.vault.profile.username, 'viewer');
      await dan.engine.acceptInvitation(workspace);
      await dan.engine.syncOnce();
      expect(dan.vault.documents.get(id).body.toString()).toContain('Travel');

      const everyone = [ann, bob, cat, dan];
      expect(relayPlaces(relay.dataDir, relay.logLines, everyKey(everyone), marker)).toEqual([]);
      for (const p of everyone) expect(await vaultPlaces(p.name, p.vault, marker), p.name).toEqual([]);
      for (const p of everyone) expect(p.engine.quarantined(workspace), p.name).toEqual([]);
    } finally {
      await closeAll([cat, dan], {});
    }
  },
);
