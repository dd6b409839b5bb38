/**
 * "Sync between my devices" in real Chromium against a real relay: the workspace menu opens the
 * dialog, which lists what will leave (documents with their size, comments, files with their
 * size, the relay, what the relay sees) before anything is sent; by mouse it is turned on and the
 * sidebar marks the workspace; by keyboard another workspace's dialog is opened and cancelled
 * (nothing reaches the relay), and the first one is turned off with "also delete it from the relay".
 * On Ada's desktop (linked by pairing), a workspace she syncs is offered as personal and Add brings
 * it in, marked, with its documents.
 */
import * as A from '@automerge/automerge';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { launchChromium, startUser, stopUsers, workspaceButton, type User } from './team-fixture.ts';
import { chooseFromMenuByKeyboard, seriousAxeViolations } from './ui-checks.ts';

const SHOTS = process.env['HEARTH_SHOTS'] ?? '/work/notes/shots';

let relay: TestRelay;
let browser: Browser;
let ada: User;
let desk: User | undefined;

/** A screenshot where the team looks at them (/work/notes/shots). */
async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The spaces the relay holds for Ada's account, by kind. */
async function spacesAtRelay(): Promise<Array<{ space: string; kind: string }>> {
  return (await ada.session.sync!.accessReport(relay.url)).report.spaces.map((s) => ({ space: s.space, kind: s.kind }));
}

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', `ada-${process.pid}`);
  const vault = ada.session.requireVault();
  const personal = vault.workspaces.list().find((w) => w.name === 'Personal')!.id;
  const doc = vault.documents.create(personal, { title: 'Recipes', init: (d) => A.updateText(d, ['body'], 'Bread: flour, water, salt.') }).id;
  vault.comments.add(doc, { text: 'Try rye next time' });
  await vault.files.add(personal, { name: 'starter.txt', source: [Buffer.from('a sourdough starter, fed daily')] });
  vault.workspaces.create({ name: 'Notes' });
  // The page lists what the vault holds now (the vault stays unlocked across a reload).
  await ada.page.reload();
  await ada.page.getByRole('heading', { name: 'Personal' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopUsers(ada, desk);
  await relay?.stop();
});

test('by mouse: the dialog lists what will leave, sends nothing until ticked, and turning it on marks the workspace', async () => {
  const page = ada.page;
  await page.getByRole('button', { name: 'Actions for workspace Personal' }).click();
  await page.getByRole('menuitem', { name: 'Sync between my devices…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sync “Personal” between your devices?' });
  const leaving = dialog.getByRole('list', { name: 'What will leave this device' });
  await leaving.waitFor();
  const items = leaving.getByRole('listitem');
  await expect
    .poll(() => items.allTextContents())
    .toEqual([
      expect.stringMatching(/^1 document, [\d.]+ (B|KB) with its history$/),
      '1 comment',
      '1 file, 30 B',
      'To the relay (type its address below)',
      'Encrypted end-to-end; the relay sees sizes and times',
    ]);
  await dialog.getByLabel('Relay address').fill(relay.url);
  await expect.poll(() => items.nth(3).textContent()).toBe(`To the relay ${relay.url}`);
  expect(await dialog.getByRole('button', { name: 'Turn on sync' }).isDisabled()).toBe(true);
  await screenshot(page, 'h-devicesync-01-on-dialog');
  expect(await seriousAxeViolations(page)).toEqual([]);
  expect(await spacesAtRelay().catch(() => [])).toEqual([]);

  await dialog.getByLabel('Encrypt these and sync them through the relay to my devices').click();
  await dialog.getByRole('button', { name: 'Turn on sync' }).click();
  await dialog.waitFor({ state: 'detached' });
  await expect.poll(() => workspaceButton(page, 'Personal').textContent()).toContain('Syncs between your devices');
  expect(await spacesAtRelay()).toEqual([{ space: expect.any(String), kind: 'personal' }]);
  await screenshot(page, 'h-devicesync-02-sidebar-mark');
  // The privacy dashboard no longer says it never leaves this device.
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Privacy' }).click();
  const row = page
    .getByRole('tabpanel')
    .getByLabel('Storage per workspace')
    .getByRole('row', { name: /Personal/ });
  await expect.poll(() => row.textContent()).toMatch(/To your devices: (Synced|Syncing)/);
  expect(await page.getByRole('tabpanel').getByLabel('Storage per workspace').getByRole('row', { name: /Notes/ }).textContent()).toContain('Never');
  await screenshot(page, 'h-devicesync-05-privacy');
  // Its sync pauses and resumes like a team workspace's.
  await row.getByRole('button', { name: 'Pause sync' }).click();
  await expect.poll(() => row.textContent()).toContain('To your devices: Paused');
  await row.getByRole('button', { name: 'Resume sync' }).click();
  await expect.poll(() => row.textContent()).not.toContain('Paused');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Settings' }).waitFor({ state: 'detached' });
});

