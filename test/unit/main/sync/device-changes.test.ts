// Adding and revoking a device from the account (device-changes.ts) against an in-memory relay:
// the log grows by entries this device signs, a revocation comes with a new key epoch in each of
// the account's spaces, and one that a relay missed is neither sent alone nor lost: revoking again
// finishes it there, and only there.
import { describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../../../common/crypto/identity.ts';
import { toBase64Url } from '../../../../common/crypto/sodium.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, RELAY, team } from './harness.ts';

describe('DeviceChanges', () => {
  it('finishes a revocation on a relay that missed it, without sending the revoke entry alone', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = await team(ann);
    const phone = generateIdentityKeys();
    await ann.sync.deviceChanges.add({ id: toBase64Url(phone.signPublicKey), box: toBase64Url(phone.boxPublicKey), name: 'Phone' });
    expect((await ann.sync.deviceChanges.revoke('Phone')).relays).toEqual([RELAY]);
    const full = [...relay.deviceLogs.get(ann.account)!];
    expect(full.at(-1)).toMatchObject({ action: 'revoke', device: toBase64Url(phone.signPublicKey) });
    expect(ann.sync.spaces.view(ws).currentEpoch).toBe(1);

    // The relay lost the revocation (as one that dropped out in the middle of it would lack it).
    relay.deviceLogs.set(ann.account, full.slice(0, -1));
    ann.vault.syncState.putRelay({ ...ann.vault.syncState.relay(RELAY)!, devices: 0 });
    await ann.sync.devices.publish(await clientOf(ann), RELAY);
    expect(relay.deviceLogs.get(ann.account)).toEqual(full.slice(0, -1));
    // Revoking again sends the same entry with a new key epoch there; a third time there is nothing left to do.
    expect((await ann.sync.deviceChanges.revoke('Phone')).relays).toEqual([RELAY]);
    expect(relay.deviceLogs.get(ann.account)).toEqual(full);
    expect(ann.sync.spaces.view(ws).currentEpoch).toBe(2);
    await expect(ann.sync.deviceChanges.revoke('Phone')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('revoked already') });
    await expect(ann.sync.deviceChanges.revoke(ann.vault.devices.self.name)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('cannot revoke itself'),
    });
    await close(ann);
  });
});
