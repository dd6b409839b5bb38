/**
 * Member management through the UI, as three people would do it in Chromium at 1280×800 with a
 * real relay: Ada (Owner) removes Bob with the keyboard, from the "⋯" menu inside the modal
 * Members dialog, and Bob is told (who, when, read-only, a button to remove his copy); Ada makes
 * Cy the Owner with the mouse, then leaves; Cy deletes the workspace for everyone.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { checkScreen, newDocument, screenshot } from './app-fixture.ts';
import {
  acceptInvitation,
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
let cy: User;

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', `ada-${process.pid}`, { displayName: 'Ada Lovelace' });
  bob = await startUser(browser, 'Bob', `bob-${process.pid}`);
  cy = await startUser(browser, 'Cy', `cy-${process.pid}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopUsers(ada, bob, cy);
  await relay?.stop();
});

/** Whether the element is what a pointer at its centre would hit: drawn on top, not behind a dialog or inert. */
async function isOnTop(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return hit !== null && (hit === element || element.contains(hit));
  });
}

const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');

test('Ada makes a team workspace with a document; Bob (Commenter) and Cy (Editor) join it', async () => {
  await createTeamWorkspace(ada, 'Bakery', relay.url);
  await joinRelay(bob, relay.url);
  await joinRelay(cy, relay.url);
  await openMembers(ada, 'Bakery');
  await invite(ada, 'Bakery', bob.username, 'commenter');
  await invite(ada, 'Bakery', cy.username, 'editor');
  await ada.page.getByRole('dialog', { name: 'Members of Bakery' }).getByRole('button', { name: 'Close' }).click();
  await acceptInvitation(bob, 'Bakery');
  await acceptInvitation(cy, 'Bakery');

  await newDocument(ada.page);
  await ada.page.getByLabel('Title', { exact: true }).fill('Recipe');
  await editorOf(ada.page).click();
  await ada.page.keyboard.type('Flour, water, salt.');
  await bob.page.getByRole('button', { name: /^Recipe/ }).click();
  await editorOf(bob.page).getByText('Flour, water, salt.').waitFor();
  await bob.page
    .getByRole('note')
    .getByText(/You are a Commenter in Bakery/)
    .waitFor();
});

test('keyboard: the ⋯ menu of a member opens inside the Members dialog, on top; Escape closes only the menu; Remove asks, then removes', async () => {
  const page = ada.page;
  const members = await openMembers(ada, 'Bakery');
  const bobsMenu = members.getByRole('button', { name: 'Actions for Bob' });
  await bobsMenu.waitFor();
  await bobsMenu.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu');
  await menu.waitFor();
  // The menu lives in the dialog (the top layer), not behind it, and has the focus.
  expect(await menu.evaluate((element) => element.closest('dialog[open]') !== null)).toBe(true);
  expect(await isOnTop(menu.getByRole('menuitem', { name: 'Remove from workspace…' }))).toBe(true);
  await expect.poll(() => focusedText(page)).toBe('Remove from workspace…');
  await screenshot(page, 'members-01-menu-in-dialog');
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'detached' });
  expect(await members.isVisible()).toBe(true);
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Actions for Bob');

  // ArrowDown opens it too; ArrowDown + Enter picks the item under the highlight, never the invite form.
  await page.keyboard.press('ArrowDown');
  await menu.waitFor();
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => focusedText(page)).toBe('Make Owner…');
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => focusedText(page)).toBe('Remove from workspace…');
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: 'Remove Bob?' });
  await confirm.waitFor();
  expect(await members.getByRole('alert').count()).toBe(0);
  expect(await members.getByRole('status').count()).toBe(0);
  await checkScreen(page, 'members-02-confirm-remove');
  await confirm.getByRole('button', { name: 'Remove member' }).click();
  await confirm.waitFor({ state: 'detached' });
  await expect
    .poll(() => members.getByRole('listitem').allTextContents())
    .toEqual([expect.stringContaining('Ada Lovelace (you)'), expect.stringContaining('Cy')]);
  await members.getByRole('button', { name: 'Close' }).click();
});

