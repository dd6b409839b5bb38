/**
 * Settings that guard the vault, end to end: changing the passphrase (refused with the wrong
 * current one; afterwards only the new one unlocks) and auto-lock after idle time, which takes
 * the page back to the unlock screen and says why. A "minute" is shortened for the test.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectInProcess } from '../../main/api/connection.ts';
import { startApp, type App } from './app-fixture.ts';

const MINUTE_MS = 1500;
let app: App;

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

beforeAll(async () => {
  app = await startApp({ minuteMs: MINUTE_MS });
  const api = connectInProcess(app.session);
  ok(await api.createVault({ passphrase: 'first passphrase here', username: 'kim', displayName: 'Kim' }));
  api.close();
});

afterAll(async () => {
  await app?.close();
});

test('the passphrase changes only with the current one, and then only the new one unlocks', async () => {
  const { page } = app;
  await page.reload();
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Security' }).click();
  const panel = page.getByRole('tabpanel');
  await panel.getByLabel('Current passphrase').fill('not the passphrase');
  await panel.getByLabel('New passphrase', { exact: true }).fill('second passphrase here');
  await panel.getByLabel('Confirm new passphrase').fill('second passphrase here');
  await panel.getByRole('button', { name: 'Change passphrase' }).click();
  await expect.poll(() => panel.getByRole('alert').textContent()).toContain('The current passphrase is not right; nothing was changed.');

  await panel.getByLabel('Current passphrase').fill('first passphrase here');
  await panel.getByRole('button', { name: 'Change passphrase' }).click();
  await expect.poll(() => panel.getByRole('status').textContent()).toContain('Passphrase changed');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Lock Hearth' }).click();
  await page.getByLabel('Passphrase').fill('first passphrase here');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('That passphrase is not right');
  await page.getByLabel('Passphrase').fill('second passphrase here');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: 'Personal' }).waitFor();
});

test('auto-lock after idle time returns to the unlock screen and says why', async () => {
  const { page } = app;
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Security' }).click();
  const panel = page.getByRole('tabpanel');
  await panel.getByLabel(/Lock after this many minutes/).fill('1');
  await panel.getByRole('button', { name: 'Save auto-lock' }).click();
  await expect.poll(() => panel.getByRole('status').textContent()).toContain('Hearth locks after 1 minute without use.');
  await page.keyboard.press('Escape');
  // Leave it alone for a "minute": the core locks and tells the page, which forgets what it showed.
  await page.getByText('Hearth locked itself after a while without use.').waitFor({ timeout: MINUTE_MS * 4 });
  expect(await page.getByRole('heading', { name: 'Unlock Hearth, Kim' }).count()).toBe(1);
  expect(await page.locator('.sidebar, .document-list').count()).toBe(0);
  expect(app.problems).toEqual([]);
});
