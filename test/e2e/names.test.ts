/**
 * Names, not ids, where a person reads, in Chromium at 1280×800 with a real relay: the privacy
 * dashboard names a document shared on its own by its title; the audit log names the member
 * invited and removed and the workspace, and records locks and settings changes; the privacy
 * table shows its last column and its Pause sync buttons whole.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { checkScreen, newDocument } from './app-fixture.ts';
import {
  createTeamWorkspace,
  editorOf,
  invite,
  joinRelay,
  launchChromium,
  openMembers,
  startUser,
  stopUsers,
  workspaceButton,
  type User,
} from './team-fixture.ts';

let relay: TestRelay;
let browser: Browser;
let ada: User;
let bob: User;

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', `ada-${process.pid}`, { displayName: 'Ada Lovelace' });
  bob = await startUser(browser, 'Bob', `bob-${process.pid}`);
}, 120_000);

afterEach(async ({ task }) => {
  // A dialog a failed test left open would fail the next ones too.
  if (task.result?.state !== 'fail') return;
  for (let i = 0; i < 3 && (await ada.page.locator('dialog[open]').count()) > 0; i++) await ada.page.keyboard.press('Escape');
});

afterAll(async () => {
  await browser?.close();
  await stopUsers(ada, bob);
  await relay?.stop();
});

/** An id as the vault and the relay spell them: a long run of letters, digits, - and _ with no space. */
const ID = /\b(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}\b/;

async function openSettingsTab(page: Page, tab: string) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('tab', { name: tab }).click();
  return dialog;
}

test('Ada invites and removes Bob in a team workspace, and shares a personal document with him on its own', async () => {
  await createTeamWorkspace(ada, 'Bakery', relay.url);
  await joinRelay(bob, relay.url);
  const members = await openMembers(ada, 'Bakery');
  await invite(ada, 'Bakery', bob.username, 'editor');
  await members.getByRole('button', { name: 'Actions for Bob' }).click();
  await ada.page.getByRole('menuitem', { name: 'Remove from workspace…' }).click();
  await ada.page.getByRole('dialog', { name: 'Remove Bob?' }).getByRole('button', { name: 'Remove member' }).click();
  await expect.poll(() => members.getByRole('listitem').count()).toBe(1);
  await members.getByRole('button', { name: 'Close' }).click();

  await workspaceButton(ada.page, 'Personal').click();
  await newDocument(ada.page);
  await ada.page.getByLabel('Title', { exact: true }).fill('Secret plan');
  await editorOf(ada.page).click();
  await ada.page.keyboard.type('Only for Bob.');
  await ada.page.getByRole('button', { name: 'Share', exact: true }).click();
  const share = ada.page.getByRole('dialog', { name: 'Share “Secret plan”' });
  await share.getByText(/with no comments will be encrypted.*It goes without its edit history/).waitFor();
  await share.getByLabel('Username').fill(bob.username);
  await share.getByRole('combobox', { name: 'Role', exact: true }).selectOption('viewer');
  await share.getByLabel('Encrypt and upload this document').check();
  await share.getByRole('button', { name: 'Share', exact: true }).click();
  await share.getByRole('list', { name: 'People with access' }).getByText('Bob', { exact: true }).waitFor();
  await share.getByRole('button', { name: 'Close' }).click();
});

test('Ada changes the auto-lock, then locks and unlocks', async () => {
  const page = ada.page;
  const dialog = await openSettingsTab(page, 'Security');
  await dialog.getByLabel('Lock after this many minutes without use (0 = never)').fill('20');
  await dialog.getByRole('button', { name: 'Save auto-lock' }).click();
  await dialog.getByRole('status').waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Lock Hearth' }).click();
  await page.getByLabel('Passphrase').fill('Ada team passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: 'Workspaces' }).waitFor();
});

test('the privacy dashboard names the shared document by its title; its table shows every column and button whole at 1280 px', async () => {
  const page = ada.page;
  // A long name and changes waiting to be sent make the widest rows.
  ada.session.requireVault().workspaces.create({ name: 'Quarterly planning of the bakery co-operative and its suppliers' });
  const dialog = await openSettingsTab(page, 'Privacy');
  const relays = dialog.locator('section[aria-labelledby="privacy-relays"]');
  await relays.getByText('Shared document “Secret plan”').waitFor({ timeout: 15_000 });
  expect(await relays.textContent()).not.toMatch(/Shared document [A-Za-z0-9_-]{8}/);
  expect(await relays.textContent()).not.toMatch(ID);

  const table = dialog.locator('[aria-label="Storage per workspace"]');
  const fits = await table.evaluate((scroller) => {
    const box = scroller.getBoundingClientRect();
    const inside = (element: Element) => {
      const r = element.getBoundingClientRect();
      return r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
    };
    return {
      scrolls: scroller.scrollWidth > scroller.clientWidth + 1,
      headers: [...scroller.querySelectorAll('th')].every(inside),
      buttons: [...scroller.querySelectorAll('button')].map((b) => [b.textContent, inside(b)]),
    };
  });
  expect(fits).toEqual({ scrolls: false, headers: true, buttons: [['Pause sync', true]] });
  await checkScreen(page, 'names-01-privacy');
  await dialog.getByRole('button', { name: 'Close' }).click();
});

test('the audit log names the member invited and removed and the workspace; locks and settings changes are there; no ids', async () => {
  const page = ada.page;
  const dialog = await openSettingsTab(page, 'Audit log');
  const rows = dialog.getByRole('row');
  await rows.nth(1).waitFor();
  const lines = (await rows.allTextContents()).slice(1);
  const row = (what: string, on: string) => lines.some((line) => line.includes(what) && line.includes(on));
  const cells = await dialog.locator('tbody td').allTextContents();
  expect(row('Member invited', `@${bob.username} in Bakery`)).toBe(true);
  expect(row('Member removed', `@${bob.username} in Bakery`)).toBe(true);
  expect(row('Workspace created', 'Bakery')).toBe(true);
  expect(row('Document shared', '“Secret plan”')).toBe(true);
  expect(row('Settings changed', 'auto-lock after 20 minutes')).toBe(true);
  expect(row('Vault locked', '')).toBe(true);
  for (const cell of cells) expect(cell).not.toMatch(ID);
  expect(await dialog.locator('tbody td:nth-child(2)').allTextContents()).toEqual(expect.arrayContaining(['You']));
  expect(row('Member invited', `@${bob.username} in “Secret plan”`)).toBe(true);
  // Nothing in the "On" column is cut off, or pushed out of the table's sight.
  const scroller = dialog.locator('[aria-label="Audit log entries"]');
  const clipped = await scroller.evaluate((box) => {
    const edge = box.getBoundingClientRect().right;
    return [...box.querySelectorAll('td.audit-target')]
      .filter((c) => c.scrollWidth > c.clientWidth + 1 || c.getBoundingClientRect().right > edge + 0.5)
      .map((c) => c.textContent);
  });
  expect(clipped).toEqual([]);
  await checkScreen(page, 'names-02-audit-log');
  await dialog.getByRole('button', { name: 'Close' }).click();
});

test('the pages reported no errors', () => {
  expect([...ada.problems, ...bob.problems]).toEqual([]);
});
