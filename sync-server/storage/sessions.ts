/**
 * Signed-in connections of every relay instance, in the shared database, so an account's
 * connection limit holds across instances; and each instance's heartbeat, so the sessions of an
 * instance that was killed stop counting.
 */
import { HearthError } from '../../common/errors.ts';
import { limitError } from '../refusals.ts';
import type { SqlDriver, SqlValue } from './sql-driver.ts';
import { requireSignInDevice } from './device-logs.ts';
import { lockRows } from './writers.ts';

/** One signed-in connection of one relay instance. */
export interface SessionKey {
  instance: string;
  connection: number;
}

/**
 * Opens (or moves to `account`) a signed-in connection and records the sign-in, refusing
 * (LIMIT_EXCEEDED) when the account already has `limit` connections open on all instances
 * together. One transaction, so on SQLite it shares the commit of whatever arrived with it.
 */
export async function openSession(driver: SqlDriver, key: SessionKey, account: string, limit: number, at: number, device?: string): Promise<void> {
  await driver.transaction(async (tx) => {
    // On PostgreSQL the account row's lock makes two instances count its connections one after the
    // other, and orders the sign-in after a revocation that holds it.
    const [live] = await tx.all(`SELECT account FROM accounts WHERE account = ? AND deleted_at IS NULL${lockRows(driver.dialect)}`, [account]);
    if (!live) throw new HearthError('UNAUTHENTICATED', 'No account with this key exists on this relay; register first.');
    await requireSignInDevice(tx, account, device, at);
    const [open] = await tx.all(`SELECT COUNT(*) AS n FROM sessions WHERE account = ? AND NOT (instance = ? AND connection = ?)`, [
      account,
      key.instance,
      key.connection,
    ]);
    if (Number(open!.n) >= limit) {
      throw limitError('LIMIT_EXCEEDED', 'connectionsPerAccount', `This account already has ${limit} connections open; close one first.`);
    }
    await tx.run(
      `INSERT INTO sessions (instance, connection, account, opened_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (instance, connection) DO UPDATE SET account = excluded.account, opened_at = excluded.opened_at`,
      [key.instance, key.connection, account, at],
    );
    await tx.run(`UPDATE accounts SET last_sign_in_at = ? WHERE account = ?`, [at, account]);
  });
}

export async function closeSession(driver: SqlDriver, key: SessionKey): Promise<void> {
  await driver.transaction((tx) => tx.run(`DELETE FROM sessions WHERE instance = ? AND connection = ?`, [key.instance, key.connection]));
}

/**
 * Marks `instance` alive at `at` and forgets the sessions of instances not seen since
 * `staleBefore` (killed without closing). `sole`: this instance owns the database alone
 * (SQLite), so every session left from before it started is stale.
 */
export async function heartbeat(driver: SqlDriver, instance: string, at: number, staleBefore: number, sole: boolean): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.run(`INSERT INTO instances (instance, seen_at) VALUES (?, ?) ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at`, [instance, at]);
    const stale = sole ? `instance <> ?` : `instance IN (SELECT instance FROM instances WHERE seen_at < ?)`;
    const cutoff: SqlValue = sole ? instance : staleBefore;
    await tx.run(`DELETE FROM sessions WHERE ${stale}`, [cutoff]);
    await tx.run(sole ? `DELETE FROM instances WHERE instance <> ?` : `DELETE FROM instances WHERE seen_at < ?`, [cutoff]);
  });
}

export async function endInstance(driver: SqlDriver, instance: string): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.run(`DELETE FROM sessions WHERE instance = ?`, [instance]);
    await tx.run(`DELETE FROM instances WHERE instance = ?`, [instance]);
  });
}
