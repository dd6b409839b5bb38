/**
 * The SQLite checkpointer: its own connection, on its own thread, copies committed pages from
 * the WAL into the database file a few times a second (PASSIVE: it never blocks the writer),
 * so neither the main thread nor the storage thread's commits wait for a checkpoint.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { serveCalls } from '../threads/thread-calls.ts';

const { path, intervalMs } = (workerData as { data: { path: string; intervalMs: number } }).data;
const db = new Database(path);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The file is busy or going away; the next round tries again.
  }
}, intervalMs);

serveCalls(parentPort!, (method) => {
  if (method === 'ping') return true;
  if (method === 'close') {
    clearInterval(timer);
    db.close();
    return true;
  }
  throw new Error(`unknown call ${method}`);
});
