/**
 * Signature checks (native Ed25519, signatures.ts), on the main thread while it is quiet and on
 * worker threads under load. One check costs ~70 µs; a round trip to a thread costs more than that
 * and waits for the thread's turn on a busy core, so a lone push is checked at once, inline, and
 * only the checks past a few in one turn of the event loop (a burst) go to the least busy thread.
 * With no threads (a one-core machine), every check runs inline.
 */
import { availableParallelism } from 'node:os';
import type { AuthPurpose } from '../common/protocol/auth.ts';
import type { ChangeMeta } from '../common/protocol/change.ts';
import { verifyAuthSignature, verifyChangeSignature } from './signatures.ts';
import { ThreadCaller, startThread } from './threads/thread-calls.ts';

/** One thread per core but the one the main thread runs on. */
export const defaultVerifyThreads = (): number => Math.max(1, availableParallelism() - 1);

/** A pool unused this long stops; a relay started again meanwhile (tests start many) reuses it. */
const IDLE_STOP_MS = 5000;

interface SharedPool {
  pool: Promise<VerifyPool>;
  users: Set<(error: Error) => void>;
  idle: NodeJS.Timeout | undefined;
}
const shared = new Map<number, SharedPool>();

/** Checks run inline in one turn of the event loop before the rest of the turn's go to the threads. */
export const INLINE_CHECKS_PER_TURN = 4;

export class VerifyPool {
  // A frame's change is checked as soon as it arrives (prefetch) and used when its turn comes.
  private readonly changes = new WeakMap<Uint8Array, Promise<ChangeMeta>>();
  private inlineThisTurn = 0;
  /** How many checks ran on the main thread, and how many on the threads (the tests see which path a check took). */
  readonly checked = { inline: 0, onThreads: 0 };

  private constructor(private readonly threads: ThreadCaller[]) {}

  /**
   * A pool of `count` threads (0: verify inline), shared by the relays of this process and
   * started on first use; `onFailure` hears of a thread that dies. Give it back with release().
   */
  static acquire(count: number, onFailure: (error: Error) => void = () => undefined): Promise<VerifyPool> {
    let entry = shared.get(count);
    if (!entry) {
      const users = new Set<(error: Error) => void>();
      const failed = (error: Error) => {
        shared.delete(count);
        for (const user of users) user(error);
      };
      const threads = Array.from(
        { length: count },
        (_, i) => new ThreadCaller(startThread(new URL('./threads/verify-thread.ts', import.meta.url), null, `hearth-verify-${i}`), failed),
      );
      const pool = Promise.all(threads.map((thread) => thread.call('ping'))).then(() => new VerifyPool(threads));
      pool.catch(() => shared.delete(count));
      entry = { pool, users, idle: undefined };
      shared.set(count, entry);
    }
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = undefined;
    entry.users.add(onFailure);
    return entry.pool;
  }

  /** Gives the pool back; its threads stop once no relay of this process has used it for a few seconds. */
  release(onFailure: (error: Error) => void): void {
    for (const [count, entry] of shared) {
      if (!entry.users.delete(onFailure) || entry.users.size > 0) continue;
      entry.idle = setTimeout(() => {
        shared.delete(count);
        void this.stop();
      }, IDLE_STOP_MS);
      entry.idle.unref();
    }
  }

  /** The thread a check goes to, or undefined when it runs inline: no threads, or still within this turn's inline budget. */
  private threadFor(): ThreadCaller | undefined {
    if (this.threads.length > 0 && this.inlineThisTurn >= INLINE_CHECKS_PER_TURN) {
      this.checked.onThreads++;
      let best: ThreadCaller | undefined;
      for (const thread of this.threads) if (!best || thread.load < best.load) best = thread;
      return best;
    }
    if (this.inlineThisTurn++ === 0) setImmediate(() => (this.inlineThisTurn = 0));
    this.checked.inline++;
    return undefined;
  }

  /** The change's metadata once its author's signature is checked; rejects as verifyChange does. */
  verifyChange(bytes: Uint8Array): Promise<ChangeMeta> {
    let result = this.changes.get(bytes);
    if (!result) {
      const thread = this.threadFor();
      result = thread ? thread.call<ChangeMeta>('change', [bytes]) : new Promise<ChangeMeta>((resolve) => resolve(verifyChangeSignature(bytes)));
      this.changes.set(bytes, result);
      // A prefetched check nobody awaits (the request was refused first) must not be an unhandled rejection.
      result.catch(() => undefined);
    }
    return result;
  }

  /** Whether the sign-in proof verifies, with `device`'s key when one is named, else the account's. */
  verifyAuth(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signature: string, device?: string): Promise<boolean> {
    const thread = this.threadFor();
    if (!thread) return Promise.resolve(verifyAuthSignature(purpose, relayId, nonce, account, signature, device));
    return thread.call<boolean>('auth', [purpose, relayId, nonce, account, signature, device]);
  }

  private async stop(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop()));
  }
}
