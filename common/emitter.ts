/**
 * One typed event source, for every place that tells listeners about something (vault changes,
 * sync status, relay hints). A listener that throws does not stop the others or the emitter:
 * the event already happened, and whoever emitted it has no use for a listener's trouble.
 */
export type Listener<T> = (event: T) => void;

export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  /** Calls `listener` for every later event; the returned function stops that. */
  on(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells every listener, in the order they subscribed; returns the errors listeners threw. */
  emit(event: T): unknown[] {
    const errors: unknown[] = [];
    // A copy, so a listener that unsubscribes (or subscribes another) mid-emit changes the next event only.
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }

  get size(): number {
    return this.listeners.size;
  }

  clear(): void {
    this.listeners.clear();
  }
}
