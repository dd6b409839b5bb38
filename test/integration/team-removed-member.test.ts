/**
 * A member removed from a team workspace, through the app's API as the page sees it: the
 * workspace says who removed them and when (from the verified membership log, read up to the
 * removal with getRemoval), no role is left, nothing new is accepted as if it would be sent
 * (comments, edits), and "remove it from this device" erases the copy even though the relay no
 * longer answers this account for that workspace.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { HearthApi } from '../../common/api/contract.ts';
import { eventually } from './sync-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { expectOk, inProcess, type TransportUnderTest } from './transport-fixture.ts';

let relay: TestRelay;
const apps: TransportUnderTest[] = [];
let ada: HearthApi;
let bob: HearthApi;
const bobName = `bob-${process.pid}`;
const adaName = `ada-${process.pid}`;

async function person(username: string, displayName: string): Promise<HearthApi> {
  const app = await inProcess.start({ sync: { backoff: { initialMs: 50, maxMs: 500 } }, membershipPollMs: 200 });
  apps.push(app);
  const api = await app.connect();
  expectOk(await api.createVault({ passphrase: 'a long enough passphrase', username, displayName }));
  return api;
}

beforeAll(async () => {
  relay = await startTestRelay();
  ada = await person(adaName, 'Ada Lovelace');
  bob = await person(bobName, 'Bob');
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await relay.stop();
});

test('Bob, removed by Ada, is told who and when; comments and edits are refused, not queued; his copy stays readable until he removes it', async () => {
  const workspace = expectOk(await ada.createTeamWorkspace('Bakery', relay.url));
  const document = expectOk(await ada.createDocument(workspace.id, { title: 'Recipe' }));
  expectOk(await bob.registerAccount(relay.url));
  expectOk(await ada.inviteMember(workspace.id, bobName, 'commenter'));
  expectOk(await bob.acceptInvitation(workspace.id));
  await eventually(async () => expectOk(await bob.listDocuments(workspace.id)).length === 1, "the document reaching Bob's device");
  expect(expectOk(await bob.listWorkspaces()).find((w) => w.id === workspace.id)).toMatchObject({ role: 'commenter' });
  expect(expectOk(await bob.listWorkspaces()).find((w) => w.id === workspace.id)).not.toHaveProperty('removal');

  const before = Date.now();
  expectOk(await ada.removeMember(workspace.id, bobName));
  await eventually(
    async () => expectOk(await bob.listWorkspaces()).find((w) => w.id === workspace.id)?.removal !== undefined,
    'Bob learning that he was removed',
    15_000,
  );
  const seen = expectOk(await bob.listWorkspaces()).find((w) => w.id === workspace.id)!;
  expect(seen).not.toHaveProperty('role');
  expect(seen.removal).toEqual({ by: 'Ada Lovelace', byUsername: adaName, at: expect.any(Number) });
  expect(seen.removal!.at).toBeGreaterThanOrEqual(before - 1000);
  expect(seen.removal!.at).toBeLessThanOrEqual(Date.now());

  // Nothing pretends to be sent: a comment is refused with a clear reason, and nothing waits in the outbox.
  const comment = await bob.addComment(document.id, { text: 'Does this reach anyone?' });
  expect(comment.ok === false && comment.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/not a member of Bakery any more/) });
  expect(expectOk(await bob.listComments(document.id))).toEqual([]);
  const edit = await bob.updateDocument(document.id, { title: 'Mine now' });
  expect(edit.ok === false && edit.error.code).toBe('FORBIDDEN');
  expect(expectOk(await bob.syncStatus()).find((s) => s.workspaceId === workspace.id)).toMatchObject({ state: 'error', pending: 0 });
  // What he had stays readable here.
  expect(expectOk(await bob.openDocument(document.id)).summary.title).toBe('Recipe');

  // Removing the copy works although the relay refuses this account the workspace.
  expectOk(await bob.leaveWorkspace(workspace.id));
  expect(expectOk(await bob.listWorkspaces()).some((w) => w.id === workspace.id)).toBe(false);
  const gone = await bob.openDocument(document.id);
  expect(gone.ok === false && gone.error.code).toBe('NOT_FOUND');
});
