// One document shared alone: the plan says what leaves the device and nothing is sent until the
// user confirms; the document gets its own space (its own log and keys) that the recipient
// accepts into "Shared with me"; edits pass between the team workspace and the share; only the
// sharer shares further; unsharing rotates the key; the share ends with its document.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { SHARED_WITH_ME } from '../../../../main/sync/sharing.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

describe('Sharing', () => {
  it('sends nothing unconfirmed, then shares a personal document alone into "Shared with me"', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const personal = ann.vault.workspaces.list()[0]!;
    const doc = ann.vault.documents.create(personal.id, { title: 'Recipe', init: (d) => A.updateText(d, ['body'], 'flour') });
    ann.vault.documents.create(personal.id, { title: 'Diary' });
    const plan = ann.sync.sharing.describe(doc.id);
    expect(plan).toMatchObject({ title: 'Recipe', leavesDevice: true, relay: 'wss://relay.test/' });
    const calls = relay.calls.length;
    await expect(ann.sync.sharing.share(doc.id, bob.name, 'editor')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^Nothing was sent\./),
    });
    expect(relay.calls.length).toBe(calls);
    await expect(ann.sync.sharing.share(doc.id, bob.name, 'owner', { confirmed: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await ann.sync.sharing.share(doc.id, bob.name, 'editor', { confirmed: true });
    const space = ann.sync.spaces.ownShareOf(doc.id)!;
    expect(relay.spaces.get(space)?.kind).toBe('document');
    const holder = await bob.sync.invitations.accept(space);
    expect(holder.name).toBe(SHARED_WITH_ME);
    expect(bob.vault.documents.list(holder.id).map((d) => d.title)).toEqual(['Recipe']);
    expect((await ann.sync.sharing.sharedWith(doc.id)).map((m) => [m.username, m.role])).toEqual([
      [ann.name, 'owner'],
      [bob.name, 'editor'],
    ]);
    await expect(bob.sync.sharing.share(doc.id, ann.name, 'viewer')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('only the person who shared it'),
    });
    await close(ann, bob);
  });

  it('finds "Shared with me" by its kind, never by its name: renamed, it still receives the next share', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const personal = ann.vault.workspaces.list()[0]!;
    const first = ann.vault.documents.create(personal.id, { title: 'First' }).id;
    await ann.sync.sharing.share(first, bob.name, 'viewer', { confirmed: true });
    const holder = await bob.sync.invitations.accept(ann.sync.spaces.ownShareOf(first)!);
    expect(holder).toMatchObject({ name: SHARED_WITH_ME, kind: 'shared-with-me' });
    bob.vault.workspaces.rename(holder.id, 'From friends');
    bob.vault.workspaces.create({ name: SHARED_WITH_ME }); // a personal workspace that happens to have the name
    // The first share ends (Ann deletes the document): the holder is left with nothing shared in it.
    await ann.sync.deletion.delete(first);
    await bob.sync.rounds.syncOnce();
    expect(bob.vault.documents.list(holder.id)).toEqual([]);
    const second = ann.vault.documents.create(personal.id, { title: 'Second' }).id;
    await ann.sync.sharing.share(second, bob.name, 'viewer', { confirmed: true });
    const again = await bob.sync.invitations.accept(ann.sync.spaces.ownShareOf(second)!);
    expect(again.id).toBe(holder.id);
    expect(
      bob.vault.workspaces
        .list()
        .filter((w) => w.kind === 'shared-with-me')
        .map((w) => w.name),
    ).toEqual(['From friends']);
    expect(bob.vault.documents.list(holder.id).map((d) => d.title)).toEqual(['Second']);
    await close(ann, bob);
  });

  it('passes edits between a team workspace and a share of one of its documents', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ted = await device(relay, 'ted');
    const out = await device(relay, 'out');
    const ws = await team(ann, [[ted, 'editor']]);
    const doc = ann.vault.documents.create(ws, { title: 'Spec', init: (d) => A.updateText(d, ['body'], 'v1') }).id;
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    expect(ann.sync.sharing.describe(doc).leavesDevice).toBe(false);
    await ann.sync.sharing.share(doc, out.name, 'editor');
    const space = ann.sync.spaces.ownShareOf(doc)!;
    await out.sync.invitations.accept(space);
    out.vault.documents.change(doc, (d: { body: string }) => A.splice(d, ['body'], d.body.length, 0, ' +outside'));
    await out.sync.rounds.syncSpace(space, await clientOf(out), false);
    await ann.sync.rounds.syncOnce();
    await ted.sync.rounds.syncSpace(ws, await clientOf(ted), false);
    expect(ted.vault.documents.get(doc).body).toBe('v1 +outside');
    await close(ann, ted, out);
  });

  it('unshares with a new key the removed person never gets, and ends the share with its document', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const personal = ann.vault.workspaces.list()[0]!;
    const doc = ann.vault.documents.create(personal.id, { title: 'Recipe' }).id;
    await ann.sync.sharing.share(doc, bob.name, 'viewer', { confirmed: true });
    const space = ann.sync.spaces.ownShareOf(doc)!;
    await bob.sync.invitations.accept(space);
    await ann.sync.sharing.unshare(doc, bob.name);
    // Bob's device held the key of epoch 0 (sealed to it, as its account has a device log); of epoch 1, nothing reaches Bob.
    expect(relay.space(space).envelopes.get(bob.vault.devices.self.id)?.has(0)).toBe(true);
    for (const recipient of [bob.account, bob.vault.devices.self.id]) expect(relay.space(space).envelopes.get(recipient)?.has(1) ?? false).toBe(false);
    expect(ann.vault.audit.list().map((e) => e.action)).toContain('document.unshared');
    // The sharer deletes the document: its space goes from the relay.
    await ann.sync.deletion.delete(doc);
    expect(relay.spaces.has(space)).toBe(false);
    expect(ann.sync.spaces.state(space)).toBeUndefined();
    await close(ann, bob);
  });
});
