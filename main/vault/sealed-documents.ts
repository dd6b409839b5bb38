/**
 * Documents as the vault file holds them: per document a row with its sealed head (enough to list
 * it without loading it), its sealed search text and its generation, and a log of sealed chunks (a
 * snapshot, then the changes appended after it). Each payload is sealed with its workspace's key
 * and associated data naming the document (and the chunk), so a row moved elsewhere fails to open.
 * Writes run under the caller's write lock and move the copy's record of what the file holds
 * (lastSeq, logBytes, headStamp, textSeq) with them; when to write, and the copies themselves,
 * are DocumentStore's.
 */
import * as A from '@automerge/automerge';
import type { VaultConnection } from './connection.ts';
import type { Sql } from './database.ts';
import { bodyText, headBehind, type ChunkKind, type DocumentCopy, type DocumentHead, type OpenedChunk } from './document-copy.ts';
import { openBytes, openJson, sealBytes, sealedStamp, sealJson, sqlStamp } from './sealed-records.ts';

/** updatedAt is refreshed at most this often while typing; title and tag changes write at once. */
const HEAD_REFRESH_MS = 1000;

/** What the search index needs of a document, stored sealed so unlock need not load every document. */
export interface DocumentText {
  title: string;
  tags: string[];
  body: string;
}

/** A chunk of a document's log as the file holds it. */
export interface SealedChunk {
  seq: number;
  kind: ChunkKind;
  sealed: Buffer;
}

/** A document's row, as a copy is read from it. */
export interface DocumentRow {
  workspaceId: string;
  sealedHead: Buffer;
  textSeq: number;
  generation: number;
}

/** A document's sealed records, as rehome re-seals them. */
export interface SealedRecords {
  workspaceId: string;
  sealedHead: Buffer;
  sealedText: Buffer | null;
}

/** Where a document's records are sealed: their associated data names both. */
interface DocumentPlace {
  id: string;
  workspaceId: string;
}

export class SealedDocuments {
  private readonly sql: Sql;

  constructor(private readonly connection: VaultConnection) {
    this.sql = connection.sql;
  }

  /** Writes a new document's row, `snapshot` as its first chunk, and its search text. */
  insert(entry: DocumentCopy, key: Uint8Array, sealedHead: Uint8Array, snapshot: Uint8Array): void {
    this.sql('INSERT INTO documents (id, workspace_id, sealed_head, generation) VALUES (?, ?, ?, ?)').run(
      entry.id,
      entry.workspaceId,
      sealedHead,
      entry.generation,
    );
    this.insertChunk(key, entry.workspaceId, entry.id, 0, 'snapshot', snapshot);
    this.writeText(entry, key, 0, textOf(entry));
  }

  /** The row and every chunk of a document, in one consistent read; no row when it is gone. */
  read(id: string): { row: DocumentRow | undefined; chunks: SealedChunk[] } {
    // One consistent read: a document deleted meanwhile must not look like one missing its snapshot.
    return this.connection.read(() => ({
      row: this.sql('SELECT workspace_id AS workspaceId, sealed_head AS sealedHead, text_seq AS textSeq, generation FROM documents WHERE id = ?').get(id) as
        DocumentRow | undefined,
      chunks: this.sql('SELECT seq, kind, sealed FROM document_chunks WHERE document_id = ? ORDER BY seq').all(id) as SealedChunk[],
    }));
  }

  /** A document's head and generation and the chunks after `lastSeq`, in one consistent read. */
  readSince(id: string, lastSeq: number): { stored: { sealedHead: Buffer; generation: number } | undefined; chunks: SealedChunk[] } {
    return this.connection.read(() => ({
      stored: this.sql('SELECT sealed_head AS sealedHead, generation FROM documents WHERE id = ?').get(id) as
        { sealedHead: Buffer; generation: number } | undefined,
      chunks: this.sql('SELECT seq, kind, sealed FROM document_chunks WHERE document_id = ? AND seq > ? ORDER BY seq').all(id, lastSeq) as SealedChunk[],
    }));
  }

  /** The sealed heads of a workspace's documents. */
  heads(workspaceId: string): Array<{ id: string; sealed_head: Buffer }> {
    return this.sql('SELECT id, sealed_head FROM documents WHERE workspace_id = ?').all(workspaceId) as Array<{ id: string; sealed_head: Buffer }>;
  }

  /** Per document, its last chunk's seq and its sealed head's stamp: what changed since a look, without reading a blob. */
  stamps(): Array<{ id: string; workspaceId: string; headStamp: string; lastSeq: number }> {
    return this.sql(
      `SELECT d.id, d.workspace_id AS workspaceId, ${sqlStamp('d.sealed_head')} AS headStamp,
              (SELECT max(seq) FROM document_chunks c WHERE c.document_id = d.id) AS lastSeq
         FROM documents d`,
    ).all() as Array<{ id: string; workspaceId: string; headStamp: string; lastSeq: number }>;
  }

