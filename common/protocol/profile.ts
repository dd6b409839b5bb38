/**
 * A signed profile update (issue 12, item 5): an account's username, display name and avatar as
 * one of its active devices signed them, with a version so that every relay keeps the newest and
 * an older update arriving late (from a device that was offline) changes nothing. The avatar is
 * named by its hash; its bytes travel beside the update. The relay verifies the signature against
 * the account's device log before it replaces what it publishes.
 */
import { z } from 'zod';
import { signDetached, verifyDetached } from '../crypto/identity.ts';
import { fromBase64Url, hash, toBase64Url, utf8 } from '../crypto/sodium.ts';
import { DeviceIdSchema } from '../devices/log.ts';
import { AccountIdSchema, SignatureSchema } from '../membership/log.ts';
import { UsernameSchema } from '../username.ts';
import { canonicalJson } from './canonical.ts';

export const UnsignedProfileUpdateSchema = z.strictObject({
  account: AccountIdSchema,
  /** The device that signs (its id is its Ed25519 public key). */
  device: DeviceIdSchema,
  /** Higher wins; the app uses the time of the change (and at least one more than the last). */
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  username: UsernameSchema,
  displayName: z.string().min(1).max(80),
  /** base64url BLAKE2b-256 of the avatar's bytes (the frame's part); null: no avatar. */
  avatar: AccountIdSchema.nullable(),
});
export const ProfileUpdateSchema = UnsignedProfileUpdateSchema.extend({ sig: SignatureSchema });
export type UnsignedProfileUpdate = z.infer<typeof UnsignedProfileUpdateSchema>;
export type ProfileUpdate = z.infer<typeof ProfileUpdateSchema>;

function profileMessage(update: UnsignedProfileUpdate): Uint8Array {
  const { account, device, version, username, displayName, avatar } = update;
  return utf8(`hearth-profile-v1\n${canonicalJson({ account, device, version, username, displayName, avatar })}`);
}

/** The hash an update names its avatar by. */
export function avatarHash(bytes: Uint8Array): string {
  return toBase64Url(hash(bytes));
}

export function signProfileUpdate(update: UnsignedProfileUpdate, deviceSecretKey: Uint8Array): ProfileUpdate {
  return { ...update, sig: toBase64Url(signDetached(profileMessage(update), deviceSecretKey)) };
}

/** Whether the device the update names signed it (whether that device is the account's is the device log's to say). */
export function verifyProfileUpdate(update: ProfileUpdate): boolean {
  try {
    return verifyDetached(fromBase64Url(update.sig), profileMessage(update), fromBase64Url(update.device));
  } catch {
    return false;
  }
}
