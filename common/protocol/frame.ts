/**
 * Binary framing for the relay protocol. One WebSocket message is one frame:
 *
 *   u32 big-endian  H = byte length of the header
 *   H bytes         UTF-8 JSON header; `parts` lists the byte length of each binary part
 *   ...             the binary parts, back to back, exactly as long as `parts` says
 *
 * Ciphertext travels as raw bytes in the parts, never as base64 inside the JSON.
 */
import { HearthError } from '../errors.ts';

export const MAX_HEADER_BYTES = 64 * 1024;
/** Enough for a full page of a pull (at most 1000 changes plus a snapshot). */
export const MAX_PARTS = 2048;

export interface RawFrame {
  header: Record<string, unknown>;
  parts: Uint8Array[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeRawFrame(header: Record<string, unknown>, parts: readonly Uint8Array[] = []): Uint8Array {
  const headerBytes = encoder.encode(JSON.stringify({ ...header, parts: parts.map((p) => p.length) }));
  let total = 4 + headerBytes.length;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, headerBytes.length);
  out.set(headerBytes, 4);
  let offset = 4 + headerBytes.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function malformed(why: string): never {
  throw new HearthError('BAD_REQUEST', `Malformed frame: ${why}. Send frames built by encodeFrame().`);
}

/** Splits a frame into header and parts; the parts are views into `bytes`, not copies. */
export function decodeRawFrame(bytes: Uint8Array): RawFrame {
  if (bytes.length < 4) malformed('shorter than its length prefix');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (headerLength > MAX_HEADER_BYTES) malformed('header too large');
  if (4 + headerLength > bytes.length) malformed('header truncated');
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerLength)));
  } catch {
    malformed('header is not UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) malformed('header is not an object');
  const lengths = (header as { parts?: unknown }).parts;
  if (!Array.isArray(lengths)) malformed('parts must be a list of lengths');
  if (lengths.length > MAX_PARTS) malformed(`more than ${MAX_PARTS} parts`);
  const parts: Uint8Array[] = [];
  let offset = 4 + headerLength;
  for (const length of lengths) {
    if (!Number.isSafeInteger(length) || (length as number) < 0 || offset + (length as number) > bytes.length) malformed('part lengths do not match the frame');
    parts.push(bytes.subarray(offset, offset + (length as number)));
    offset += length as number;
  }
  if (offset !== bytes.length) malformed('trailing bytes after the last part');
  delete (header as { parts?: unknown }).parts;
  return { header: header as Record<string, unknown>, parts };
}
