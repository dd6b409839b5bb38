// A real relay over real sockets and an account with several devices (promise S10): the relay
// accepts sign-in only from a device its device log names as active, refuses the account key once
// a log exists, stores no entry that an active device did not sign, and ends a revoked device's
// connection at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../common/crypto/identity.ts';
import { toBase64Url } from '../../common/crypto/sodium.ts';
import { emptyDeviceLog, nextDeviceEntry, replayDeviceLog, signDeviceEntry, type DeviceEntry, type DeviceLogState, applyDeviceEntry } from '../../common/devices/log.ts';
import type { DeviceSigner } from '../../common/protocol/client.ts';
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
      nextDeviceEntry(state, { action: i === 0 ? 'create' : 'add', device: id(device), box: toBase64Url(device.boxPublicKey), kind: 'device', name: `Device ${i + 1}`, by: id(signer) }),
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
      nextDeviceEntry(ada.state, { action: 'add', device: id(intruder), box: toBase64Url(intruder.boxPublicKey), kind: 'device', name: 'Intruder', by: id(intruder) }),
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
    const first = signDeviceEntry(nextDeviceEntry(state, { action: 'create', device: id(laptop), box: toBase64Url(laptop.boxPublicKey), kind: 'device', name: 'Laptop', by: legacy.id }), legacy.keys.signSecretKey);
    state = applyDeviceEntry(state, first);
    await legacy.client.putDevices([first]);
    expect(replayDeviceLog(legacy.id, await legacy.client.getDevices(legacy.id)).devices.has(id(laptop))).toBe(true);
    expect(await outcome((await connect(relay.url)).signIn(legacy.keys))).toBe('UNAUTHENTICATED');
    expect(await outcome((await connect(relay.url)).signIn({ account: legacy.id, device: id(laptop), signSecretKey: laptop.signSecretKey, boxPublicKey: laptop.boxPublicKey }))).toBe('ok');
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
});
