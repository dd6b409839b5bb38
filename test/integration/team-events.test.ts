/**
 * What a page hears while a peer types, through the app's API over a real relay: a status event
 * only when the status changed (the peer's page hears none: it stays synced with nothing waiting),
 * no role sweep (no workspacesChanged), and each documentChanged carries the document's summary,
 * which the page's list takes in place instead of asking main for the whole list again.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiEvent, ApiEvents, HearthApi, SyncStatus } from '../../common/api/contract.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { provideApi } from '../../renderer/state/api.ts';
import { followDocumentChanges } from '../../renderer/state/document-events.ts';
import { useLibrary } from '../../renderer/state/library.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { eventually } from './sync-fixture.ts';
import { expectOk, inProcess, type TransportUnderTest } from './transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
let relay: TestRelay;
const apps: TransportUnderTest[] = [];

interface Page {
  api: HearthApi;
  heard: Array<{ event: ApiEvent; payload: unknown }>;
  username: string;
}

async function user(name: string): Promise<Page> {
  const app = await inProcess.start({ sync: { backoff: { initialMs: 50, maxMs: 500 } }, membershipPollMs: 0 });
  apps.push(app);
  const api = await app.connect();
  const heard: Page['heard'] = [];
  for (const event of ['documentChanged', 'syncStatus', 'workspacesChanged'] as const) api.on(event, (payload) => heard.push({ event, payload }));
  const username = `${name}-${process.pid}`;
  expectOk(await api.createVault({ passphrase: PASSPHRASE, username, displayName: name }));
  return { api, heard, username };
}

const events = <E extends ApiEvent>(page: Page, event: E, from = 0): Array<ApiEvents[E]> =>
  page.heard
    .slice(from)
    .filter((h) => h.event === event)
    .map((h) => h.payload as ApiEvents[E]);

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await relay.stop();
});

describe("a peer's typing burst, as a page hears it", () => {
  test('no status event, no role sweep, and the list updated in place from the summary', async () => {
    const ada = await user('ada');
    const bob = await user('bob');
    const workspace = expectOk(await ada.api.createTeamWorkspace('Kitchen', relay.url));
    expectOk(await bob.api.registerAccount(relay.url));
    expectOk(await ada.api.inviteMember(workspace.id, bob.username, 'editor'));
    expectOk(await bob.api.acceptInvitation(workspace.id));
    const summary = expectOk(await ada.api.createDocument(workspace.id, { title: 'Recipe' }));
    await eventually(async () => expectOk(await bob.api.listDocuments(workspace.id)).some((d) => d.id === summary.id), 'the document reaches bob');
    await eventually(async () => expectOk(await bob.api.syncStatus()).every((s) => s.state === 'synced' && s.pending === 0), 'bob settled');
    await eventually(async () => expectOk(await ada.api.syncStatus()).every((s) => s.state === 'synced' && s.pending === 0), 'ada settled');

    // Bob's page, as the renderer runs it: its list follows documentChanged; every call it makes is counted.
    const calls: string[] = [];
    const counted = new Proxy(bob.api, {
      get(target, property: keyof HearthApi) {
        const value = target[property];
        if (typeof value !== 'function' || property === 'on') return value;
        return (...args: unknown[]) => {
          calls.push(property);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    provideApi(counted);
    const stop = followDocumentChanges(bob.api);
    await useLibrary.getState().selectWorkspace(workspace.id);
    expect(calls).toEqual(['listDocuments']);
    calls.length = 0;
    const bobHeard = bob.heard.length;
    const adaHeard = ada.heard.length;

    // Ada types twenty keystrokes, each sent as the editor sends them, then renames the document.
    let doc = A.load<DocumentContent>(expectOk(await ada.api.openDocument(summary.id)).bytes);
    for (const letter of 'Flour, water, salt. ') {
      doc = A.change(doc, (d) => A.splice(d, ['body'], d.body.length, 0, letter));
      expectOk(await ada.api.applyChanges(summary.id, [A.getLastLocalChange(doc)!]));
    }
    const renamed = expectOk(await ada.api.updateDocument(summary.id, { title: 'Bread' }));
    await eventually(() => useLibrary.getState().documents?.find((d) => d.id === summary.id)?.title === 'Bread', "bob's list shows the new title");
    await eventually(async () => expectOk(await ada.api.syncStatus()).every((s) => s.state === 'synced' && s.pending === 0), 'ada sent everything');
    // Let anything still on its way arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 700));
    stop();

    // Bob's page never asked for the list again: each event carried the summary it shows.
    expect(calls).toEqual([]);
    const changed = events(bob, 'documentChanged', bobHeard).filter((e) => e.documentId === summary.id);
    expect(changed.length).toBeGreaterThan(0);
    const last = changed.at(-1)!.summary;
    expect(last).toMatchObject({ id: summary.id, workspaceId: workspace.id, title: 'Bread' });
    expect(last.updatedAt).toBeGreaterThanOrEqual(renamed.createdAt);
    expect(useLibrary.getState().documents?.find((d) => d.id === summary.id)).toEqual(last);
    // Bob's status did not change (synced, nothing waiting): no status event, no role sweep.
    expect(events(bob, 'syncStatus', bobHeard)).toEqual([]);
    expect(events(bob, 'workspacesChanged', bobHeard)).toEqual([]);
    // Ada's page heard her status only when it changed: never the same status twice in a row.
    const adaStatuses = events(ada, 'syncStatus', adaHeard).map((s: SyncStatus) => `${s.state}/${s.pending}/${s.quarantined}`);
    expect(adaStatuses.filter((s, i) => i > 0 && s === adaStatuses[i - 1])).toEqual([]);
    expect(events(ada, 'workspacesChanged', adaHeard)).toEqual([]);
  });
});
