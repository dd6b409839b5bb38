/**
 * Settings → Danger Zone → Delete account, when one of the relays the account is on is gone for
 * good, end to end in Chromium against the real browser-mode server, session and relays. The
 * dialog names the relay that does not answer and refuses to go ahead until the person ticks that
 * it is gone for good; then the account is deleted on the relay that answers and this device is
 * wiped. Once with the mouse, once with the keyboard alone.
 */
import { existsSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, test } from 'vitest';
import type { Result } from '../../common/errors.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { checkScreen, screenshot, startApp, type App } from './app-fixture.ts';

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

interface Setup {
  app: App;
  page: Page;
  relay: TestRelay;
  gone: TestRelay;
  account: string;
}

let running: Setup | undefined;

/** A vault on two relays, one of which then goes for good; the page open on its Danger Zone's Delete Account dialog. */
async function setUp(): Promise<Setup & { dialog: Locator }> {
  const relay = await startTestRelay();
  const gone = await startTestRelay();
  const app = await startApp();
  running = { app, page: app.page, relay, gone, account: '' };
  const api = connectInProcess(app.session);
  ok(await api.createVault({ passphrase: 'kim passphrase one', username: 'kim', displayName: 'Kim Example' }));
  running.account = ok(await api.registerAccount(relay.url)).account;
  ok(await api.registerAccount(gone.url));
  ok(await api.createTeamWorkspace('Team plans', relay.url));
  api.close();
  await gone.stop();
  const { page } = app;
  await page.reload();
  await page.getByRole('heading', { name: 'Personal' }).waitFor();
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Danger Zone' }).click();
  await page.getByRole('button', { name: 'Delete account…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete account' });
  // The relay that is gone is named, with a box to tick; the one that answers is not.
  await dialog.getByRole('group', { name: 'A relay does not answer' }).waitFor();
  return { ...running, dialog };
}

async function expectDeleted({ app, page, relay, account }: Setup): Promise<void> {
  await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
  expect(existsSync(`${app.session.vaultDir}/vault.sqlite`)).toBe(false);
  expect(await relay.store.getAccount(account)).toBeUndefined();
  expect(app.problems).toEqual([]);
}

afterEach(async ({ task }) => {
  if (!running) return;
  if (task.result?.state === 'fail') await screenshot(running.page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  await running.app.close();
  await running.relay.stop();
  running = undefined;
});

describe('Delete Account with a relay gone for good', { timeout: 120_000 }, () => {
  test('with the mouse: the relay is named, nothing happens until it is ticked, then deleted where it answers', async () => {
    const setup = await setUp();
    const { dialog, gone, page, relay } = setup;
    const skip = dialog.getByRole('checkbox', { name: `Skip ${gone.url}: it is gone for good` });
    expect(await skip.isChecked()).toBe(false);
    expect(await dialog.getByText(relay.url).count()).toBe(0);
    await checkScreen(page, 'delete-account-unreachable-relay');

    const confirm = dialog.getByRole('button', { name: 'Delete my account' });
    await dialog.getByRole('textbox').click();
    await page.keyboard.type('kim');
    // The username alone is not enough while a relay does not answer.
    expect(await confirm.isDisabled()).toBe(true);
    expect(await relay.store.getAccount(setup.account)).toBeDefined();

    await skip.click();
    expect(await skip.isChecked()).toBe(true);
    await confirm.click();
    await expectDeleted(setup);
  });

  test('with the keyboard alone: Tab to the box, Space to tick it, Enter to delete', async () => {
    const setup = await setUp();
    const { dialog, gone, page } = setup;
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '');
    // The dialog starts in the username field.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('INPUT');
    await page.keyboard.type('kim');
    // Enter in the field does not get past the relay that does not answer.
    await page.keyboard.press('Enter');
    expect(await dialog.isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Welcome to Hearth' }).count()).toBe(0);

    await page.keyboard.press('Tab');
    const skip = dialog.getByRole('checkbox', { name: `Skip ${gone.url}: it is gone for good` });
    await expect.poll(() => skip.evaluate((box) => box === document.activeElement)).toBe(true);
    await page.keyboard.press('Space');
    expect(await skip.isChecked()).toBe(true);
    for (let i = 0; i < 5 && (await focused()) !== 'Delete my account'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Delete my account');
    await page.keyboard.press('Enter');
    await expectDeleted(setup);
  });
});
