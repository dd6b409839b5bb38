// The relay storage contract on a real PostgreSQL server started for this file.
import { afterAll, beforeAll } from 'vitest';
import { newId } from '../../../common/crypto/sodium.ts';
import { PostgresDriver } from '../../../sync-server/storage/postgres-driver.ts';
import { startPostgres, type PostgresServer } from './postgres-server.ts';
import { relayStoreContract } from './relay-store-contract.ts';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());
let n = 0;

relayStoreContract('PostgreSQL', async () => {
  const url = await server.createDatabase(`contract_${++n}`);
  return () => new PostgresDriver(url, newId());
});
