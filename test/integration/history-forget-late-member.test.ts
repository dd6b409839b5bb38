// A member who was away while a document's history was erased and the relay then replaced the
// new generation's first snapshot by a later one (the edits went on): the later snapshot carries
// the signed generation record too, so the member checks it, takes the new generation in, and
// carries its offline edit onto it, instead of refusing the snapshot and staying on the old one.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomBytes, toHex } from '../../common/crypto/sodium.ts';
import { forgetHistory } from '../../main/usecases/history.ts';
import { historyHolds } from '../support/history-scan.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, teamOfTwo, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let workspace: string;

beforeAll(async () => {
  relay = await startTestRelay();
  // Ann uploads a snapshot once two relay changes have passed the last one.
  ({ ann, bob, workspace } = await teamOfTwo(relay.url, 'Away', { ann: { snapshotEvery: 2 } }));
}, 60_000);
afterAll(() => closeAll([ann, bob], { relay }));

it('a member back after the erasure and a later snapshot takes the new generation in and carries its offline edit', { timeout: 90_000 }, async () => {
  const marker = `erase-me-${toHex(randomBytes(8))}`;
  const id = ann.vault.documents.create(workspace, { title: 'Agenda', init: (d) => A.splice(d, ['body'], 0, 0, `Budget. ${marker} `) }).id;
  await ann.engine.syncOnce();
  ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 'Budget. '.length, marker.length + 1, ''));
  await ann.engine.syncOnce();
  await bob.engine.syncOnce();
  expect(historyHolds(bob.vault.documents.get(id), marker)).toBe(true);

  // Bob, away, adds a line; Ann erases the history and edits on, past a later snapshot.
  bob.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, 'Bob: '));
  await forgetHistory(ann, id);
  for (const word of ['Hiring.', ' Rent.', ' Travel.']) {
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.length, 0, word));
    await ann.engine.syncOnce();
  }
  const [doc] = await relay.store.driver.all('SELECT gen, snapshot_covers, last_seq FROM docs WHERE space = ? AND doc = ?', [workspace, id]);
  expect(Number(doc!.gen)).toBe(1);
  // The relay's snapshot is a later one than the generation's first (which was at the erasure).
  const firstSeq = Number(doc!.last_seq) - 3;
  expect(Number(doc!.snapshot_covers)).toBeGreaterThan(firstSeq);

  await bob.engine.syncOnce();
  await ann.engine.syncOnce();
  expect(bob.engine.quarantined(workspace)).toEqual([]);
  expect(bob.vault.documents.generationOf(id)).toBe(1);
  expect(historyHolds(bob.vault.documents.get(id), marker)).toBe(false);
  for (const p of [ann, bob]) expect(bodyOf(p, id), p.name).toBe('Bob: Budget. Hiring. Rent. Travel.');
});
