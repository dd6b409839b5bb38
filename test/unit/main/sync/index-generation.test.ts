// A new generation of the workspace index (issue 11, item 6): an Owner or Admin uploads the index
// rebuilt without its history; every member replaces its copy instead of merging it, lists again
// the documents of its own the new one lacks (made meanwhile), and keeps aside a generation made
// by someone who may not rebuild the index.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { fromHex, newId } from '../../../../common/crypto/sodium.ts';
import { sealChange } from '../../../../common/protocol/change.ts';
import { encodeSnapshot } from '../../../../main/sync/payload.ts';
import { generationOf, INDEX_DOC, rebuiltIndex } from '../../../../main/sync/workspace-index.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

describe('index generations', () => {
  it("the Owner's rebuilt index replaces every copy; a document made meanwhile is listed again; an Editor's is kept aside", async () => {
    const relay = new FakeRelay();
    const [ann, bob] = [await device(relay, 'ann'), await device(relay, 'bob')];
    const ws = await team(ann, [[bob, 'editor']]);
    const doc = ann.vault.documents.create(ws, { title: 'Listed' }).id;
    await ann.sync.outbox.push(ws, await clientOf(ann));
    await ann.sync.inbound.pull(ws, INDEX_DOC, await clientOf(ann));
    await bob.sync.inbound.pull(ws, INDEX_DOC, await clientOf(bob));
    // Bob makes a document; its listing waits in his outbox, on the old generation.
    const draft = bob.vault.documents.create(ws, { title: 'Draft' }).id;
    bob.sync.outbox.captureAll(ws);

    // An account was deleted: every member waits for the index to forget it; the Owner rebuilds it.
    const gone = bob.account.replace(/^./, (c) => (c === 'x' ? 'y' : 'x'));
    for (const peer of [ann, bob]) peer.sync.spaces.put(ws, { ...peer.sync.spaces.get(ws), forgetInIndex: [gone] });
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    const annIndex = ann.sync.spaces.index(ws);
    expect(generationOf(annIndex)).toBe(1);
    expect(A.getAllChanges(annIndex)).toHaveLength(1); // one change: the present state, no history
    expect(ann.sync.spaces.get(ws).forgetInIndex).toBeUndefined();

    // Bob had every change the new generation covers; his round fetches it all the same and replaces his copy.
    await bob.sync.rounds.syncSpace(ws, await clientOf(bob), false);
    const bobIndex = bob.sync.spaces.index(ws);
    expect(generationOf(bobIndex)).toBe(1);
    expect(bob.sync.spaces.get(ws).forgetInIndex).toBeUndefined();
    expect(Object.keys(bobIndex.docs).sort()).toEqual([doc, draft].sort());
    // Replaced, not merged: the new generation's one change, and his listing of the draft on top of it.
    const root = A.decodeChange(A.getAllChanges(annIndex)[0]!).hash;
    expect(A.getAllChanges(bobIndex).map((c) => A.decodeChange(c))).toEqual([
      expect.objectContaining({ hash: root }),
      expect.objectContaining({ deps: [root] }),
    ]);
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    expect(Object.keys(ann.sync.spaces.index(ws).docs).sort()).toEqual([doc, draft].sort());

    // An Editor's "generation" (a relay or client bypassing the checks) is kept aside; the index stays.
    const view = bob.sync.spaces.view(ws);
    const forged = rebuiltIndex(rebuiltIndex(bob.sync.spaces.index(ws), []), []);
    const blob = sealChange(
      { space: ws, doc: INDEX_DOC, kind: 'snapshot', epoch: view.currentEpoch, head: view.head, author: bob.account, id: newId(), at: Date.now() },
      encodeSnapshot(A.save(A.change(forged, (d) => void (d.docs = {}))), []),
      fromHex(bob.sync.spaces.get(ws).epochKeys[view.currentEpoch]!),
      bob.vault.identityKeys().signSecretKey,
    );
    await (await clientOf(bob)).putSnapshot(ws, INDEX_DOC, ann.sync.spaces.documentState(ws, INDEX_DOC).cursor + 1, blob);
    await ann.sync.inbound.pull(ws, INDEX_DOC, await clientOf(ann));
    expect(ann.vault.syncState.quarantined(ws).map((q) => q.reason)).toContain('a new generation of the workspace index by an editor, who may not rebuild it');
    expect(generationOf(ann.sync.spaces.index(ws))).toBe(1);
    expect(Object.keys(ann.sync.spaces.index(ws).docs).sort()).toEqual([doc, draft].sort());
    await close(ann, bob);
  });
});
