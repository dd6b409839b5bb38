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
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.documentId === 'string' &&
    typeof r.threadId === 'string' &&
    typeof r.author === 'string' &&
    typeof r.text === 'string' &&
    r.text.length <= 10_000 &&
    typeof r.resolved === 'boolean' &&
    Number.isInteger(r.createdAt) &&
    Number.isInteger(r.updatedAt);
  if (!ok) throw new HearthError('BAD_REQUEST', 'A comment change does not hold a comment record.');
  return r as CommentRecord;
}

/** A comment change waiting in the outbox: the record to write or resolve, or the comment to delete. */
export type OutgoingComment = { op: 'write' | 'resolve'; record: CommentRecord } | { op: 'delete'; id: string; documentId: string };

export function encodeOutgoingComment(change: OutgoingComment): Uint8Array {
  return utf8(JSON.stringify(change));
}

/**
 * An outbox entry of kind comment. Entries queued before comment changes named their operation
 * hold the bare record: its author's write, or someone else's resolve (the only change others make).
 */
export function decodeOutgoingComment(bytes: Uint8Array, me: string): OutgoingComment {
  const value = JSON.parse(fromUtf8(bytes)) as Partial<OutgoingComment> & Partial<CommentRecord>;
  if (value.op === 'delete' && typeof value.id === 'string' && typeof value.documentId === 'string')
    return { op: 'delete', id: value.id, documentId: value.documentId };
  if ((value.op === 'write' || value.op === 'resolve') && value.record) return { op: value.op, record: decodeComment(utf8(JSON.stringify(value.record))) };
  const record = decodeComment(bytes);
  return { op: record.author === me ? 'write' : 'resolve', record };
}

/** What a comment deletion carries, sealed: the comment and its document (the change's metadata names them too). */
export function encodeTombstone(tombstone: { id: string; documentId: string }): Uint8Array {
  return utf8(JSON.stringify({ erased: tombstone.id, documentId: tombstone.documentId }));
}

export function decodeTombstone(bytes: Uint8Array): { id: string; documentId: string } {
  let value: { erased?: unknown; documentId?: unknown };
  try {
    value = JSON.parse(fromUtf8(bytes)) as typeof value;
  } catch {
    throw new HearthError('BAD_REQUEST', 'A comment deletion is not JSON.');
  }
  if (typeof value?.erased !== 'string' || typeof value.documentId !== 'string')
    throw new HearthError('BAD_REQUEST', 'A comment deletion does not name its comment.');
  return { id: value.erased, documentId: value.documentId };
}

/**
 * A snapshot: the whole Automerge document, then a list of comments as JSON (u32 length of the
 * document bytes, the bytes, the JSON). Snapshots made now list no comment: comments travel only
 * as their own changes, which the relay keeps under a snapshot and drops when a comment is
 * deleted; an older snapshot's comments are still taken in (unless deleted since). The first
 * snapshot of a new generation (history forgotten) holds the signed generation record
 * (common/protocol/generation.ts) beside its empty list, as an object holding both; its comments,
 * re-anchored, go beside it as changes of their own (forgetHistory's further parts).
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
    throw new HearthError('BAD_REQUEST', "A snapshot's comments are not JSON.");
  }
  const withRecord = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { comments?: unknown; generation?: unknown }) : undefined;
  const list = withRecord ? withRecord.comments : value;
  if (!Array.isArray(list)) throw new HearthError('BAD_REQUEST', "A snapshot's comments are not a list.");
  return {
    documentBytes: bytes.slice(4, 4 + length),
    comments: list.map((item) => decodeComment(utf8(JSON.stringify(item)))),
    ...(withRecord ? { generation: withRecord.generation } : {}),
  };
}
