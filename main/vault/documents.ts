/**
 * Documents are Automerge documents persisted incrementally: each change is appended as one
 * sealed chunk, and when the appended chunks outgrow the last snapshot they are compacted into
 * a new one. A keystroke writes a few hundred bytes, never the whole document.
 */
import * as A from '@automerge/automerge';
import type { Database } from 'better-sqlite3';
import { statementCache, transactionRunner, type InTransaction, type Sql } from './database.ts';
import { newId } from '../../common/crypto/sodium.ts';
import type { DocumentSummary } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import { plainText } from '../../common/richtext/index.ts';
import type { AuditLog } from './audit.ts';
import type { SearchIndex } from './search.ts';
import { openBytes, openJson, sealBytes, sealJson } from './sealed-records.ts';
import type { WorkspaceStore } from './workspaces.ts';

export type DocumentContent = {
  title: string;
  /** Rich text: Automerge text with block markers and marks, as @automerge/prosemirror keeps it. */
  body: string;
  tags: string[];
  createdAt: number;
};

export type HearthDoc = A.Doc<DocumentContent>;

export type { DocumentSummary };

interface DocumentHead {
  title: string;
  tags: string[];
  createdAt: number;
  updatedAt: number;
}

interface OpenDocument {
  id: string;
  workspaceId: string;
  doc: HearthDoc;
  /** Heads already written to the vault: the next chunk holds what came after them. */
  persistedHeads: A.Heads;
  nextSeq: number;
  snapshotBytes: number;
  logBytes: number;
  head: DocumentHead;
  headWrittenAt: number;
  /** The chunk seq that the stored search text reflects. */
  textSeq: number;
  /** Changes already persisted but not yet applied to `doc` (see appendChanges). */
  pending: Uint8Array[];
  applyTimer: ReturnType<typeof setTimeout> | undefined;
}

/** What the search index needs of a document, stored sealed so unlock need not load every document. */
export interface DocumentText {
  title: string;
  tags: string[];
  body: string;
}

/** Compaction runs once the appended changes outweigh the snapshot (amortised O(1) per change). */
const MIN_COMPACTION_BYTES = 64 * 1024;
/** updatedAt is refreshed at most this often while typing; title and tag changes write at once. */
const HEAD_REFRESH_MS = 1000;
/**
 * Applying a change made in another replica costs Automerge 3.5 time in proportion to the
 * document (about 60–100 ms on a 100k-character document, even through its backend), while
 * persisting it costs well under a millisecond. So the editor's changes are persisted at once and
 * applied to this copy only when something reads it, or once typing pauses this long.
 */
const APPLY_WHEN_IDLE_MS = 2000;

/** Told about every persisted change with its Automerge change bytes. */
export type DocumentListener = (documentId: string, changes: Uint8Array[]) => void;

export interface NewDocumentInput {
  title: string;
  tags?: string[];
  init?: (doc: DocumentContent) => void;
}

/** A new document's first state, made at `now`, before it is stored anywhere. */
export function newDocument(input: NewDocumentInput, now = Date.now()): HearthDoc {
  const doc = A.from<DocumentContent>({ title: '', body: '', tags: [], createdAt: now });
  return A.change(doc, { time: Math.floor(now / 1000) }, (d) => {
    A.updateText(d, ['title'], input.title.trim());
    for (const tag of normaliseTags(input.tags ?? [])) d.tags.push(tag);
    input.init?.(d);
  });
}

/** The plain text of a rich-text body, for the search index. */
export function bodyText(doc: HearthDoc): string {
  return plainText(A.spans(doc, ['body']));
}

export class DocumentStore {
  private readonly open = new Map<string, OpenDocument>();
  private readonly listeners = new Set<DocumentListener>();
  private readonly deleteListeners = new Set<(documentId: string, workspaceId: string) => void>();

  private readonly sql: Sql;
  private readonly inTransaction: InTransaction;

  constructor(
    private readonly db: Database,
    private readonly workspaces: WorkspaceStore,
    private readonly search: SearchIndex,
    private readonly audit: AuditLog,
  ) {
    this.sql = statementCache(db);
    this.inTransaction = transactionRunner(db);
  }

