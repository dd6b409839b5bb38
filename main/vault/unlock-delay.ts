/**
 * Wrong passphrases in a row make the next attempt wait, longer each time. Each attempt already
 * costs one Argon2id (about 0.45 s and 128 MiB here), which is what stands against someone who
 * copied the vault file: they run Argon2id themselves, and no delay of ours reaches them. The
 * delay is for the other case, someone guessing at this device's unlock screen or `hearth`: after
 * FREE_ATTEMPTS misses (typos are human), 2 s, then 4 s, 8 s… up to 5 minutes per attempt. It is
 * counted from the vault's unsealed failed-unlock records (written while locked, cleared by the
 * next successful unlock), so restarting the app or the CLI does not reset it.
 */
import type { Database } from 'better-sqlite3';
import { HearthError } from '../../common/errors.ts';

/** Misses allowed in a row before any waiting. */
export const FREE_ATTEMPTS = 3;
export const MAX_UNLOCK_DELAY_MS = 5 * 60_000;

/** How long to wait after the last of `failures` consecutive misses. */
export function unlockDelayMs(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(MAX_UNLOCK_DELAY_MS, 2000 * 2 ** (failures - FREE_ATTEMPTS));
}

/** Throws RATE_LIMITED, without running Argon2id, while the wait after the last miss runs. */
export function assertUnlockAllowed(db: Database, now = Date.now()): void {
  const { failures, last } = db.prepare("SELECT count(*) AS failures, max(at) AS last FROM pending_audit WHERE action = 'vault.unlock_failed'").get() as {
    failures: number;
    last: number | null;
  };
  if (last === null) return;
  // A clock set back must not turn the wait into hours.
  const wait = Math.min(last + unlockDelayMs(failures) - now, unlockDelayMs(failures));
  if (wait <= 0) return;
  throw new HearthError(
    'RATE_LIMITED',
    `${failures} wrong passphrases in a row: wait ${Math.ceil(wait / 1000)} s before trying again (each further wrong one doubles the wait, up to ${MAX_UNLOCK_DELAY_MS / 60_000} minutes).`,
  );
}