test('Bob is told: who removed him and when, his copy read-only, no comment box, and a button to remove it', async () => {
  const page = bob.page;
  const banner = page.getByRole('status').filter({ hasText: 'removed you from Bakery' });
  await banner.waitFor({ timeout: 15_000 });
  expect(await banner.textContent()).toMatch(
    new RegExp(`Ada Lovelace \\(@${ada.username}\\) removed you from Bakery on .+\\d.+Your copy stays on this device, read-only`),
  );
  await expect.poll(() => workspaceButton(page, 'Bakery').textContent()).toBe('BakeryRemoved');
  expect(await workspaceButton(page, 'Bakery').locator('[data-sync-state="removed"]').getAttribute('title')).toMatch(
    /^Ada Lovelace .* removed you from Bakery on /,
  );
  await expect.poll(() => editorOf(page).getAttribute('contenteditable')).toBe('false');
  expect(await page.getByLabel('Comment on the document').count()).toBe(0);
  expect(await page.getByText(/You are a Commenter/).count()).toBe(0);
  // Nobody's cursor lingers in a copy nothing reaches any more.
  expect(await page.getByRole('list', { name: 'Also in this document' }).count()).toBe(0);
  expect(await page.locator('.remote-caret').count()).toBe(0);
  await editorOf(page).click();
  await page.keyboard.type('NOT SENT');
  expect(await editorOf(page).textContent()).toBe('Flour, water, salt.');
  // The workspace menu offers what is left: the copy here, nothing to manage or sync.
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  expect(await page.getByRole('menuitem').allTextContents()).toEqual(['Rename on this device…', 'Remove from this device…']);
  await page.keyboard.press('Escape');
  await checkScreen(page, 'members-03-bob-removed');

  await banner.getByRole('button', { name: 'Remove it from this device…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove “Bakery” from this device?' });
  await confirm.getByRole('button', { name: 'Remove from this device' }).click();
  await confirm.waitFor({ state: 'detached' });
  await expect.poll(() => workspaceButton(page, 'Bakery').count()).toBe(0);
  expect(
    bob.session
      .requireVault()
      .workspaces.list()
      .some((w) => w.name === 'Bakery'),
  ).toBe(false);
});

test('Cy pauses sync: the open document says so, with Resume', async () => {
  const page = cy.page;
  await page.getByRole('button', { name: /^Recipe/ }).click();
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Pause sync' }).click();
  const banner = page.getByRole('status').filter({ hasText: 'Sync of Bakery is paused' });
  await banner.waitFor();
  expect(await page.locator('.remote-caret').count()).toBe(0);
  await checkScreen(page, 'members-03b-paused-banner');
  await banner.getByRole('button', { name: 'Resume sync' }).click();
  await banner.waitFor({ state: 'detached' });
  await expect.poll(() => workspaceButton(page, 'Bakery').textContent(), { timeout: 15_000 }).toMatch(/Synced/);
});

test('mouse: Ada makes Cy the Owner from Cy’s ⋯ menu; Ada stays on as Admin', async () => {
  const page = ada.page;
  const members = await openMembers(ada, 'Bakery');
  await members.getByRole('button', { name: 'Actions for Cy' }).click();
  await page.getByRole('menuitem', { name: 'Make Owner…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Make Cy the Owner?' });
  await confirm.getByRole('button', { name: 'Make Owner' }).click();
  await confirm.waitFor({ state: 'detached' });
  await members.getByText(/You are an Admin here/).waitFor();
  await expect.poll(() => members.getByRole('listitem').filter({ hasText: 'Cy' }).textContent()).toMatch(/Owner/);
  await checkScreen(page, 'members-04-after-transfer');
  await members.getByRole('button', { name: 'Close' }).click();
  await expect.poll(() => workspaceButton(page, 'Bakery').textContent()).toMatch(/Admin/);
  await expect.poll(() => workspaceButton(cy.page, 'Bakery').textContent(), { timeout: 15_000 }).toMatch(/Owner/);
});

test('Ada leaves from the workspace menu: the workspace is gone from her device and from Cy’s members', async () => {
  const page = ada.page;
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Leave workspace…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Leave “Bakery”?' });
  await confirm.getByRole('button', { name: 'Leave workspace' }).click();
  await confirm.waitFor({ state: 'detached' });
  await expect.poll(() => workspaceButton(page, 'Bakery').count()).toBe(0);
  expect(
    ada.session
      .requireVault()
      .workspaces.list()
      .some((w) => w.name === 'Bakery'),
  ).toBe(false);

  const members = await openMembers(cy, 'Bakery');
  await expect.poll(() => members.getByRole('listitem').allTextContents(), { timeout: 15_000 }).toEqual([expect.stringContaining('Cy (you)')]);
  await members.getByRole('button', { name: 'Close' }).click();
});

test('Cy, now the Owner, deletes the workspace for everyone', async () => {
  const page = cy.page;
  const id = cy.session
    .requireVault()
    .workspaces.list()
    .find((w) => w.name === 'Bakery')!.id;
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Delete for everyone…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete “Bakery” for everyone?' });
  await checkScreen(page, 'members-05-delete-for-everyone');
  await confirm.getByRole('button', { name: 'Delete for everyone' }).click();
  await confirm.waitFor({ state: 'detached' });
  await expect.poll(() => workspaceButton(page, 'Bakery').count()).toBe(0);
  // Gone at the relay too: nobody can sync it any more.
  expect(await relay.store.getMembers(id)).toEqual(new Map());
});

test('the pages reported no errors', () => {
  expect([...ada.problems, ...bob.problems, ...cy.problems]).toEqual([]);
});
