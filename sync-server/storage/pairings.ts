/**
 * Pairings at the relay: a small mailbox per new device linking to an account (common/devices/
 * pairing.ts). It holds only public keys, a commitment, two random values and the material
 * already sealed to the new device; a row lives until it is collected, declined, or
 * PAIRING_TTL_MS old. Each step may be written once, in order.
 */
import { HearthError } from '../../common/errors.ts';
import type { PairingOffer } from '../../common/devices/pairing.ts';
import type { SqlDriver, SqlExecutor } from './sql-driver.ts';

/** How long a pairing waits for its steps: long enough to walk to the other computer. */
export const PAIRING_TTL_MS = 10 * 60_000;
/** Open pairings one account may have at once (each is a row anyone who knows a username can make). */
export const MAX_OPEN_PAIRINGS = 5;

export interface PairingRecord {
  id: string;
  account: string;
  offer: PairingOffer;
  nonce: string | null;
  secret: string | null;
  material: Uint8Array | null;
  createdAt: number;
}

function toRecord(row: Record<string, unknown>): PairingRecord {
  return {
    id: row.id as string,
    account: row.account as string,
    offer: JSON.parse(row.offer as string) as PairingOffer,
    nonce: (row.nonce as string | null) ?? null,
    secret: (row.secret as string | null) ?? null,
    material: row.material ? new Uint8Array(row.material as Uint8Array) : null,
    createdAt: Number(row.created_at),
  };
}

export async function openPairing(driver: SqlDriver, id: string, account: string, offer: PairingOffer, at: number): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.run(`DELETE FROM pairings WHERE created_at < ?`, [at - PAIRING_TTL_MS]);
    const [open] = await tx.all(`SELECT COUNT(*) AS n FROM pairings WHERE account = ?`, [account]);
    if (Number(open!.n) >= MAX_OPEN_PAIRINGS)
      throw new HearthError('LIMIT_EXCEEDED', `This account has ${MAX_OPEN_PAIRINGS} pairings waiting already; approve or decline them, or wait ten minutes.`);
    await tx.run(`INSERT INTO pairings (id, account, offer, nonce, secret, material, created_at) VALUES (?, ?, ?, NULL, NULL, NULL, ?)`, [
      id,
      account,
      JSON.stringify(offer),
      at,
    ]);
  });
}

export async function readPairing(driver: Pick<SqlExecutor, 'all'>, id: string, at: number): Promise<PairingRecord> {
  const [row] = await driver.all(`SELECT * FROM pairings WHERE id = ? AND created_at >= ?`, [id, at - PAIRING_TTL_MS]);
  if (!row)
    throw new HearthError(
      'NOT_FOUND',
      'This pairing does not exist (any more): it was declined, collected, or waited more than ten minutes. Start again on the new device.',
    );
  return toRecord(row);
}

export async function listPairings(driver: Pick<SqlExecutor, 'all'>, account: string, at: number): Promise<PairingRecord[]> {
  const rows = await driver.all(`SELECT * FROM pairings WHERE account = ? AND created_at >= ? ORDER BY created_at`, [account, at - PAIRING_TTL_MS]);
  return rows.map(toRecord);
}

/** Writes one step of a pairing, only once and only after the step before it (CONFLICT otherwise). */
export async function stepPairing(driver: SqlDriver, id: string, step: 'nonce' | 'secret' | 'material', value: string | Uint8Array, at: number): Promise<void> {
  const before = { nonce: '1 = 1', secret: 'nonce IS NOT NULL', material: 'secret IS NOT NULL' }[step];
  const changed = await driver.transaction((tx) =>
    tx.run(`UPDATE pairings SET ${step} = ? WHERE id = ? AND ${step} IS NULL AND ${before} AND created_at >= ?`, [value, id, at - PAIRING_TTL_MS]),
  );
  if (changed === 0)
    throw new HearthError(
      'CONFLICT',
      `This pairing cannot take that step now (it was taken already, or the step before it is missing). Start again on the new device.`,
    );
}

export async function deletePairing(driver: SqlDriver, id: string): Promise<void> {
  await driver.transaction((tx) => tx.run(`DELETE FROM pairings WHERE id = ?`, [id]));
}
