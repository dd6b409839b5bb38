// A real relay over real sockets and an account with several devices (promise S10): the relay
// accepts sign-in only from a device its device log names as active, refuses the account key once
// a log exists, stores no entry that an active device did not sign, and ends a revoked device's
// connection at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../common/crypto/identity.ts';
import { toBase64Url } from '../../common/crypto/sodium.ts';
import {
  emptyDeviceLog,
  nextDeviceEntry,
  replayDeviceLog,
  signDeviceEntry,
  type DeviceEntry,
  type DeviceLogState,
  applyDeviceEntry,
} from '../../common/devices/log.ts';
import type { DeviceSigner } from '../../common/protocol/client.ts';
import { newId, randomKey } from '../../common/crypto/sodium.ts';
import { nextEntry, signMembershipEntry, type MembershipState } from '../../common/membership/log.ts';
import { sealEnvelope } from '../../common/protocol/envelope.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { createTestVault } from '../support/vault.ts';
import { connect, outcome, register, startTestRelay, type TestRelay } from './relay-fixture.ts';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(() => relay.stop());

const id = (keys: IdentityKeys) => toBase64Url(keys.signPublicKey);
let counter = 0;

/** An account key and a log that names `devices`, the first certified by the account, the others by the first. */
function account(devices: IdentityKeys[]): { keys: IdentityKeys; log: DeviceEntry[]; state: DeviceLogState } {
  const keys = generateIdentityKeys();
  let state = emptyDeviceLog(id(keys));
  const log: DeviceEntry[] = [];
  devices.forEach((device, i) => {
    const signer = i === 0 ? keys : devices[0]!;
    const entry = signDeviceEntry(
      nextDeviceEntry(state, {
        action: i === 0 ? 'create' : 'add',
        device: id(device),
        box: toBase64Url(device.boxPublicKey),
        kind: 'device',
        name: `Device ${i + 1}`,
        by: id(signer),
      }),
      signer.signSecretKey,
    );
    state = applyDeviceEntry(state, entry);
    log.push(entry);
  });
  return { keys, log, state };
}

const signer = (owner: { keys: IdentityKeys; log: DeviceEntry[] }, device: IdentityKeys): DeviceSigner => ({
  account: id(owner.keys),
  device: id(device),
  signSecretKey: device.signSecretKey,
  boxPublicKey: device.boxPublicKey,
  log: owner.log,
});

const profile = () => ({ username: `devices-${process.pid}-${++counter}`, displayName: 'Ada' });

