/**
 * Key envelopes: a space key of one epoch, sealed to one member's X25519 key and signed by the
 * Owner or Admin who handed it out. The signature matters: an anonymous sealed box could be made
 * by anyone, including the relay, which could then slip members a key it knows.
 *
 *   u8        format version (1)
 *   32 bytes  sender's Ed25519 public key (their account id, decoded)
 *   64 bytes  signature over "hearth-envelope-v1\n" + space + "\n" + epoch + "\n" + recipient + "\n" + sealed
 *   ...       sealed = crypto_box_seal(JSON {space, epoch, recipient, key}, recipient's X25519 key)
 */
import { z } from 'zod';
import { HearthError } from '../errors.ts';
import { fromBase64Url, toBase64Url, utf8 } from '../crypto/sodium.ts';
import { openSealed, sealTo, signDetached, verifyDetached, type IdentityKeys } from '../crypto/identity.ts';
import { canManageMembers } from '../roles.ts';
import type { MembershipHistory } from './verify.ts';

const VERSION = 1;
const HEADER_BYTES = 1 + 32 + 64;

const EnvelopeContentSchema = z.strictObject({ space: z.string(), epoch: z.number().int().min(0), recipient: z.string(), key: z.string() });

function signedBytes(space: string, epoch: number, recipient: string, sealed: Uint8Array): Uint8Array {
  const prefix = utf8(`hearth-envelope-v1\n${space}\n${epoch}\n${recipient}\n`);
  const out = new Uint8Array(prefix.length + sealed.length);
  out.set(prefix, 0);
  out.set(sealed, prefix.length);
  return out;
}

/** Seals `key` (the space key of `epoch`) to one member, signed by `sender`. */
export function sealEnvelope(args: {
  space: string;
  epoch: number;
  recipient: string;
  recipientBoxPublicKey: Uint8Array;
  key: Uint8Array;
  sender: IdentityKeys;
}): Uint8Array {
  const content = { space: args.space, epoch: args.epoch, recipient: args.recipient, key: toBase64Url(args.key) };
  const sealed = sealTo(utf8(JSON.stringify(content)), args.recipientBoxPublicKey);
  const signature = signDetached(signedBytes(args.space, args.epoch, args.recipient, sealed), args.sender.signSecretKey);
  const out = new Uint8Array(HEADER_BYTES + sealed.length);
  out[0] = VERSION;
  out.set(args.sender.signPublicKey, 1);
  out.set(signature, 33);
  out.set(sealed, HEADER_BYTES);
  return out;
}

/**
 * Checks who signed an envelope for (space, epoch, recipient), without opening it. The relay uses
 * this to accept only envelopes signed by the account that uploads them.
 */
export function envelopeSender(bytes: Uint8Array, expected: { space: string; epoch: number; recipient: string }): string {
  if (bytes.length <= HEADER_BYTES || bytes[0] !== VERSION) throw new HearthError('BAD_REQUEST', 'Key envelope is malformed; build it with sealEnvelope().');
  const sender = bytes.subarray(1, 33);
  const signature = bytes.subarray(33, HEADER_BYTES);
  const sealed = bytes.subarray(HEADER_BYTES);
  if (!verifyDetached(signature, signedBytes(expected.space, expected.epoch, expected.recipient, sealed), sender)) {
    throw new HearthError('RECORD_TAMPERED', 'Key envelope signature does not verify for this space, epoch and recipient.');
  }
  return toBase64Url(sender);
}

/**
 * Opens an envelope addressed to `identity` (an account's keys, or one device's). The sender must
 * have been an Owner or Admin at some head of the verified membership log, or be `revoker`: the
 * member whose device_revoked entry started this epoch and who sealed its key in the same step;
 * otherwise the key is refused (RECORD_TAMPERED/FORBIDDEN).
 */
export function openEnvelope(
  bytes: Uint8Array,
  identity: IdentityKeys,
  expected: { space: string; epoch: number },
  history: MembershipHistory,
  revoker?: string,
): { key: Uint8Array; sender: string } {
  const recipient = toBase64Url(identity.signPublicKey);
  const sender = envelopeSender(bytes, { ...expected, recipient });
  if (sender !== revoker && !history.everHeld(sender, canManageMembers)) {
    throw new HearthError('FORBIDDEN', 'This key envelope was not handed out by an Owner or Admin of the space; it was refused.');
  }
  const opened = openSealed(bytes.subarray(HEADER_BYTES), identity);
  if (!opened) throw new HearthError('RECORD_TAMPERED', 'This key envelope was not sealed to your key.');
  let content: z.infer<typeof EnvelopeContentSchema>;
  try {
    content = EnvelopeContentSchema.parse(JSON.parse(new TextDecoder().decode(opened)));
  } catch {
    throw new HearthError('RECORD_TAMPERED', 'This key envelope holds no valid key.');
  }
  if (content.space !== expected.space || content.epoch !== expected.epoch || content.recipient !== recipient) {
    throw new HearthError('RECORD_TAMPERED', 'This key envelope belongs to another space, epoch or member.');
  }
  const key = fromBase64Url(content.key);
  if (key.length !== 32) throw new HearthError('RECORD_TAMPERED', 'This key envelope holds no valid key.');
  return { key, sender };
}
