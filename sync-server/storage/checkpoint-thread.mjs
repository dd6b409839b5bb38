// The SQLite checkpointer: its own connection, on its own thread, copies committed pages from the
// WAL into the database file a few times a second (PASSIVE: it never blocks the writer), so neither
// the main thread nor the storage thread's commits wait for a checkpoint. Plain JavaScript, so the
// thread starts without loading TypeScript. Messages: 'close' → 'closed'; it says 'ready' first.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData.data;
const db = new Database(path);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The file is busy or going away; the next round tries again.
  }
}, intervalMs);

parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage('closed');
});
parentPort.postMessage('ready');
