/**
 * Group commit: writes made in one moment share one transaction, and each writer's promise
 * settles only once the commit that holds its write has (a rejected promise means the write is
 * not in the file). The group commits when the event loop is next free, so a writer that yields
 * between writes (a page's keystrokes, each its own message) waits no longer than before; one that
 * never yields (a script replaying an edit trace) still has each write committed within
 * MAX_OPEN_MS or MAX_WRITES of it.
 */

/** A group open this long commits with the next write. */
const MAX_OPEN_MS = 4;
/** A group holding this many writes commits at once. */
const MAX_WRITES = 256;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class CommitGroup<K> {
  private waiting = new Map<K, Waiter[]>();
  private writes = 0;
  private openedAt = 0;
  private scheduled: ReturnType<typeof setImmediate> | undefined;
  private committing = false;

  /**
   * `commitAll` writes what waits for every key in one transaction and returns, per key whose
   * write did not land, why; a throw fails them all.
   */
  constructor(private readonly commitAll: (keys: K[]) => Map<K, unknown>) {}

  /** Whether `key` has writes waiting for the next commit. */
  has(key: K): boolean {
    return this.waiting.has(key);
  }

  /** Adds a write already made (in memory) to `key`: the promise settles with the commit that holds it. */
  join(key: K): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
    });
    const now = performance.now();
    if (this.writes++ === 0) this.openedAt = now;
    if (this.writes >= MAX_WRITES || now - this.openedAt >= MAX_OPEN_MS) this.commit();
    else this.scheduled ??= setImmediate(() => this.commit());
    return promise;
  }

  /**
   * Commits what waits, now: before anything else writes the same keys, or reads what other
   * processes wrote into them. A no-op while a commit runs (its own writes land in it).
   */
  commit(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.committing || this.waiting.size === 0) return;
    const batch = this.waiting;
    this.waiting = new Map();
    this.writes = 0;
    this.committing = true;
    let failed: Map<K, unknown>;
    try {
      failed = this.commitAll([...batch.keys()]);
    } catch (error) {
      failed = new Map([...batch.keys()].map((key) => [key, error]));
    } finally {
      this.committing = false;
    }
    for (const [key, waiters] of batch) {
      for (const waiter of waiters) {
        if (failed.has(key)) waiter.reject(failed.get(key));
        else waiter.resolve();
      }
    }
  }
}
