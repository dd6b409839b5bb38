// The membership log and key epochs as a device keeps them: founding a space (genesis, epoch-0
// key sealed to its founder, an index naming it), catching up with entries others appended,
// refusing a log the relay rolled back or forked, rebuilding an entry another member's got ahead
// of, and keeping only keys sealed by someone who managed the space.
import { describe, expect, it } from 'vitest';
import { randomKey } from '../../../../common/crypto/sodium.ts';
import { INDEX_DOC } from '../../../../main/sync/workspace-index.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

describe('Membership', () => {
  it('founds a space: its founder as Owner, an epoch-0 key sealed to it, and its index queued for the relay', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = (await ann.sync.teams.create('Board', 'wss://relay.test/')).id;
    expect(relay.role(ws, ann.account)).toBe('owner');
    expect([...relay.space(ws).envelopes.get(ann.account)!.keys()]).toEqual([0]);
    const state = ann.sync.spaces.get(ws);
    expect(Object.keys(state.epochKeys)).toEqual(['0']);
    expect(ann.sync.spaces.index(ws).name).toBe('Board');
    expect(ann.sync.spaces.index(ws).members[ann.account]?.username).toBe(ann.name);
    // create() pushed the index: what the relay holds decrypts to the same index on another device.
    expect(relay.stored(ws, INDEX_DOC)).toHaveLength(1);
    await close(ann);
  });

  it("catches up with others' entries and tells the registry's listeners", async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'editor']]);
    const moved: string[] = [];
    bob.sync.spaces.membershipChanged.on((id) => moved.push(id));
    await ann.sync.members.setRole(ws, bob.name, 'viewer');
    expect(bob.sync.permissions.role(ws)).toBe('editor');
    await bob.sync.membership.refreshMembership(ws, await clientOf(bob));
    expect(bob.sync.permissions.role(ws)).toBe('viewer');
    expect(moved).toEqual([ws]);
    await close(ann, bob);
  });

  it('refuses a log the relay rolled back or forked, uses nothing from it, and warns', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'editor']]);
    const entries = relay.space(ws).entries;
    const last = entries.pop()!;
    await expect(bob.sync.membership.refreshMembership(ws, await clientOf(bob))).rejects.toMatchObject({ code: 'RECORD_TAMPERED', message: expect.stringMatching(/rolled back/) });
    entries.push({ ...last, sig: entries[0]!.sig });
    await expect(bob.sync.membership.refreshMembership(ws, await clientOf(bob))).rejects.toMatchObject({ code: 'RECORD_TAMPERED', message: expect.stringMatching(/forked log/) });
    expect(bob.warnings.map((w) => w.code)).toEqual(['RECORD_TAMPERED', 'RECORD_TAMPERED']);
    expect(bob.sync.spaces.view(ws).entries.at(-1)).toEqual(last);
    await close(ann, bob);
  });

  it("rebuilds an entry on the newest log when another member's got in first", async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ada = await device(relay, 'ada');
    const eve = await device(relay, 'eve');
    const ws = await team(ann, [[ada, 'admin']]);
    // Ada's view is one entry behind once Ann adds Eve; her own entry must follow Ann's.
    await ann.sync.members.invite(ws, eve.name, 'viewer');
    await ada.sync.membership.appendEntry(ws, await clientOf(ada), 'change_role', eve.account, 'commenter');
    expect(relay.role(ws, eve.account)).toBe('commenter');
    expect(relay.space(ws).entries.map((e) => e.action)).toEqual(['create', 'add', 'add', 'change_role']);
    // Ada's first try was refused (CONFLICT) and her second, rebuilt on Ann's entry, accepted.
    expect(relay.calls.filter((c) => c.startsWith(ada.account.slice(0, 6)) && c.includes('appendMembership'))).toHaveLength(2);
    await close(ann, ada, eve);
  });

  it('keeps a key only if someone who managed the space sealed it', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ed = await device(relay, 'ed');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [
      [ed, 'editor'],
      [bob, 'viewer'],
    ]);
    // An Editor seals a key of their own to Bob for a later epoch: Bob must not take it.
    const forged = ed.sync.membership.sealEnvelope(ws, 1, randomKey(), bob.account, bob.vault.identityKeys().boxPublicKey);
    await (await clientOf(ed)).putEnvelopes(ws, 1, [{ recipient: bob.account, envelope: forged }]);
    await bob.sync.membership.refreshKeys(ws, await clientOf(bob));
    expect(Object.keys(bob.sync.spaces.get(ws).epochKeys)).toEqual(['0']);
    await close(ann, ed, bob);
  });

  it('seals a new key to members only with the box key their directory entry publishes', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = await team(ann);
    const sealed = ann.sync.membership.sealForMembers(ws, [ann.account], 1, randomKey(), 'sync and try again.');
    expect(sealed.map((s) => s.recipient)).toEqual([ann.account]);
    expect(() => ann.sync.membership.sealForMembers(ws, ['unknown-account'], 1, randomKey(), 'sync and try again.')).toThrow(
      "The member unknown-account has no published key in this workspace's directory yet; sync and try again.",
    );
    await close(ann);
  });
});
