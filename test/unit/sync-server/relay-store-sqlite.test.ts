// The relay storage contract on SQLite files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteDriver } from '../../../sync-server/storage/sqlite-driver.ts';
import { relayStoreContract } from './relay-store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'hearth-relay-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

relayStoreContract('SQLite', async () => {
  const path = join(dir, `relay-${++n}.sqlite`);
  return () => new SqliteDriver(path);
});
