/**
 * Compaction. When a document's appended chunks outgrow its last snapshot they are folded into a
 * new one (amortised O(1) per change). That costs in proportion to the document, so it waits for a
 * pause in typing (IDLE_MS), together with applying the editor's changes to the copy; the snapshot
 * is made outside the write lock, and a compaction deletes only chunks the copy has folded in (a
 * chunk another process appended meanwhile is never deleted unread). Also: rewriting the vault
 * file once a dropped history left much of it free (scrubFile).
 */
import * as A from '@automerge/automerge';
import type { Database } from 'better-sqlite3';
import type { DocumentCopy } from './document-copy.ts';
import { textOf, type SealedDocuments } from './sealed-documents.ts';
import type { WorkspaceStore } from './workspaces.ts';

/** Compaction is due once the appended changes outweigh the snapshot (amortised O(1) per change). */
const MIN_COMPACTION_BYTES = 64 * 1024;
/**
 * Past this many times the due size, a write compacts at once even without a pause: a bound on
 * the change log (and on opening it) for someone who never stops typing for IDLE_MS.
 */
const COMPACTION_CEILING = 8;
/**
 * How often a compaction that found other processes' chunks arriving while it saved tries again
 * (each try applies them and saves anew, outside the write lock) before it waits for the next pause.
 */
const COMPACTION_TRIES = 3;
/**
 * Applying a change made in another replica costs Automerge 3.5 time in proportion to the
 * document (about 60–100 ms on a 100k-character document, even through its backend), while
 * persisting it costs well under a millisecond. So the editor's changes are persisted at once and
 * applied to this copy only when something reads it, or once typing pauses this long; compaction
 * and the search text wait for the same pause.
 */
const IDLE_MS = 2000;
/** scrubFile() rewrites the file when at least this share of its pages is free. */
const FREE_SHARE_TO_COMPACT = 0.2;

/** What compaction needs of the store that keeps the open copies (DocumentStore). */
export interface OpenCopies {
  /** Applies the chunks waiting in the copy's `pending` (and announces what other processes wrote). */
  current(entry: DocumentCopy): void;
  /** Runs `fn` in one write transaction, after the copy has folded in what other processes wrote; drops the copy if it fails. */
  write<T>(entry: DocumentCopy, fn: () => T): T;
  /** Whether `entry` is still the copy open for its document (not dropped meanwhile). */
  isOpen(entry: DocumentCopy): boolean;
}

export class Compaction {
  constructor(
    private readonly sealed: SealedDocuments,
    private readonly keys: Pick<WorkspaceStore, 'keyOf'>,
    private readonly copies: OpenCopies,
  ) {}

  /** After a write has committed: compacts now when the log is overdue, otherwise (re)arms the pause. */
  afterWrite(entry: DocumentCopy): void {
    if (entry.logBytes > COMPACTION_CEILING * compactionDue(entry)) this.maintain(entry);
    else this.whenIdle(entry);
  }

  /**
   * What waits for a pause in typing: the pending changes applied to this copy (and the search
   * index's re-reading of the text, scheduled by current()), then a compaction when one is due.
   * The snapshot is made outside the write lock; under it, the chunks other processes appended
   * meanwhile are read first, and the snapshot replaces the log only when none came in (so every
   * chunk it deletes is one this copy holds). When some did, it applies them and tries again.
   */
  maintain(entry: DocumentCopy): void {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    for (let attempt = 0; attempt < COMPACTION_TRIES; attempt++) {
      this.copies.current(entry);
      if (entry.logBytes <= compactionDue(entry)) return;
      const snapshot = A.save(entry.doc);
      const text = textOf(entry);
      const seq = entry.lastSeq + 1;
      const compacted = this.copies.write(entry, () => {
        if (entry.lastSeq !== seq - 1) return false;
        this.sealed.compact(entry, this.keys.keyOf(entry.workspaceId), seq, snapshot, text);
        return true;
      });
      if (compacted) {
        entry.snapshotBytes = snapshot.length;
        entry.logBytes = 0;
        return;
      }
      if (!this.copies.isOpen(entry)) return;
    }
    // Another process keeps writing: the next pause (or its own compaction) takes it from here.
    this.whenIdle(entry);
  }

  /** (Re)arms the pause after which maintain() runs for this document. */
  private whenIdle(entry: DocumentCopy): void {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (!this.copies.isOpen(entry)) return;
      try {
        this.maintain(entry);
      } catch {
        // A change that cannot be applied stays persisted, and a compaction that could not run
        // (a busy vault, a full disk) comes due again: the next read or write reports the trouble.
      }
    }, IDLE_MS);
    entry.idleTimer.unref?.();
  }
}

/**
 * Takes the last copies of deleted rows out of the WAL (after a replacement or a deletion has
 * committed). When that left much of the file free (zeroed pages, after a long history was
 * dropped), the file is rewritten to its size; another process busy with the file only defers that.
 */
export function scrubFile(db: Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  if (free < pages * FREE_SHARE_TO_COMPACT || db.inTransaction) return;
  try {
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Busy elsewhere: the free pages are zeroed already (secure_delete); the space comes back at the next scrub.
  }
}

/** The log size at which a compaction is due: the snapshot's, and at least MIN_COMPACTION_BYTES. */
function compactionDue(entry: DocumentCopy): number {
  return Math.max(MIN_COMPACTION_BYTES, entry.snapshotBytes);
}
