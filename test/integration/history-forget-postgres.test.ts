// Erasing a team document's edit history on a relay backed by PostgreSQL: what the relay stores
// afterwards, opened with every key a member held, holds no deleted text, and once the background
// VACUUM FULL has run no table file in PostgreSQL's data folder holds a byte of the old ciphertext
// (the control finds it there before). PostgreSQL's own WAL (pg_wal) may keep copies until it
// recycles its segments: that is what it cannot promise (sync-server/README.md), so it is not scanned.
import * as A from '@automerge/automerge';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, randomBytes, toHex } from '../../common/crypto/sodium.ts';
import { forgetHistory } from '../../main/usecases/history.ts';
import { ciphertextHolds, ciphertextPrints, countFound } from '../support/history-scan.ts';
import { filesUnder } from '../support/vault.ts';
import { startPostgres, type PostgresServer } from '../unit/sync-server/postgres-server.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, eventually, makePeer, type Peer } from './sync-fixture.ts';

let server: PostgresServer;
let url: string;
let relay: TestRelay;
let ann: Peer;
let bob: Peer;

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('relay_forget');
  relay = await startTestRelay({ postgresUrl: url });
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
}, 120_000);
afterAll(async () => {
  await closeAll([ann, bob], { relay });
  await server?.stop();
});

async function stored(space: string, doc: string): Promise<Buffer[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const changes = await client.query<{ bytes: Buffer }>('SELECT bytes FROM changes WHERE space = $1 AND doc = $2', [space, doc]);
    const snapshots = await client.query<{ snapshot: Buffer }>('SELECT snapshot FROM docs WHERE space = $1 AND doc = $2 AND snapshot IS NOT NULL', [
      space,
      doc,
    ]);
    return [...snapshots.rows.map((r) => r.snapshot), ...changes.rows.map((r) => r.bytes)];
  } finally {
    await client.end();
  }
}

/** The table files of the data folder (not pg_wal), after a checkpoint wrote every dirty page to them. */
async function tableBytes(): Promise<Buffer> {
  await server.admin('CHECKPOINT');
  return Buffer.concat(filesUnder(join(server.dataDir, 'base')).map((f) => readFileSync(f)));
}

describe('erasing edit history on PostgreSQL', () => {
  it('leaves no old ciphertext in the table files once VACUUM FULL has run, and none of the text in what is stored', { timeout: 120_000 }, async () => {
    const workspace = (await ann.engine.createTeamWorkspace('On PostgreSQL', relay.url)).id;
    await ann.engine.invite(workspace, bob.vault.profile.username, 'editor');
    await bob.engine.acceptInvitation(workspace);
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    const id = ann.vault.documents.create(workspace, { title: 'Plan', init: (d) => A.splice(d, ['body'], 0, 0, `Keep. ${marker} `) }).id;
    await ann.engine.syncOnce();
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 'Keep. '.length, marker.length + 1, ''));
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    const keys = [...new Set([ann, bob].flatMap((p) => Object.values(p.vault.syncState.space(workspace)?.epochKeys ?? {})))].map((hex) => fromHex(hex));
    const before = await stored(workspace, id);
    const prints = ciphertextPrints(before);
    // Controls: the stored ciphertext opens to the marker, and the table files hold that ciphertext.
    expect(ciphertextHolds(before, keys, marker).found).toBe(true);
    expect(prints.length).toBeGreaterThan(0);
    expect(countFound(await tableBytes(), prints)).toBe(prints.length);

    await forgetHistory(ann, id);
    await bob.engine.syncOnce();
    expect(bodyOf(bob, id)).toBe('Keep. ');
    const after = ciphertextHolds(await stored(workspace, id), keys, marker);
    expect(after.opened).toBeGreaterThan(0);
    expect(after.found).toBe(false);
    // The relay's VACUUM FULL runs in the background after the erasure.
    await eventually(async () => countFound(await tableBytes(), prints) === 0, 'VACUUM FULL to rewrite the tables without the old rows', 60_000);
  });
});
