/**
 * Retention expiring while the app runs: every workspace's "Keep edit history" setting is applied
 * shortly after unlock and then every hour, so edits older than it allows are forgotten without
 * anyone asking (the use case main/usecases/history.ts applyRetention, which `hearth sync` runs
 * too; a team's only by an Owner's or Admin's device).
 */
import type { SyncEngine } from '../sync/engine.ts';
import { applyRetention } from '../usecases/history.ts';
import type { Vault } from '../vault/vault.ts';

const FIRST_RUN_MS = 30_000;
const EVERY_MS = 60 * 60 * 1000;

/** Starts applying retention for this unlocked vault; returns the function that stops it. */
export function keepRetention(vault: Vault, engine: SyncEngine, timing: { firstMs?: number; everyMs?: number } = {}): () => void {
  let running = false;
  let stopped = false;
  const run = async () => {
    if (running || stopped) return;
    running = true;
    try {
      for (const workspace of vault.workspaces.list()) {
        if (stopped) return;
        await applyRetention({ vault, engine }, [workspace.id]).catch(() => undefined);
      }
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void run(), timing.firstMs ?? FIRST_RUN_MS);
  const every = setInterval(() => void run(), timing.everyMs ?? EVERY_MS);
  first.unref?.();
  every.unref?.();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(every);
  };
}
