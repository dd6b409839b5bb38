// The relay storage contract on a real PostgreSQL server started for this file.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, newId, randomBytes, toBase64Url } from '../../../common/crypto/sodium.ts';
import { applyMembershipEntry, emptyMembership, nextEntry, signMembershipEntry } from '../../../common/membership/log.ts';
import { PostgresDriver } from '../../../sync-server/storage/postgres-driver.ts';
import { RelayStore } from '../../../sync-server/storage/relay-store.ts';
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

it('prepares a push once per connection instead of parsing and planning it for every push; never a SELECT *', async () => {
  await loadSodium();
  // One pooled connection, so the session this test asks is the one that ran the pushes.
  const driver = new PostgresDriver(await server.createDatabase('prepared'), newId(), 1);
  const store = await RelayStore.open(driver);
  const keys = generateIdentityKeys();
  const owner = toBase64Url(keys.signPublicKey);
  const space = newId();
  const genesis = signMembershipEntry(nextEntry(emptyMembership(space), { actor: owner, action: 'create', subject: owner, role: 'owner' }), keys.signSecretKey);
  await store.createSpace(space, 'workspace', genesis, applyMembershipEntry(emptyMembership(space), genesis), Date.now());
  for (let i = 0; i < 20; i++) await store.appendChange(space, 'doc', newId(), owner, randomBytes(100), 1_000_000);
  await store.getAccount(owner);
  const prepared = await driver.all<{ statement: string }>('SELECT statement FROM pg_prepared_statements');
  expect(prepared.filter((p) => p.statement.includes('INSERT INTO changes'))).toHaveLength(1);
  expect(prepared.filter((p) => /SELECT\s+\*/i.test(p.statement))).toEqual([]);
  expect((await store.getChanges(space, 'doc', 0, 100)).changes).toHaveLength(20);
  await store.close();
});
