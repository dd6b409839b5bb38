// The device log's rules (common/devices/log.ts), as an attacker would probe them: only the
// account key starts a log, only active devices (or the recovery key) change it, a revoked device
// signs nothing any more, and nobody else — a relay included — can certify a device.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, toBase64Url } from '../../../common/crypto/sodium.ts';
import {
  activeDevices,
  applyDeviceEntry,
  emptyDeviceLog,
  nextDeviceEntry,
  replayDeviceLog,
  signDeviceEntry,
  signedWhileActive,
  type DeviceEntry,
  type DeviceKind,
  type DeviceLogState,
} from '../../../common/devices/log.ts';

beforeAll(loadSodium);

const id = (keys: IdentityKeys) => toBase64Url(keys.signPublicKey);

function refusal(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('device log', () => {
  let account: IdentityKeys;
  let laptop: IdentityKeys;
  let desktop: IdentityKeys;
  let recovery: IdentityKeys;
  let log: DeviceEntry[];
  let state: DeviceLogState;

  const add = (s: DeviceLogState, device: IdentityKeys, signer: IdentityKeys, kind: DeviceKind = 'device', at = 1000) =>
    signDeviceEntry(
      nextDeviceEntry(s, {
        action: s.nextSeq === 0 ? 'create' : 'add',
        device: id(device),
        box: toBase64Url(device.boxPublicKey),
        kind,
        name: kind === 'recovery' ? 'Recovery key' : 'A device',
        by: id(signer),
        at,
      }),
      signer.signSecretKey,
    );
  const revoke = (s: DeviceLogState, device: IdentityKeys, signer: IdentityKeys, at = 2000) =>
    signDeviceEntry(nextDeviceEntry(s, { action: 'revoke', device: id(device), by: id(signer), at }), signer.signSecretKey);

  beforeAll(() => {
    [account, laptop, desktop, recovery] = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
    state = emptyDeviceLog(id(account));
    log = [];
    for (const entry of [add(state, laptop, account)]) {
      state = applyDeviceEntry(state, entry);
      log.push(entry);
    }
    for (const [device, kind] of [
      [desktop, 'device'],
      [recovery, 'recovery'],
    ] as const) {
      const entry = add(state, device, laptop, kind);
      state = applyDeviceEntry(state, entry);
      log.push(entry);
    }
  });

  it('replays from the account id: the first device is certified by the account key, later ones by a device', () => {
    const replayed = replayDeviceLog(id(account), log);
    expect(activeDevices(replayed).map((d) => d.id)).toEqual([id(laptop), id(desktop), id(recovery)]);
    expect(replayed.devices.get(id(desktop))?.addedBy).toBe(id(laptop));
  });

  it('refuses a log started by any key but the account key (a relay cannot start or replace one)', () => {
    const relay = generateIdentityKeys();
    const forged = signDeviceEntry(
      nextDeviceEntry(emptyDeviceLog(id(account)), {
        action: 'create',
        device: id(relay),
        box: toBase64Url(relay.boxPublicKey),
        kind: 'device',
        name: 'x',
        by: id(relay),
      }),
      relay.signSecretKey,
    );
    expect(refusal(() => replayDeviceLog(id(account), [forged]))).toBe('FORBIDDEN');
    // Naming the account as signer does not help: the signature must be the account key's.
    expect(refusal(() => replayDeviceLog(id(account), [{ ...forged, by: id(account) }]))).toBe('RECORD_TAMPERED');
  });

  it('refuses a device added by a key that is not an active device: a stranger, a relay, or the account key after the first entry', () => {
    const relay = generateIdentityKeys();
    const intruder = generateIdentityKeys();
    expect(refusal(() => applyDeviceEntry(state, add(state, intruder, relay)))).toBe('FORBIDDEN');
    expect(refusal(() => applyDeviceEntry(state, add(state, intruder, account)))).toBe('FORBIDDEN');
    expect(refusal(() => applyDeviceEntry(state, { ...add(state, intruder, laptop), name: 'renamed' }))).toBe('RECORD_TAMPERED');
  });

  it('the recovery key adds a device; a revoked device signs nothing any more and cannot come back', () => {
    const phone = generateIdentityKeys();
    let s = applyDeviceEntry(state, revoke(state, laptop, desktop, 5000));
    expect(refusal(() => applyDeviceEntry(s, add(s, phone, laptop)))).toBe('FORBIDDEN');
    expect(refusal(() => applyDeviceEntry(s, revoke(s, desktop, laptop)))).toBe('FORBIDDEN');
    expect(refusal(() => applyDeviceEntry(s, add(s, laptop, desktop)))).toBe('ALREADY_EXISTS');
    s = applyDeviceEntry(s, add(s, phone, recovery));
    expect(activeDevices(s).map((d) => d.id)).toEqual([id(desktop), id(recovery), id(phone)]);
    // What the laptop signed before its revocation stays valid; what it signed after does not.
    expect(signedWhileActive(s, id(laptop), 4999)).toBe(true);
    expect(signedWhileActive(s, id(laptop), 5000)).toBe(false);
    // The recovery key certifies devices but does not write for the account.
    expect(signedWhileActive(s, id(recovery), 4999)).toBe(false);
  });

  it('keeps at least one device, one recovery key, and its chain', () => {
    const lone = applyDeviceEntry(state, revoke(state, laptop, desktop));
    expect(refusal(() => applyDeviceEntry(lone, revoke(lone, desktop, desktop)))).toBe('FORBIDDEN');
    const second = generateIdentityKeys();
    expect(refusal(() => applyDeviceEntry(state, add(state, second, laptop, 'recovery')))).toBe('FORBIDDEN');
    expect(refusal(() => replayDeviceLog(id(account), [log[0], log[2]]))).toBe('CONFLICT');
    expect(refusal(() => replayDeviceLog(id(generateIdentityKeys()), log))).toBe('BAD_REQUEST');
    expect(refusal(() => replayDeviceLog(id(account), []))).toBe('RECORD_TAMPERED');
  });
});
