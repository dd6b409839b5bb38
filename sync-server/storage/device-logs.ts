/**
 * Device logs at the relay: each account's entries as its devices signed them, and per device
 * whether it is active, which is what a sign-in reads. The request handlers check every entry
 * with common/devices/log.ts before calling these; this file only stores, in one transaction
 * each, and refuses (CONFLICT) an append that does not follow the stored log exactly.
 */
import { HearthError } from '../../common/errors.ts';
import { deviceEntryHash, type DeviceEntry, type DeviceLogState, type DeviceRecord } from '../../common/devices/log.ts';
import type { SqlExecutor, SqlDriver } from './sql-driver.ts';
import { lockRows } from './writers.ts';

/** One checked entry as the store writes it: its chain hash and the device's record after it (computed where libsodium runs, not on the storage thread). */
export interface DeviceRow {
  entry: DeviceEntry;
  hash: string;
  device: DeviceRecord;
}

/** The rows for `entries`, which lead to `after`. */
export function deviceRows(entries: readonly DeviceEntry[], after: DeviceLogState): DeviceRow[] {
  return entries.map((entry) => ({ entry, hash: deviceEntryHash(entry), device: after.devices.get(entry.device)! }));
}

/** Stores entries (already checked) after the `fromSeq` entries stored. */
export async function storeDeviceEntries(
  tx: SqlExecutor,
  dialect: SqlDriver['dialect'],
  account: string,
  fromSeq: number,
  rows: readonly DeviceRow[],
): Promise<void> {
  // The account's row serialises appends on PostgreSQL; SQLite has one writer anyway.
  await tx.all(`SELECT account FROM accounts WHERE account = ?${lockRows(dialect)}`, [account]);
  const [row] = await tx.all(`SELECT COUNT(*) AS n FROM device_log WHERE account = ?`, [account]);
  if (Number(row!.n) !== fromSeq) throw new HearthError('CONFLICT', 'The device log moved on meanwhile; fetch it and rebuild your entry.');
  for (const { entry, hash } of rows) {
    await tx.run(`INSERT INTO device_log (account, seq, hash, entry) VALUES (?, ?, ?, ?)`, [account, entry.seq, hash, JSON.stringify(entry)]);
  }
  for (const { entry, device } of rows) {
    if (entry.action === 'revoke') {
      await tx.run(`UPDATE devices SET revoked_at = ? WHERE account = ? AND device = ?`, [device.revokedAt!, account, entry.device]);
      // A revoked recovery key gets nothing more: the material sealed to it goes with it.
      await tx.run(`DELETE FROM recovery_material WHERE account = ? AND device = ?`, [account, entry.device]);
    } else
      await tx.run(`INSERT INTO devices (account, device, kind, name, added_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)`, [
        account,
        entry.device,
        device.kind,
        device.name,
        device.addedAt,
      ]);
  }
}

export async function readDeviceLog(driver: Pick<SqlExecutor, 'all'>, account: string, since: number): Promise<DeviceEntry[]> {
  const rows = await driver.all<{ entry: string }>(`SELECT entry FROM device_log WHERE account = ? AND seq >= ? ORDER BY seq`, [account, since]);
  return rows.map((r) => JSON.parse(r.entry) as DeviceEntry);
}

/**
 * Whether `device` may sign in for `account` now, inside the session's transaction: an active
 * device of its log; or, naming no device, an account that has no device log (its key signs).
 */
export async function requireSignInDevice(tx: SqlExecutor, account: string, device: string | undefined, at: number): Promise<void> {
  if (device === undefined) {
    const [logged] = await tx.all(`SELECT 1 AS found FROM devices WHERE account = ? LIMIT 1`, [account]);
    if (logged)
      throw new HearthError('UNAUTHENTICATED', 'This account signs in with its devices, not with the account key; sign in from a device of the account.');
    return;
  }
  const [row] = await tx.all(`SELECT kind, revoked_at FROM devices WHERE account = ? AND device = ?`, [account, device]);
  if (!row) throw new HearthError('UNAUTHENTICATED', `This device is not in the account's device log; link it from a device that holds the account first.`);
  if (row.revoked_at !== null && row.revoked_at !== undefined)
    throw new HearthError(
      'UNAUTHENTICATED',
      'This device was revoked from the account and can no longer sign in; link it again as a new device if it is yours.',
    );
  await tx.run(`UPDATE devices SET last_seen_at = ? WHERE account = ? AND device = ?`, [at, account, device]);
}

/** The account's devices as the right-of-access answer lists them. */
export async function listDevices(
  driver: Pick<SqlExecutor, 'all'>,
  account: string,
): Promise<Array<{ device: string; kind: 'device' | 'recovery'; name: string; addedAt: number; revokedAt: number | null; lastSeenAt: number | null }>> {
  const rows = await driver.all(`SELECT device, kind, name, added_at, revoked_at, last_seen_at FROM devices WHERE account = ? ORDER BY added_at, device`, [
    account,
  ]);
  return rows.map((r) => ({
    device: r.device as string,
    kind: r.kind as 'device' | 'recovery',
    name: r.name as string,
    addedAt: Number(r.added_at),
    revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
    lastSeenAt: r.last_seen_at === null || r.last_seen_at === undefined ? null : Number(r.last_seen_at),
  }));
}

/**
 * Who a key epoch of a space is sealed to: every active device (and recovery entry) of each
 * member that has a device log, and the member itself for one that has none (its account key
 * receives, as before devices existed).
 */
export async function epochRecipients(tx: Pick<SqlExecutor, 'all'>, members: readonly string[]): Promise<Set<string>> {
  const recipients = new Set<string>();
  for (const account of members) {
    const rows = await tx.all(`SELECT device, revoked_at FROM devices WHERE account = ?`, [account]);
    if (rows.length === 0) recipients.add(account);
    for (const row of rows) if (row.revoked_at === null || row.revoked_at === undefined) recipients.add(row.device as string);
  }
  return recipients;
}

/** Refuses (BAD_REQUEST) a new key epoch that is not sealed to exactly epochRecipients(members), each once. */
export async function requireEpochRecipients(tx: Pick<SqlExecutor, 'all'>, members: readonly string[], recipients: readonly string[]): Promise<void> {
  const expected = await epochRecipients(tx, members);
  if (new Set(recipients).size !== recipients.length || recipients.length !== expected.size || recipients.some((r) => !expected.has(r))) {
    throw new HearthError(
      'BAD_REQUEST',
      `A new key epoch goes to every active device of every member exactly once (members without a device log: the member), and to no one else; fetch the members' device logs and seal again.`,
    );
  }
}
