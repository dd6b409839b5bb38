/**
 * Signature checks on worker threads, so the main thread only moves frames: each push's change
 * and each sign-in proof is verified on the least busy thread (native Ed25519, signatures.ts).
 * With no threads (a one-core machine), the same checks run inline.
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

export class VerifyPool {
  // A frame's change is checked as soon as it arrives (prefetch) and used when its turn comes.
  private readonly changes = new WeakMap<Uint8Array, Promise<ChangeMeta>>();

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

  private leastBusy(): ThreadCaller | undefined {
    let best: ThreadCaller | undefined;
    for (const thread of this.threads) if (!best || thread.load < best.load) best = thread;
    return best;
  }

  /** The change's metadata once its author's signature is checked; rejects as verifyChange does. */
  verifyChange(bytes: Uint8Array): Promise<ChangeMeta> {
    let result = this.changes.get(bytes);
    if (!result) {
      const thread = this.leastBusy();
      result = thread ? thread.call<ChangeMeta>('change', [bytes]) : new Promise<ChangeMeta>((resolve) => resolve(verifyChangeSignature(bytes)));
      this.changes.set(bytes, result);
      // A prefetched check nobody awaits (the request was refused first) must not be an unhandled rejection.
      result.catch(() => undefined);
    }
    return result;
  }

  /** Whether the sign-in proof verifies, with `device`'s key when one is named, else the account's. */
  verifyAuth(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signature: string, device?: string): Promise<boolean> {
    const thread = this.leastBusy();
    if (!thread) return Promise.resolve(verifyAuthSignature(purpose, relayId, nonce, account, signature, device));
    return thread.call<boolean>('auth', [purpose, relayId, nonce, account, signature, device]);
  }

  private async stop(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop()));
  }
}
