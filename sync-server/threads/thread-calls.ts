/**
 * Calls between the relay's main thread and its worker threads (storage, signature checks).
 * Calls and answers travel in batches, one message per turn of the event loop in each direction,
 * so a busy relay pays one postMessage for many calls. Errors cross as their code, message and
 * the limit they name, and come back as the same HearthError.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import { HearthError, isHearthError, type ErrorCode } from '../../common/errors.ts';

type Call = [id: number, method: string, args: unknown[]];
type WireError = { code: ErrorCode | null; message: string; limit?: string };
type Answer = [id: number, ok: true, value: unknown] | [id: number, ok: false, error: WireError];

const ENTRY = new URL('./thread-entry.mjs', import.meta.url);

/** Starts a worker thread running `module` (TypeScript or JavaScript) with `data` as its workerData.data. */
export function startThread(module: URL, data: unknown, name: string): Worker {
  const worker = new Worker(ENTRY, { workerData: { entry: module.href, data }, execArgv: [], name });
  // The relay's server keeps the process alive while it runs; its threads must not keep it alive after.
  worker.unref();
  return worker;
}

/**
 * A byte view into a larger buffer (a socket's read buffer) would take the whole buffer along when
 * cloned to another thread; a compact copy takes only its own bytes.
 */
function compact(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice();
  if (Array.isArray(value)) return value.map(compact);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, compact(v)]));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  }
  return value;
}

function toWire(error: unknown): WireError {
  if (isHearthError(error)) {
    const limit = (error as HearthError & { limit?: string }).limit;
    return { code: error.code, message: error.message, ...(limit ? { limit } : {}) };
  }
  return { code: null, message: (error as Error)?.message ?? String(error) };
}

function fromWire(error: WireError): Error {
  if (!error.code) return new Error(error.message);
  return Object.assign(new HearthError(error.code, error.message), error.limit ? { limit: error.limit } : {});
}

/**
 * Calls (or answers) go out in batches. When `atOnce()` holds (an idle thread; a worker's answers
 * to one message of calls, ready together) a batch goes as soon as the work at hand is done;
 * otherwise (the thread is busy with earlier calls and would not pick these up sooner) it waits
 * for the end of this turn of the event loop, after the I/O that made its calls, so one message
 * carries them all.
 */
class Outbox<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (items: T[]) => void,
    private readonly atOnce: () => boolean,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    (this.atOnce() ? queueMicrotask : setImmediate)(() => {
      this.scheduled = false;
      const items = this.items;
      this.items = [];
      this.send(items);
    });
  }
}

/** The calling side: one per worker thread. */
export class ThreadCaller {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly outbox: Outbox<Call>;
  private failure: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly onFailure: (error: Error) => void = () => undefined,
  ) {
    // An idle thread gets a call at once; a busy one gets the turn's calls together when it is free.
    this.outbox = new Outbox(
      (calls) => worker.postMessage(calls),
      () => this.pending.size <= 1,
    );
    worker.on('message', (answers: Answer[]) => {
      for (const [id, ok, value] of answers) {
        const pending = this.pending.get(id);
        if (!pending) continue;
        this.pending.delete(id);
        if (ok) pending.resolve(value);
        else pending.reject(fromWire(value as WireError));
      }
    });
    worker.on('error', (error) => this.fail(error, true));
    worker.on('exit', (code) => this.fail(new Error(`it exited with code ${code}`), true));
  }

  /** Calls in flight: how busy this thread is. */
  get load(): number {
    return this.pending.size;
  }

  call<T>(method: string, args: unknown[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.outbox.push([id, method, compact(args) as unknown[]]);
    });
  }

  private fail(error: Error, unexpected: boolean): void {
    if (this.failure) return;
    this.failure = unexpected
      ? new HearthError('UNAVAILABLE', `A relay thread stopped (${error.message}); the relay must be restarted.`)
      : new HearthError('UNAVAILABLE', 'The relay is shutting down; reconnect in a moment.');
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    if (unexpected) this.onFailure(error);
  }

  /** Stops the thread; calls still in flight fail. */
  async stop(): Promise<void> {
    this.fail(new Error('stopped'), false);
    await this.worker.terminate();
  }
}

/** The serving side, inside a worker thread: runs each call with `handle` and answers in batches. */
export function serveCalls(port: MessagePort, handle: (method: string, args: unknown[]) => unknown): void {
  const outbox = new Outbox<Answer>(
    (answers) => port.postMessage(answers),
    () => true,
  );
  port.on('message', (calls: Call[]) => {
    for (const [id, method, args] of calls) {
      let result: unknown;
      try {
        result = handle(method, args);
      } catch (error) {
        outbox.push([id, false, toWire(error)]);
        continue;
      }
      if (result instanceof Promise) {
        result.then(
          (value) => outbox.push([id, true, value]),
          (error: unknown) => outbox.push([id, false, toWire(error)]),
        );
      } else outbox.push([id, true, result]);
    }
  });
}
