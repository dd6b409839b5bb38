// The way out: a local edit is queued in the sealed outbox the moment it is persisted, pushed
// sealed under the space's current key and signed, coalesced up to the blob size, never sent when
// this role may not write it; while live a burst of edits is pushed once; a writer snapshots the
// document once enough changes piled up.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../../common/crypto/sodium.ts';
import { openChange, verifyChange } from '../../../../common/protocol/change.ts';
import { Outbox } from '../../../../main/sync/outbox.ts';
import { decodeChanges } from '../../../../main/sync/payload.ts';
import { INDEX_DOC } from '../../../../main/sync/workspace-index.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

const type = (peer: { vault: { documents: { change(id: string, fn: (d: { body: string }) => void): unknown } } }, id: string, text: string) =>
  peer.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.length, 0, text));

describe('Outbox', () => {
  it('queues an edit as it is persisted and pushes it sealed under the current key, listing the document in the index', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = await team(ann);
    const doc = ann.vault.documents.create(ws, { title: 'Plan' });
    type(ann, doc.id, 'secret plan');
    expect(ann.vault.syncState.outbox(ws).map((e) => e.documentId)).toEqual([INDEX_DOC, doc.id, doc.id]);
    const pushed = await ann.sync.outbox.push(ws, await clientOf(ann));
    expect(pushed).toBe(3);
    expect(ann.vault.syncState.outboxCount(ws)).toBe(0);
    const [blob] = relay.stored(ws, doc.id);
    const change = verifyChange(blob!.bytes);
    expect(change.meta).toMatchObject({ author: ann.account, epoch: 0, kind: 'content' });
    const plain = openChange(change, fromHex(ann.sync.spaces.get(ws).epochKeys[0]!))!;
    const replica = A.applyChanges(A.init<{ body: string }>(), decodeChanges(plain))[0];
    expect(replica.body).toBe('secret plan');
    expect(Object.keys(ann.sync.spaces.index(ws).docs)).toEqual([doc.id]);
    await close(ann);
  });

  it('coalesces queued edits of one document into blobs up to the size limit', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann', { maxBlobBytes: 400 });
    const ws = await team(ann);
    const doc = ann.vault.documents.create(ws, { title: 'Log' });
    await ann.sync.outbox.push(ws, await clientOf(ann));
    for (let i = 0; i < 12; i++) type(ann, doc.id, `line ${i} `);
    const queued = ann.vault.syncState.outboxCount(ws);
    await ann.sync.outbox.push(ws, await clientOf(ann));
    const blobs = relay.stored(ws, doc.id).length;
    expect(queued).toBeGreaterThan(blobs);
    expect(blobs).toBeGreaterThan(2); // more than the first blob and one more: the limit split them
    await close(ann);
  });

  it('never sends a change this role may not write, and says so', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const vic = await device(relay, 'vic');
    const ws = await team(ann, [[vic, 'viewer']]);
    const doc = ann.vault.documents.create(ws, { title: 'Plan' });
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    await vic.sync.rounds.syncSpace(ws, await clientOf(vic), false);
    const stored = relay.stored(ws, doc.id).length;
    type(vic, doc.id, 'viewer wrote this');
    expect(await vic.sync.outbox.push(ws, await clientOf(vic))).toBe(0);
    expect(relay.stored(ws, doc.id)).toHaveLength(stored);
    expect(vic.vault.syncState.outboxCount(ws)).toBe(0);
    expect(vic.warnings.at(-1)).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/1 local content change was not sent: as viewer you cannot write content/),
    });
    await close(ann, vic);
  });

  it('while live, pushes a burst of edits once through the open connection, and not at all otherwise', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = await team(ann);
    const doc = ann.vault.documents.create(ws, { title: 'Plan' });
    let live = false;
    const outbox = new Outbox({
      vault: ann.vault,
      account: ann.account,
      spaces: ann.sync.spaces,
      status: ann.sync.status,
      queues: ann.sync.queues,
      maxBlobBytes: 256 * 1024,
      snapshotEvery: 1000,
      isLive: () => live,
      openClient: (url) => ann.sync.connections.open(url),
      pushedNew: async () => undefined,
    });
    outbox.documentChanged(doc.id, []);
    await ann.sync.queues.idle();
    expect(relay.stored(ws, doc.id)).toHaveLength(0);
    live = true;
    const pushesBefore = relay.calls.filter((c) => c.includes(`push ${ws}/${doc.id}`)).length;
    for (let i = 0; i < 5; i++) {
      type(ann, doc.id, `${i}`);
      outbox.schedule(ws);
    }
    await ann.sync.queues.idle();
    expect(ann.vault.syncState.outboxCount(ws)).toBe(0);
    expect(relay.calls.filter((c) => c.includes(`push ${ws}/${doc.id}`)).length - pushesBefore).toBe(1);
    await close(ann);
  });

  it('snapshots a document once enough changes piled up; a newcomer reads it from the snapshot', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann', { snapshotEvery: 3 });
    const bob = await device(relay, 'bob');
    const ws = await team(ann);
    const doc = ann.vault.documents.create(ws, { title: 'Plan' });
    for (let i = 0; i < 4; i++) {
      type(ann, doc.id, `step ${i}. `);
      await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    }
    const stored = relay.doc(ws, doc.id);
    expect(stored.snapshot?.covers).toBeGreaterThanOrEqual(3);
    expect(stored.changes.every((c) => c.seq > stored.snapshot!.covers)).toBe(true);
    await ann.sync.members.invite(ws, bob.name, 'viewer');
    await bob.sync.invitations.accept(ws);
    expect(bob.vault.documents.get(doc.id).body).toBe('step 0. step 1. step 2. step 3. ');
    await close(ann, bob);
  });
});
