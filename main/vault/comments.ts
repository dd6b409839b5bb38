/**
 * Comments: threads on a document, optionally anchored to a range of its text. The anchor is a
 * pair of Automerge cursors, so it follows the text as people edit around it.
 */
import * as A from '@automerge/automerge';
import { newId } from '../../common/crypto/sodium.ts';
import type { CommentThread } from '../../common/api/contract.ts';
import { Emitter } from '../../common/emitter.ts';
import { HearthError } from '../../common/errors.ts';
import type { AuditLog } from './audit.ts';
import type { VaultConnection } from './connection.ts';
import type { Sql } from './database.ts';
import type { DocumentStore } from './documents.ts';
import { EXTERNAL, type CommentChanged } from './events.ts';
import type { SearchIndex } from './search.ts';
import { openJson, sealedStamp, sealJson, sqlStamp } from './sealed-records.ts';
import type { WorkspaceStore } from './workspaces.ts';

export interface CommentRecord {
  id: string;
  documentId: string;
  /** The id of the thread's first comment; equal to id for that first comment. */
  threadId: string;
  author: string;
  text: string;
  anchor?: { start: A.Cursor; end: A.Cursor; quote: string };
  resolved: boolean;
  createdAt: number;
  updatedAt: number;
}

export type { CommentThread };

const MAX_COMMENT_CHARS = 10_000;
/** How many opened comments the vault keeps, so a row read again unchanged is not decrypted again. */
const OPENED_KEPT = 20_000;

/** A comment as this process last sealed or opened it: the exact sealed bytes and what they hold. */
interface Opened {
  sealed: Buffer;
  workspaceId: string;
  documentId: string;
  record: CommentRecord;
}

export class CommentStore {
  /** After a comment is added, resolved or deleted here, or found changed by another process (not for adopt/replace: sync's and import's own). */
  readonly changed = new Emitter<CommentChanged>();
  private readonly sql: Sql;
  /** Which sealed version of each comment this process last wrote or saw (see noticeExternalChanges). */
  private stamps: Map<string, { stamp: string; documentId: string; workspaceId: string }> | undefined;
  /**
   * Comments already opened, by id. A row is still read from SQLite every time (so what another
   * process changed or deleted is seen); only when its sealed bytes are exactly the ones opened
   * before is the authenticated decryption skipped, as it would give the same record again.
   */
  private readonly opened = new Map<string, Opened>();

  constructor(
    private readonly connection: VaultConnection,
    private readonly workspaces: WorkspaceStore,
    private readonly documents: DocumentStore,
    private readonly search: SearchIndex,
    private readonly audit: AuditLog,
    private readonly author: () => string,
  ) {
    this.sql = connection.sql;
  }

