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

export class VerifyPool {
  // A frame's change is checked as soon as it arrives (prefetch) and used when its turn comes.
  private readonly changes = new WeakMap<Uint8Array, Promise<ChangeMeta>>();

  private constructor(private readonly threads: ThreadCaller[]) {}

  /** Starts `count` threads (0: verify inline) and waits until each answers. */
  static async start(count: number, onFailure: (error: Error) => void = () => undefined): Promise<VerifyPool> {
    const threads = Array.from({ length: count }, (_, i) => new ThreadCaller(startThread(new URL('./threads/verify-thread.ts', import.meta.url), null, `hearth-verify-${i}`), onFailure));
    await Promise.all(threads.map((thread) => thread.call('ping')));
    return new VerifyPool(threads);
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

  verifyAuth(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signature: string): Promise<boolean> {
    const thread = this.leastBusy();
    if (!thread) return Promise.resolve(verifyAuthSignature(purpose, relayId, nonce, account, signature));
    return thread.call<boolean>('auth', [purpose, relayId, nonce, account, signature]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop()));
  }
}
