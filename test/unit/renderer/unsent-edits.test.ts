/**
 * Edits the lock caught on their way (renderer/editor/unsent.ts) against a real session: they
 * wait while the vault is locked, reach the same document after the unlock even though it moved
 * on meanwhile, count once when parked twice, and a refusal that retrying cannot fix (the
 * document was deleted) is reported, not retried forever.
 */
import * as A from '@automerge/automerge';
import { afterEach, expect, test } from 'vitest';
import { connectInProcess } from '../../../main/api/connection.ts';
import { DocumentReplica } from '../../../renderer/editor/replica.ts';
import { clearParked, parkChanges, resendParked, unsentSummary } from '../../../renderer/editor/unsent.ts';
import { provideApi } from '../../../renderer/state/api.ts';
import { expectOk, testSession } from '../../integration/transport-fixture.ts';

const profile = { passphrase: 'a long enough passphrase', username: 'ada', displayName: 'Ada' };

afterEach(() => clearParked());

async function setUp() {
  const session = testSession();
  const page = connectInProcess(session);
  expectOk(await page.createVault(profile));
  const workspace = expectOk(await page.listWorkspaces())[0]!;
  const summary = expectOk(await page.createDocument(workspace.id, { title: 'Notes' }));
  const { bytes } = expectOk(await page.openDocument(summary.id));
  return { session, page, documentId: summary.id, doc: A.load<{ body: string }>(bytes) };
}

const bodyOf = async (page: ReturnType<typeof connectInProcess>, id: string) => A.load<{ body: string }>(expectOk(await page.openDocument(id)).bytes).body;

test('edits parked at a lock wait while locked and reach the document after the unlock, merged with what happened meanwhile', async () => {
  const { session, page, documentId, doc } = await setUp();
  // The page typed two keystrokes (two changes) that main never confirmed.
  let mine = A.change(doc, (d) => A.splice(d, ['body'], 0, 0, 'Hello'));
  const first = A.getLastLocalChange(mine)!;
  mine = A.change(mine, (d) => A.splice(d, ['body'], 5, 0, ' world'));
  const second = A.getLastLocalChange(mine)!;
  parkChanges(documentId, [first, second]);
  parkChanges(documentId, [first]); // the batch in flight, parked again when its VAULT_LOCKED came
  expect(unsentSummary()).toEqual({ documents: 1, changes: 2 });

  await session.lock('idle');
  const send = (id: string, changes: Uint8Array<ArrayBuffer>[]) => page.applyChanges(id, changes);
  // Still locked: nothing is dropped.
  expect(await resendParked(send)).toEqual({ saved: [], refused: [] });
  expect(unsentSummary()).toEqual({ documents: 1, changes: 2 });

  expectOk(await page.unlock(profile.passphrase));
  // The document moved on while the edits waited (another window typed at the start).
  const other = A.change(A.load<{ body: string }>(expectOk(await page.openDocument(documentId)).bytes), (d) => A.splice(d, ['body'], 0, 0, '> '));
  expectOk(await page.applyChanges(documentId, [A.getLastLocalChange(other)! as Uint8Array<ArrayBuffer>]));

  expect(await resendParked(send)).toEqual({ saved: [documentId], refused: [] });
  expect(unsentSummary()).toEqual({ documents: 0, changes: 0 });
  const body = await bodyOf(page, documentId);
  expect(body).toContain('Hello world');
  expect(body).toContain('> ');
  expect(body.length).toBe('> Hello world'.length);

  // Sending the same changes again changes nothing (idempotent).
  parkChanges(documentId, [first, second]);
  await resendParked(send);
  expect(await bodyOf(page, documentId)).toBe(body);
  page.close();
  await session.close();
});

test('a document deleted while its edits waited: they are reported as not saved and not kept forever', async () => {
  const { session, page, documentId, doc } = await setUp();
  const mine = A.change(doc, (d) => A.splice(d, ['body'], 0, 0, 'lost cause'));
  parkChanges(documentId, [A.getLastLocalChange(mine)!]);
  expectOk(await page.deleteDocument(documentId));
  const outcome = await resendParked((id, changes) => page.applyChanges(id, changes));
  expect(outcome.saved).toEqual([]);
  expect(outcome.refused).toHaveLength(1);
  expect(outcome.refused[0]!.documentId).toBe(documentId);
  expect(outcome.refused[0]!.message.length).toBeGreaterThan(10);
  expect(unsentSummary().changes).toBe(0);
  page.close();
  await session.close();
});

test("the page's replica: keystrokes queued behind one in flight when the vault locks are parked, and all reach main after the unlock", async () => {
  const { session, page, documentId } = await setUp();
  provideApi(page);
  const { bytes } = expectOk(await page.openDocument(documentId));
  const replica = new DocumentReplica(documentId, bytes, () => undefined);
  const states: string[] = [];
  replica.onSaveState((state) => states.push(state.kind === 'failed' ? state.message : state.kind));
  const type = (text: string) => replica.change((d) => A.splice(d, ['body'], d.body.length, 0, text));

  type('one ');
  type('two '); // queued behind the first, which is on its way
  const locking = session.lock('idle'); // the idle timer fires now
  type('three');
  await replica.flush();
  await locking;
  expect(unsentSummary().changes).toBeGreaterThanOrEqual(2);
  expect(states.at(-1)).toContain('saved when you unlock');

  expectOk(await page.unlock(profile.passphrase));
  expect((await resendParked((id, changes) => page.applyChanges(id, changes))).saved).toEqual([documentId]);
  expect(await bodyOf(page, documentId)).toBe('one two three');
  page.close();
  await session.close();
});
