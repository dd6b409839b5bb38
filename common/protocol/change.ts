/**
 * A change blob: one encrypted, signed unit in a document's log (an Automerge change, a comment
 * change, or a snapshot). The relay can read the metadata (to check the author's role) but not
 * the ciphertext, which is sealed with the space key and bound to the metadata as associated data.
 *
 *   u8       format version (1)
 *   u32 BE   M = byte length of the metadata
 *   M bytes  canonical JSON metadata (ChangeMeta)
 *   ...      ciphertext = seal(spaceKey[epoch], plaintext, associatedData = metadata bytes)
 *   64 bytes Ed25519 signature by meta.author over "hearth-change-v1\n" + everything before it
 */
import { z } from 'zod';
import { HearthError } from '../errors.ts';
import { fromBase64Url, seal, tryOpen, utf8 } from '../crypto/sodium.ts';
import { signDetached, verifyDetached } from '../crypto/identity.ts';
import { AccountIdSchema, HashSchema, IdSchema } from '../membership/log.ts';
import { ChangeKinds, CommentOps } from '../roles.ts';
import { canonicalJson } from './canonical.ts';

export const ChangeMetaSchema = z
  .strictObject({
    space: IdSchema,
    doc: IdSchema,
    kind: z.enum(ChangeKinds),
    /** Key epoch of the space key that sealed the ciphertext. */
    epoch: z.number().int().min(0),
    /** Membership log head the author saw when writing: a replaying client checks the role there. */
    head: HashSchema,
    author: AccountIdSchema,
    /** Unique per change, chosen by the author, so a retried push is recognised. */
    id: IdSchema,
    at: z.number().int().min(0),
    /**
     * A comment change says which comment it is about, the thread it belongs to and what it does,
     * so the relay can apply the comment rules and drop a deleted comment's blobs without reading
     * them. (Comment changes made before this field existed carry none.)
     */
    comment: z.strictObject({ id: IdSchema, thread: IdSchema, op: z.enum(CommentOps) }).optional(),
    /**
     * The document's generation (how many times its history was forgotten); absent for 0, so a
     * change has one spelling. The relay refuses a change to a generation it has moved past.
     */
    gen: z.number().int().min(1).optional(),
  })
  .refine((meta) => meta.comment === undefined || meta.kind === 'comment', { message: 'only a comment change names a comment', path: ['comment'] });
export type ChangeMeta = z.infer<typeof ChangeMetaSchema>;

export interface ParsedChange {
  meta: ChangeMeta;
  metaBytes: Uint8Array;
  ciphertext: Uint8Array;
  signature: Uint8Array;
  /** The bytes the signature covers (without the domain prefix). */
  signed: Uint8Array;
}

const VERSION = 1;
const SIGNATURE_BYTES = 64;
const DOMAIN = utf8('hearth-change-v1\n');
const MAX_META_BYTES = 4096;

function withDomain(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + bytes.length);
  out.set(DOMAIN, 0);
  out.set(bytes, DOMAIN.length);
  return out;
}

/** Encrypts `plaintext` with the space key and signs the result as `meta.author`. */
export function sealChange(meta: ChangeMeta, plaintext: Uint8Array, spaceKey: Uint8Array, signSecretKey: Uint8Array): Uint8Array {
  const metaBytes = utf8(canonicalJson(ChangeMetaSchema.parse(meta)));
  const ciphertext = seal(spaceKey, plaintext, metaBytes);
  const signed = new Uint8Array(5 + metaBytes.length + ciphertext.length);
  signed[0] = VERSION;
  new DataView(signed.buffer).setUint32(1, metaBytes.length);
  signed.set(metaBytes, 5);
  signed.set(ciphertext, 5 + metaBytes.length);
  const signature = signDetached(withDomain(signed), signSecretKey);
  const out = new Uint8Array(signed.length + SIGNATURE_BYTES);
  out.set(signed, 0);
  out.set(signature, signed.length);
  return out;
}

function bad(why: string): never {
  throw new HearthError('BAD_REQUEST', `Change blob is malformed: ${why}. Build it with sealChange().`);
}

/** Parses a change blob's layout and metadata without checking its signature. */
export function parseChange(bytes: Uint8Array): ParsedChange {
  if (bytes.length < 5 + SIGNATURE_BYTES) bad('too short');
  if (bytes[0] !== VERSION) bad(`unknown format version ${bytes[0]}`);
  const metaLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if (metaLength > MAX_META_BYTES || 5 + metaLength + SIGNATURE_BYTES > bytes.length) bad('metadata length out of range');
  const metaBytes = bytes.subarray(5, 5 + metaLength);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(metaBytes));
  } catch {
    bad('metadata is not JSON');
  }
  const parsed = ChangeMetaSchema.safeParse(json);
  if (!parsed.success) bad(`metadata ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
  // Only the canonical form is accepted, so one change has exactly one byte representation.
  if (canonicalJson(parsed.data) !== new TextDecoder().decode(metaBytes)) bad('metadata is not canonical JSON');
  const signedLength = bytes.length - SIGNATURE_BYTES;
  return {
    meta: parsed.data,
    metaBytes,
    ciphertext: bytes.subarray(5 + metaLength, signedLength),
    signature: bytes.subarray(signedLength),
    signed: bytes.subarray(0, signedLength),
  };
}

/** The exact bytes the author's signature covers, for a verifier other than libsodium (the relay's native one). */
export function signedMessage(change: ParsedChange): Uint8Array {
  return withDomain(change.signed);
}

/** Parses and checks the author's signature; throws BAD_REQUEST or RECORD_TAMPERED. */
export function verifyChange(bytes: Uint8Array): ParsedChange {
  const change = parseChange(bytes);
  const key = fromBase64Url(change.meta.author);
  if (!verifyDetached(change.signature, withDomain(change.signed), key)) throw forgedChange();
  return change;
}

/** The refusal of a change whose signature does not verify (whichever library checked it). */
export function forgedChange(): HearthError {
  return new HearthError('RECORD_TAMPERED', 'Change signature does not verify: it was not made by its author or was altered.');
}

/** Decrypts a verified change with the space key of its epoch; undefined if the key is wrong. */
export function openChange(change: ParsedChange, spaceKey: Uint8Array): Uint8Array | undefined {
  return tryOpen(spaceKey, change.ciphertext, change.metaBytes);
}
