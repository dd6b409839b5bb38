/** A bare account's device log, for test and bench clients that speak the protocol without a vault. */
import { generateIdentityKeys, type IdentityKeys } from '../../common/crypto/identity.ts';
import { toBase64Url } from '../../common/crypto/sodium.ts';
import { emptyDeviceLog, nextDeviceEntry, signDeviceEntry } from '../../common/devices/log.ts';
import type { RelayClient } from '../../common/protocol/client.ts';

/**
 * Gives the account signed in on `client` a device log naming one new device (as Hearth does at
 * registration), so Hearth can invite it; the open session goes on. Returns the device's keys.
 */
export async function startDeviceLog(client: Pick<RelayClient, 'putDevices'>, accountKeys: IdentityKeys): Promise<IdentityKeys> {
  const device = generateIdentityKeys();
  const first = nextDeviceEntry(emptyDeviceLog(toBase64Url(accountKeys.signPublicKey)), {
    action: 'create',
    device: toBase64Url(device.signPublicKey),
    box: toBase64Url(device.boxPublicKey),
    kind: 'device',
    name: 'Device',
    by: toBase64Url(accountKeys.signPublicKey),
  });
  await client.putDevices([signDeviceEntry(first, accountKeys.signSecretKey)]);
  return device;
}
