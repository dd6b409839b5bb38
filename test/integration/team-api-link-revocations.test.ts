/**
 * S6 made visible: a public link of a document deleted while its relay is out of reach keeps
 * being served until Hearth reaches the relay. Through the API (in-process door, a real relay on
 * 127.0.0.1, a real vault): the page can list such links with their relay (and no key), and
 * "Try now" revokes them once the relay is back — the relay then answers 410 for the copy.
 * Live sync's own reconnect is held back (10-minute backoff, no membership polling) so only the
 * explicit retry can have told the relay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { expectOk, inProcess, type TransportUnderTest } from './transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
const relayDir = mkdtempSync(join(tmpdir(), 'hearth-relay-revocations-'));
let relay: TestRelay;
let port = 0;
let app: TransportUnderTest;
let api: Awaited<ReturnType<TransportUnderTest['connect']>>;

const dataStatus = async (linkId: string) => (await fetch(new URL(`/p/${linkId}/data`, relay.httpUrl))).status;

beforeAll(async () => {
  relay = await startTestRelay({ dataDir: relayDir });
  port = Number(new URL(relay.url).port);
  app = await inProcess.start({ sync: { backoff: { initialMs: 600_000, maxMs: 600_000 } }, membershipPollMs: 0 });
  api = await app.connect();
  expectOk(await api.createVault({ passphrase: PASSPHRASE, username: `ada-${process.pid}`, displayName: 'Ada' }));
});
afterAll(async () => {
  await app?.close();
  await relay?.stop();
  rmSync(relayDir, { recursive: true, force: true });
});

describe('public links waiting to be revoked', () => {
  test('nothing is pending while no document with a link was deleted', async () => {
    expect(expectOk(await api.pendingLinkRevocations())).toEqual([]);
    expect(expectOk(await api.retryLinkRevocations())).toEqual([]);
  });

  test('deleted while the relay is down: listed with its relay and no key; Try now revokes it once the relay is back (410)', async () => {
    const workspace = expectOk(await api.createTeamWorkspace('Kitchen', relay.url));
    const document = expectOk(await api.createDocument(workspace.id, { title: 'Menu draft' }));
    const doc = A.change(A.load<{ body: string }>(expectOk(await api.openDocument(document.id)).bytes), (d) =>
      setBodyFromMarkdown(d, 'Soup of the day: REVOKE-4d2'),
    );
    expectOk(await api.applyChanges(document.id, [A.getLastLocalChange(doc)!]));
    const link = expectOk(await api.createLink(document.id, {}));
    const key = new URL(link.url).hash.slice(1);
    expect(await dataStatus(link.id)).toBe(200);

    await relay.stop(); // its data stays in relayDir
    const before = Date.now();
    expectOk(await api.deleteDocument(document.id));
    const pending = expectOk(await api.pendingLinkRevocations());
    expect(pending).toEqual([
      {
        id: link.id,
        documentId: document.id,
        workspaceId: workspace.id,
        workspaceName: 'Kitchen',
        title: 'Menu draft',
        relay: relay.url,
        createdAt: link.createdAt,
        deletedAt: expect.any(Number),
      },
    ]);
    expect(pending[0]!.deletedAt).toBeGreaterThanOrEqual(before);
    expect(JSON.stringify(pending)).not.toContain(key);
    expect(expectOk(await api.listLinks())).toEqual([]); // not an active link any more

    // Try now, relay still down: it stays pending, the answer says so.
    expect(expectOk(await api.retryLinkRevocations()).map((p) => p.id)).toEqual([link.id]);
    expect(expectOk(await api.pendingLinkRevocations()).map((p) => p.id)).toEqual([link.id]);

    // The relay comes back with everything it had: it still serves the copy, nobody told it.
    relay = await startTestRelay({ dataDir: relayDir, port });
    expect(await dataStatus(link.id)).toBe(200);
    expect(expectOk(await api.pendingLinkRevocations()).map((p) => p.id)).toEqual([link.id]); // live sync is still waiting out its backoff

    expect(expectOk(await api.retryLinkRevocations())).toEqual([]);
    expect(expectOk(await api.pendingLinkRevocations())).toEqual([]);
    expect(await dataStatus(link.id)).toBe(410);
    expect((await api.openLink(link.url)).ok).toBe(false);
  });
});
