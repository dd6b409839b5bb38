/**
 * Nothing typed is lost, end to end in Chromium over browser mode:
 * - the vault auto-locks (a "minute" is shortened) while keystrokes are on their way to main
 *   (the page's socket holds its outgoing frames, as a slow link would, until main has locked):
 *   the unlock screen says edits are waiting, and after the unlock main's copy of the document
 *   holds every character typed, read from the vault itself;
 * - the socket drops: the page reconnects by itself and keeps working;
 * - the server goes away for a while: the page says "Reconnecting…", keeps what is typed
 *   meanwhile, and saves it when the server is back (same port, same token).
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { connectInProcess } from '../../main/api/connection.ts';
import { startBrowserServer, type BrowserServer } from '../../main/browser/server.ts';
import { buildRenderer, screenshot, startApp, type App } from './app-fixture.ts';

const MINUTE_MS = 2500;
const PASSPHRASE = 'nothing typed is lost';
let app: App;
let documentId = '';
let restarted: BrowserServer | undefined;

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** The document's text as main holds it, read from the vault (not through the door: that would count as activity). */
function textInMain(): string {
  const doc = app.session.requireVault().documents.get(documentId) as unknown as { body?: string };
  return String(doc.body ?? '');
}

const editor = () => app.page.getByRole('textbox', { name: 'Document text' });

beforeAll(async () => {
  app = await startApp({ minuteMs: MINUTE_MS });
  const api = connectInProcess(app.session);
  ok(await api.createVault({ passphrase: PASSPHRASE, username: 'lee', displayName: 'Lee' }));
  ok(await api.updateSettings({ autoLockMinutes: 1 }));
  const workspace = ok(await api.listWorkspaces())[0]!;
  documentId = ok(await api.createDocument(workspace.id, { title: 'Draft' })).id;
  api.close();
});

afterAll(async () => {
  await restarted?.close();
  await app?.close();
});

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await screenshot(app.page, `failed-lock-reconnect-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
});

test('keystrokes in flight when the vault auto-locks are kept and saved after the unlock', async () => {
  const { page, session } = app;
  await page.reload();
  await page.getByRole('button', { name: /^Draft/ }).click();
  await editor().click();
  await page.keyboard.type('Saved first. ');
  await expect.poll(textInMain).toBe('Saved first. ');

  // From here the page's frames wait in the page, as on a slow link, so main hears nothing and
  // locks after its idle minute while these keystrokes are still on their way.
  await page.evaluate(() => {
    const w = window as unknown as { heldFrames: Array<[WebSocket, unknown]>; releaseFrames: () => void };
    const send = WebSocket.prototype.send;
    let holding = true;
    w.heldFrames = [];
    WebSocket.prototype.send = function (this: WebSocket, data: Parameters<WebSocket['send']>[0]) {
      if (holding) w.heldFrames.push([this, data]);
      else send.call(this, data);
    };
    w.releaseFrames = () => {
      holding = false;
      for (const [socket, data] of w.heldFrames.splice(0)) send.call(socket, data as Parameters<WebSocket['send']>[0]);
    };
  });
  const inFlight = 'typed while it locked';
  await page.keyboard.type(inFlight);
  expect(await page.evaluate(() => (window as unknown as { heldFrames: unknown[] }).heldFrames.length)).toBeGreaterThan(0);
  await expect.poll(() => session.state, { timeout: MINUTE_MS * 4 }).toBe('locked');
  await page.getByText('Hearth locked itself after a while without use.').waitFor();
  // Now the held keystrokes reach main, which refuses them: VAULT_LOCKED.
  await page.evaluate(() => (window as unknown as { releaseFrames: () => void }).releaseFrames());

  const note = page.locator('.unsent-note');
  await expect.poll(() => note.textContent()).toContain('not saved yet');
  expect(await note.textContent()).toContain('If you close or reload this page before unlocking, they are lost.');
  await screenshot(page, 'unsent-edits-waiting-for-unlock');

  await page.getByLabel('Passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await editor().waitFor();
  // Every character typed, in main's own copy, and on screen.
  await expect.poll(textInMain).toBe(`Saved first. ${inFlight}`);
  await expect.poll(() => editor().textContent()).toBe(`Saved first. ${inFlight}`);
  expect(await page.locator('.unsent-note').count()).toBe(0);
});

test('a dropped socket: the page reconnects by itself and keeps saving', async () => {
  const { page } = app;
  await editor().click();
  await page.keyboard.press('End');
  app.server.dropConnections();
  await page.keyboard.type(' After the drop.');
  await expect.poll(textInMain, { timeout: 15_000 }).toContain('After the drop.');
  await expect.poll(() => page.locator('.connection-banner').count()).toBe(0);
});

test('the server away for a while: "Reconnecting…", typing kept, saved once it is back on the same address', async () => {
  const { page, session } = app;
  const port = app.server.port;
  const token = app.server.token;
  await app.server.close();
  await page.getByText('Reconnecting…', { exact: false }).waitFor();
  await editor().click();
  await page.keyboard.press('End');
  await page.keyboard.type(' While away.');
  await screenshot(page, 'reconnecting');
  expect(textInMain()).not.toContain('While away.');

  restarted = await startBrowserServer({ session, rendererDir: await buildRenderer(), port, token });
  await expect.poll(() => page.locator('.connection-banner').count(), { timeout: 15_000 }).toBe(0);
  await expect.poll(textInMain, { timeout: 15_000 }).toContain('While away.');
  await page.keyboard.type(' Back.');
  await expect.poll(textInMain).toMatch(/While away\. Back\.$/);
  const unexpected = app.problems.filter((p) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(p));
  expect(unexpected).toEqual([]);
});

test('Hearth restarted with a new token (every `npm start` makes one): the page stops trying and says to open the new address', async () => {
  const { page, session } = app;
  const port = restarted!.port;
  await restarted!.close();
  restarted = await startBrowserServer({ session, rendererDir: await buildRenderer(), port });
  const alert = page.locator('.connection-banner[role="alert"]');
  await alert.waitFor({ timeout: 20_000 });
  expect(await alert.textContent()).toContain('Open the new address that `npm start` printed');
  await screenshot(page, 'restarted-with-new-token');
});
