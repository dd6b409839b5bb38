/**
 * The in-memory copy of one open document that DocumentStore keeps: the Automerge document, how
 * far into the file's chunk log it has read, and what it still has to write (its head, its
 * search text). Pure: no SQL, no keys; the store reads and writes the file (sealed-documents.ts).
 */
import * as A from '@automerge/automerge';
import type { DocumentSummary } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import { plainText } from '../../common/richtext/index.ts';

export type DocumentContent = {
  title: string;
  /** Rich text: Automerge text with block markers and marks, as @automerge/prosemirror keeps it. */
  body: string;
  tags: string[];
  createdAt: number;
};

export type HearthDoc = A.Doc<DocumentContent>;

/** What a document's sealed head row holds: enough to list it without loading it. */
export interface DocumentHead {
  title: string;
  tags: string[];
  createdAt: number;
  updatedAt: number;
}

export type ChunkKind = 'snapshot' | 'changes';

/** A chunk of the document's log, opened (decrypted). */
export interface OpenedChunk {
  seq: number;
  kind: ChunkKind;
  bytes: Uint8Array;
}

export interface DocumentCopy {
  id: string;
  workspaceId: string;
  doc: HearthDoc;
  /** Heads already in the vault (written here or folded in): the next chunk holds what came after them. */
  persistedHeads: A.Heads;
  /** The highest chunk seq this copy holds (applied, or waiting in `pending`). */
  lastSeq: number;
  /** The connection's generation when this copy was last compared with the file. */
  checkedAt: number;
  /** The document's generation (how many times its history was forgotten) this copy holds. */
  generation: number;
  snapshotBytes: number;
  logBytes: number;
  head: DocumentHead;
  /** updatedAt of the head last written; 0 when the stored head is behind this copy. */
  headWrittenAt: number;
  /** Which sealed head the file held when this copy last wrote or read it. */
  headStamp: string;
  /** The chunk seq that the stored search text reflects. */
  textSeq: number;
  /**
   * Chunks already in the file but not yet applied to `doc`: the editor's changes (see
   * DocumentStore.appendChanges) and what other processes wrote. Applying costs time in
   * proportion to the document, so it happens on the next read, never while holding the write lock.
   */
  pending: Uint8Array[];
  /** `doc`'s heads when the first of the other processes' chunks in `pending` came in: what they add is announced once applied. */
  externalFrom: A.Heads | undefined;
  /** Runs the store's idle-time work (applying, compaction) once the document has been quiet for a moment. */
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

/** A copy of the document the chunks (a snapshot first, then the log after it) make up. */
export function copyFromChunks(
  place: { id: string; workspaceId: string },
  stored: { head: DocumentHead; headStamp: string; textSeq: number; generation: number },
  chunks: OpenedChunk[],
  checkedAt: number,
  actor?: string,
): DocumentCopy {
  const first = chunks[0];
  if (!first || first.kind !== 'snapshot') {
    throw new HearthError('RECORD_TAMPERED', `Document ${place.id} has lost its snapshot and was not opened. Restore the vault from a backup.`);
  }
  let doc: HearthDoc;
  try {
    doc = A.load<DocumentContent>(first.bytes, actor ? { actor } : undefined);
    if (chunks.length > 1) doc = A.loadIncremental(doc, concat(chunks.slice(1).map((c) => c.bytes)));
  } catch (cause) {
    throw new HearthError('RECORD_TAMPERED', `Document ${place.id} could not be read and was not opened.`, { cause });
  }
  const { head } = stored;
  // A crash between saving a change and refreshing the head leaves the head behind the document:
  // the next write (or flush before lock) writes it.
  const behind = headBehind(head, doc.title, doc.tags);
  return {
    ...place,
    doc,
    persistedHeads: A.getHeads(doc),
    lastSeq: chunks[chunks.length - 1]!.seq,
    checkedAt,
    generation: stored.generation,
    snapshotBytes: first.bytes.length,
    logBytes: chunks.slice(1).reduce((sum, c) => sum + c.bytes.length, 0),
    head: behind ? { ...head, title: doc.title, tags: [...doc.tags] } : head,
    headWrittenAt: behind ? 0 : head.updatedAt,
    headStamp: stored.headStamp,
    textSeq: stored.textSeq,
    pending: [],
    externalFrom: undefined,
    idleTimer: undefined,
  };
}

/** The copy of a document made here, as its first chunk (the snapshot `snapshotBytes` long, at seq 0) is written. */
export function newCopy(
  place: { id: string; workspaceId: string },
  doc: HearthDoc,
  stored: { head: DocumentHead; headStamp: string; snapshotBytes: number; generation: number },
): DocumentCopy {
  return {
    ...place,
    doc,
    persistedHeads: A.getHeads(doc),
    lastSeq: 0,
    checkedAt: -1,
    generation: stored.generation,
    snapshotBytes: stored.snapshotBytes,
    logBytes: 0,
    head: stored.head,
    headWrittenAt: stored.head.updatedAt,
    headStamp: stored.headStamp,
    textSeq: -1,
    pending: [],
    externalFrom: undefined,
    idleTimer: undefined,
  };
}

/**
 * Applies the chunks waiting in `pending`. Returns the changes other processes' chunks added
 * (undefined when there were none), for their 'external' event.
 */
export function applyPending(copy: DocumentCopy): Uint8Array[] | undefined {
  if (copy.pending.length === 0) return undefined;
  const pending = copy.pending;
  copy.pending = [];
  try {
    copy.doc = A.loadIncremental(copy.doc, concat(pending));
  } catch (cause) {
    throw new HearthError('RECORD_TAMPERED', `Document ${copy.id} holds changes that cannot be applied.`, { cause });
  }
  copy.persistedHeads = A.getHeads(copy.doc);
  const { title, tags } = copy.doc;
  if (headBehind(copy.head, title, tags)) {
    // The stored head is behind: the next write, or flush() before lock, writes it.
    copy.head = { ...copy.head, title, tags: [...tags] };
    copy.headWrittenAt = 0;
  }
  const from = copy.externalFrom;
  copy.externalFrom = undefined;
  return from && A.getChanges(A.view(copy.doc, from), copy.doc);
}

/**
 * Queues chunks another process appended after `copy.lastSeq` (applied on the next read, see
 * `pending`), and takes the stored head, which that process wrote with them.
 */
export function queueExternal(copy: DocumentCopy, chunks: OpenedChunk[], stored: { head: DocumentHead; headStamp: string }): void {
  if (chunks.length > 0) {
    copy.externalFrom ??= A.getHeads(copy.doc);
    copy.pending.push(...chunks.map((c) => c.bytes));
    copy.lastSeq = chunks[chunks.length - 1]!.seq;
    // A snapshot holds everything before it (its writer had folded all of it in).
    const snapshotAt = chunks.map((c) => c.kind).lastIndexOf('snapshot');
    if (snapshotAt >= 0) copy.snapshotBytes = chunks[snapshotAt]!.bytes.length;
    copy.logBytes = (snapshotAt >= 0 ? 0 : copy.logBytes) + chunks.slice(snapshotAt + 1).reduce((sum, c) => sum + c.bytes.length, 0);
  }
  const { head } = stored;
  const updatedAt = Math.max(head.updatedAt, copy.head.updatedAt);
  if (copy.pending.length === 0) {
    // Nothing unapplied: this copy's title and tags are the latest there are.
    const { title, tags } = copy.doc;
    copy.head = { title, tags: [...tags], createdAt: head.createdAt, updatedAt };
    copy.headWrittenAt = headBehind(head, title, tags) ? 0 : head.updatedAt;
  } else {
    // Not applied yet: the other process's head knows its title and tags better than this copy.
    copy.head = { ...head, updatedAt };
    copy.headWrittenAt = head.updatedAt;
  }
  copy.headStamp = stored.headStamp;
}

/** Whether the document's title or tags moved on from what its sealed head says. */
export function headBehind(head: DocumentHead, title: string, tags: readonly string[]): boolean {
  return title !== head.title || tags.length !== head.tags.length || tags.some((t, i) => t !== head.tags[i]);
}

export function summaryOf(copy: DocumentCopy): DocumentSummary {
  return { id: copy.id, workspaceId: copy.workspaceId, ...copy.head, tags: [...copy.head.tags] };
}

/** The plain text of a rich-text body, for the search index. */
export function bodyText(doc: HearthDoc): string {
  return plainText(A.spans(doc, ['body']));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The changes in bytes that hold several, one after another (as Automerge's saveSince writes
 * them): each is a chunk of magic (4 bytes), checksum (4), type (1), a LEB128 length, the body.
 */
export function splitChanges(bytes: Uint8Array): Uint8Array[] {
  const changes: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length = 0;
    let shift = 0;
    let cursor = at + 9;
    for (;;) {
      if (cursor >= bytes.length) throw new HearthError('RECORD_TAMPERED', 'A run of document changes ends inside a change.');
      const byte = bytes[cursor++]!;
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    const end = cursor + length;
    if (end > bytes.length) throw new HearthError('RECORD_TAMPERED', 'A run of document changes ends inside a change.');
    changes.push(bytes.subarray(at, end));
    at = end;
  }
  return changes;
}

export function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0 && t.length <= 50))];
}
