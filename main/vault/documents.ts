/**
 * Documents are Automerge documents persisted incrementally: each change is appended as one
 * sealed chunk (sealed-documents.ts), and when the appended chunks outgrow the last snapshot they
 * are compacted into a new one (compaction.ts). A keystroke writes a few hundred bytes, never the
 * whole document, and returns once the transaction holding it has committed. Whatever costs in
 * proportion to the document (applying the editor's changes to this copy, compaction, the sealed
 * search text, re-indexing) waits until typing pauses (compaction.ts, IDLE_MS), so none of it
 * runs inside a keystroke.
 *
 * Several processes may write one document at once (the app, `hearth doc edit`, a script). So
 * each write runs in one IMMEDIATE transaction that first folds in the chunks other processes
 * appended since this copy last looked, then appends at the next seq; a compaction, at a pause,
 * looks again under the lock and deletes only chunks this copy has folded in: a chunk this
 * process never read is never deleted.
 */
import * as A from '@automerge/automerge';
import { newId } from '../../common/crypto/sodium.ts';
import type { DocumentSummary } from '../../common/api/contract.ts';
import { Emitter } from '../../common/emitter.ts';
import { HearthError } from '../../common/errors.ts';
import { prefixOf } from '../../common/history/authors.ts';
import type { AuditLog } from './audit.ts';
import type { VaultConnection } from './connection.ts';
import { Compaction, scrubFile } from './compaction.ts';
import {
  applyPending,
  bodyText,
  concat,
  copyFromChunks,
  newCopy,
  normaliseTags,
  summaryOf,
  type DocumentContent,
  type DocumentCopy,
  type DocumentHead,
  type HearthDoc,
  queueExternal,
  splitChanges,
} from './document-copy.ts';
import { CommitGroup } from './commit-group.ts';
import { EXTERNAL, type ChangeOrigin, type DocumentChanged, type DocumentDeleted, type DocumentReplaced } from './events.ts';
import type { SearchIndex } from './search.ts';
import { openChunks, openHead, openText, SealedDocuments, sealHead, textOf, type DocumentText } from './sealed-documents.ts';
import { sealedStamp } from './sealed-records.ts';
import type { WorkspaceStore } from './workspaces.ts';

export { bodyText, normaliseTags, type DocumentContent, type HearthDoc } from './document-copy.ts';
export type { DocumentText } from './sealed-documents.ts';
export type { DocumentSummary };

/** How long a replaced document's previous generation stays in memory, for a page's edits already on their way. */
const PREVIOUS_KEPT_MS = 60_000;

export interface NewDocumentInput {
  title: string;
  tags?: string[];
  init?: (doc: DocumentContent) => void;
}

/** A new document's first state, made at `now`, before it is stored anywhere. */
export function newDocument(input: NewDocumentInput, now = Date.now(), actor?: string): HearthDoc {
  const doc = A.from<DocumentContent>({ title: '', body: '', tags: [], createdAt: now }, actor ? { actor } : undefined);
  return A.change(doc, { time: Math.floor(now / 1000) }, (d) => {
    A.updateText(d, ['title'], input.title.trim());
    for (const tag of normaliseTags(input.tags ?? [])) d.tags.push(tag);
    input.init?.(d);
  });
}

export class DocumentStore {
  /** After every persisted change, local or applied from elsewhere, with its origin. */
  readonly changed = new Emitter<DocumentChanged>();
  /** After a document is deleted (the sync engine carries a team workspace's deletions to the relay). */
  readonly deleted = new Emitter<DocumentDeleted>();
  /** After a document was replaced by a new generation (its history forgotten, here or by another process). */
  readonly replaced = new Emitter<DocumentReplaced>();
  private readonly open = new Map<string, DocumentCopy>();
  /** Per document replaced a moment ago, its previous generation: edits a page made on it just before can still be carried. */
  private readonly previous = new Map<string, HearthDoc>();
  /** Per document, `lastSeq:headStamp` as the last look for other processes' changes found it. */
  private scanned: Map<string, { stamp: string; workspaceId: string }> | undefined;
  /** Edits made by edit() waiting for their shared commit, with the origin each document's came from. */
  private readonly group = new CommitGroup<DocumentCopy>((entries) => this.commitEdits(entries));
  private readonly unsavedOrigin = new Map<DocumentCopy, ChangeOrigin>();
  private readonly sealed: SealedDocuments;
  private readonly compaction: Compaction;

