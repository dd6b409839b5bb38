/**
 * The account material sealed to an account's recovery key (common/devices/recovery-key.ts): one
 * row per account, replaced when a new recovery key is made, readable only by that recovery key.
 * The relay holds ciphertext only; it checks, in the transaction that writes or reads the row,
 * that the recovery key is active in the account's device log.
 */
import { HearthError } from '../../common/errors.ts';
import type { SqlDriver, SqlExecutor } from './sql-driver.ts';

async function requireActiveRecovery(tx: Pick<SqlExecutor, 'all'>, account: string, device: string): Promise<void> {
  const [row] = await tx.all(`SELECT kind, revoked_at FROM devices WHERE account = ? AND device = ?`, [account, device]);
  if (!row || row.kind !== 'recovery' || (row.revoked_at !== null && row.revoked_at !== undefined))
    throw new HearthError(
      'WRONG_RECOVERY_KEY',
      'That is not the active recovery key of this account (it may have been replaced by a newer one); nothing was stored.',
    );
}

/** Stores the material sealed to `device`, the account's active recovery key, in place of any older one. */
export async function putRecoveryMaterial(driver: SqlDriver, account: string, device: string, material: Uint8Array, at: number): Promise<void> {
  await driver.transaction(async (tx) => {
    await requireActiveRecovery(tx, account, device);
    await tx.run(`DELETE FROM recovery_material WHERE account = ?`, [account]);
    await tx.run(`INSERT INTO recovery_material (account, device, material, updated_at) VALUES (?, ?, ?, ?)`, [account, device, material, at]);
  });
}

/** The material sealed to `device`, when it is the account's active recovery key and the relay holds material for it. */
export async function getRecoveryMaterial(driver: SqlDriver, account: string, device: string): Promise<Uint8Array | undefined> {
  return driver.transaction(async (tx) => {
    await requireActiveRecovery(tx, account, device);
    const [row] = await tx.all(`SELECT material FROM recovery_material WHERE account = ? AND device = ?`, [account, device]);
    return row ? new Uint8Array(row.material as Uint8Array) : undefined;
  });
}

/** Whether `device` is the active recovery key of `account` (for a fresh machine that knows only the username). */
export async function isActiveRecovery(driver: SqlDriver, account: string, device: string): Promise<boolean> {
  return driver.transaction(async (tx) => {
    try {
      await requireActiveRecovery(tx, account, device);
      return true;
    } catch {
      return false;
    }
  });
}
