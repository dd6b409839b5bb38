/**
 * The storage thread: owns the relay's SQLite connection and runs every store call
 * (RelayStore on SqliteDriver) for the main thread, so commits, their fsyncs and group commit
 * happen here while the main thread keeps serving sockets. See threaded-store.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HearthError } from '../../common/errors.ts';
import { serveCalls } from '../threads/thread-calls.ts';
import { RelayStore } from './relay-store.ts';
import { SqliteDriver } from './sqlite-driver.ts';
import type { SqlValue } from './sql-driver.ts';

const { path } = (workerData as { data: { path: string } }).data;
const driver = new SqliteDriver(path, { checkpoints: 'elsewhere', joins: 'batch' });
let store: RelayStore | undefined;

serveCalls(parentPort!, (method, args) => {
  if (method === 'open') return RelayStore.open(driver).then((opened) => (store = opened).relayId);
  if (method === 'driver.all') return driver.all(args[0] as string, args[1] as SqlValue[]);
  if (method === 'driver.run') return driver.run(args[0] as string, args[1] as SqlValue[]);
  const call = store && (store as unknown as Record<string, unknown>)[method];
  if (!store || typeof call !== 'function' || method === 'constructor') throw new HearthError('INTERNAL', `The storage thread has no call ${method}.`);
  return (call as (...args: unknown[]) => unknown).apply(store, args);
});