  constructor(
    private readonly connection: VaultConnection,
    private readonly workspaces: WorkspaceStore,
    private readonly search: SearchIndex,
    private readonly audit: AuditLog,
    /** A fresh actor id for a replica this vault's account edits (common/history/authors.ts). */
    readonly newActor: () => string,
  ) {
    this.sealed = new SealedDocuments(connection);
    this.compaction = new Compaction(this.sealed, workspaces, {
      current: (entry) => this.current(entry),
      write: (entry, fn) => this.write(entry, fn),
      isOpen: (entry) => this.open.get(entry.id) === entry,
    });
  }

  /** The prefix every actor this vault's account edits under starts with (a hash: worked out once, not per keystroke). */
  private get ownActorPrefix(): string {
    return (this.actorPrefixOnce ??= prefixOf(this.newActor()));
  }
  private actorPrefixOnce: string | undefined;

  create(workspaceIdOrName: string, input: NewDocumentInput): DocumentSummary {
    return this.createWithId(workspaceIdOrName, newId(), input);
  }

  /** create() with a chosen id, for imports that must map the same source to the same document. */
  createWithId(workspaceIdOrName: string, id: string, input: NewDocumentInput): DocumentSummary {
    const workspaceId = this.workspaces.find(workspaceIdOrName).workspace.id;
    const now = Date.now();
    const doc = newDocument(input, now, this.newActor());
    const entry = this.insertNew(workspaceId, id, doc, { createdAt: now, updatedAt: now });
    this.notify(entry, A.getAllChanges(doc));
    return summaryOf(entry);
  }

  /** Writes a new document's row and first snapshot, and opens it. */
  private insertNew(
    workspaceId: string,
    id: string,
    doc: HearthDoc,
    times: { createdAt: number; updatedAt: number },
    saved?: Uint8Array,
    generation = 0,
  ): DocumentCopy {
    const head: DocumentHead = { title: doc.title ?? '', tags: [...(doc.tags ?? [])], ...times };
    const key = this.workspaces.keyOf(workspaceId);
    const snapshot = saved ?? A.save(doc);
    const sealedHead = sealHead(key, workspaceId, id, head);
    const entry = newCopy({ id, workspaceId }, doc, { head, headStamp: sealedStamp(sealedHead), snapshotBytes: snapshot.length, generation });
    this.connection.write(() => {
      this.sealed.insert(entry, key, sealedHead, snapshot);
      entry.checkedAt = this.connection.generation;
    });
    this.open.set(id, entry);
    this.search.indexDocument(id, workspaceId, () => ({ title: head.title, body: bodyText(doc), tags: head.tags }));
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
    // Decided under the write lock: another process may be importing the same export.
    return this.connection.write(() => {
      if (this.has(id)) {
        this.applyChanges(id, A.getAllChanges(incoming));
        return 'merged';
      }
      this.insertNew(workspaceId, id, incoming, times);
      return 'created';
    });
  }

