/**
 * Forgetting a document's history at the relay: the new generation's first snapshot replaces the
 * old log and snapshot in one transaction, so there is never a moment when both are stored, and
 * a push of the old generation either lands before (and then the forget is refused: the
 * forgetter has not seen it) or is refused after (STALE_GENERATION: its author carries it over).
 */
import { HearthError } from '../../common/errors.ts';
import type { SqlDriver, SqlTransaction } from './sql-driver.ts';
import { chargeQuota, lockRows, requireRole, type Writer } from './writers.ts';

export interface ForgetRequest {
  space: string;
  doc: string;
  /** The new generation: one more than the relay's. */
  gen: number;
  /** The last sequence number the forgetter had pulled: it must still be the relay's last. */
  covers: number;
  snapshot: Uint8Array;
  /** The document's live comments, each a signed comment change of the new generation: kept under the snapshot as their own blobs. */
  comments: readonly CarriedComment[];
  quota: number;
  writer: Writer | undefined;
}

/** A comment carried into a new generation, as its change's metadata names it. */
export interface CarriedComment {
  changeId: string;
  /** Who signed it: the forgetter. */
  account: string;
  id: string;
  thread: string;
  bytes: Uint8Array;
}

/**
 * Drops the document's log and snapshot and stores `snapshot` as generation `gen`; returns its
 * sequence number. The carried comments get the numbers just before it, so the snapshot covers
 * them and they go out with it, each a blob of its own that the comment's deletion removes
 * (comment-log.ts); a comment deleted here already is not stored again.
 */
export async function forgetDocumentHistory(tx: SqlTransaction, dialect: SqlDriver['dialect'], request: ForgetRequest): Promise<{ seq: number }> {
  const { space, doc, gen, covers, snapshot, comments, quota, writer } = request;
  await requireRole(tx, dialect, space, writer);
  // The space's row, then the document's: the order a push takes them, so the two never wait on each other in a circle.
  await tx.all(`SELECT space FROM spaces WHERE space = ?${lockRows(dialect)}`, [space]);
  const [row] = await tx.all(`SELECT last_seq, gen, snapshot FROM docs WHERE space = ? AND doc = ?${lockRows(dialect)}`, [space, doc]);
  if (!row) throw new HearthError('NOT_FOUND', 'The relay holds no such document in this space; sync it before forgetting its history.');
  const current = Number(row.gen);
  if (gen !== current + 1)
    throw new HearthError('CONFLICT', `This document is at generation ${current} here, so its next is ${current + 1}, not ${gen}; sync and try again.`);
  const last = Number(row.last_seq);
  if (covers !== last)
    throw new HearthError('CONFLICT', 'Edits reached the relay after you last synced this document; sync and try again, so that they are kept.');
  const [dropped] = await tx.all(`SELECT COALESCE(SUM(LENGTH(bytes)), 0) AS total FROM changes WHERE space = ? AND doc = ?`, [space, doc]);
  const freed = Number(dropped!.total) + (row.snapshot ? (row.snapshot as Uint8Array).length : 0);
  const deleted = new Set(
    (await tx.all<{ comment: string }>(`SELECT comment FROM comments WHERE space = ? AND doc = ? AND deleted_at IS NOT NULL`, [space, doc])).map(
      (r) => r.comment,
    ),
  );
  const live = comments.filter((c) => !deleted.has(c.id) && !deleted.has(c.thread));
  const stored = live.reduce((total, c) => total + c.bytes.length, snapshot.length);
  await chargeQuota(tx, space, stored - freed, quota);
  await tx.run(`DELETE FROM changes WHERE space = ? AND doc = ?`, [space, doc]);
  let seq = last;
  for (const comment of live) {
    seq += 1;
    // A comment the relay never saw (written before it kept comments) has no author it knows: only an Owner or Admin deletes it.
    const [known] = await tx.all(`SELECT 1 AS found FROM comments WHERE space = ? AND doc = ? AND comment = ?`, [space, doc, comment.id]);
    if (!known)
      await tx.run(`INSERT INTO comments (space, doc, comment, thread, author, deleted_at) VALUES (?, ?, ?, ?, NULL, NULL)`, [
        space,
        doc,
        comment.id,
        comment.thread,
      ]);
    await tx.run(`INSERT INTO changes (space, doc, seq, change_id, author, bytes, comment) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      space,
      doc,
      seq,
      comment.changeId,
      comment.account,
      comment.bytes,
      comment.id,
    ]);
  }
  seq += 1;
  await tx.run(`UPDATE docs SET gen = ?, last_seq = ?, snapshot_covers = ?, snapshot = ? WHERE space = ? AND doc = ?`, [gen, seq, seq, snapshot, space, doc]);
  tx.notify({ kind: 'docReplaced', space, doc, gen, seq });
  return { seq };
}
