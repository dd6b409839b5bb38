// The way in: a peer's changes are pulled after the cursor, verified, decrypted and applied, and
// listeners hear of each; what the relay altered, replayed or signed in someone else's name is
// kept aside with a warning naming the workspace, never applied; the relay's bookkeeping (a
// withheld change) is checked too; this vault's own changes coming back are not judged again.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import type { RemoteChange } from '../../../../main/sync/inbound.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team, type Device } from './harness.ts';

async function pair(roleOfBob: 'editor' | 'viewer' = 'editor') {
  const relay = new FakeRelay();
  const ann = await device(relay, 'ann');
  const bob = await device(relay, 'bob');
  const ws = await team(ann, [[bob, roleOfBob]]);
  const doc = ann.vault.documents.create(ws, { title: 'Minutes', init: (d) => A.updateText(d, ['body'], 'genuine') }).id;
  await ann.sync.outbox.push(ws, await clientOf(ann));
  await bob.sync.inbound.pull(ws, 'workspace-index', await clientOf(bob));
  await bob.sync.inbound.pull(ws, doc, await clientOf(bob));
  return { relay, ann, bob, ws, doc };
}

async function write(peer: Device, ws: string, doc: string, text: string): Promise<void> {
  peer.vault.documents.change(doc, (d: { body: string }) => A.splice(d, ['body'], d.body.length, 0, text));
  await peer.sync.outbox.push(ws, await clientOf(peer));
}