  /** Per document, its sealed search text, the seq that text reflects and its last chunk's seq. */
  texts(): Array<{ id: string; workspaceId: string; sealedText: Buffer | null; textSeq: number; lastSeq: number }> {
    return this.sql(
      `SELECT d.id, d.workspace_id AS workspaceId, d.sealed_text AS sealedText, d.text_seq AS textSeq,
              (SELECT max(seq) FROM document_chunks c WHERE c.document_id = d.id) AS lastSeq
         FROM documents d`,
    ).all() as Array<{ id: string; workspaceId: string; sealedText: Buffer | null; textSeq: number; lastSeq: number }>;
  }

  /** The workspace a document is stored in, and its sealed head and text; undefined when there is no such document. */
  records(id: string): SealedRecords | undefined {
    return this.sql('SELECT workspace_id AS workspaceId, sealed_head AS sealedHead, sealed_text AS sealedText FROM documents WHERE id = ?').get(id) as
      SealedRecords | undefined;
  }

  /** The workspace a document is stored in; undefined when there is no such document. */
  workspaceOf(id: string): string | undefined {
    return (this.sql('SELECT workspace_id AS workspaceId FROM documents WHERE id = ?').get(id) as { workspaceId: string } | undefined)?.workspaceId;
  }

  /** How many times the document's history was forgotten; undefined when there is no such document. */
  generationOf(id: string): number | undefined {
    return (this.sql('SELECT generation FROM documents WHERE id = ?').get(id) as { generation: number } | undefined)?.generation;
  }

  has(id: string): boolean {
    return this.sql('SELECT 1 FROM documents WHERE id = ?').get(id) !== undefined;
  }

  allIds(): Array<{ id: string; workspaceId: string }> {
    return this.sql('SELECT id, workspace_id AS workspaceId FROM documents').all() as Array<{ id: string; workspaceId: string }>;
  }

  /** Deletes a document's row (its chunks go with it); false when another process deleted it first. */
  remove(id: string): boolean {
    return this.sql('DELETE FROM documents WHERE id = ?').run(id).changes > 0;
  }

  /**
   * Seals a document's records again with workspace `to`'s key (the associated data names the
   * workspace), in one transaction. `from` is what records() read.
   */
  reseal(id: string, from: SealedRecords, fromKey: Uint8Array, to: string, toKey: Uint8Array): void {
    const chunks = this.sql('SELECT seq, kind, sealed FROM document_chunks WHERE document_id = ?').all(id) as SealedChunk[];
    const head = openHead(fromKey, { id, workspaceId: from.workspaceId }, from.sealedHead);
    const text = from.sealedText && openBytes(fromKey, textPlace({ id, workspaceId: from.workspaceId }), from.sealedText);
    this.connection.write(() => {
      for (const chunk of chunks) {
        const bytes = openBytes(fromKey, chunkPlace(from.workspaceId, id, chunk.seq, chunk.kind), chunk.sealed);
        this.sql('UPDATE document_chunks SET sealed = ? WHERE document_id = ? AND seq = ?').run(
          sealBytes(toKey, chunkPlace(to, id, chunk.seq, chunk.kind), bytes),
          id,
          chunk.seq,
        );
      }
      this.sql('UPDATE documents SET workspace_id = ?, sealed_head = ?, sealed_text = ? WHERE id = ?').run(
        to,
        sealHead(toKey, to, id, head),
        text ? sealBytes(toKey, textPlace({ id, workspaceId: to }), text) : null,
        id,
      );
    });
  }

  /**
   * Appends `bytes`, the changes `entry.doc` has beyond its persisted heads, as the next chunk, and
   * writes the head when its title or tags moved on or it was last written HEAD_REFRESH_MS ago.
   */
  append(entry: DocumentCopy, key: Uint8Array, bytes: Uint8Array): void {
    this.appendChanges(entry, key, bytes);
    entry.persistedHeads = A.getHeads(entry.doc);
    // Title and tags come from the document only when it has everything applied.
    const moved = entry.pending.length === 0 && headBehind(entry.head, entry.doc.title, entry.doc.tags);
    if (moved) entry.head = { ...entry.head, title: entry.doc.title, tags: [...entry.doc.tags] };
    this.touchHead(entry, key, moved);
  }

  /** Appends `changes`, not yet applied to `entry.doc`, as the next chunk (`bytes`, all of them) and queues them in `pending`. */
  appendUnapplied(entry: DocumentCopy, key: Uint8Array, bytes: Uint8Array, changes: Uint8Array[]): void {
    this.appendChanges(entry, key, bytes);
    entry.pending.push(...changes);
    this.touchHead(entry, key, false);
  }

  private appendChanges(entry: DocumentCopy, key: Uint8Array, bytes: Uint8Array): void {
    const seq = entry.lastSeq + 1;
    this.insertChunk(key, entry.workspaceId, entry.id, seq, 'changes', bytes);
    entry.lastSeq = seq;
    entry.logBytes += bytes.length;
  }

