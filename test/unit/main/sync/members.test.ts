// Managing members: an invitee gets every key epoch and a directory entry; someone who may not
// invite learns nothing about which usernames exist; a removal starts a new key epoch sealed to
// the remaining members only, in the same request; ownership moves with the old Owner kept as Admin.
import { describe, expect, it } from 'vitest';
import { generateIdentityKeys, openSealed } from '../../../../common/crypto/identity.ts';
import { toBase64Url } from '../../../../common/crypto/sodium.ts';
import { FakeRelay } from './fake-relay.ts';
import { close, device, team } from './harness.ts';

describe('Members', () => {
  it('invites with every key epoch this vault holds and lists the member by name', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann);
    const member = await ann.sync.members.invite(ws, bob.name, 'editor');
    expect(member).toMatchObject({ account: bob.account, username: bob.name, role: 'editor', isMe: false });
    expect([...relay.space(ws).envelopes.get(bob.vault.devices.self.id)!.keys()]).toEqual([0]);
    const list = await ann.sync.members.list(ws);
    expect(list.map((m) => [m.username, m.role, m.isMe])).toEqual([
      [ann.name, 'owner', true],
      [bob.name, 'editor', false],
    ]);
    expect(ann.vault.audit.list().map((e) => e.action)).toContain('member.invited');
    await expect(ann.sync.members.invite(ws, bob.name, 'viewer')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(ann.sync.members.invite(ws, bob.name, 'boss' as 'viewer')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('boss is not a role'),
    });
    await close(ann, bob);
  });

  it('seals an invitation only to the devices the invitee signed for: a relay that swaps its published key, or hides its device log, gets nothing', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const carl = await device(relay, 'carl');
    const ws = await team(ann);
    // The relay publishes a key of its own as Bob's: the invitation goes to Bob's device all the same.
    const swapped = generateIdentityKeys();
    relay.profiles.get(bob.account)!.boxPublicKey = toBase64Url(swapped.boxPublicKey);
    await ann.sync.members.invite(ws, bob.name, 'editor');
    const envelopes = relay.space(ws).envelopes;
    expect([...envelopes.keys()].sort()).toEqual([ann.vault.devices.self.id, bob.vault.devices.self.id].sort());
    for (const byEpoch of envelopes.values()) for (const sealed of byEpoch.values()) expect(openSealed(sealed.subarray(97), swapped)).toBeUndefined();
    // It hides Carl's device log and names its own key: Ann does not invite Carl at all.
    relay.deviceLogs.delete(carl.account);
    relay.profiles.get(carl.account)!.boxPublicKey = toBase64Url(swapped.boxPublicKey);
    await expect(ann.sync.members.invite(ws, carl.name, 'viewer')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('no signed device list'),
    });
    expect(relay.role(ws, carl.account)).toBeUndefined();
    expect([...envelopes.keys()]).not.toContain(carl.account);
    await close(ann, bob, carl);
  });

  it('refuses an Editor who invites before looking anyone up', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ed = await device(relay, 'ed');
    const ws = await team(ann, [[ed, 'editor']]);
    const before = relay.calls.length;
    await expect(ed.sync.members.invite(ws, 'whoever', 'viewer')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(relay.calls.slice(before).filter((c) => c.includes('lookup'))).toEqual([]);
    await close(ann, ed);
  });

  it('removes a member with a new key epoch sealed to the others only, in the same request', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const eve = await device(relay, 'eve');
    const ws = await team(ann, [
      [bob, 'editor'],
      [eve, 'editor'],
    ]);
    await ann.sync.members.remove(ws, eve.name);
    expect(relay.role(ws, eve.account)).toBeUndefined();
    const envelopes = relay.space(ws).envelopes;
    expect(envelopes.get(ann.vault.devices.self.id)?.has(1)).toBe(true);
    expect(envelopes.get(bob.vault.devices.self.id)?.has(1)).toBe(true);
    expect(envelopes.get(eve.vault.devices.self.id)?.has(0)).toBe(true);
    expect(envelopes.get(eve.vault.devices.self.id)?.has(1)).toBe(false);
    expect(ann.sync.spaces.get(ws).epochKeys[1]).toBeDefined();
    expect(ann.sync.spaces.index(ws).members[eve.account]).toBeUndefined();
    await expect(ann.sync.members.remove(ws, ann.name)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('use leave') });
    await expect(ann.sync.members.remove(ws, eve.name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await close(ann, bob, eve);
  });

  it('changes a role and hands ownership on (the old Owner stays as Admin)', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'viewer']]);
    await ann.sync.members.setRole(ws, bob.name, 'editor');
    expect(relay.role(ws, bob.account)).toBe('editor');
    await ann.sync.members.transferOwnership(ws, bob.name);
    expect(relay.role(ws, bob.account)).toBe('owner');
    expect(relay.role(ws, ann.account)).toBe('admin');
    await expect(ann.sync.members.transferOwnership(ws, bob.name)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'You are an Admin in Team; only an Owner can transfer its ownership.',
    });
    await close(ann, bob);
  });
});
