// The SQLite checkpointer: its own connection, on its own thread, copies committed pages from the
// WAL into the database file a few times a second (PASSIVE: it never blocks the writer), so neither
// the main thread nor the storage thread's commits wait for a checkpoint. Plain JavaScript, so the
// thread starts without loading TypeScript. Messages: 'close' → 'closed'; it says 'ready' first.
//
// It also scrubs (S9): { scrub: id } asks for every committed page to be copied into the database
// file and the WAL truncated, so the last copies of deleted rows (secure_delete zeroed their pages)
// leave the files; it answers { scrubbed: id } once a TRUNCATE checkpoint that started after the
// ask has succeeded, or { scrubbed: id, failed: message }. Each attempt gives up at once when a
// writer or an older reader is in the way (busy_timeout 0), so the storage thread's commits never
// wait on it, and is tried again a few milliseconds later; one success answers every ask that came before it.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData.data;
const SCRUB_RETRY_MS = 5;
const SCRUB_GIVE_UP_MS = 10_000;

const db = new Database(path, { timeout: 0 });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The file is busy or going away; the next round tries again.
  }
}, intervalMs);

/** Scrub asks not answered yet: id → when it came. Every one was sent after its deletion committed, so any TRUNCATE that succeeds after it came covers it. */
const waiting = new Map();
let retry;

function truncated() {
  try {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)');
    return !result || result.busy === 0;
  } catch {
    return false; // SQLITE_BUSY: a writer holds the lock this moment
  }
}

function scrub() {
  retry = undefined;
  const done = truncated();
  const now = Date.now();
  for (const [id, asked] of waiting) {
    if (done) parentPort.postMessage({ scrubbed: id });
    else if (now - asked > SCRUB_GIVE_UP_MS)
      parentPort.postMessage({ scrubbed: id, failed: 'the WAL could not be truncated: another connection kept it busy' });
    else continue;
    waiting.delete(id);
  }
  if (waiting.size > 0) retry = setTimeout(scrub, SCRUB_RETRY_MS);
}

parentPort.on('message', (message) => {
  if (message && typeof message === 'object' && 'scrub' in message) {
    waiting.set(message.scrub, Date.now());
    if (!retry) retry = setTimeout(scrub, 0);
    return;
  }
  if (message !== 'close') return;
  clearInterval(timer);
  clearTimeout(retry);
  for (const id of waiting.keys()) parentPort.postMessage({ scrubbed: id, failed: 'the relay is closing' });
  db.close();
  parentPort.postMessage('closed');
});
parentPort.postMessage('ready');
