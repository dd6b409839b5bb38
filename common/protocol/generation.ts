/**
 * A generation record: someone allowed to (common/roles.ts canForgetHistory) forgot a document's
 * edit history, and its generation `gen` starts from the state it had then. Signed, and carried
 * inside every snapshot of that generation (encrypted with it), so a member who comes back later
 * can check who did it and see exactly which of the old generation's changes it covers: `clock`
 * names each Automerge actor's last change the forgetter had. Changes of the old generation that
 * it does not cover were never seen by the forgetter; their author carries them onto the new one.
 */
import { z } from 'zod';
import { fromBase64Url, toBase64Url, utf8 } from '../crypto/sodium.ts';
import { signDetached, verifyDetached } from '../crypto/identity.ts';
import { HearthError } from '../errors.ts';
import { AccountIdSchema, HashSchema, IdSchema, SignatureSchema } from '../membership/log.ts';
import { canonicalJson } from './canonical.ts';

const DOMAIN = 'hearth-generation-v1\n';
const ActorSchema = z.string().regex(/^[0-9a-f]{2,64}$/);

export const GenerationRecordSchema = z.strictObject({
  v: z.literal(1),
  space: IdSchema,
  doc: IdSchema,
  gen: z.number().int().min(1),
  /** What was forgotten: edits made before this time (ms), or null for every edit. */
  horizon: z.number().int().min(0).nullable(),
  at: z.number().int().min(0),
  by: AccountIdSchema,
  /** The membership head the forgetter saw, where its role is checked. */
  head: HashSchema,
  /** Actor → the highest sequence number of its changes in the old generation that the new one covers. */
  clock: z.record(ActorSchema, z.number().int().min(1)).refine((clock) => Object.keys(clock).length <= 100_000, 'too many actors'),
  /** The new generation's heads as it was made: carried edits apply on top of them. */
  heads: z.array(HashSchema).min(1).max(256),
  signature: SignatureSchema,
});
export type GenerationRecord = z.infer<typeof GenerationRecordSchema>;

function signedBytes(record: Omit<GenerationRecord, 'signature'>): Uint8Array {
  const { signature: _omit, ...fields } = record as GenerationRecord;
  return utf8(DOMAIN + canonicalJson(fields));
}

/** Signs a record's fields with the forgetter's Ed25519 key. */
export function signGenerationRecord(fields: Omit<GenerationRecord, 'signature' | 'v'>, signSecretKey: Uint8Array): GenerationRecord {
  const unsigned = { v: 1 as const, ...fields };
  return GenerationRecordSchema.parse({ ...unsigned, signature: toBase64Url(signDetached(signedBytes(unsigned), signSecretKey)) });
}

/** Parses a record and checks its signature by `by` (RECORD_TAMPERED otherwise); the role is the caller's to check. */
export function verifyGenerationRecord(value: unknown): GenerationRecord {
  const parsed = GenerationRecordSchema.safeParse(value);
  if (!parsed.success) throw new HearthError('RECORD_TAMPERED', 'a generation record that is malformed');
  const record = parsed.data;
  if (!verifyDetached(fromBase64Url(record.signature), signedBytes(record), fromBase64Url(record.by))) {
    throw new HearthError('RECORD_TAMPERED', 'a generation record whose signature does not verify');
  }
  return record;
}
