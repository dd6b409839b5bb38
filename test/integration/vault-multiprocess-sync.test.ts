/**
 * A team workspace's vault used by the app (syncing live) and by `hearth` processes at once:
 * the CLI's edits go out through the app exactly once, `hearth sync` does not race the app's
 * live sync (it says in one line that the app is syncing), and nobody sees a false alarm from
 * the other process's pulls (a change taken for a replay). A real relay on 127.0.0.1, real
 * sessions, real CLI processes.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthApi, SyncWarning } from '../../common/api/contract.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { bodyText } from '../../main/vault/documents.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { runHearth, type Run } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { eventually } from './sync-fixture.ts';
import { expectOk, inProcess, type TransportUnderTest } from './transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
let relay: TestRelay;
const apps: TransportUnderTest[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await relay.stop();
});

async function person(name: string): Promise<{ app: TransportUnderTest; api: HearthApi; warnings: SyncWarning[]; username: string }> {
  const app = await inProcess.start({ kdfCost: MIN_KDF_COST, sync: { backoff: { initialMs: 50, maxMs: 500 } }, membershipPollMs: 200, externalPollMs: 100 });
  apps.push(app);
  const api = await app.connect();
  const warnings: SyncWarning[] = [];
  api.on('syncWarning', (warning) => warnings.push(warning));
  const username = `${name}-${process.pid}`;
  expectOk(await api.createVault({ passphrase: PASSPHRASE, username, displayName: name }));
  return { app, api, warnings, username };
}

describe('a team vault used by the app and the CLI at once', () => {
  it("the CLI's edits go out through the app's live sync once; hearth sync says the app is syncing; no false replay alarms", async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const team = expectOk(await ada.api.createTeamWorkspace('Bakery', relay.url));
    expectOk(await bob.api.registerAccount(relay.url));
    expectOk(await ada.api.inviteMember(team.id, bob.username, 'editor'));
    expectOk(await bob.api.acceptInvitation(team.id));
    const doc = expectOk(await ada.api.createDocument(team.id, { title: 'Orders' }));
    const dir = ada.app.session!.vaultDir;
    const hearth = (args: string[]): Promise<Run> => runHearth(args, { ...process.env, HEARTH_VAULT: dir, HEARTH_PASSPHRASE: PASSPHRASE });
    await eventually(async () => expectOk(await bob.api.listDocuments(team.id)).some((d) => d.id === doc.id), "the document at bob's", 20_000);

    // Bob types too, so the app's live sync pulls while the CLI runs.
    let bobDoc = A.load<DocumentContent>(expectOk(await bob.api.openDocument(doc.id)).bytes);
    const typing = (async () => {
      for (let n = 0; n < 20; n++) {
        bobDoc = A.change(bobDoc, (d) => A.splice(d, ['body'], d.body.length, 0, ` bob${n}z`));
        expectOk(await bob.api.applyChanges(doc.id, [A.getLastLocalChange(bobDoc)!]));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    const edits: string[] = [];
    const syncRuns: Run[] = [];
    for (let n = 0; n < 4; n++) {
      const [edit, sync] = await Promise.all([hearth(['doc', 'edit', doc.id, '--append', `cli${n}q`]), hearth(['sync'])]);
      expect(edit, edit.stderr).toMatchObject({ code: 0 });
      edits.push(`cli${n}q`);
      syncRuns.push(sync);
    }
    await typing;

    // The app sent the CLI's edits: Bob gets every one, and Ada's page has Bob's.
    await eventually(
      async () => {
        const text = bodyText(A.load<DocumentContent>(expectOk(await bob.api.openDocument(doc.id)).bytes));
        return edits.every((token) => text.includes(token));
      },
      "the CLI's edits at bob's",
      20_000,
    );
    await eventually(
      async () => {
        const text = bodyText(A.load<DocumentContent>(expectOk(await ada.api.openDocument(doc.id)).bytes));
        return Array.from({ length: 20 }, (_, n) => `bob${n}z`).every((token) => text.includes(token));
      },
      "bob's typing at ada's",
      20_000,
    );
    // Each edit went out once: the relay's log of the document has no change twice.
    const text = bodyText(A.load<DocumentContent>(expectOk(await bob.api.openDocument(doc.id)).bytes));
    for (const token of edits) expect(text.split(token)).toHaveLength(2);
    expect(ada.warnings).toEqual([]);
    expect(bob.warnings).toEqual([]);

    // While the app syncs live, `hearth sync` does not race it: one line saying so, no stack.
    for (const run of syncRuns) {
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/Hearth app .* syncing this vault/);
    }
    // Once the app is locked, `hearth sync` runs as before.
    expectOk(await ada.api.lock());
    const sync = await hearth(['sync']);
    expect(sync, sync.stderr).toMatchObject({ code: 0, stderr: '' });
  }, 180_000);
});