describe('devices at the relay', () => {
  it('signs in only an active device of the log: not the account key, not a stranger claiming the account', async () => {
    const laptop = generateIdentityKeys();
    const desktop = generateIdentityKeys();
    const ada = account([laptop, desktop]);
    const first = await connect(relay.url);
    const session = await first.register(signer(ada, laptop), profile());
    expect(session.device).toBe(id(laptop));
    expect(await outcome((await connect(relay.url)).signIn(signer(ada, desktop)))).toBe('ok');
    // The account key itself no longer signs in, once the account has a device log.
    expect(await outcome((await connect(relay.url)).signIn(ada.keys))).toBe('UNAUTHENTICATED');
    // A key that the log does not name, however it claims to be a device of the account.
    const stranger = generateIdentityKeys();
    expect(await outcome((await connect(relay.url)).signIn(signer(ada, stranger)))).toBe('UNAUTHENTICATED');
    const { report } = await first.access();
    expect(report.devices?.map((d) => [d.name, d.revokedAt])).toEqual([
      ['Device 1', null],
      ['Device 2', null],
    ]);
  });

  it('stores no entry that an active device did not sign (a relay or a stranger cannot certify a device)', async () => {
    const laptop = generateIdentityKeys();
    const ada = account([laptop]);
    const client = await connect(relay.url);
    await client.register(signer(ada, laptop), profile());
    const intruder = generateIdentityKeys();
    const forged = signDeviceEntry(
      nextDeviceEntry(ada.state, {
        action: 'add',
        device: id(intruder),
        box: toBase64Url(intruder.boxPublicKey),
        kind: 'device',
        name: 'Intruder',
        by: id(intruder),
      }),
      intruder.signSecretKey,
    );
    expect(await outcome(client.putDevices([forged]))).toBe('FORBIDDEN');
    const byAccountKey = signDeviceEntry({ ...forged, by: id(ada.keys) }, ada.keys.signSecretKey);
    expect(await outcome(client.putDevices([byAccountKey]))).toBe('FORBIDDEN');
    expect(await client.getDevices(id(ada.keys))).toEqual(ada.log);
    expect(await outcome((await connect(relay.url)).signIn(signer(ada, intruder)))).toBe('UNAUTHENTICATED');
    // A registration whose log the registering device is not in is refused, as is one with a forged log.
    const other = account([generateIdentityKeys()]);
    expect(await outcome((await connect(relay.url)).register(signer(other, intruder), profile()))).toBe('UNAUTHENTICATED');
  });

  it('takes the device log of an account registered before devices existed; then its account key no longer signs in', async () => {
    const legacy = await register(relay.url, 'legacy');
    const laptop = generateIdentityKeys();
    let state = emptyDeviceLog(legacy.id);
    const first = signDeviceEntry(
      nextDeviceEntry(state, { action: 'create', device: id(laptop), box: toBase64Url(laptop.boxPublicKey), kind: 'device', name: 'Laptop', by: legacy.id }),
      legacy.keys.signSecretKey,
    );
    state = applyDeviceEntry(state, first);
    await legacy.client.putDevices([first]);
    expect(replayDeviceLog(legacy.id, await legacy.client.getDevices(legacy.id)).devices.has(id(laptop))).toBe(true);
    expect(await outcome((await connect(relay.url)).signIn(legacy.keys))).toBe('UNAUTHENTICATED');
    expect(
      await outcome(
        (await connect(relay.url)).signIn({ account: legacy.id, device: id(laptop), signSecretKey: laptop.signSecretKey, boxPublicKey: laptop.boxPublicKey }),
      ),
    ).toBe('ok');
  });

  it('closes a revoked device’s open connection at once and refuses its next sign-in', async () => {
    const laptop = generateIdentityKeys();
    const desktop = generateIdentityKeys();
    const ada = account([laptop, desktop]);
    const onDesktop = await connect(relay.url);
    await onDesktop.register(signer(ada, desktop), profile());
    const onLaptop = await connect(relay.url);
    await onLaptop.signIn(signer(ada, laptop));
    const closed = new Promise<void>((resolve) => onLaptop.onClose(resolve));
    const revoke = signDeviceEntry(nextDeviceEntry(ada.state, { action: 'revoke', device: id(laptop), by: id(desktop) }), desktop.signSecretKey);
    await onDesktop.putDevices([revoke]);
    await closed;
    expect(await outcome(onLaptop.access())).toBe('UNAVAILABLE');
    expect(await outcome((await connect(relay.url)).signIn(signer(ada, laptop)))).toBe('UNAUTHENTICATED');
    // The desktop's own session goes on.
    expect(await outcome(onDesktop.access())).toBe('ok');
  });

  it('stores a revocation all or nothing: leaving out a space, or sealing the new epoch to the revoked device, stores nothing', async () => {
    const laptop = generateIdentityKeys();
    const desktop = generateIdentityKeys();
    const ada = account([laptop, desktop]);
    const client = await connect(relay.url);
    await client.register(signer(ada, desktop), profile());
    const spaces: MembershipState[] = [];
    for (let i = 0; i < 2; i++) spaces.push(await client.createSpace(ada.keys, newId(), 'workspace'));
    const seal = (space: string, epoch: number, to: IdentityKeys) => ({
      recipient: id(to),
      envelope: sealEnvelope({ space, epoch, recipient: id(to), recipientBoxPublicKey: to.boxPublicKey, key: randomKey(), sender: ada.keys }),
    });
    for (const space of spaces) await client.putEnvelopes(space.space, 0, [seal(space.space, 0, laptop), seal(space.space, 0, desktop)]);
    // Keys go to the account's devices, never to the account key its revoked devices hold too.
    expect(await outcome(client.putEnvelopes(spaces[0]!.space, 0, [seal(spaces[0]!.space, 0, ada.keys)]))).toBe('BAD_REQUEST');
    const entryFor = (state: MembershipState) =>
      signMembershipEntry(nextEntry(state, { actor: id(ada.keys), action: 'device_revoked', subject: id(ada.keys), role: null }), ada.keys.signSecretKey);
    // A device_revoked entry never comes alone: it always brings its new key epoch with the revocation.
    expect(await outcome(client.appendMembership(entryFor(spaces[0]!)))).toBe('BAD_REQUEST');
    const revoke = signDeviceEntry(nextDeviceEntry(ada.state, { action: 'revoke', device: id(laptop), by: id(desktop) }), desktop.signSecretKey);
    const rotation = (state: MembershipState, to: IdentityKeys[]) => ({
      entry: entryFor(state),
      epoch: 1,
      sealed: to.map((device) => seal(state.space, 1, device)),
    });
    const refusals = [
      await outcome(client.revokeDevice(revoke, [rotation(spaces[0]!, [desktop])])),
      await outcome(
        client.revokeDevice(
          revoke,
          spaces.map((state) => rotation(state, [desktop, laptop])),
        ),
      ),
    ];
    expect(refusals).toEqual(['CONFLICT', 'BAD_REQUEST']);
    // Nothing was stored: the log, both membership logs and the envelopes are as they were, and the laptop still signs in.
    expect(await client.getDevices(id(ada.keys))).toEqual(ada.log);
    for (const state of spaces) expect(await client.getMembership(state.space, 0)).toHaveLength(1);
    expect(await outcome((await connect(relay.url)).signIn(signer(ada, laptop)))).toBe('ok');
    await client.revokeDevice(
      revoke,
      spaces.map((state) => rotation(state, [desktop])),
    );
    expect(await outcome((await connect(relay.url)).signIn(signer(ada, laptop)))).toBe('UNAUTHENTICATED');
    for (const state of spaces) expect((await client.getMembership(state.space, 0)).map((e) => e.action)).toEqual(['create', 'device_revoked']);
  });

  it('moves an account registered by an older Hearth onto its device log at its first sign-in; then only the device signs in', async () => {
    const vault = await createTestVault({ profile: { username: `upgrade-${process.pid}`, displayName: 'Old' } });
    // An older Hearth registered the account with its account key and knew nothing of devices.
    const older = await connect(relay.url);
    await older.register(vault.identityKeys(), { username: vault.profile.username, displayName: 'Old' });
    older.close();
    vault.syncState.putRelay({ url: relay.url, account: vault.account, registeredAt: Date.now() });
    const engine = new SyncEngine(vault);
    try {
      const { report } = await engine.accessReport(relay.url);
      expect(report.devices?.map((d) => [d.device, d.revokedAt])).toEqual([[vault.devices.self.id, null]]);
      expect(await outcome((await connect(relay.url)).signIn(vault.identityKeys()))).toBe('UNAUTHENTICATED');
      const keys = vault.devices.keys();
      expect(
        await outcome(
          (await connect(relay.url)).signIn({
            account: vault.account,
            device: vault.devices.self.id,
            signSecretKey: keys.signSecretKey,
            boxPublicKey: keys.boxPublicKey,
          }),
        ),
      ).toBe('ok');
      expect(vault.syncState.relay(relay.url)?.devices).toBe(1);
    } finally {
      await engine.close();
      vault.lock();
    }
  });
});
