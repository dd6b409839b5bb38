/**
 * Comment changes at the relay (S5, S9). From each comment change's readable metadata the relay
 * knows a comment by its id, its thread, and the account that first wrote it into the space —
 * never its text. Inside the write's transaction it applies the comment rule of common/roles.ts
 * (canChangeComment) to the caller's role as the members table has it then. A deletion is a
 * signed tombstone: every blob stored for the comment (for a thread's first comment, for every
 * comment of the thread) is deleted in the same transaction, and the tombstone is kept, which no
 * snapshot drops, so a member who joins later deletes it too and no copy can bring it back.
 */
import { HearthError } from '../../common/errors.ts';
import { canChangeComment, canPush, roleWithArticle, type CommentOp, type Role } from '../../common/roles.ts';
import type { SqlDriver, SqlTransaction } from './sql-driver.ts';
import { chargeQuota, lockRows, refuseUnless } from './writers.ts';

export interface CommentChange {
  space: string;
  doc: string;
  changeId: string;
  /** The account that signed and pushed the change. */
  account: string;
  change: Uint8Array;
  quota: number;
  comment: { id: string; thread: string; op: CommentOp };
  at: number;
}

export interface CommentAppended {
  seq: number;
  /** A retried push, or a deletion of what is deleted already: nothing new stored or announced. */
  duplicate: boolean;
  /** How many earlier blobs a deletion removed (the caller scrubs the files when there were any). */
  erased: number;
}

type CommentRow = {
  comment: string;
  thread: string;
  author: string | null;
  deleted_at: number | null;
};

const ANNOUNCED_BYTES = 2048;

function gone(): HearthError {
  return new HearthError('NOT_FOUND', 'This comment was deleted; it can no longer be changed or answered.');
}

function refuse(role: Role, op: CommentOp): never {
  const why =
    op === 'write'
      ? 'only its author changes a comment'
      : op === 'resolve'
        ? `${roleWithArticle(role)} resolves only the threads they started`
        : `${roleWithArticle(role)} deletes only their own comments (an Owner or Admin deletes anyone's)`;
  throw new HearthError('FORBIDDEN', `Refused: ${why}.`);
}

