/**
 * Who may write, checked where the write happens: inside its own transaction, against the
 * members table as that transaction sees it, not against any cache. Once a removal or demotion
 * commits, no relay instance accepts that member's write any more. And the push on PostgreSQL,
 * checks included, as one statement.
 */
import { HearthError } from '../../common/errors.ts';
import type { Role } from '../../common/roles.ts';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver.ts';

/** Who makes a write and which roles may make it. */
export interface Writer {
  account: string;
  roles: readonly Role[];
}

export function quotaError(): HearthError {
  return new HearthError(
    'LIMIT_EXCEEDED',
    'This space is over its storage limit (bytesPerSpace); delete documents or files, or ask the relay operator for more.',
  );
}

/** Adds `delta` bytes to the space's use, refusing (LIMIT_EXCEEDED) past `quota`, or NOT_FOUND when the space is gone. */
export async function chargeQuota(tx: SqlExecutor, space: string, delta: number, quota: number): Promise<void> {
  const [row] = await tx.all(`UPDATE spaces SET bytes_used = bytes_used + ? WHERE space = ? AND bytes_used + ? <= ? RETURNING bytes_used`, [
    delta,
    space,
    delta,
    quota,
  ]);
  if (!row) {
    const [exists] = await tx.all(`SELECT 1 AS found FROM spaces WHERE space = ?`, [space]);
    throw exists ? quotaError() : new HearthError('NOT_FOUND', 'That space does not exist (any more).');
  }
}

/** The refusal of a change to generation `gen` of a document the relay holds at generation `current`. */
export function generationError(gen: number, current: number): HearthError {
  return gen < current
    ? new HearthError(
        'STALE_GENERATION',
        `This document's edit history was forgotten (it is at generation ${current}, this change is of ${gen}); sync to receive the new generation, and your edits are carried onto it.`,
      )
    : new HearthError('CONFLICT', `This change is of generation ${gen} of a document the relay holds at generation ${current}; sync first.`);
}

/** ` FOR SHARE`/` FOR UPDATE` on PostgreSQL; SQLite has one writer at a time and needs no row locks. */
export function lockRows(dialect: SqlDriver['dialect'], mode: 'SHARE' | 'UPDATE' = 'UPDATE'): string {
  return dialect === 'postgres' ? ` FOR ${mode}` : '';
}

/** Throws unless `writer` is a member of `space` in one of `writer.roles`, as the transaction sees it. */
export async function requireRole(tx: SqlExecutor, dialect: SqlDriver['dialect'], space: string, writer: Writer | undefined): Promise<void> {
  if (!writer) return;
  // FOR SHARE: a removal or role change waits for this write to commit, or this write sees it.
  const [row] = await tx.all<{ role: Role }>(`SELECT role FROM members WHERE space = ? AND account = ?${lockRows(dialect, 'SHARE')}`, [space, writer.account]);
  refuseUnless(row?.role ?? null, writer, row ? true : (await tx.all(`SELECT 1 AS found FROM spaces WHERE space = ?`, [space])).length > 0);
}

/** The refusal when the transaction finds the writer's role (null: not a member) does not allow the write. */
export function refuseUnless(role: Role | null, writer: Writer, spaceFound: boolean): void {
  if (role && writer.roles.includes(role)) return;
  if (!spaceFound) throw new HearthError('NOT_FOUND', 'That space does not exist (any more).');
  if (!role) throw new HearthError('FORBIDDEN', 'You are not a member of this space (any more); ask one of its Owners or Admins to add you.');
  throw new HearthError('FORBIDDEN', `Your role in this space is ${role} now, which does not allow this; ask an Owner or Admin for another role.`);
}

/**
 * PostgreSQL: RelayStore.appendChange in one statement, so one round trip (as a transaction it
 * takes eight). The member's row is locked FOR SHARE as in requireRole; everything else happens
 * only if the role, the duplicate check and the quota allow it.
 */
export async function appendChangeAtOnce(
  driver: SqlDriver,
  {
    space,
    doc,
    changeId,
    author,
    change,
    quota,
    writer,
    gen,
  }: { space: string; doc: string; changeId: string; author: string; change: Uint8Array; quota: number; writer: Writer | undefined; gen: number },
): Promise<{ seq: number; duplicate: boolean }> {
  const roles = writer ? [...writer.roles, ...Array<Role>(5).fill(writer.roles[0] ?? 'owner')].slice(0, 5) : [];
  const allowed = writer ? `EXISTS (SELECT 1 FROM member WHERE role IN (?, ?, ?, ?, ?))` : 'TRUE';
  const sql = `
      WITH member AS (SELECT role FROM members WHERE space = ? AND account = ? FOR SHARE),
      seen AS (SELECT seq FROM changes WHERE space = ? AND doc = ? AND change_id = ?),
      held AS (SELECT gen FROM docs WHERE space = ? AND doc = ?),
      charged AS (
        UPDATE spaces SET bytes_used = bytes_used + ? WHERE space = ? AND bytes_used + ? <= ? AND ${allowed} AND NOT EXISTS (SELECT 1 FROM seen)
          AND NOT EXISTS (SELECT 1 FROM held WHERE gen <> ?)
        RETURNING space),
      numbered AS (
        INSERT INTO docs (space, doc, last_seq, gen) SELECT space, ?, 1, ? FROM charged
        ON CONFLICT (space, doc) DO UPDATE SET last_seq = docs.last_seq + 1 WHERE docs.gen = ? RETURNING last_seq),
      stored AS (
        INSERT INTO changes (space, doc, seq, change_id, author, bytes) SELECT ?, ?, last_seq, ?, ?, ? FROM numbered RETURNING seq)
      SELECT (SELECT seq FROM stored) AS seq, (SELECT seq FROM seen) AS seen, (SELECT role FROM member) AS role,
        (SELECT gen FROM held) AS held_gen, EXISTS (SELECT 1 FROM charged) AS charged, EXISTS (SELECT 1 FROM spaces WHERE space = ?) AS space_found`;
  const params: SqlValue[] = [
    space,
    writer?.account ?? author,
    space,
    doc,
    changeId,
    space,
    doc,
    change.length,
    space,
    change.length,
    quota,
    ...roles,
    gen,
    doc,
    gen,
    gen,
    space,
    doc,
    changeId,
    author,
    change,
    space,
  ];
  let row: Record<string, unknown> | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      [row] = await driver.all(sql, params);
      break;
    } catch (error) {
      // The same change pushed twice at once: one stores it, the other finds it on its second try.
      if ((error as { code?: string }).code !== '23505' || attempt > 0) throw error;
    }
  }
  // The same order as the transaction on SQLite: the writer first, then a retry, then the quota.
  if (writer) refuseUnless((row!.role as Role | null) ?? null, writer, Boolean(row!.space_found));
  if (row!.seen !== null) return { seq: Number(row!.seen), duplicate: true };
  if (row!.seq !== null) return { seq: Number(row!.seq), duplicate: false };
  if (row!.held_gen !== null && Number(row!.held_gen) !== gen) throw generationError(gen, Number(row!.held_gen));
  if (row!.charged) {
    // The history was forgotten while this push waited for the document's row (the statement's
    // own check saw the old generation): nothing was stored, so the bytes charged go back.
    await driver.run(`UPDATE spaces SET bytes_used = bytes_used - ? WHERE space = ?`, [change.length, space]);
    throw generationError(gen, gen + 1);
  }
  if (!row!.space_found) throw new HearthError('NOT_FOUND', 'That space does not exist (any more).');
  throw quotaError();
}
