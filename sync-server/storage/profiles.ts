/**
 * An account's public profile at the relay as its devices update it (common/protocol/profile.ts):
 * the newest signed version wins, a new username must be free here, and the old one is free the
 * moment the update commits (the accounts table's unique username column holds only the new one).
 */
import { HearthError } from '../../common/errors.ts';
import type { ProfileUpdate } from '../../common/protocol/profile.ts';
import type { SqlDriver } from './sql-driver.ts';

/**
 * Stores `update` (already verified as signed by `update.device`) if that device is active in the
 * account's device log and the update is newer than what the relay keeps; returns the version it
 * keeps afterwards (an older update changes nothing and gets the newer version back).
 */
export async function storeProfile(driver: SqlDriver, update: ProfileUpdate, avatar: Uint8Array | null): Promise<number> {
  return driver.transaction(async (tx) => {
    const [row] = await tx.all(`SELECT username, profile_version FROM accounts WHERE account = ? AND deleted_at IS NULL`, [update.account]);
    if (!row) throw new HearthError('NOT_FOUND', 'This account no longer exists on this relay.');
    const [device] = await tx.all(`SELECT kind, revoked_at FROM devices WHERE account = ? AND device = ?`, [update.account, update.device]);
    if (!device || device.kind !== 'device' || (device.revoked_at !== null && device.revoked_at !== undefined))
      throw new HearthError('FORBIDDEN', `The profile update is not signed by an active device of this account's device log; sign it on one of your devices.`);
    const kept = Number(row.profile_version);
    if (update.version <= kept) return kept;
    if (update.username !== row.username) {
      const [taken] = await tx.all(`SELECT 1 AS found FROM accounts WHERE username = ? AND account <> ?`, [update.username, update.account]);
      if (taken) throw new HearthError('ALREADY_EXISTS', `The username ${update.username} is taken on this relay; choose another.`);
    }
    await tx.run(`UPDATE accounts SET username = ?, display_name = ?, avatar = ?, profile_version = ? WHERE account = ?`, [
      update.username,
      update.displayName,
      avatar,
      update.version,
      update.account,
    ]);
    return update.version;
  });
}
