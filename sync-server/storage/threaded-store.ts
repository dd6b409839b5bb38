/**
 * The SQLite store on its own threads: every call goes to the storage thread (storage-thread.ts),
 * which owns the connection and commits in groups, and a checkpointer thread
 * (checkpoint-thread.mjs) keeps the WAL short and scrubs after deletions. The main thread only posts calls and gets answers,
 * so an fsync or a checkpoint never stalls the sockets. Same interface as RelayStore.
 */
import type { Worker } from 'node:worker_threads';
import { ThreadCaller, startThread } from '../threads/thread-calls.ts';
import { RelayStore, type RelayStorage, type StorageDriver } from './relay-store.ts';
import type { SqlRow, SqlValue } from './sql-driver.ts';

const CHECKPOINT_INTERVAL_MS = 200;

/** Rows as better-sqlite3 gives them in this thread: blobs as Buffers (a thread hop makes them plain Uint8Arrays). */
function asBuffers<T extends SqlRow>(rows: T[]): T[] {
  for (const row of rows) {
    for (const [column, value] of Object.entries(row)) {
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) (row as SqlRow)[column] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return rows;
}

/** Resolves when the thread posts `message` (or has exited). */
function said(thread: Worker, message: string): Promise<void> {
  return new Promise((resolve) => {
    const heard = (m: unknown) => {
      if (m !== message) return;
      thread.off('message', heard);
      resolve();
    };
    thread.on('message', heard);
    thread.once('exit', () => resolve());
  });
}

/**
 * Scrubs asked of the checkpointer thread (checkpoint-thread.mjs): each resolves once a TRUNCATE
 * checkpoint that started after it succeeded, so the deleted rows' last copies have left the WAL
 * before the request that deleted them is answered (S9).
 */
class ScrubAsks {
  private next = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(private readonly checkpointer: Worker) {
    checkpointer.on('message', (message: unknown) => {
      if (!message || typeof message !== 'object' || !('scrubbed' in message)) return;
      const { scrubbed, failed } = message as { scrubbed: number; failed?: string };
      const waiter = this.pending.get(scrubbed);
      this.pending.delete(scrubbed);
      if (failed) waiter?.reject(new Error(failed));
      else waiter?.resolve();
    });
    checkpointer.once('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('the checkpointer thread stopped before it scrubbed'));
      this.pending.clear();
    });
  }

  ask(): Promise<void> {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.checkpointer.postMessage({ scrub: id });
    });
  }
}

/** Opens the SQLite file at `path` on a storage thread (migrating it) and starts its checkpointer. */
export async function openThreadedStore(path: string, onFailure: (error: Error) => void): Promise<RelayStorage> {
  const storage = new ThreadCaller(startThread(new URL('./storage-thread.ts', import.meta.url), { path }, 'hearth-storage'), onFailure);
  let relayId: string;
  try {
    relayId = await storage.call<string>('open');
  } catch (error) {
    await storage.stop();
    throw error;
  }
  const checkpointer = startThread(new URL('./checkpoint-thread.mjs', import.meta.url), { path, intervalMs: CHECKPOINT_INTERVAL_MS }, 'hearth-checkpoint');
  checkpointer.on('error', onFailure);
  await said(checkpointer, 'ready');
  const scrubs = new ScrubAsks(checkpointer);

  const driver: StorageDriver = {
    dialect: 'sqlite',
    all: async <T extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []) => asBuffers(await storage.call<T[]>('driver.all', [sql, params])),
    run: (sql: string, params: readonly SqlValue[] = []) => storage.call<number>('driver.run', [sql, params]),
    // On the checkpointer's connection, not the storage thread's: commits go on while it waits for a turn.
    scrub: () => scrubs.ask(),
    // One process owns a SQLite file: there are no other instances to tell or hear from.
    publish: () => undefined,
    onEvent: () => undefined,
  };
  const methods: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(RelayStore.prototype)) {
    if (name !== 'constructor') methods[name] = (...args: unknown[]) => storage.call(name, args);
  }
  return {
    ...methods,
    driver,
    relayId,
    onEvent: () => undefined,
    async close() {
      checkpointer.postMessage('close');
      await said(checkpointer, 'closed');
      await checkpointer.terminate();
      await storage.call('close');
      await storage.stop();
    },
  } as unknown as RelayStorage;
}
