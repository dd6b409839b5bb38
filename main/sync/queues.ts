/**
 * One queue per space: what touches a space's sync state (a round, a push, a live change, a
 * membership change) runs after everything queued before it, so pulls, pushes and live changes
 * never interleave. A failed operation does not stop the ones behind it.
 */
export class SpaceQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` after everything queued for the space; resolves or rejects with its outcome. */
  run<T>(spaceId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(spaceId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.tails.set(spaceId, next);
    return next;
  }

  /** Resolves when every queued operation of every space has run, including those queued meanwhile. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.tails.values()];
      await Promise.allSettled(pending);
      const now = [...this.tails.values()];
      if (now.length === pending.length && now.every((q, i) => q === pending[i])) return;
    }
  }

  /** Resolves when what is queued now has run (not what is queued later). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }
}