  /** Calls `listener` after every persisted change, local or applied from elsewhere. */
  subscribe(listener: DocumentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  create(workspaceIdOrName: string, input: NewDocumentInput): DocumentSummary {
    return this.createWithId(workspaceIdOrName, newId(), input);
  }

  /** create() with a chosen id, for imports that must map the same source to the same document. */
  createWithId(workspaceIdOrName: string, id: string, input: NewDocumentInput): DocumentSummary {
    const workspaceId = this.workspaces.find(workspaceIdOrName).workspace.id;
    const now = Date.now();
    const doc = newDocument(input, now);
    const entry = this.insertNew(workspaceId, id, doc, { createdAt: now, updatedAt: now });
    this.notify(entry, A.getAllChanges(doc));
    return summaryOf(entry);
  }

  /** Writes a new document's row and first snapshot, and opens it. */
  private insertNew(workspaceId: string, id: string, doc: HearthDoc, times: { createdAt: number; updatedAt: number }, saved?: Uint8Array): OpenDocument {
    const head: DocumentHead = { title: doc.title ?? '', tags: [...(doc.tags ?? [])], ...times };
    const key = this.workspaces.keyOf(workspaceId);
    const snapshot = saved ?? A.save(doc);
    this.inTransaction(() => {
      this.sql('INSERT INTO documents (id, workspace_id, sealed_head) VALUES (?, ?, ?)').run(id, workspaceId, this.sealHead(key, workspaceId, id, head));
      this.insertChunk(key, workspaceId, id, 0, 'snapshot', snapshot);
    });
    const entry: OpenDocument = {
      id,
      workspaceId,
      doc,
      persistedHeads: A.getHeads(doc),
      nextSeq: 1,
      snapshotBytes: snapshot.length,
      logBytes: 0,
      head,
      headWrittenAt: times.updatedAt,
      textSeq: -1,
      pending: [],
      applyTimer: undefined,
    };
    this.writeText(entry, key, 0);
    this.open.set(id, entry);
    this.search.indexDocument(id, workspaceId, head.title, bodyText(doc), head.tags);
    return entry;
  }

  /**
   * Brings in a document from an export with its whole history. When the document is already
   * here, the histories merge (Automerge skips changes it has), so importing twice adds nothing.
   */
  adopt(workspaceId: string, id: string, bytes: Uint8Array, times: { createdAt: number; updatedAt: number }): 'created' | 'merged' {
    let incoming: HearthDoc;
    try {
      incoming = A.load<DocumentContent>(bytes);
    } catch (cause) {
      throw new HearthError('BAD_REQUEST', `The document ${id} in the import is not a readable Automerge document.`, { cause });
    }
    if (this.sql('SELECT 1 FROM documents WHERE id = ?').get(id)) {
      this.applyChanges(id, A.getAllChanges(incoming));
      return 'merged';
    }
    this.insertNew(workspaceId, id, incoming, times);
    return 'created';
  }

  /** Lists a workspace's documents from their sealed heads, without loading any document. */
  list(workspaceIdOrName: string): DocumentSummary[] {
    const workspaceId = this.workspaces.find(workspaceIdOrName).workspace.id;
    const key = this.workspaces.keyOf(workspaceId);
    const rows = this.sql('SELECT id, sealed_head FROM documents WHERE workspace_id = ?').all(workspaceId) as Array<{ id: string; sealed_head: Buffer }>;
    return rows
      .map((row) => {
        const head = this.open.get(row.id)?.head ?? openJson<DocumentHead>(key, { kind: 'document-head', id: row.id, workspaceId }, row.sealed_head);
        return { id: row.id, workspaceId, ...head, tags: [...head.tags] };
      })
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** Ids and workspaces of every document, for building the search index after unlock. */
  /**
   * A document that arrived whole from a peer (its snapshot, or its changes from the start) and
   * is new here: stored as it is, without another save/load round. `saved` is `A.save(doc)` when
   * the caller already has it (a snapshot's bytes).
   */
  adoptLoaded(workspaceId: string, id: string, doc: HearthDoc, times: { createdAt: number; updatedAt: number }, saved?: Uint8Array): void {
    if (this.has(id)) throw new HearthError('ALREADY_EXISTS', `The document ${id} is already here; merge changes into it instead.`);
    this.insertNew(workspaceId, id, doc, times, saved);
  }

  /**
   * Moves a document an import staged into the workspace it belongs in: each stored record is
   * opened with the old workspace's key and sealed again with the new one's, since the associated
   * data names the workspace. Its comments move with CommentStore.reseal.
   */
  rehome(id: string, toWorkspaceId: string): void {
    const row = this.sql('SELECT workspace_id AS workspaceId, sealed_head AS sealedHead, sealed_text AS sealedText FROM documents WHERE id = ?').get(id) as
      | { workspaceId: string; sealedHead: Buffer; sealedText: Buffer | null }
      | undefined;
    if (!row) throw new HearthError('NOT_FOUND', `No document ${id}.`);
    const from = row.workspaceId;
    if (from === toWorkspaceId) return;
    const fromKey = this.workspaces.keyOf(from);
    const toKey = this.workspaces.keyOf(toWorkspaceId);
    const chunks = this.sql('SELECT seq, kind, sealed FROM document_chunks WHERE document_id = ?').all(id) as Array<{ seq: number; kind: 'snapshot' | 'changes'; sealed: Buffer }>;
    const head = openJson<DocumentHead>(fromKey, { kind: 'document-head', id, workspaceId: from }, row.sealedHead);
    const text = row.sealedText && openBytes(fromKey, { kind: 'document-text', id, workspaceId: from }, row.sealedText);
    this.inTransaction(() => {
      for (const chunk of chunks) {
        const bytes = openBytes(fromKey, chunkPlace(from, id, chunk.seq, chunk.kind), chunk.sealed);
        this.sql('UPDATE document_chunks SET sealed = ? WHERE document_id = ? AND seq = ?').run(sealBytes(toKey, chunkPlace(toWorkspaceId, id, chunk.seq, chunk.kind), bytes), id, chunk.seq);
      }
      this.sql('UPDATE documents SET workspace_id = ?, sealed_head = ?, sealed_text = ? WHERE id = ?').run(
        toWorkspaceId,
        this.sealHead(toKey, toWorkspaceId, id, head),
        text ? sealBytes(toKey, { kind: 'document-text', id, workspaceId: toWorkspaceId }, text) : null,
        id,
      );
    });
    this.forgetDocuments([id]);
    this.search.removeDocument(id);
    const entry = this.load(id);
    this.search.indexDocument(id, toWorkspaceId, entry.head.title, bodyText(this.current(entry)), entry.head.tags);
  }

  /** Drops loaded copies (after a transaction that changed them was rolled back); the next read loads them again. */
  forgetDocuments(ids: Iterable<string>): void {
    for (const id of ids) {
      const entry = this.open.get(id);
      if (!entry) continue;
      clearTimeout(entry.applyTimer);
      this.open.delete(id);
    }
  }

  /** Whether the document already holds every change up to `heads` (it is not kept loaded for asking). */
  holdsHistory(id: string, heads: A.Heads): boolean {
    const wasLoaded = this.open.has(id);
    const held = A.hasHeads(this.current(this.load(id)), heads);
    if (!wasLoaded) this.forgetDocuments([id]);
    return held;
  }

  has(id: string): boolean {
    return this.sql('SELECT 1 FROM documents WHERE id = ?').get(id) !== undefined;
  }

  allIds(): Array<{ id: string; workspaceId: string }> {
    return (this.sql('SELECT id, workspace_id AS workspaceId FROM documents').all() as Array<{ id: string; workspaceId: string }>);
  }

  summary(id: string): DocumentSummary {
    return summaryOf(this.load(id));
  }

  get(id: string): HearthDoc {
    return this.current(this.load(id));
  }

  workspaceOf(id: string): string {
    return this.load(id).workspaceId;
  }

  /** The whole document as Automerge bytes (for export and for a renderer's replica). */
  save(id: string): Uint8Array {
    return A.save(this.current(this.load(id)));
  }

  /** Makes a local change and persists it before returning. */
  change(id: string, fn: (doc: DocumentContent) => void): HearthDoc {
    const entry = this.load(id);
    const before = this.current(entry);
    const next = A.change(before, { time: Math.floor(Date.now() / 1000) }, fn);
    if (next === before) return next;
    entry.doc = next;
    // One local change since the last persist: its bytes are exactly what must be appended.
    const change = A.getLastLocalChange(next)!;
    this.persist(entry, change);
    this.notify(entry, [change]);
    return next;
  }

  /** Applies changes made elsewhere (the editor's replica, a peer) and persists them. */
  applyChanges(id: string, changes: Uint8Array[]): HearthDoc {
    const entry = this.load(id);
    const before = this.current(entry);
    let next: HearthDoc;
    try {
      [next] = A.applyChanges(before, changes);
    } catch (cause) {
      throw new HearthError('BAD_REQUEST', 'Those document changes are malformed and were not applied.', { cause });
    }
    if (A.getHeads(next).join() === entry.persistedHeads.join()) return next;
    entry.doc = next;
    this.persist(entry);
    this.notify(entry, changes);
    return next;
  }

  /**
   * The editor's fast path: persists changes made in its replica at once (each checked to be a
   * well-formed Automerge change) and applies them to this copy later (see APPLY_WHEN_IDLE_MS).
   */
  appendChanges(id: string, changes: Uint8Array[]): void {
    const entry = this.load(id);
    for (const change of changes) {
      try {
        A.decodeChange(change);
      } catch (cause) {
        throw new HearthError('BAD_REQUEST', 'Those document changes are malformed and were not saved.', { cause });
      }
    }
    const bytes = concat(changes);
    if (entry.logBytes + bytes.length > Math.max(MIN_COMPACTION_BYTES, entry.snapshotBytes)) {
      // Time to compact, which needs the whole document: apply now (once per snapshot's worth).
      this.applyChanges(id, changes);
      return;
    }
    const key = this.workspaces.keyOf(entry.workspaceId);
    const now = Date.now();
    const writeHead = now - entry.headWrittenAt >= HEAD_REFRESH_MS;
    entry.head = { ...entry.head, updatedAt: now };
    this.inTransaction(() => {
      this.insertChunk(key, entry.workspaceId, entry.id, entry.nextSeq, 'changes', bytes);
      if (writeHead) this.sql('UPDATE documents SET sealed_head = ? WHERE id = ?').run(this.sealHead(key, entry.workspaceId, entry.id, entry.head), entry.id);
    });
    entry.nextSeq += 1;
    entry.logBytes += bytes.length;
    if (writeHead) entry.headWrittenAt = now;
    entry.pending.push(...changes);
    clearTimeout(entry.applyTimer);
    entry.applyTimer = setTimeout(() => {
      try {
        if (this.open.get(entry.id) === entry) this.current(entry);
      } catch {
        // A change that cannot be applied stays persisted; the next read reports it.
      }
    }, APPLY_WHEN_IDLE_MS);
    entry.applyTimer.unref?.();
    this.notify(entry, changes);
  }

  /** The document with every persisted change applied. */
  private current(entry: OpenDocument): HearthDoc {
    if (entry.pending.length === 0) return entry.doc;
    clearTimeout(entry.applyTimer);
    entry.applyTimer = undefined;
    const pending = entry.pending;
    entry.pending = [];
    try {
      [entry.doc] = A.applyChanges(entry.doc, pending);
    } catch (cause) {
      throw new HearthError('RECORD_TAMPERED', `Document ${entry.id} holds changes that cannot be applied.`, { cause });
    }
    entry.persistedHeads = A.getHeads(entry.doc);
    const { title, tags } = entry.doc;
    if (headBehind(entry.head, title, tags)) {
      entry.head = { ...entry.head, title, tags: [...tags] };
      const key = this.workspaces.keyOf(entry.workspaceId);
      this.sql('UPDATE documents SET sealed_head = ? WHERE id = ?').run(this.sealHead(key, entry.workspaceId, entry.id, entry.head), entry.id);
      entry.headWrittenAt = entry.head.updatedAt;
    }
    this.search.scheduleDocument(entry.id, entry.workspaceId, entry.head.title, () => ({ title: entry.head.title, body: bodyText(entry.doc), tags: entry.head.tags }));
    return entry.doc;
  }

  /** Changes the document has that a replica at `heads` lacks. */
  changesSince(id: string, heads: A.Heads): Uint8Array[] {
    const doc = this.get(id);
    return A.getChanges(A.view(doc, heads), doc);
  }

  delete(id: string): void {
    const entry = this.load(id);
    this.sql('DELETE FROM documents WHERE id = ?').run(id);
    clearTimeout(entry.applyTimer);
    this.open.delete(id);
    this.search.removeDocument(id);
    this.audit.record('document.deleted', entry.id);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const listener of this.deleteListeners) {
      try {
        listener(id, entry.workspaceId);
      } catch {
        // A listener's trouble is not the deletion's: it is done.
      }
    }
  }

  /** Called after a document is deleted (the sync engine carries a team workspace's deletions to the relay). */
  onDelete(listener: (documentId: string, workspaceId: string) => void): () => void {
    this.deleteListeners.add(listener);
    return () => this.deleteListeners.delete(listener);
  }

  /** Drops every loaded document (on lock). */
  forget(): void {
    for (const entry of this.open.values()) clearTimeout(entry.applyTimer);
    this.open.clear();
  }

  forgetWorkspace(workspaceId: string): void {
    for (const [id, entry] of this.open) {
      if (entry.workspaceId !== workspaceId) continue;
      clearTimeout(entry.applyTimer);
      this.open.delete(id);
    }
  }

  private load(id: string): OpenDocument {
    const cached = this.open.get(id);
    if (cached) return cached;
    const row = this.sql('SELECT workspace_id AS workspaceId, sealed_head AS sealedHead, text_seq AS textSeq FROM documents WHERE id = ?').get(id) as
      | { workspaceId: string; sealedHead: Buffer; textSeq: number }
      | undefined;
    if (!row) throw new HearthError('NOT_FOUND', `No document ${id}. \`hearth doc list --workspace W\` shows the documents.`);
    const { workspaceId } = row;
    const key = this.workspaces.keyOf(workspaceId);
    const head = openJson<DocumentHead>(key, { kind: 'document-head', id, workspaceId }, row.sealedHead);
    const chunks = this.sql('SELECT seq, kind, sealed FROM document_chunks WHERE document_id = ? ORDER BY seq').all(id) as Array<{
      seq: number;
      kind: 'snapshot' | 'changes';
      sealed: Buffer;
    }>;
    const first = chunks[0];
    if (!first || first.kind !== 'snapshot') {
      throw new HearthError('RECORD_TAMPERED', `Document ${id} has lost its snapshot and was not opened. Restore the vault from a backup.`);
    }
    const opened = chunks.map((chunk) => openBytes(key, chunkPlace(workspaceId, id, chunk.seq, chunk.kind), chunk.sealed));
    let doc: HearthDoc;
    try {
      doc = A.load<DocumentContent>(opened[0]!);
      if (opened.length > 1) doc = A.loadIncremental(doc, concat(opened.slice(1)));
    } catch (cause) {
      throw new HearthError('RECORD_TAMPERED', `Document ${id} could not be read and was not opened.`, { cause });
    }
    const entry: OpenDocument = {
      id,
      workspaceId,
      doc,
      persistedHeads: A.getHeads(doc),
      nextSeq: chunks[chunks.length - 1]!.seq + 1,
      snapshotBytes: opened[0]!.length,
      logBytes: opened.slice(1).reduce((sum, bytes) => sum + bytes.length, 0),
      head,
      headWrittenAt: 0,
      textSeq: row.textSeq,
      pending: [],
      applyTimer: undefined,
    };
    // A crash between saving a change and refreshing the head leaves the head behind the document.
    if (headBehind(head, doc.title, doc.tags)) {
      entry.head = { ...head, title: doc.title, tags: [...doc.tags] };
      this.sql('UPDATE documents SET sealed_head = ? WHERE id = ?').run(this.sealHead(key, workspaceId, id, entry.head), id);
    }
    this.open.set(id, entry);
    return entry;
  }

  private persist(entry: OpenDocument, change?: Uint8Array): void {
    const key = this.workspaces.keyOf(entry.workspaceId);
    const bytes = change ?? A.saveSince(entry.doc, entry.persistedHeads);
    const now = Date.now();
    const title = entry.doc.title;
    const tags = entry.doc.tags;
    const headChanged = headBehind(entry.head, title, tags);
    const writeHead = headChanged || now - entry.headWrittenAt >= HEAD_REFRESH_MS;
    entry.head = { ...entry.head, title, tags: headChanged ? [...tags] : entry.head.tags, updatedAt: now };
    const compact = entry.logBytes + bytes.length > Math.max(MIN_COMPACTION_BYTES, entry.snapshotBytes);
    this.inTransaction(() => {
      if (compact) {
        const snapshot = A.save(entry.doc);
        this.insertChunk(key, entry.workspaceId, entry.id, entry.nextSeq, 'snapshot', snapshot);
        this.sql('DELETE FROM document_chunks WHERE document_id = ? AND seq < ?').run(entry.id, entry.nextSeq);
        entry.snapshotBytes = snapshot.length;
        entry.logBytes = 0;
        // Compaction already costs O(document); refreshing the search text rides along.
        this.writeText(entry, key, entry.nextSeq);
      } else {
        this.insertChunk(key, entry.workspaceId, entry.id, entry.nextSeq, 'changes', bytes);
        entry.logBytes += bytes.length;
      }
      if (writeHead) {
        this.sql('UPDATE documents SET sealed_head = ? WHERE id = ?').run(this.sealHead(key, entry.workspaceId, entry.id, entry.head), entry.id);
      }
    });
    entry.nextSeq += 1;
    entry.persistedHeads = A.getHeads(entry.doc);
    if (writeHead) entry.headWrittenAt = now;
    this.search.scheduleDocument(entry.id, entry.workspaceId, entry.head.title, () => ({ title: entry.head.title, body: bodyText(entry.doc), tags: entry.head.tags }));
  }

  /** Writes what the refresh interval held back — updatedAt and the search text — before lock or exit. */
  flush(): void {
    this.inTransaction(() => {
      for (const entry of this.open.values()) {
        const key = this.workspaces.keyOf(entry.workspaceId);
        if (entry.headWrittenAt < entry.head.updatedAt) {
          this.sql('UPDATE documents SET sealed_head = ? WHERE id = ?').run(this.sealHead(key, entry.workspaceId, entry.id, entry.head), entry.id);
          entry.headWrittenAt = entry.head.updatedAt;
        }
        if (entry.textSeq < entry.nextSeq - 1) {
          this.current(entry);
          this.writeText(entry, key, entry.nextSeq - 1);
        }
      }
    });
  }

  /**
   * The search text of every document: from its sealed copy where that is current, otherwise
   * (after a crash) from the document itself, refreshing the copy.
   */
  *searchTexts(): Generator<{ id: string; workspaceId: string; text: DocumentText }> {
    const rows = this.sql(
      `SELECT d.id, d.workspace_id AS workspaceId, d.sealed_text AS sealedText, d.text_seq AS textSeq,
              (SELECT max(seq) FROM document_chunks c WHERE c.document_id = d.id) AS lastSeq
         FROM documents d`,
    ).all() as Array<{ id: string; workspaceId: string; sealedText: Buffer | null; textSeq: number; lastSeq: number }>;
    for (const row of rows) {
      const open = this.open.get(row.id);
      if (!open && row.sealedText && row.textSeq === row.lastSeq) {
        const key = this.workspaces.keyOf(row.workspaceId);
        yield { id: row.id, workspaceId: row.workspaceId, text: openJson<DocumentText>(key, { kind: 'document-text', id: row.id, workspaceId: row.workspaceId }, row.sealedText) };
      } else {
        const entry = this.load(row.id);
        this.current(entry);
        if (entry.textSeq < entry.nextSeq - 1) this.writeText(entry, this.workspaces.keyOf(entry.workspaceId), entry.nextSeq - 1);
        yield { id: row.id, workspaceId: row.workspaceId, text: { title: entry.head.title, tags: entry.head.tags, body: bodyText(entry.doc) } };
      }
    }
  }

  private writeText(entry: OpenDocument, key: Uint8Array, seq: number): void {
    const text: DocumentText = { title: entry.head.title, tags: entry.head.tags, body: bodyText(entry.doc) };
    this.sql('UPDATE documents SET sealed_text = ?, text_seq = ? WHERE id = ?').run(
      sealJson(key, { kind: 'document-text', id: entry.id, workspaceId: entry.workspaceId }, text),
      seq,
      entry.id,
    );
    entry.textSeq = seq;
  }

  private insertChunk(key: Uint8Array, workspaceId: string, id: string, seq: number, kind: 'snapshot' | 'changes', bytes: Uint8Array): void {
    this.sql('INSERT INTO document_chunks (document_id, seq, kind, sealed) VALUES (?, ?, ?, ?)').run(id, seq, kind, sealBytes(key, chunkPlace(workspaceId, id, seq, kind), bytes));
  }

  private sealHead(key: Uint8Array, workspaceId: string, id: string, head: DocumentHead): Uint8Array {
    return sealJson(key, { kind: 'document-head', id, workspaceId }, head);
  }

  private notify(entry: OpenDocument, changes: Uint8Array[]): void {
    for (const listener of this.listeners) listener(entry.id, changes);
  }
}

function chunkPlace(workspaceId: string, documentId: string, seq: number, kind: string) {
  return { kind: 'document-chunk' as const, id: `${documentId}/${seq}/${kind}`, workspaceId };
}

/** Whether the document's title or tags moved on from what its sealed head says. */
function headBehind(head: DocumentHead, title: string, tags: readonly string[]): boolean {
  return title !== head.title || tags.length !== head.tags.length || tags.some((t, i) => t !== head.tags[i]);
}

function summaryOf(entry: OpenDocument): DocumentSummary {
  return { id: entry.id, workspaceId: entry.workspaceId, ...entry.head, tags: [...entry.head.tags] };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0 && t.length <= 50))];
}
