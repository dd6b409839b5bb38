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
  quota: number;
  writer: Writer | undefined;
}

/** Drops the document's log and snapshot and stores `snapshot` as generation `gen`; returns its sequence number. */
export async function forgetDocumentHistory(tx: SqlTransaction, dialect: SqlDriver['dialect'], request: ForgetRequest): Promise<{ seq: number }> {
  const { space, doc, gen, covers, snapshot, quota, writer } = request;
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
  await chargeQuota(tx, space, snapshot.length - freed, quota);
  await tx.run(`DELETE FROM changes WHERE space = ? AND doc = ?`, [space, doc]);
  const seq = last + 1;
  await tx.run(`UPDATE docs SET gen = ?, last_seq = ?, snapshot_covers = ?, snapshot = ? WHERE space = ? AND doc = ?`, [gen, seq, seq, snapshot, space, doc]);
  tx.notify({ kind: 'docReplaced', space, doc, gen, seq });
  return { seq };
}
