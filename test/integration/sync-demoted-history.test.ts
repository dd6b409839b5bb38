/**
 * History outlives a role change: what an Editor wrote while an Editor stays part of the document
 * for everyone, also for a member who joins after the Editor was made a Viewer or removed. What the
 * same account signs after the entry that took its right to write is refused (S5), even when it
 * names the old membership state and a relay slips it in.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fromHex, newId } from '../../common/crypto/sodium.ts';
import { sealChange } from '../../common/protocol/change.ts';
import { MembershipView } from '../../main/sync/membership-view.ts';
import { encodeChanges } from '../../main/sync/payload.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
const peers: Peer[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  for (const peer of peers) await closePeer(peer);
  await relay.stop();
});

describe('history by a member whose role was lowered', () => {
  for (const change of ['demoted to Viewer', 'removed'] as const) {
    test(`an Editor's earlier edits reach a later joiner after being ${change}; a later signed edit does not`, async () => {
      const [ann, bob, cat] = [await makePeer(relay.url, 'ann'), await makePeer(relay.url, 'bob'), await makePeer(relay.url, 'cat')];
      peers.push(ann, bob, cat);
      const workspace = await ann.engine.createTeamWorkspace('Kitchen', relay.url);
      const doc = ann.vault.documents.create(workspace.id, { title: 'Menu', init: (d) => A.updateText(d, ['body'], 'Soup.') }).id;
      await ann.engine.invite(workspace.id, bob.vault.profile.username, 'editor');
      await bob.engine.acceptInvitation(workspace.id);
      bob.vault.documents.change(doc, (d) => A.splice(d, ['body'], d.body.length, 0, ' Bread by Bob.'));
      await bob.engine.syncOnce(workspace.id);

      // Bob's last membership state and key while he could write, as a copy of his vault would keep them.
      const bobSpace = bob.vault.syncState.space(workspace.id)!;
      const bobHead = MembershipView.replay(workspace.id, bobSpace.membership).head;
      const bobKey = fromHex(bobSpace.epochKeys['0']!);
      const bobCopy = A.load<{ body: string }>(bob.vault.documents.save(doc));

      if (change === 'removed') await ann.engine.removeMember(workspace.id, bob.vault.profile.username);
      else await ann.engine.setRole(workspace.id, bob.vault.profile.username, 'viewer');
      await ann.engine.syncOnce(workspace.id);

      // A later joiner gets Bob's earlier edit like everyone else, with nothing kept aside.
      await ann.engine.invite(workspace.id, cat.vault.profile.username, 'viewer');
      await cat.engine.acceptInvitation(workspace.id);
      expect(bodyOf(cat, doc)).toBe('Soup. Bread by Bob.');
      expect(cat.engine.quarantined(workspace.id)).toEqual([]);

      // Bob signs an edit afterwards under his old state and key; the relay refuses his push, so it is slipped in.
      const late = A.change(bobCopy, (d) => A.splice(d, ['body'], 0, 0, 'LATE '));
      const forged = sealChange(
        { space: workspace.id, doc, kind: 'content', epoch: 0, head: bobHead, author: bob.engine.account, id: newId(), at: Date.now() + 1000 },
        encodeChanges([A.getLastLocalChange(late)!]),
        bobKey,
        bob.vault.identityKeys().signSecretKey,
      );
      await relay.store.appendChange(workspace.id, doc, newId(), bob.engine.account, forged, 1e9);
      await cat.engine.syncOnce(workspace.id);
      expect(cat.engine.quarantined(workspace.id).map((q) => q.code)).toEqual(['FORBIDDEN']);
      expect(bodyOf(cat, doc)).toBe('Soup. Bread by Bob.');
    });
  }
});