/** Stores one comment change after the comment rule allowed it; see the module comment. */
export async function appendCommentChange(driver: SqlDriver, input: CommentChange): Promise<CommentAppended> {
  const { space, doc, changeId, account, change, quota, comment, at } = input;
  return driver.transaction(async (tx) => {
    const [member] = await tx.all<{ role: Role }>(`SELECT role FROM members WHERE space = ? AND account = ?${lockRows(driver.dialect, 'SHARE')}`, [
      space,
      account,
    ]);
    const role = member?.role ?? null;
    const spaceFound = role !== null || (await tx.all(`SELECT 1 AS found FROM spaces WHERE space = ?`, [space])).length > 0;
    refuseUnless(role && canPush(role, 'comment', comment.op) ? role : null, { account, roles: role ? [role] : [] }, spaceFound);
    // The space's row next, as every write that deletes changes takes it (deleteDoc), so none waits on another in a circle.
    await tx.all(`SELECT space FROM spaces WHERE space = ?${lockRows(driver.dialect)}`, [space]);
    const [seen] = await tx.all(`SELECT seq FROM changes WHERE space = ? AND doc = ? AND change_id = ?`, [space, doc, changeId]);
    if (seen) return { seq: Number(seen.seq), duplicate: true, erased: 0 };
    const rows = await tx.all<CommentRow>(`SELECT comment, thread, author, deleted_at FROM comments WHERE space = ? AND doc = ? AND comment IN (?, ?)`, [
      space,
      doc,
      comment.id,
      comment.thread,
    ]);
    const row = rows.find((r) => r.comment === comment.id);
    const thread = rows.find((r) => r.comment === comment.thread);
    const wroteIt = (r: CommentRow | undefined) => r !== undefined && r.author === account;
    let erased = 0;
    let freed = 0;
    if (comment.op === 'delete') {
      if (row?.deleted_at != null) return { seq: await lastSeq(tx, space, doc), duplicate: true, erased: 0 };
      // A thread's first comment takes the thread: each of its comments must be the caller's to delete.
      const doomed =
        row && row.thread === row.comment
          ? await tx.all<CommentRow>(
              `SELECT comment, thread, author, deleted_at FROM comments WHERE space = ? AND doc = ? AND thread = ? AND deleted_at IS NULL`,
              [space, doc, row.comment],
            )
          : row
            ? [row]
            : [];
      // A comment the relay never saw (made before it kept comments) has no author it knows: only an Owner or Admin deletes it.
      if (!canChangeComment(role!, 'delete', wroteIt(row))) refuse(role!, 'delete');
      for (const other of doomed) if (!canChangeComment(role!, 'delete', wroteIt(other))) refuse(role!, 'delete');
      const ids = doomed.length > 0 ? doomed.map((r) => r.comment) : [comment.id];
      for (const id of ids) {
        const [used] = await tx.all(
          `SELECT COALESCE(SUM(LENGTH(bytes)), 0) AS total, COUNT(*) AS blobs FROM changes WHERE space = ? AND doc = ? AND comment = ?`,
          [space, doc, id],
        );
        freed += Number(used!.total);
        erased += Number(used!.blobs);
        await tx.run(`DELETE FROM changes WHERE space = ? AND doc = ? AND comment = ?`, [space, doc, id]);
      }
      if (row) {
        for (const id of ids) await tx.run(`UPDATE comments SET deleted_at = ? WHERE space = ? AND doc = ? AND comment = ?`, [at, space, doc, id]);
      } else {
        await tx.run(`INSERT INTO comments (space, doc, comment, thread, author, deleted_at) VALUES (?, ?, ?, ?, NULL, ?)`, [
          space,
          doc,
          comment.id,
          comment.id,
          at,
        ]);
      }
    } else {
      if (row?.deleted_at != null || thread?.deleted_at != null) throw gone();
      if (row && row.thread !== comment.thread) throw new HearthError('BAD_REQUEST', 'This comment belongs to another thread than the change says.');
      // Resolving is judged by who started the thread (the change names its first comment); writing by who wrote the comment.
      const judged = comment.op === 'resolve' ? (thread ?? row) : row;
      if (!canChangeComment(role!, comment.op, comment.op === 'write' ? !row || wroteIt(row) : wroteIt(judged))) refuse(role!, comment.op);
      if (!row)
        await tx.run(`INSERT INTO comments (space, doc, comment, thread, author, deleted_at) VALUES (?, ?, ?, ?, ?, NULL)`, [
          space,
          doc,
          comment.id,
          comment.thread,
          account,
        ]);
    }
    await chargeQuota(tx, space, change.length - freed, quota);
    const [numbered] = await tx.all(
      `INSERT INTO docs (space, doc, last_seq) VALUES (?, ?, 1) ON CONFLICT (space, doc) DO UPDATE SET last_seq = docs.last_seq + 1 RETURNING last_seq`,
      [space, doc],
    );
    const seq = Number(numbered!.last_seq);
    await tx.run(`INSERT INTO changes (space, doc, seq, change_id, author, bytes, comment) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      space,
      doc,
      seq,
      changeId,
      account,
      change,
      comment.id,
    ]);
    tx.notify({ kind: 'change', space, doc, seq, bytes: change.length <= ANNOUNCED_BYTES ? change : undefined });
    return { seq, duplicate: false, erased };
  });
}

async function lastSeq(tx: SqlTransaction, space: string, doc: string): Promise<number> {
  const [row] = await tx.all(`SELECT last_seq FROM docs WHERE space = ? AND doc = ?`, [space, doc]);
  return row ? Number(row.last_seq) : 0;
}
