// The membership log and key epochs as a device keeps them: founding a space (genesis, epoch-0
// key sealed to its founder, an index naming it), catching up with entries others appended,
// refusing a log the relay rolled back or forked, rebuilding an entry another member's got ahead
// of, and keeping only keys sealed by someone who managed the space.
import { describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../../../common/crypto/identity.ts';
import { randomKey, toBase64Url } from '../../../../common/crypto/sodium.ts';
import { emptyDeviceLog, nextDeviceEntry, replayDeviceLog, signDeviceEntry } from '../../../../common/devices/log.ts';
import { INDEX_DOC } from '../../../../main/sync/workspace-index.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

describe('Membership', () => {
  it('founds a space: its founder as Owner, an epoch-0 key sealed to it, and its index queued for the relay', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = (await ann.sync.teams.create('Board', 'wss://relay.test/')).id;
    expect(relay.role(ws, ann.account)).toBe('owner');
    expect([...relay.space(ws).envelopes.get(ann.vault.devices.self.id)!.keys()]).toEqual([0]);
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
    await expect(bob.sync.membership.refreshMembership(ws, await clientOf(bob))).rejects.toMatchObject({
      code: 'RECORD_TAMPERED',
      message: expect.stringMatching(/rolled back/),
    });
    entries.push({ ...last, sig: entries[0]!.sig });
    await expect(bob.sync.membership.refreshMembership(ws, await clientOf(bob))).rejects.toMatchObject({
      code: 'RECORD_TAMPERED',
      message: expect.stringMatching(/forked log/),
    });
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

  it('seals a new key to each device of a member with a device log, else only with the box key their directory entry publishes', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = await team(ann);
    const client = await clientOf(ann);
    const sealed = await ann.sync.membership.sealForMembers(client, ws, [ann.account], 1, randomKey(), 'sync and try again.');
    // Ann's account has a device log (made when it registered): its one device receives, never the account key.
    expect(sealed.map((s) => s.recipient)).toEqual([ann.vault.devices.self.id]);
    await expect(ann.sync.membership.sealForMembers(client, ws, ['unknown-account'], 1, randomKey(), 'sync and try again.')).rejects.toThrow(
      "The member unknown-account has no published key in this workspace's directory yet; sync and try again.",
    );
    await close(ann);
  });

  it('seals to no device a hostile relay certified, and not to a device it hid a revocation of', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann);
    const client = await clientOf(ann);
    const genuine = [...relay.deviceLogs.get(bob.account)!];
    // The relay adds a device of its own to Bob's log, signed by a key of its own...
    const intruder = generateIdentityKeys();
    const fields = { device: toBase64Url(intruder.signPublicKey), box: toBase64Url(intruder.boxPublicKey), kind: 'device' as const, name: 'Relay' };
    const added = signDeviceEntry(
      nextDeviceEntry(replayDeviceLog(bob.account, genuine), { action: 'add', ...fields, by: fields.device }),
      intruder.signSecretKey,
    );
    relay.deviceLogs.set(bob.account, [...genuine, added]);
    await expect(ann.sync.membership.sealForMembers(client, ws, [bob.account], 1, randomKey(), '')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // ...or replaces his whole log with one it started: the account key did not sign it.
    const forged = signDeviceEntry(nextDeviceEntry(emptyDeviceLog(bob.account), { action: 'create', ...fields, by: bob.account }), intruder.signSecretKey);
    relay.deviceLogs.set(bob.account, [forged]);
    await expect(ann.sync.membership.sealForMembers(client, ws, [bob.account], 1, randomKey(), '')).rejects.toMatchObject({ code: 'RECORD_TAMPERED' });
    expect(ann.vault.devices.log(bob.account)).toBeUndefined();
    // Bob adds a phone and revokes it; once Ann verified that, a relay serving the older log does not bring the phone back.
    relay.deviceLogs.set(bob.account, genuine);
    const phone = generateIdentityKeys();
    await bob.sync.deviceChanges.add({ id: toBase64Url(phone.signPublicKey), box: toBase64Url(phone.boxPublicKey), name: 'Phone' });
    await bob.sync.deviceChanges.revoke('Phone');
    expect((await ann.sync.membership.sealForMembers(client, ws, [bob.account], 1, randomKey(), '')).map((s) => s.recipient)).toEqual([
      bob.vault.devices.self.id,
    ]);
    relay.deviceLogs.set(bob.account, genuine.concat(relay.deviceLogs.get(bob.account)!.slice(genuine.length, genuine.length + 1)));
    expect((await ann.sync.membership.sealForMembers(client, ws, [bob.account], 1, randomKey(), '')).map((s) => s.recipient)).toEqual([
      bob.vault.devices.self.id,
    ]);
    await close(ann, bob);
  });
});
