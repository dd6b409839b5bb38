/**
 * Presence: who is in a document and where their selection is. The relay forwards it to the
 * document's other subscribers and stores nothing; it cannot read it either, because the payload
 * is sealed with the space's key of the current epoch:
 *
 *   payload = u32 big-endian epoch || XChaCha20-Poly1305(space key[epoch], JSON {account, selection, at},
 *             AD = "hearth-presence-v1|" space "|" doc "|" epoch)
 *
 * The relay stamps each forwarded payload with the account that sent it; a payload that names
 * another account than the stamp (a member replaying someone else's, or a relay relabelling one)
 * is dropped, as is one that does not open or does not parse.
 */
import { z } from 'zod';
import { fromUtf8, seal, tryOpen, utf8 } from '../crypto/sodium.ts';

/** Larger payloads are refused by the relay (a selection and a timestamp need ~150 bytes). */
export const MAX_PRESENCE_BYTES = 1024;

const offset = z.number().int().min(0).max(100_000_000);

const PresenceBodySchema = z.strictObject({
  account: z.string().min(1).max(64),
  selection: z
    .strictObject({ from: offset, to: offset })
    .refine((s) => s.from <= s.to, 'from ≤ to')
    .nullable(),
  /** The sender's clock, for ordering its own updates; receivers expire entries by their own clock. */
  at: z.number().int().min(0),
  /** True when the sender left the document. */
  left: z.boolean().optional(),
});
export type PresenceBody = z.infer<typeof PresenceBodySchema>;

function associatedData(space: string, doc: string, epoch: number): Uint8Array {
  return utf8(`hearth-presence-v1|${space}|${doc}|${epoch}`);
}

/** Seals a presence update for one document under the space key of `epoch`. */
export function sealPresence(place: { space: string; doc: string; epoch: number }, body: PresenceBody, key: Uint8Array): Uint8Array {
  const sealed = seal(key, utf8(JSON.stringify(PresenceBodySchema.parse(body))), associatedData(place.space, place.doc, place.epoch));
  const out = new Uint8Array(4 + sealed.length);
  new DataView(out.buffer).setUint32(0, place.epoch);
  out.set(sealed, 4);
  return out;
}

/**
 * Opens a forwarded presence payload: undefined unless it decrypts under the key of the epoch it
 * names, for this space and document, and names the account the relay says sent it.
 */
export function openPresence(
  payload: Uint8Array,
  place: { space: string; doc: string; from: string },
  keyOf: (epoch: number) => Uint8Array | undefined,
): PresenceBody | undefined {
  if (payload.length < 4 || payload.length > MAX_PRESENCE_BYTES) return undefined;
  const epoch = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
  const key = keyOf(epoch);
  if (!key) return undefined;
  const plain = tryOpen(key, payload.subarray(4), associatedData(place.space, place.doc, epoch));
  if (!plain) return undefined;
  try {
    const body = PresenceBodySchema.parse(JSON.parse(fromUtf8(plain)));
    return body.account === place.from ? body : undefined;
  } catch {
    return undefined;
  }
}