test('by keyboard: another workspace’s dialog opens and is cancelled (nothing leaves), then sync is turned off and deleted from the relay', async () => {
  const page = ada.page;
  await chooseFromMenuByKeyboard(page, page.getByRole('button', { name: 'Actions for workspace Notes' }), 'Sync between my devices…');
  const notes = page.getByRole('dialog', { name: 'Sync “Notes” between your devices?' });
  await notes.getByRole('list', { name: 'What will leave this device' }).getByText('No documents').waitFor();
  await page.keyboard.press('Escape');
  await notes.waitFor({ state: 'detached' });
  expect((await spacesAtRelay()).map((s) => s.kind)).toEqual(['personal']);

  await chooseFromMenuByKeyboard(page, page.getByRole('button', { name: 'Actions for workspace Personal' }), 'Stop syncing between my devices…');
  const off = page.getByRole('dialog', { name: 'Stop syncing “Personal” between your devices?' });
  await off.getByText(`${relay.url} still holds its encrypted copy, and your other devices keep syncing it.`).waitFor();
  const alsoDelete = off.getByLabel(`Also delete it from ${relay.url} (your other devices keep their copies and stop syncing it)`);
  await expect.poll(() => alsoDelete.evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.press('Space');
  expect(await alsoDelete.isChecked()).toBe(true);
  await screenshot(page, 'h-devicesync-03-off-dialog');
  expect(await seriousAxeViolations(page)).toEqual([]);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect.poll(() => off.getByRole('button', { name: 'Stop and delete from relay' }).evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.press('Enter');
  await off.waitFor({ state: 'detached' });
  await expect.poll(() => workspaceButton(page, 'Personal').textContent()).not.toContain('Syncs between your devices');
  expect(await spacesAtRelay()).toEqual([]);
  // Everything stays on this device.
  await workspaceButton(page, 'Personal').click();
  await page.getByText('Recipes').first().waitFor();
  await screenshot(page, 'h-devicesync-04-after-off');
  expect(ada.problems).toEqual([]);
});

test('on Ada’s desktop, linked to her account: the workspace is offered as personal, and Add brings it in, marked', async () => {
  desk = await startUser(browser, 'Desk', `desk-${process.pid}`);
  const wait = { pollMs: 50, timeoutMs: 20_000 };
  let shown!: (code: string) => void;
  const code = new Promise<string>((resolve) => (shown = resolve));
  const linking = desk.session.sync!.pairing.link(relay.url, ada.username, shown, wait);
  await ada.session.sync!.pairing.answer(undefined, wait);
  await ada.session.sync!.pairing.approve(await code);
  await linking;
  // The desktop is Ada's account now: unlocking again opens its sync as that account.
  const page = desk.page;
  await page.getByRole('button', { name: 'Lock Hearth' }).click();
  await page.getByLabel('Passphrase').fill('Desk team passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: 'Personal' }).waitFor();

  const notes = ada.session
    .requireVault()
    .workspaces.list()
    .find((w) => w.name === 'Notes')!.id;
  ada.session.requireVault().documents.create(notes, { title: 'Shopping list', init: (d) => A.updateText(d, ['body'], 'Rye flour') });
  await ada.session.sync!.deviceSync.turnOn(notes, relay.url, true);
  await page.getByRole('button', { name: 'Check for invitations' }).click();
  await page.getByText('Personal · synced from your other device').waitFor();
  await screenshot(page, 'h-devicesync-06-other-device-offer');
  expect(await seriousAxeViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Add Notes to this device' }).click();
  await page.getByRole('heading', { name: 'Notes' }).waitFor();
  await expect.poll(() => workspaceButton(page, 'Notes').textContent()).toContain('Syncs between your devices');
  await page.getByText('Shopping list').first().click();
  await page.getByText('Rye flour').waitFor();
  await screenshot(page, 'h-devicesync-07-other-device-added');
  expect(desk.problems).toEqual([]);
});