  add(documentId: string, input: { text: string; anchor?: { from: number; to: number }; replyTo?: string }): CommentRecord {
    const text = input.text.trim();
    if (text.length === 0 || text.length > MAX_COMMENT_CHARS) throw new HearthError('BAD_REQUEST', `A comment is 1–${MAX_COMMENT_CHARS} characters.`);
    const workspaceId = this.documents.workspaceOf(documentId);
    const id = newId();
    const now = Date.now();
    let threadId = id;
    if (input.replyTo) {
      const parent = this.read(input.replyTo);
      if (parent.documentId !== documentId) throw new HearthError('BAD_REQUEST', 'A reply must be on the same document as its thread.');
      threadId = parent.threadId;
    }
    let anchor: CommentRecord['anchor'];
    if (input.anchor && !input.replyTo) {
      // Only an anchor needs the text; a plain comment must not wait for the editor's pending changes to apply.
      const doc = this.documents.get(documentId);
      const length = A.spans(doc, ['body']).reduce((n, s) => n + (s.type === 'text' ? s.value.length : 1), 0);
      const { from, to } = input.anchor;
      if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= length)) {
        throw new HearthError('BAD_REQUEST', `The comment's anchor ${from}–${to} is outside the document (0–${length}).`);
      }
      anchor = {
        start: A.getCursor(doc, ['body'], from),
        end: A.getCursor(doc, ['body'], to - 1),
        quote: doc.body.slice(from, to),
      };
    }
    const record: CommentRecord = {
      id,
      documentId,
      threadId,
      author: this.author(),
      text,
      ...(anchor ? { anchor } : {}),
      resolved: false,
      createdAt: now,
      updatedAt: now,
    };
    this.store(workspaceId, record, 'INSERT INTO comments (sealed, id, document_id) VALUES (?, ?, ?)');
    this.search.indexComment(id, documentId, workspaceId, text);
    this.notify(record, workspaceId, false);
    return record;
  }

  private notify(record: { id: string; documentId: string }, workspaceId: string, deleted: boolean): void {
    this.changed.emit({ commentId: record.id, documentId: record.documentId, workspaceId, deleted, origin: this.connection.origin });
  }

  /** Seals and writes `record` with `statement` (an insert or an update: sealed, id, document_id). */
  private store(workspaceId: string, record: CommentRecord, statement: string): number {
    const sealed = this.seal(workspaceId, record);
    const { changes } = this.connection.writeOne(() => this.sql(statement).run(sealed, record.id, record.documentId));
    if (changes > 0) {
      this.stamps?.set(record.id, { stamp: sealedStamp(sealed), documentId: record.documentId, workspaceId });
      this.keepOpened(record.id, { sealed: Buffer.from(sealed), workspaceId, documentId: record.documentId, record: { ...record } });
    }
    return changes;
  }

  /**
   * Stores a newer version of a comment received from a peer (e.g. its thread was resolved there).
   * Sync's own bookkeeping: no event, so it is not taken for a local change and sent back.
   */
  replace(record: CommentRecord): void {
    const workspaceId = this.documents.workspaceOf(record.documentId);
    this.store(workspaceId, record, 'UPDATE comments SET sealed = ? WHERE id = ? AND document_id = ?');
  }

  /** Threads of a document, oldest first, each with its comments in order. */
  list(documentId: string): CommentThread[] {
    const records = this.records(documentId);
    const doc = this.documents.get(documentId);
    const firsts = records.filter((r) => r.threadId === r.id);
    const threads = new Map<string, CommentThread>();
    for (const record of firsts) {
      threads.set(record.id, { id: record.id, documentId, resolved: record.resolved, anchor: anchorNow(doc, record), comments: [] });
    }
    // A thread's first comment leads even when a peer's clock put a reply before it.
    for (const record of [...firsts, ...records.filter((r) => r.threadId !== r.id)]) {
      threads.get(record.threadId)?.comments.push({ id: record.id, author: record.author, text: record.text, createdAt: record.createdAt });
    }
    return [...threads.values()];
  }

  /** Every comment record of a document, decrypted (for search indexing and export). */
  records(documentId: string): CommentRecord[] {
    const workspaceId = this.documents.workspaceOf(documentId);
    // Rows come back in the order they were stored here, which breaks ties between comments written
    // in the same millisecond (a random id would put a reply before its thread half of the time).
    const rows = this.sql('SELECT id, sealed FROM comments WHERE document_id = ? ORDER BY rowid').all(documentId) as Array<{ id: string; sealed: Buffer }>;
    return rows.map((row) => this.open(workspaceId, documentId, row.id, row.sealed)).sort((a, b) => a.createdAt - b.createdAt);
  }

  has(id: string): boolean {
    return this.sql('SELECT 1 FROM comments WHERE id = ?').get(id) !== undefined;
  }

  /** Brings in a comment from an export or a peer under its own id; false when it is already here. No event (as replace()). */
  adopt(record: CommentRecord): boolean {
    if (this.sql('SELECT 1 FROM comments WHERE id = ?').get(record.id)) return false;
    const workspaceId = this.documents.workspaceOf(record.documentId);
    // OR IGNORE: another process may adopt the same comment (the same import) at the same moment.
    if (this.store(workspaceId, record, 'INSERT OR IGNORE INTO comments (sealed, id, document_id) VALUES (?, ?, ?)') === 0) return false;
    this.search.indexComment(record.id, record.documentId, workspaceId, record.text);
    return true;
  }

  /**
   * Moves the comments an import staged on one document to where they belong (the same document
   * in another workspace, or the document it merged into): each is sealed again for its new place.
   */
  reseal(from: { documentId: string; workspaceId: string }, to: { documentId: string; workspaceId: string }): void {
    const rows = this.sql('SELECT id, sealed FROM comments WHERE document_id = ? ORDER BY rowid').all(from.documentId) as Array<{ id: string; sealed: Buffer }>;
    for (const row of rows) {
      const record = { ...this.open(from.workspaceId, from.documentId, row.id, row.sealed), documentId: to.documentId };
      this.sql('UPDATE comments SET document_id = ?, sealed = ? WHERE id = ?').run(to.documentId, this.seal(to.workspaceId, record), row.id);
      this.search.removeComment(row.id);
      this.search.indexComment(row.id, to.documentId, to.workspaceId, record.text);
    }
  }

  /** Every comment in the vault with its workspace, for building the search index. */
  allRecords(): Array<CommentRecord & { workspaceId: string }> {
    const rows = this.sql(
      'SELECT c.id, c.document_id AS documentId, d.workspace_id AS workspaceId, c.sealed FROM comments c JOIN documents d ON d.id = c.document_id',
    ).all() as Array<{
      id: string;
      documentId: string;
      workspaceId: string;
      sealed: Buffer;
    }>;
    return rows.map((row) => ({ ...this.open(row.workspaceId, row.documentId, row.id, row.sealed), workspaceId: row.workspaceId }));
  }

  get(id: string): CommentRecord {
    return this.read(id);
  }

  resolve(threadId: string, resolved = true): void {
    // Read under the write lock, so a change another process just made to it is not written over.
    const { record, workspaceId } = this.connection.write(() => {
      const record = this.read(threadId);
      if (record.threadId !== record.id) throw new HearthError('BAD_REQUEST', 'Resolve the thread through its first comment.');
      const workspaceId = this.documents.workspaceOf(record.documentId);
      this.store(workspaceId, { ...record, resolved, updatedAt: Date.now() }, 'UPDATE comments SET sealed = ? WHERE id = ? AND document_id = ?');
      return { record, workspaceId };
    });
    this.notify(record, workspaceId, false);
  }

  /** Deletes a comment; deleting a thread's first comment deletes the whole thread. */
  delete(commentId: string): void {
    const { record, doomed } = this.connection.write(() => {
      const record = this.read(commentId);
      const doomed = record.threadId === record.id ? this.records(record.documentId).filter((r) => r.threadId === record.id) : [record];
      for (const r of doomed) this.sql('DELETE FROM comments WHERE id = ?').run(r.id);
      this.audit.record('comment.deleted', commentId);
      return { record, doomed };
    });
    const workspaceId = this.documents.workspaceOf(record.documentId);
    for (const r of doomed) {
      this.stamps?.delete(r.id);
      this.opened.delete(r.id);
      this.search.removeComment(r.id);
    }
    // Inside a caller's transaction (sync taking in a peer's deletion) the WAL cannot be flushed yet: the caller scrubs once it committed.
    if (!this.connection.db.inTransaction) this.scrub();
    for (const r of doomed) this.notify(r, workspaceId, true);
  }

  /** Flushes the WAL into the file, so deleted comments' sealed bytes are gone from it (secure_delete zeroed their pages). */
  scrub(): void {
    this.connection.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Looks for comments other processes added, changed or deleted since the last look: updates
   * the search index and tells listeners (origin 'external'). The first look only notes what is there.
   */
  noticeExternalChanges(): void {
    const rows = this.sql(
      `SELECT c.id, c.document_id AS documentId, d.workspace_id AS workspaceId, ${sqlStamp('c.sealed')} AS stamp
         FROM comments c JOIN documents d ON d.id = c.document_id`,
    ).all() as Array<{ id: string; documentId: string; workspaceId: string; stamp: string }>;
    const previous = this.stamps;
    this.stamps = new Map(rows.map((row) => [row.id, row]));
    if (!previous) return;
    for (const row of rows) {
      if (previous.get(row.id)?.stamp === row.stamp) continue;
      // Decrypted only for the index: until it is built, there is nothing to update (search.ts).
      if (this.search.built) {
        const record = this.read(row.id);
        this.search.indexComment(record.id, record.documentId, row.workspaceId, record.text);
      }
      this.changed.emit({ commentId: row.id, documentId: row.documentId, workspaceId: row.workspaceId, deleted: false, origin: EXTERNAL });
    }
    for (const [id, known] of previous) {
      if (this.stamps.has(id)) continue;
      this.search.removeComment(id);
      this.changed.emit({ commentId: id, documentId: known.documentId, workspaceId: known.workspaceId, deleted: true, origin: EXTERNAL });
    }
  }

  /** Forgets what the last look saw (on lock). */
  forget(): void {
    this.stamps = undefined;
    this.opened.clear();
  }

  private read(id: string): CommentRecord {
    const row = this.sql('SELECT document_id AS documentId, sealed FROM comments WHERE id = ?').get(id) as { documentId: string; sealed: Buffer } | undefined;
    if (!row) throw new HearthError('NOT_FOUND', `No comment ${id}.`);
    return this.open(this.documents.workspaceOf(row.documentId), row.documentId, id, row.sealed);
  }

  private seal(workspaceId: string, record: CommentRecord): Uint8Array {
    return sealJson(this.workspaces.keyOf(workspaceId), { kind: 'comment', id: `${record.documentId}/${record.id}`, workspaceId }, record);
  }

  private open(workspaceId: string, documentId: string, id: string, sealed: Buffer): CommentRecord {
    const known = this.opened.get(id);
    if (known && known.workspaceId === workspaceId && known.documentId === documentId && known.sealed.equals(sealed)) return { ...known.record };
    const record = openJson<CommentRecord>(this.workspaces.keyOf(workspaceId), { kind: 'comment', id: `${documentId}/${id}`, workspaceId }, sealed);
    this.keepOpened(id, { sealed, workspaceId, documentId, record: { ...record } });
    return record;
  }

  private keepOpened(id: string, opened: Opened): void {
    this.opened.delete(id);
    this.opened.set(id, opened);
    // A Map iterates in insertion order: the first key is the one opened longest ago.
    if (this.opened.size > OPENED_KEPT) this.opened.delete(this.opened.keys().next().value!);
  }
}

function anchorNow(doc: A.Doc<unknown>, record: CommentRecord): CommentThread['anchor'] {
  if (!record.anchor) return null;
  try {
    const from = A.getCursorPosition(doc, ['body'], record.anchor.start);
    const to = A.getCursorPosition(doc, ['body'], record.anchor.end) + 1;
    return to > from ? { from, to, quote: record.anchor.quote } : null;
  } catch {
    return null;
  }
}
