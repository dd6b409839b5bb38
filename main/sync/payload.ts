/**
 * What a change blob carries once decrypted. Content: one or more Automerge changes, each
 * length-prefixed (u32 big-endian), so several queued keystrokes travel as one blob. Comment:
 * one comment record as JSON. The blob's metadata (common/protocol/change.ts) says which.
 */
import type { CommentRecord } from '../vault/comments.ts';
import { HearthError } from '../../common/errors.ts';
import { fromUtf8, utf8 } from '../../common/crypto/sodium.ts';
import type { GenerationRecord } from '../../common/protocol/generation.ts';

export function encodeChanges(changes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(changes.reduce((n, c) => n + 4 + c.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const change of changes) {
    view.setUint32(offset, change.length);
    out.set(change, offset + 4);
    offset += 4 + change.length;
  }
  return out;
}

export function decodeChanges(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const changes: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) throw new HearthError('BAD_REQUEST', 'A content change is cut short.');
    const length = view.getUint32(offset);
    if (length === 0 || offset + 4 + length > bytes.length) throw new HearthError('BAD_REQUEST', 'A content change has a bad length.');
    changes.push(bytes.slice(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  if (changes.length === 0) throw new HearthError('BAD_REQUEST', 'A content change carries no Automerge change.');
  return changes;
}

/** Joins queued payloads of one document into one (content payloads concatenate as they are). */
export function joinChanges(payloads: readonly Uint8Array[]): Uint8Array {
  if (payloads.length === 1) return payloads[0]!;
  const out = new Uint8Array(payloads.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of payloads) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function encodeComment(record: CommentRecord): Uint8Array {
  return utf8(JSON.stringify(record));
}

export function decodeComment(bytes: Uint8Array): CommentRecord {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new HearthError('BAD_REQUEST', 'A comment change is not JSON.');
  }
  const r = value as Partial<CommentRecord>;
  const ok =
    typeof r === 'object' && r !== null &&
    typeof r.id === 'string' && typeof r.documentId === 'string' && typeof r.threadId === 'string' &&
    typeof r.author === 'string' && typeof r.text === 'string' && r.text.length <= 10_000 &&
    typeof r.resolved === 'boolean' && Number.isInteger(r.createdAt) && Number.isInteger(r.updatedAt);
  if (!ok) throw new HearthError('BAD_REQUEST', 'A comment change does not hold a comment record.');
  return r as CommentRecord;
}

/**
 * A snapshot: the whole Automerge document and every comment on it (the relay drops the comment
 * changes a snapshot covers, too). u32 length of the document bytes, the bytes, then the
 * comments as JSON: a list, or, for the first snapshot of a new generation, an object holding the
 * list and the signed generation record (common/protocol/generation.ts).
 */
export function encodeSnapshot(documentBytes: Uint8Array, comments: readonly CommentRecord[], generation?: GenerationRecord): Uint8Array {
  const json = utf8(JSON.stringify(generation ? { comments, generation } : comments));
  const out = new Uint8Array(4 + documentBytes.length + json.length);
  new DataView(out.buffer).setUint32(0, documentBytes.length);
  out.set(documentBytes, 4);
  out.set(json, 4 + documentBytes.length);
  return out;
}

export function decodeSnapshot(bytes: Uint8Array): { documentBytes: Uint8Array; comments: CommentRecord[]; generation?: unknown } {
  if (bytes.length < 4) throw new HearthError('BAD_REQUEST', 'A snapshot is cut short.');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + length > bytes.length) throw new HearthError('BAD_REQUEST', 'A snapshot has a bad length.');
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes.subarray(4 + length)));
  } catch {
    throw new HearthError('BAD_REQUEST', 'A snapshot\'s comments are not JSON.');
  }
  const withRecord = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { comments?: unknown; generation?: unknown }) : undefined;
  const list = withRecord ? withRecord.comments : value;
  if (!Array.isArray(list)) throw new HearthError('BAD_REQUEST', 'A snapshot\'s comments are not a list.');
  return {
    documentBytes: bytes.slice(4, 4 + length),
    comments: list.map((item) => decodeComment(utf8(JSON.stringify(item)))),
    ...(withRecord ? { generation: withRecord.generation } : {}),
  };
}
