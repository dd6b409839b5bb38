/**
 * WAL checkpoints when the vault is quiet, not inside a keystroke. SQLite's automatic checkpoint
 * runs in whichever commit pushes the WAL past 1,000 pages: it copies those pages into the
 * database file and syncs it, and that commit (a keystroke's, as often as not) waits for it.
 * Here the automatic checkpoint only guards a ceiling, and a PASSIVE checkpoint (which never
 * waits for readers or writers, in this process or another) runs once no commit has touched the
 * WAL for a moment.
 */
import type { Database } from 'better-sqlite3';
import { statSync } from 'node:fs';

/** How long the WAL must be untouched before a checkpoint runs. */
export const QUIET_MS = 1000;
/**
 * Pages after which SQLite checkpoints in the commit after all: only reached by someone who
 * writes 64 MiB without a second's pause, and it bounds the WAL (and a crash's recovery).
 */
const CEILING_PAGES = 16_384;

export class WalKeeper {
  private readonly timer: ReturnType<typeof setInterval>;
  /** The WAL's modification time when it was last checkpointed here. */
  private checkpointedAt = 0;

  constructor(
    private readonly db: Database,
    private readonly walFile: string,
    intervalMs = QUIET_MS / 2,
  ) {
    db.pragma(`wal_autocheckpoint = ${CEILING_PAGES}`);
    this.timer = setInterval(() => this.checkpointIfQuiet(), intervalMs);
    this.timer.unref?.();
  }

  /** Checkpoints when commits have reached the WAL since the last checkpoint, and none for QUIET_MS. */
  checkpointIfQuiet(now = Date.now()): boolean {
    let modified: number;
    try {
      modified = statSync(this.walFile).mtimeMs;
    } catch {
      return false; // No WAL yet (or the vault is closing): nothing to copy.
    }
    if (modified <= this.checkpointedAt || now - modified < QUIET_MS || !this.db.open) return false;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Nobody waits on a background checkpoint to hear of a full disk or an I/O error: the next
      // write meets the same trouble and reports it (as a HearthError); this one retries later.
      return false;
    }
    this.checkpointedAt = modified;
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