  /** Lists a workspace's documents from their sealed heads, without loading any document. */
  list(workspaceIdOrName: string): DocumentSummary[] {
    const workspaceId = this.workspaces.find(workspaceIdOrName).workspace.id;
    const key = this.workspaces.keyOf(workspaceId);
    const generation = this.connection.observe();
    return this.sealed
      .heads(workspaceId)
      .map((row) => {
        const entry = this.open.get(row.id);
        if (entry && entry.checkedAt !== generation) this.catchUp(entry);
        const head = this.open.get(row.id)?.head ?? openHead(key, { id: row.id, workspaceId }, row.sealed_head);
        return { id: row.id, workspaceId, ...head, tags: [...head.tags] };
      })
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /**
   * A document that arrived whole from a peer (its snapshot, or its changes from the start) and
   * is new here: stored as it is, without another save/load round. `saved` is `A.save(doc)` when
   * the caller already has it (a snapshot's bytes).
   */
  adoptLoaded(workspaceId: string, id: string, doc: HearthDoc, times: { createdAt: number; updatedAt: number }, saved?: Uint8Array, generation = 0): void {
    if (this.has(id)) throw new HearthError('ALREADY_EXISTS', `The document ${id} is already here; merge changes into it instead.`);
    this.insertNew(workspaceId, id, doc, times, saved, generation);
  }

  /**
   * Replaces a document by generation `generation` of it (`doc`, which holds its state and not
   * the history before): every chunk of the old one is deleted (secure_delete zeroes the pages)
   * and `doc` is written as the only snapshot, with `alongside`'s writes in the same transaction.
   * The caller runs scrub() afterwards, which takes the old pages' last copies out of the WAL.
   */
  replaceGeneration(id: string, doc: HearthDoc, generation: number, alongside?: () => void): void {
    const entry = this.cached(id);
    const old = this.current(entry);
    const key = this.workspaces.keyOf(entry.workspaceId);
    this.write(entry, () => {
      const stored = this.generationOf(id);
      if (generation <= stored) throw new HearthError('CONFLICT', `This document is already at generation ${stored}; it was not replaced by ${generation}.`);
      const snapshot = A.save(doc);
      const seq = entry.lastSeq + 1;
      this.sealed.replaceLog(entry, key, seq, snapshot, generation);
      Object.assign(entry, {
        doc,
        generation,
        lastSeq: seq,
        persistedHeads: A.getHeads(doc),
        snapshotBytes: snapshot.length,
        logBytes: 0,
        pending: [],
        externalFrom: undefined,
      });
      entry.head = { ...entry.head, title: doc.title ?? '', tags: [...(doc.tags ?? [])], updatedAt: Date.now() };
      this.sealed.writeHead(entry, key);
      this.sealed.writeText(entry, key, seq, textOf(entry));
      alongside?.();
    });
    this.scheduleIndex(entry);
    this.keepPrevious(id, old);
    this.replaced.emit({ documentId: id, workspaceId: entry.workspaceId, generation, origin: this.connection.origin });
  }

  /** The generation a document had until it was replaced a moment ago (main/vault/generations.ts carryLateEdits). */
  previousGeneration(id: string): HearthDoc | undefined {
    return this.previous.get(id);
  }

  /** Keeps `doc` as the document's previous generation for PREVIOUS_KEPT_MS. */
  keepPrevious(id: string, doc: HearthDoc): void {
    this.previous.set(id, doc);
    setTimeout(() => this.previous.get(id) === doc && this.previous.delete(id), PREVIOUS_KEPT_MS).unref?.();
  }

  /** Takes the last copies of deleted rows out of the vault file, after a replacement or a deletion committed (compaction.ts, scrubFile). */
  scrub(): void {
    scrubFile(this.connection.db);
  }

  /**
   * Moves a document an import staged into the workspace it belongs in: each stored record is
   * opened with the old workspace's key and sealed again with the new one's, since the associated
   * data names the workspace. Its comments move with CommentStore.reseal.
   */
  rehome(id: string, toWorkspaceId: string): void {
    this.group.commit();
    const stored = this.sealed.records(id);
    if (!stored) throw new HearthError('NOT_FOUND', `No document ${id}.`);
    if (stored.workspaceId === toWorkspaceId) return;
    this.sealed.reseal(id, stored, this.workspaces.keyOf(stored.workspaceId), toWorkspaceId, this.workspaces.keyOf(toWorkspaceId));
    this.forgetDocuments([id]);
    this.search.removeDocument(id);
    const entry = this.load(id);
    this.search.indexDocument(id, toWorkspaceId, () => ({ title: entry.head.title, body: bodyText(this.current(entry)), tags: entry.head.tags }));
  }

  /** Tells listeners that documents stored without an event (an import's, once it commits) are here now, as `origin`'s. */
  announce(ids: Iterable<string>, origin: ChangeOrigin): void {
    for (const id of ids) this.changed.emit({ documentId: id, workspaceId: this.workspaceOf(id), changes: [], origin });
  }

  /** Drops loaded copies (after a transaction that changed them was rolled back); the next read loads them again. */
  forgetDocuments(ids: Iterable<string>): void {
    for (const id of ids) {
      const entry = this.open.get(id);
      if (!entry) continue;
      clearTimeout(entry.idleTimer);
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

  /** How many times the document's history was forgotten: 0 while it has all of it. */
  generationOf(id: string): number {
    const generation = this.sealed.generationOf(id);
    if (generation === undefined) throw notFound(id);
    return generation;
  }

  has(id: string): boolean {
    return this.sealed.has(id);
  }

  /** Ids and workspaces of every document, for building the search index after unlock. */
  allIds(): Array<{ id: string; workspaceId: string }> {
    return this.sealed.allIds();
  }

  summary(id: string): DocumentSummary {
    return summaryOf(this.load(id));
  }

  get(id: string): HearthDoc {
    return this.current(this.load(id));
  }

  workspaceOf(id: string): string {
    return this.open.get(id)?.workspaceId ?? this.load(id).workspaceId;
  }

  /** The whole document as Automerge bytes (for export and for a renderer's replica). */
  save(id: string): Uint8Array {
    return A.save(this.current(this.load(id)));
  }

  /**
   * Makes a local change and persists it before returning. `fn` sees the document as of just
   * before the write: what another process writes meanwhile merges with it as a concurrent edit.
   */
  change(id: string, fn: (doc: DocumentContent) => void): HearthDoc {
    const entry = this.readyToEdit(id);
    let change: Uint8Array | undefined;
    const next = this.write(entry, () => {
      const before = entry.doc;
      const after = A.change(before, { time: Math.floor(Date.now() / 1000) }, fn);
      if (after === before) return after;
      entry.doc = after;
      // One local change since the last persist: its bytes are exactly what must be appended.
      change = A.getLastLocalChange(after)!;
      this.persist(entry, change);
      return after;
    });
    if (change) {
      this.compaction.afterWrite(entry);
      this.notify(entry, [change]);
    }
    return next;
  }

  /**
   * Makes a local change now (reads see it at once) and persists it with the other edits of this
   * moment in one commit (see CommitGroup): the promise settles once that commit has, and rejects
   * when it failed (the document was erased or deleted by another process, the disk is full), the
   * edit then dropped with this copy as change() drops it. For edits made back to back (a replayed
   * trace, a script), where change()'s commit per edit would cost more than the edit itself.
   */
  edit(id: string, fn: (doc: DocumentContent) => void): Promise<void> {
    const origin = this.connection.origin;
    const open = this.open.get(id);
    // One announcement per document and commit: edits from elsewhere wait for the next one.
    if (open && this.group.has(open) && this.unsavedOrigin.get(open) !== origin) this.group.commit();
    const entry = this.readyToEdit(id);
    const before = entry.doc;
    const after = A.change(before, { time: Math.floor(Date.now() / 1000) }, fn);
    if (after === before) return Promise.resolve();
    entry.doc = after;
    this.unsavedOrigin.set(entry, origin);
    return this.group.join(entry);
  }

  /** The open copy with everything persisted applied, editing under this account's actor. */
  private readyToEdit(id: string): DocumentCopy {
    const entry = this.cached(id);
    // Applying costs O(document): done before taking the write lock, not while holding it.
    this.current(entry);
    // A copy that came whole from elsewhere (an import, a peer) edits under this account's actor from now on.
    if (prefixOf(A.getActorId(entry.doc)) !== this.ownActorPrefix) entry.doc = A.clone(entry.doc, { actor: this.newActor() });
    return entry;
  }

  /** Persists, in one transaction, what edit() made in each copy since its persisted heads. */
  private commitEdits(entries: DocumentCopy[]): Map<DocumentCopy, unknown> {
    const failed = new Map<DocumentCopy, unknown>();
    /** Per copy, the run of changes its chunk holds. */
    const written = new Map<DocumentCopy, Uint8Array>();
    try {
      this.connection.write(() => {
        for (const entry of entries) {
          if (entry.checkedAt !== this.connection.generation && !this.catchUp(entry)) {
            failed.set(entry, this.goneOrReplaced(entry));
            continue;
          }
          // The edits' changes, one after another: one sealed chunk for all of them.
          const bytes = A.saveSince(entry.doc, entry.persistedHeads);
          this.persist(entry, bytes);
          written.set(entry, bytes);
        }
      });
    } catch (error) {
      for (const entry of entries) failed.set(entry, error);
      written.clear();
    }
    for (const entry of entries) {
      const origin = this.unsavedOrigin.get(entry)!;
      this.unsavedOrigin.delete(entry);
      if (failed.has(entry)) this.evict(entry);
      else this.compaction.afterWrite(entry);
      const bytes = written.get(entry);
      if (bytes) this.notify(entry, splitChanges(bytes), origin);
    }
    return failed;
  }

  /** Applies changes made elsewhere (the editor's replica, a peer) and persists them. */
  applyChanges(id: string, changes: Uint8Array[]): HearthDoc {
    const entry = this.cached(id);
    this.current(entry);
    let persisted = false;
    const next = this.write(entry, () => {
      const before = entry.doc;
      let after: HearthDoc;
      try {
        [after] = A.applyChanges(before, changes);
      } catch (cause) {
        throw new HearthError('BAD_REQUEST', 'Those document changes are malformed and were not applied.', { cause });
      }
      entry.doc = after;
      if (A.getHeads(after).join() === entry.persistedHeads.join()) return after;
      this.persist(entry);
      persisted = true;
      return after;
    });
    if (persisted) {
      this.compaction.afterWrite(entry);
      this.notify(entry, changes);
    }
    return next;
  }

  /**
   * The editor's fast path: persists changes made in its replica at once (each checked to be a
   * well-formed Automerge change) and applies them to this copy later (compaction.ts, IDLE_MS).
   */
  appendChanges(id: string, changes: Uint8Array[]): void {
    const entry = this.cached(id);
    for (const change of changes) {
      try {
        A.decodeChange(change);
      } catch (cause) {
        throw new HearthError('BAD_REQUEST', 'Those document changes are malformed and were not saved.', { cause });
      }
    }
    const bytes = concat(changes);
    this.write(entry, () => this.sealed.appendUnapplied(entry, this.workspaces.keyOf(entry.workspaceId), bytes, changes));
    this.compaction.afterWrite(entry);
    this.notify(entry, changes);
  }

  /** The document with every persisted change applied; what other processes added is announced now. */
  private current(entry: DocumentCopy): HearthDoc {
    if (entry.pending.length === 0) return entry.doc;
    // Folding chunks in moves the persisted heads: edits not yet committed are committed first.
    if (this.group.has(entry)) this.group.commit();
    const external = applyPending(entry);
    this.scheduleIndex(entry);
    if (external) this.changed.emit({ documentId: entry.id, workspaceId: entry.workspaceId, changes: external, origin: EXTERNAL });
    return entry.doc;
  }

  /** Changes the document has that a replica at `heads` lacks. */
  changesSince(id: string, heads: A.Heads): Uint8Array[] {
    const doc = this.get(id);
    return A.getChanges(A.view(doc, heads), doc);
  }

  delete(id: string): void {
    this.group.commit();
    const workspaceId = this.sealed.workspaceOf(id);
    if (workspaceId === undefined) throw notFound(id);
    this.connection.write(() => {
      // Another process may have deleted it since: then there is nothing left to delete or audit.
      if (!this.sealed.remove(id)) throw notFound(id);
      this.audit.record('document.deleted', id);
    });
    const entry = this.open.get(id);
    if (entry) this.evict(entry);
    this.scanned?.delete(id);
    this.search.removeDocument(id);
    this.connection.db.pragma('wal_checkpoint(TRUNCATE)');
    this.deleted.emit({ documentId: id, workspaceId, origin: this.connection.origin });
  }

  /** Drops every loaded document (on lock). */
  forget(): void {
    this.group.commit();
    for (const entry of this.open.values()) clearTimeout(entry.idleTimer);
    this.open.clear();
    this.scanned = undefined;
  }

  forgetWorkspace(workspaceId: string): void {
    this.group.commit();
    for (const entry of [...this.open.values()]) if (entry.workspaceId === workspaceId) this.evict(entry);
    for (const [id, known] of this.scanned ?? []) if (known.workspaceId === workspaceId) this.scanned!.delete(id);
  }

  /**
   * Looks for what other processes changed since the last look and tells listeners (origin
   * 'external'): open copies fold the new chunks in, so pages get the change bytes; documents
   * not open here are announced without bytes. The first look only notes what is there.
   */
  noticeExternalChanges(): void {
    const rows = this.sealed.stamps();
    const previous = this.scanned;
    this.scanned = new Map(rows.map((row) => [row.id, { stamp: `${row.lastSeq}:${row.headStamp}`, workspaceId: row.workspaceId }]));
    if (!previous) return;
    for (const row of rows) {
      const stamp = this.scanned.get(row.id)!.stamp;
      const entry = this.open.get(row.id);
      if (entry) {
        if (`${entry.lastSeq}:${entry.headStamp}` !== stamp) {
          entry.checkedAt = -1;
          if (!this.catchUp(entry)) continue;
        }
        // What other processes wrote is applied now, off the write path, so the pages hear it.
        if (entry.externalFrom) this.current(entry);
      } else if (previous.get(row.id)?.stamp !== stamp) {
        // (A search flushes what is scheduled first, so the title shows by then.)
        this.search.scheduleDocument(row.id, row.workspaceId, '', () => {
          const loaded = this.load(row.id);
          this.current(loaded);
          return { title: loaded.head.title, body: bodyText(loaded.doc), tags: loaded.head.tags };
        });
        this.changed.emit({ documentId: row.id, workspaceId: row.workspaceId, changes: [], origin: EXTERNAL });
      }
    }
    const gone = new Map([...previous].map(([id, known]) => [id, known.workspaceId]));
    for (const entry of this.open.values()) gone.set(entry.id, entry.workspaceId);
    for (const [id, workspaceId] of gone) {
      if (this.scanned.has(id)) continue;
      const entry = this.open.get(id);
      if (entry) this.evict(entry);
      this.search.removeDocument(id);
      this.deleted.emit({ documentId: id, workspaceId, origin: EXTERNAL });
    }
  }

  /** The open copy, loading it when it is not open yet (without a look for other processes' changes: writes look inside their transaction). */
  private cached(id: string): DocumentCopy {
    return this.open.get(id) ?? this.load(id);
  }

  /** The open copy, loaded or brought up to date with what other processes wrote. */
  private load(id: string): DocumentCopy {
    const generation = this.connection.observe();
    const cached = this.open.get(id);
    // Gone (deleted), or replaced by a new generation by another process: read again from the file.
    if (cached && (cached.checkedAt === generation || this.catchUp(cached))) return cached;
    const { row, chunks } = this.sealed.read(id);
    if (!row) throw notFound(id);
    const { workspaceId } = row;
    const key = this.workspaces.keyOf(workspaceId);
    const head = openHead(key, { id, workspaceId }, row.sealedHead);
    const entry = copyFromChunks(
      { id, workspaceId },
      { head, headStamp: sealedStamp(row.sealedHead), textSeq: row.textSeq, generation: row.generation },
      openChunks(key, workspaceId, id, chunks),
      generation,
      this.newActor(),
    );
    this.open.set(id, entry);
    return entry;
  }

  /**
   * Queues the chunks other processes appended since this copy last looked (applied on the next
   * read, never under the write lock) and takes their head. False when this copy is no more: the
   * document is gone (another process deleted it) or was replaced by a new generation.
   */
  private catchUp(entry: DocumentCopy): boolean {
    entry.checkedAt = this.connection.generation;
    const { stored, chunks } = this.sealed.readSince(entry.id, entry.lastSeq);
    if (!stored || stored.generation !== entry.generation) {
      this.evict(entry);
      // Its old generation's changes must never be merged into the new one: this copy is dropped whole.
      if (stored) this.replaced.emit({ documentId: entry.id, workspaceId: entry.workspaceId, generation: stored.generation, origin: EXTERNAL });
      return false;
    }
    const headStamp = sealedStamp(stored.sealedHead);
    if (chunks.length === 0 && headStamp === entry.headStamp) return true;
    const key = this.workspaces.keyOf(entry.workspaceId);
    const head = openHead(key, entry, stored.sealedHead);
    queueExternal(entry, openChunks(key, entry.workspaceId, entry.id, chunks), { head, headStamp });
    // New chunks are announced with their changes once applied; a head alone (a title, a time) now.
    if (chunks.length === 0) this.changed.emit({ documentId: entry.id, workspaceId: entry.workspaceId, changes: [], origin: EXTERNAL });
    return true;
  }

  /**
   * Runs one write to an open document: in one IMMEDIATE transaction, after folding in what other
   * processes wrote. If it fails, the copy here may be ahead of the file, so it is dropped and
   * read again on next use.
   */
  private write<T>(entry: DocumentCopy, fn: () => T): T {
    // Edits waiting for their group's commit come first: this write's chunk follows theirs.
    this.group.commit();
    try {
      return this.connection.write(() => {
        if (entry.checkedAt !== this.connection.generation && !this.catchUp(entry)) throw this.goneOrReplaced(entry);
        return fn();
      });
    } catch (error) {
      this.evict(entry);
      throw error;
    }
  }

  /** Why a write to a copy that is no more (see catchUp) cannot land. */
  private goneOrReplaced(entry: DocumentCopy): HearthError {
    return this.has(entry.id)
      ? new HearthError(
          'STALE_GENERATION',
          'The edit history of this document was just erased in another window or by another process; reopen it and make this edit again.',
        )
      : notFound(entry.id);
  }

  private evict(entry: DocumentCopy): void {
    clearTimeout(entry.idleTimer);
    if (this.open.get(entry.id) === entry) this.open.delete(entry.id);
  }

  /**
   * Appends what `entry.doc` has beyond its persisted heads (or `change`), under the caller's write
   * lock. A compaction, if one comes due, is the caller's to arrange once the write has committed (Compaction.afterWrite).
   */
  private persist(entry: DocumentCopy, change?: Uint8Array): void {
    this.sealed.append(entry, this.workspaces.keyOf(entry.workspaceId), change ?? A.saveSince(entry.doc, entry.persistedHeads));
    this.scheduleIndex(entry);
  }

  /**
   * Writes what waited for a pause — a due compaction, updatedAt and the search text — before
   * lock, exit or a backup.
   */
  flush(): void {
    this.group.commit();
    for (const entry of [...this.open.values()]) {
      try {
        this.compaction.maintain(entry);
      } catch (error) {
        // Deleted by another process meanwhile: nothing of it to write.
        if (!(error instanceof HearthError && error.code === 'NOT_FOUND')) throw error;
      }
    }
    const behind = [...this.open.values()].filter((entry) => entry.headWrittenAt < entry.head.updatedAt || entry.textSeq < entry.lastSeq);
    if (behind.length === 0) return;
    // The costly part (applying, extracting the text) before taking the write lock.
    const texts = behind.map((entry) => {
      this.current(entry);
      return { entry, seq: entry.lastSeq, text: textOf(entry) };
    });
    this.connection.write(() => {
      for (const { entry, seq, text } of texts) {
        // Gone meanwhile (another process deleted it): nothing to write.
        if (entry.checkedAt !== this.connection.generation && !this.catchUp(entry)) continue;
        const key = this.workspaces.keyOf(entry.workspaceId);
        if (entry.headWrittenAt < entry.head.updatedAt) this.sealed.writeHead(entry, key);
        // The text reflects the chunks up to `seq`; any written since leave it marked stale.
        if (entry.textSeq < seq) this.sealed.writeText(entry, key, seq, text);
      }
    });
  }

  /**
   * The search text of every document: from its sealed copy where that is current, otherwise
   * (after a crash) from the document itself, refreshing the copy.
   */
  *searchTexts(): Generator<{ id: string; workspaceId: string; text: DocumentText }> {
    for (const row of this.sealed.texts()) {
      const open = this.open.get(row.id);
      if (!open && row.sealedText && row.textSeq === row.lastSeq) {
        const key = this.workspaces.keyOf(row.workspaceId);
        yield { id: row.id, workspaceId: row.workspaceId, text: openText(key, row, row.sealedText) };
        continue;
      }
      let entry: DocumentCopy;
      try {
        entry = this.load(row.id);
      } catch (error) {
        if (error instanceof HearthError && error.code === 'NOT_FOUND') continue; // deleted by another process meanwhile
        throw error;
      }
      this.current(entry);
      const text = textOf(entry);
      const seq = entry.lastSeq;
      if (entry.textSeq < seq) this.write(entry, () => this.sealed.writeText(entry, this.workspaces.keyOf(entry.workspaceId), seq, text));
      yield { id: row.id, workspaceId: row.workspaceId, text };
    }
  }

  /** Re-indexes the copy for search once it has been quiet for a moment. */
  private scheduleIndex(entry: DocumentCopy): void {
    this.search.scheduleDocument(entry.id, entry.workspaceId, entry.head.title, () => ({
      title: entry.head.title,
      body: bodyText(entry.doc),
      tags: entry.head.tags,
    }));
  }

  private notify(entry: DocumentCopy, changes: Uint8Array[], origin = this.connection.origin): void {
    this.changed.emit({ documentId: entry.id, workspaceId: entry.workspaceId, changes, origin });
  }
}

function notFound(id: string): HearthError {
  return new HearthError('NOT_FOUND', `No document ${id} (it may have been deleted). \`hearth doc list --workspace W\` shows the documents.`);
}
