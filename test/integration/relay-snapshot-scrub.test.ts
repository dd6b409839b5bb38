/**
 * S9 at the relay: the changes a snapshot replaces leave its files, not only its tables. A rebuilt
 * workspace index (after an account is deleted) reaches the relay as a snapshot, and the index
 * changes it replaces hold the deleted member's directory entry: while their ciphertext sits in the
 * WAL or in pages SQLite freed, anyone who ever held the space's key could read it back.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../../common/crypto/sodium.ts';
import { ciphertextPrints, countFound, relayFile, sqliteBytes } from '../support/history-scan.ts';
import { createSpace, register, sealedChange, startTestRelay, type TestRelay } from './relay-fixture.ts';

describe('a snapshot at the relay', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    await relay.stop();
  });

  it('takes the ciphertext of the changes it replaces out of the database file and its WAL', async () => {
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    // Large enough that a 32-byte window from the middle of each ciphertext is its own.
    const replaced = Array.from({ length: 5 }, (_, i) => sealedChange(space, ann, 'doc', `entry ${i} ${Buffer.from(randomBytes(300)).toString('base64')}`));
    for (const change of replaced) await ann.client.push(space.id, 'doc', change);
    const prints = ciphertextPrints(replaced);
    // Control: before the snapshot, the scan finds every change.
    expect(countFound(sqliteBytes(relayFile(relay.dataDir)), prints)).toBe(prints.length);
    await ann.client.putSnapshot(space.id, 'doc', replaced.length, sealedChange(space, ann, 'doc', 'the state now', 'snapshot'));
    expect((await ann.client.pull(space.id, 'doc', 0)).changes).toEqual([]);
    expect(countFound(sqliteBytes(relayFile(relay.dataDir)), prints)).toBe(0);
  });

  it(
    'waits for its scrub off the storage thread: other writes go on meanwhile, and the answer still comes only once the files are clean',
    { timeout: 60_000 },
    async () => {
      const ann = await register(relay.url, 'ann');
      const space = await createSpace(ann);
      const replaced = Array.from({ length: 5 }, (_, i) => sealedChange(space, ann, 'doc', `entry ${i} ${Buffer.from(randomBytes(300)).toString('base64')}`));
      for (const change of replaced) await ann.client.push(space.id, 'doc', change);
      const prints = ciphertextPrints(replaced);
      const bob = await register(relay.url, 'bob');
      const bobs = await createSpace(bob);
      // A reader on an older snapshot of the file keeps the WAL from being truncated while it reads.
      const reader = new Database(relayFile(relay.dataDir), { readonly: true });
      try {
        reader.exec('BEGIN');
        reader.prepare('SELECT count(*) AS n FROM changes').get();
        let answered = false;
        const snapshot = ann.client.putSnapshot(space.id, 'doc', replaced.length, sealedChange(space, ann, 'doc', 'the state now', 'snapshot'));
        void snapshot.then(() => (answered = true)).catch(() => undefined);
        // Another person's writes are answered while the scrub waits its turn.
        const pushes = (async () => {
          for (let i = 0; i < 3; i++) await bob.client.push(bobs.id, 'doc', sealedChange(bobs, bob, 'doc', `meanwhile ${i}`));
          return 'written';
        })();
        const outcome = await Promise.race([pushes, new Promise((resolve) => setTimeout(() => resolve('held up'), 5_000))]);
        expect(outcome).toBe('written');
        expect(answered).toBe(false);
        reader.exec('COMMIT');
        await snapshot;
      } finally {
        reader.close();
      }
      expect(countFound(sqliteBytes(relayFile(relay.dataDir)), prints)).toBe(0);
    },
  );
});
