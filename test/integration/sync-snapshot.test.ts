// Snapshots: a writer uploads the encrypted, signed document once enough changes piled up; the
// relay drops the changes it covers, and a member who joins later reads one snapshot and a short
// tail, verified like any change.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann', { snapshotEvery: 5 });
  bob = await makePeer(relay.url, 'bob', { snapshotEvery: 5 });
});
afterAll(async () => {
  for (const peer of [ann, bob]) if (peer) await closePeer(peer);
  await relay?.stop();
});

describe('snapshots', () => {
  it('a late joiner reads one snapshot and a short tail instead of every change', async () => {
    const workspace = await ann.engine.createTeamWorkspace('Snapshots', relay.url);
    const id = ann.vault.documents.create(workspace.id, { title: 'Growing' }).id;
    for (let i = 0; i < 13; i++) {
      ann.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.length, 0, `line ${i}\n`));
      await ann.engine.syncOnce();
    }
    const [row] = await relay.store.driver.all('SELECT last_seq, snapshot_covers FROM docs WHERE space = ? AND doc = ?', [workspace.id, id]);
    expect(Number(row!.snapshot_covers)).toBeGreaterThanOrEqual(10);
    const [kept] = await relay.store.driver.all('SELECT count(*) AS n FROM changes WHERE space = ? AND doc = ?', [workspace.id, id]);
    expect(Number(kept!.n)).toBeLessThan(5);

    await ann.engine.invite(workspace.id, bob.vault.profile.username, 'editor');
    await bob.engine.acceptInvitation(workspace.id);
    expect(bodyOf(bob, id)).toBe(bodyOf(ann, id));
    expect(bodyOf(bob, id)).toContain('line 12');
    expect(bob.engine.quarantined(workspace.id)).toEqual([]);

    bob.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, 'bob was here\n'));
    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    expect(bodyOf(ann, id)).toBe(bodyOf(bob, id));
  });
});
