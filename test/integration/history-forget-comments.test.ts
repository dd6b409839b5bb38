// Comments on a document whose edit history was erased: they come over into the new generation
// (inside its first snapshot, re-anchored), and a later snapshot of the document must not leave
// them behind — a member who joins after it gets every comment the others have.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forgetHistory } from '../../main/usecases/history.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closeAll, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let workspace: string;

beforeAll(async () => {
  relay = await startTestRelay();
  // Ann uploads a snapshot once two relay changes have passed the last one.
  ann = await makePeer(relay.url, 'ann', { snapshotEvery: 2 });
  bob = await makePeer(relay.url, 'bob');
  workspace = (await ann.engine.createTeamWorkspace('Comments', relay.url)).id;
  await ann.engine.invite(workspace, bob.vault.profile.username, 'editor');
  await bob.engine.acceptInvitation(workspace);
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