  /** The head's updatedAt moves to now; it is written when `changed`, or when it was last written HEAD_REFRESH_MS ago. */
  private touchHead(entry: DocumentCopy, key: Uint8Array, changed: boolean): void {
    const now = Date.now();
    entry.head = { ...entry.head, updatedAt: now };
    if (changed || now - entry.headWrittenAt >= HEAD_REFRESH_MS) this.writeHead(entry, key);
  }

  /** Replaces every chunk of the document by `snapshot` at `seq`, as generation `generation`. */
  replaceLog(place: DocumentPlace, key: Uint8Array, seq: number, snapshot: Uint8Array, generation: number): void {
    this.sql('DELETE FROM document_chunks WHERE document_id = ?').run(place.id);
    this.insertChunk(key, place.workspaceId, place.id, seq, 'snapshot', snapshot);
    this.sql('UPDATE documents SET generation = ? WHERE id = ?').run(generation, place.id);
  }

  /** Writes `snapshot` (of every chunk up to `seq - 1`) at `seq`, deletes the chunks before it, and stores `text` with it. */
  compact(entry: DocumentCopy, key: Uint8Array, seq: number, snapshot: Uint8Array, text: DocumentText): void {
    this.insertChunk(key, entry.workspaceId, entry.id, seq, 'snapshot', snapshot);
    this.sql('DELETE FROM document_chunks WHERE document_id = ? AND seq < ?').run(entry.id, seq);
    // Compaction already costs O(document); refreshing the search text rides along.
    this.writeText(entry, key, seq, text);
    entry.lastSeq = seq;
  }

  writeHead(entry: DocumentCopy, key: Uint8Array): void {
    const sealed = sealHead(key, entry.workspaceId, entry.id, entry.head);
    this.sql('UPDATE documents SET sealed_head = ? WHERE id = ?').run(sealed, entry.id);
    entry.headStamp = sealedStamp(sealed);
    entry.headWrittenAt = entry.head.updatedAt;
  }

  /** Stores `text` as the search text of the chunks up to `seq`, unless the file holds a newer one. */
  writeText(entry: DocumentCopy, key: Uint8Array, seq: number, text: DocumentText): void {
    this.sql('UPDATE documents SET sealed_text = ?, text_seq = ? WHERE id = ? AND text_seq < ?').run(sealJson(key, textPlace(entry), text), seq, entry.id, seq);
    entry.textSeq = Math.max(entry.textSeq, seq);
  }

  private insertChunk(key: Uint8Array, workspaceId: string, id: string, seq: number, kind: ChunkKind, bytes: Uint8Array): void {
    this.sql('INSERT INTO document_chunks (document_id, seq, kind, sealed) VALUES (?, ?, ?, ?)').run(
      id,
      seq,
      kind,
      sealBytes(key, chunkPlace(workspaceId, id, seq, kind), bytes),
    );
  }
}

/** A document's head sealed for its row (its stamp tells whether another process rewrote it since). */
export function sealHead(key: Uint8Array, workspaceId: string, id: string, head: DocumentHead): Uint8Array {
  return sealJson(key, headPlace({ id, workspaceId }), head);
}

/** Opens a sealed head; RECORD_TAMPERED when it fails its integrity check or belongs elsewhere. */
export function openHead(key: Uint8Array, place: DocumentPlace, sealed: Uint8Array): DocumentHead {
  return openJson<DocumentHead>(key, headPlace(place), sealed);
}

/** Opens a sealed search text, as openHead() a head. */
export function openText(key: Uint8Array, place: DocumentPlace, sealed: Uint8Array): DocumentText {
  return openJson<DocumentText>(key, textPlace(place), sealed);
}

/** Opens chunks of one document's log, as openHead() a head. */
export function openChunks(key: Uint8Array, workspaceId: string, id: string, chunks: SealedChunk[]): OpenedChunk[] {
  return chunks.map((chunk) => ({
    seq: chunk.seq,
    kind: chunk.kind,
    bytes: openBytes(key, chunkPlace(workspaceId, id, chunk.seq, chunk.kind), chunk.sealed),
  }));
}

/** The search text of the copy as it is now. */
export function textOf(entry: DocumentCopy): DocumentText {
  return { title: entry.head.title, tags: [...entry.head.tags], body: bodyText(entry.doc) };
}

/** Where a head is sealed, and where a search text: the same on the sealing and the opening side. */
function headPlace({ id, workspaceId }: DocumentPlace) {
  return { kind: 'document-head' as const, id, workspaceId };
}
function textPlace({ id, workspaceId }: DocumentPlace) {
  return { kind: 'document-text' as const, id, workspaceId };
}

/** Where a chunk is sealed: its seq and kind are part of the associated data, so chunks cannot be swapped or reordered. */
function chunkPlace(workspaceId: string, documentId: string, seq: number, kind: string) {
  return { kind: 'document-chunk' as const, id: `${documentId}/${seq}/${kind}`, workspaceId };
}