describe('Inbound', () => {
  it("applies a peer's change, moves the cursor, and tells listeners (while the vault's listeners know it is remote)", async () => {
    const { ann, bob, ws, doc } = await pair();
    const heard: RemoteChange[] = [];
    bob.sync.inbound.remote.on((change) => heard.push(change));
    let originSeen: string | undefined;
    bob.vault.documents.changed.on(({ origin }) => (originSeen = origin.kind));
    await write(ann, ws, doc, ' more');
    expect(await bob.sync.inbound.pull(ws, doc, await clientOf(bob))).toEqual({ applied: 1, refused: 0, waiting: 0 });
    expect(bob.vault.documents.get(doc).body).toBe('genuine more');
    expect(heard).toEqual([{ workspaceId: ws, documentId: doc, kind: 'content' }]);
    expect(originSeen).toBe('remote');
    // The origin is restored once the change is applied: this vault's next write is its own.
    bob.vault.documents.change(doc, (d) => A.splice(d, ['body'], 0, 0, '>'));
    expect(originSeen).toBe('local');
    expect(bob.sync.spaces.documentState(ws, doc).cursor).toBe(2);
    await close(ann, bob);
  });

  it('keeps an altered change aside with a warning naming the workspace and goes past it', async () => {
    const { relay, ann, bob, ws, doc } = await pair();
    await write(ann, ws, doc, ' t1');
    const stored = relay.stored(ws, doc).at(-1)!;
    stored.bytes[stored.bytes.length - 80]! ^= 1;
    expect(await bob.sync.inbound.pull(ws, doc, await clientOf(bob))).toEqual({ applied: 0, refused: 1, waiting: 0 });
    expect(bob.vault.syncState.quarantined(ws).map((q) => [q.code, q.relaySeq])).toEqual([['RECORD_TAMPERED', stored.seq]]);
    expect(bob.warnings.at(-1)?.message).toMatch(/^Team: The relay delivered a change that is not genuine .*; it was not applied and is kept aside\.$/);
    expect(bob.vault.documents.get(doc).body).toBe('genuine');
    expect(bob.sync.spaces.documentState(ws, doc).cursor).toBe(stored.seq);
    await close(ann, bob);
  });

  it('refuses a replayed change and warns when the relay withholds one', async () => {
    const { relay, ann, bob, ws, doc } = await pair();
    await write(ann, ws, doc, ' once');
    await bob.sync.inbound.pull(ws, doc, await clientOf(bob));
    relay.append(undefined, ws, doc, relay.stored(ws, doc).at(-1)!.bytes);
    await bob.sync.inbound.pull(ws, doc, await clientOf(bob));
    expect(bob.vault.syncState.quarantined(ws).at(-1)?.reason).toMatch(/a second time \(a replay\)/);
    expect(bob.vault.documents.get(doc).body).toBe('genuine once');
    await write(ann, ws, doc, ' hidden');
    relay.stored(ws, doc).pop();
    await bob.sync.inbound.pull(ws, doc, await clientOf(bob));
    expect(bob.warnings.at(-1)?.message).toMatch(/delivered only up to \d+: it withholds changes/);
    await close(ann, bob);
  });

  it("does not judge this vault's own change again when it comes back, even after its role was lowered", async () => {
    const { ann, bob, ws, doc } = await pair();
    await write(bob, ws, doc, ' by bob');
    await ann.sync.members.setRole(ws, bob.name, 'viewer');
    await bob.sync.membership.refreshMembership(ws, await clientOf(bob));
    expect(await bob.sync.inbound.pull(ws, doc, await clientOf(bob))).toEqual({ applied: 1, refused: 0, waiting: 0 });
    expect(bob.vault.syncState.quarantined(ws)).toEqual([]);
    await close(ann, bob);
  });

  it("keeps aside a comment signed by one member in another's name", async () => {
    const { relay, ann, bob, ws, doc } = await pair();
    const eve = await device(relay, 'eve');
    await ann.sync.members.invite(ws, eve.name, 'commenter');
    await eve.sync.invitations.accept(ws);
    await eve.sync.inbound.pull(ws, doc, await clientOf(eve));
    const record = eve.vault.comments.add(doc, { text: 'honest' });
    // A new comment whose record names Ann as its author, signed by Eve's key.
    eve.vault.comments.adopt({ ...record, id: 'forged-comment-1', author: ann.name, text: 'I, Ann, approve' });
    eve.sync.outbox.captureAll(ws);
    await eve.sync.outbox.push(ws, await clientOf(eve));
    await bob.sync.membership.refreshMembership(ws, await clientOf(bob));
    await bob.sync.inbound.pull(ws, 'workspace-index', await clientOf(bob));
    await bob.sync.inbound.pull(ws, doc, await clientOf(bob));
    const refusals = bob.vault.syncState.quarantined(ws).map((q) => [q.code, q.reason]);
    expect(refusals).toContainEqual(['FORBIDDEN', `a comment signed by ${eve.name} but written in the name of ${ann.name}`]);
    expect(bob.vault.comments.records(doc).map((c) => c.text)).not.toContain('I, Ann, approve');
    await close(ann, bob, eve);
  });

  it("keeps aside a Commenter's resolve and deletion of the Owner's thread (a relay that let them through), and applies the Owner's own deletion", async () => {
    const { relay, ann, bob, ws, doc } = await pair();
    const eve = await device(relay, 'eve');
    await ann.sync.members.invite(ws, eve.name, 'commenter');
    await eve.sync.invitations.accept(ws);
    const thread = ann.vault.comments.add(doc, { text: 'the Owner asks' });
    const other = ann.vault.comments.add(doc, { text: 'the Owner notes' });
    await ann.sync.outbox.push(ws, await clientOf(ann));
    for (const peer of [bob, eve]) {
      await peer.sync.membership.refreshMembership(ws, await clientOf(peer));
      await peer.sync.inbound.pull(ws, 'workspace-index', await clientOf(peer));
      await peer.sync.inbound.pull(ws, doc, await clientOf(peer));
    }
    // Eve bypasses the use cases (which refuse both) and this fake relay does not apply the comment rules.
    eve.vault.comments.resolve(thread.id);
    eve.sync.outbox.captureAll(ws);
    await eve.sync.outbox.push(ws, await clientOf(eve));
    eve.vault.comments.delete(thread.id);
    eve.sync.outbox.captureAll(ws);
    await eve.sync.outbox.push(ws, await clientOf(eve));
    await bob.sync.inbound.pull(ws, doc, await clientOf(bob));
    const refusals = bob.vault.syncState.quarantined(ws).map((q) => [q.code, q.reason]);
    expect(refusals).toContainEqual(['FORBIDDEN', `a resolve of ${ann.name}'s thread by a commenter, who may resolve only the threads they started`]);
    expect(refusals).toContainEqual(['FORBIDDEN', `a deletion of ${ann.name}'s comment by a commenter, who may delete only their own`]);
    expect(
      bob.vault.comments
        .records(doc)
        .map((c) => [c.text, c.resolved])
        .sort(),
    ).toEqual([
      ['the Owner asks', false],
      ['the Owner notes', false],
    ]);
    // The Owner deletes her own: it goes at Bob's too, and stays gone.
    ann.vault.comments.delete(other.id);
    ann.sync.outbox.captureAll(ws);
    await ann.sync.outbox.push(ws, await clientOf(ann));
    await bob.sync.inbound.pull(ws, doc, await clientOf(bob));
    expect(bob.vault.comments.records(doc).map((c) => c.text)).toEqual(['the Owner asks']);
    await close(ann, bob, eve);
  });

  it('takes in consecutive changes of a document in one application, and still refuses or holds each one that is not genuine', async () => {
    const { relay, ann, bob, ws, doc } = await pair();
    for (const word of [' one', ' two', ' three']) await write(ann, ws, doc, word);
    const applications: number[] = [];
    bob.vault.documents.changed.on(({ documentId, changes }) => documentId === doc && applications.push(changes.length));
    const heard: RemoteChange[] = [];
    bob.sync.inbound.remote.on((change) => heard.push(change));
    expect(await bob.sync.inbound.pull(ws, doc, await clientOf(bob))).toEqual({ applied: 3, refused: 0, waiting: 0 });
    expect(bob.vault.documents.get(doc).body).toBe('genuine one two three');
    // One application of the three (Automerge's cost on a long document is per application).
    expect(applications).toEqual([3]);
    expect(heard).toEqual([{ workspaceId: ws, documentId: doc, kind: 'content' }]);
    expect(bob.sync.spaces.documentState(ws, doc).cursor).toBe(relay.stored(ws, doc).at(-1)!.seq);

    // The same change twice in one run is a replay, refused as such; the rest applies.
    await write(ann, ws, doc, ' four');
    await write(ann, ws, doc, ' five');
    relay.append(undefined, ws, doc, relay.stored(ws, doc).at(-1)!.bytes);
    expect(await bob.sync.inbound.pull(ws, doc, await clientOf(bob))).toEqual({ applied: 2, refused: 1, waiting: 0 });
    expect(bob.vault.syncState.quarantined(ws).map((q) => q.reason)).toEqual([expect.stringMatching(/a second time \(a replay\)/)]);
    expect(bob.vault.documents.get(doc).body).toBe('genuine one two three four five');

    // A run with an altered change in the middle: the one before applies, the altered one is kept
    // aside, the one after (it builds on the altered one) waits for its history; as one at a time.
    for (const word of [' six', ' seven', ' eight']) await write(ann, ws, doc, word);
    const [, altered] = relay.stored(ws, doc).slice(-3);
    altered!.bytes[altered!.bytes.length - 80]! ^= 1;
    expect(await bob.sync.inbound.pull(ws, doc, await clientOf(bob))).toEqual({ applied: 1, refused: 1, waiting: 1 });
    expect(bob.vault.documents.get(doc).body).toBe('genuine one two three four five six');
    await close(ann, bob);
  });
});
