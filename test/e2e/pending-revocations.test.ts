/**
 * Settings → Privacy shows the public links of deleted documents that their relay still serves,
 * end to end in Debian's Chromium against the real browser-mode server, session, vault and a real
 * relay on 127.0.0.1: Ada publishes a document, the relay goes down, she deletes the document; the
 * Privacy tab names the relay and the document, "Try now" says the relay is still out of reach,
 * and once the relay is back "Try now" (or live sync's reconnect, whichever comes first) revokes
 * the link: the relay answers 410 and the line is gone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { HearthApi } from '../../common/api/contract.ts';
import type { Result } from '../../common/errors.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { checkScreen, screenshot, startApp, type App } from './app-fixture.ts';

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

describe('Privacy: public links waiting to be revoked', () => {
  const relayDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-relay-'));
  let relay: TestRelay;
  let port = 0;
  let app: App;
  let page: Page;
  let api: HearthApi & { close(): void };

  beforeAll(async () => {
    relay = await startTestRelay({ dataDir: relayDir });
    port = Number(new URL(relay.url).port);
    app = await startApp();
    page = app.page;
    api = connectInProcess(app.session);
    ok(await api.createVault({ passphrase: 'ada passphrase one', username: 'ada', displayName: 'Ada Example' }));
    await page.reload();
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
  });

  afterAll(async () => {
    api?.close();
    await app?.close();
    await relay?.stop();
    rmSync(relayDir, { recursive: true, force: true });
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  test('a document deleted while its relay is down: its link is listed with the relay; Try now revokes it once the relay is back', async () => {
    const workspace = ok(await api.createTeamWorkspace('Kitchen', relay.url));
    const document = ok(await api.createDocument(workspace.id, { title: 'Menu draft' }));
    const link = ok(await api.createLink(document.id, {}));
    const data = () => fetch(new URL(`/p/${link.id}/data`, relay.httpUrl)).then((r) => r.status);
    expect(await data()).toBe(200);
    const host = new URL(relay.url).host;

    await relay.stop();
    ok(await api.deleteDocument(document.id));

    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Privacy' }).click();
    const panel = page.getByRole('tabpanel');
    const pending = panel.getByRole('group', { name: 'Links waiting to be revoked' });
    await pending.waitFor();
    expect(await pending.textContent()).toContain(
      `1 public link of a deleted document is still on ${host}; it will be revoked the next time Hearth reaches it.`,
    );
    expect(await pending.getByRole('listitem').textContent()).toMatch(new RegExp(`^Menu draft — Kitchen, on ${host}, document deleted just now$`));
    expect(await panel.getByText('No active public links.', { exact: true }).count()).toBe(1); // not "nothing of yours can be read"
    await pending.scrollIntoViewIfNeeded();
    await checkScreen(page, 'settings-privacy-pending-revocation');

    // Still down: it says so, and the line stays.
    await pending.getByRole('button', { name: 'Try now' }).click();
    await expect.poll(() => pending.getByRole('alert').textContent()).toContain(`Still cannot reach ${host}`);
    expect(await pending.getByRole('listitem').count()).toBe(1);
    await pending.getByRole('alert').scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-privacy-pending-still-down');
    expect(await data().catch(() => 'unreachable')).toBe('unreachable');

    relay = await startTestRelay({ dataDir: relayDir, port });
    await pending.getByRole('button', { name: 'Try now' }).click();
    await expect.poll(() => pending.getByRole('status').textContent()).toBe('Revoked: the relay no longer serves that copy.');
    expect(await pending.getByRole('listitem').count()).toBe(0);
    expect(await data()).toBe(410);
    expect(ok(await api.pendingLinkRevocations())).toEqual([]);
    await screenshot(page, 'settings-privacy-pending-revoked');
    expect(app.problems).toEqual([]);
  });
});
