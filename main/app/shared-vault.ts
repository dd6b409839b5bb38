/**
 * The app shares its vault with other processes: the CLI, scripts. While the vault is unlocked,
 * the app looks a few times a second for what they wrote (one pragma when nothing changed) so
 * the vault's 'external' events reach the pages, and it syncs live only while it holds the
 * vault's sync lease (a `hearth sync` may be running; see main/vault/sync-lease.ts).
 */
import type { SyncEngine } from '../sync/engine.ts';
import { LEASE_RENEW_MS } from '../vault/sync-lease.ts';
import type { Vault } from '../vault/vault.ts';

/** How often the app looks for changes the CLI or a script made to the open vault. */
export const EXTERNAL_POLL_MS = 250;

/**
 * Starts looking for other processes' changes and starts `engine`'s live sync once the lease is
 * held. Returns what stops both and gives the lease back; call it after the engine is closed.
 */
export function shareVault(vault: Vault, engine: SyncEngine, options: { externalPollMs?: number } = {}): () => void {
  const timers: Array<ReturnType<typeof setInterval>> = [];
  let stopped = false;
  const every = (ms: number, fn: () => void) => {
    fn();
    if (ms <= 0) return;
    const timer = setInterval(fn, ms);
    timer.unref?.();
    timers.push(timer);
  };

  every(options.externalPollMs ?? EXTERNAL_POLL_MS, () => {
    try {
      if (!stopped) vault.pickUpExternalChanges();
    } catch {
      // Busy or briefly unreadable: the next look tries again.
    }
  });

  const lease = vault.syncLease('the Hearth app');
  let started = false;
  every(LEASE_RENEW_MS, () => {
    if (stopped) return;
    try {
      if (lease.take()) return; // held by a `hearth sync`: the next tick tries again
    } catch {
      return; // busy for a moment: the next tick tries again
    }
    if (!started) engine.start();
    started = true;
  });

  return () => {
    stopped = true;
    for (const timer of timers) clearInterval(timer);
    try {
      lease.release();
    } catch {
      // It runs out by itself within LEASE_MS.
    }
  };
}
