/**
 * Linking a new device through a relay (as in Signal's device linking), the parts both ends and
 * tests share: the new device's commitment to a secret, the 6-digit confirmation code both
 * screens show, and the account material the approving device seals to the new device.
 *
 * The order makes a relay in the middle guess: the new device commits to its secret (and sends
 * its keys) before the approving device's nonce exists, and reveals the secret only after it has
 * that nonce. The code covers the account, both keys, the secret and the nonce, so a relay that
 * swapped the new device's keys shows the person two different codes except one time in a million.
 */
import { z } from 'zod';
import { HearthError } from '../errors.ts';
import { fromBase64Url, hash, toBase64Url, toHex, utf8 } from '../crypto/sodium.ts';
import { openSealed, sealTo, signDetached, verifyDetached, type IdentityKeys } from '../crypto/identity.ts';
import { canonicalJson } from '../protocol/canonical.ts';
import { DeviceEntrySchema, DeviceIdSchema, DeviceNameSchema } from './log.ts';
import { AccountIdSchema } from '../membership/log.ts';

/** What the new device shows the relay: its keys, its name, and its commitment to a secret. */
export const PairingOfferSchema = z.strictObject({
  device: DeviceIdSchema,
  box: AccountIdSchema,
  name: DeviceNameSchema,
  commit: z.string().regex(/^[0-9a-f]{64}$/),
});
export type PairingOffer = z.infer<typeof PairingOfferSchema>;

/** The commitment to the new device's secret (32 random bytes, base64url). */
export function pairingCommit(secret: string): string {
  return toHex(hash(utf8(`hearth-pair-commit-v1\n${secret}`)));
}

/** The 6-digit code both devices show, from everything either side could have had swapped. */
export function confirmationCode(account: string, offer: PairingOffer, secret: string, nonce: string): string {
  if (pairingCommit(secret) !== offer.commit)
    throw new HearthError(
      'RECORD_TAMPERED',
      'The new device revealed a secret that does not match what it committed to; the pairing was tampered with. Nothing was stored; start again.',
    );
  const digest = hash(utf8(`hearth-pair-code-v1\n${canonicalJson({ account, offer, secret, nonce })}`));
  const value = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  return String(value % 1_000_000).padStart(6, '0');
}

/** What the approving device hands the new one: the account's keys and profile, its device log, and where its spaces are with their keys. */
export const AccountMaterialSchema = z.strictObject({
  account: AccountIdSchema,
  keys: z.strictObject({ signPublicKey: z.string(), signSecretKey: z.string(), boxPublicKey: z.string(), boxSecretKey: z.string() }),
  profile: z.strictObject({ username: z.string(), displayName: z.string(), avatar: z.string().optional() }),
  devices: z.array(DeviceEntrySchema),
  relays: z.array(z.string()),
  spaces: z.array(z.strictObject({ space: z.string(), relay: z.string(), epochKeys: z.record(z.string(), z.string()) })),
});
export type AccountMaterial = z.infer<typeof AccountMaterialSchema>;

function materialMessage(pairing: string, sealed: Uint8Array): Uint8Array {
  const prefix = utf8(`hearth-pair-material-v1\n${pairing}\n`);
  const out = new Uint8Array(prefix.length + sealed.length);
  out.set(prefix, 0);
  out.set(sealed, prefix.length);
  return out;
}

/** Seals the material to the new device's X25519 key and signs it with the approving device's key. */
export function sealMaterial(pairing: string, material: AccountMaterial, toBox: string, approver: { id: string; signSecretKey: Uint8Array }): Uint8Array {
  const sealed = sealTo(utf8(JSON.stringify(material)), fromBase64Url(toBox));
  const sig = signDetached(materialMessage(pairing, sealed), approver.signSecretKey);
  return utf8(JSON.stringify({ by: approver.id, sealed: toBase64Url(sealed), sig: toBase64Url(sig) }));
}

/**
 * Opens the material with this device's keys; returns it with the device that signed it (the
 * caller checks that device against the device log the material carries).
 */
export function openMaterial(
  pairing: string,
  bytes: Uint8Array,
  device: Pick<IdentityKeys, 'boxPublicKey' | 'boxSecretKey'>,
): { material: AccountMaterial; by: string } {
  try {
    const outer = z.strictObject({ by: DeviceIdSchema, sealed: z.string(), sig: z.string() }).parse(JSON.parse(new TextDecoder().decode(bytes)));
    const sealed = fromBase64Url(outer.sealed);
    if (!verifyDetached(fromBase64Url(outer.sig), materialMessage(pairing, sealed), fromBase64Url(outer.by))) throw new Error('signature');
    const opened = openSealed(sealed, device);
    if (!opened) throw new Error('not sealed to this device');
    return { material: AccountMaterialSchema.parse(JSON.parse(new TextDecoder().decode(opened))), by: outer.by };
  } catch {
    throw new HearthError(
      'RECORD_TAMPERED',
      'What came back for this pairing is not the account sealed to this device by a device of the account; nothing was stored. Start again.',
    );
  }
}
