/**
 * Team workspaces in real Chromium: two users, each with their own browser-mode server over their
 * own vault folder, in two browser contexts, syncing through one real relay on 127.0.0.1. Ada
 * creates a team workspace and invites Bob as Editor; Bob sees and accepts the invitation; both
 * type into one document and see each other's text, and edit one table and one task at once; Ada
 * makes Bob a Viewer and his editor turns read-only; as a Commenter he gets the comment box but
 * still cannot type, and the comment he deletes leaves Ada's open document too.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { newDocument, screenshot } from './app-fixture.ts';
import { editorOf, launchChromium, startUser, stopUsers, workspaceButton, type User } from './team-fixture.ts';
import { seriousAxeViolations } from './ui-checks.ts';

let relay: TestRelay;
let browser: Browser;
let ada: User;
let bob: User;

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', `ada-${process.pid}`);
  bob = await startUser(browser, 'Bob', `bob-${process.pid}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopUsers(ada, bob);
  await relay?.stop();
});

test('Ada creates a team workspace on the relay; the sidebar shows her role and that it is synced', async () => {
  const page = ada.page;
  await page.getByRole('button', { name: 'New team workspace' }).click();
  const dialog = page.getByRole('dialog', { name: 'New team workspace' });
  await dialog.getByLabel('Workspace name').fill('Bakery');
  await dialog.getByLabel('Relay address').fill(relay.url);
  await dialog.getByRole('button', { name: 'Create team workspace' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: 'Bakery' }).waitFor();
  await expect.poll(() => workspaceButton(page, 'Bakery').textContent()).toMatch(/Owner.*Synced/);
  await screenshot(page, 'team-01-created');
});

test('a personal workspace is converted only after the dialog says what will leave the device', async () => {
  const page = ada.page;
  await page.getByRole('button', { name: 'Actions for workspace Personal' }).click();
  await page.getByRole('menuitem', { name: 'Share with a team…' }).click();
  const dialog = page.getByRole('dialog', { name: /Make “Personal” a team workspace/ });
  await dialog.getByText(/will be encrypted on this device and uploaded to the relay/).waitFor();
  await expect.poll(() => dialog.getByRole('button', { name: 'Encrypt and upload' }).isDisabled()).toBe(true);
  await screenshot(page, 'team-02-convert-dialog');
  expect(await seriousAxeViolations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Keep personal' }).click();
  await dialog.waitFor({ state: 'detached' });
});

test('Bob joins the relay; Ada invites him as Editor; Bob sees the invitation and accepts it', async () => {
  await bob.page.getByRole('button', { name: 'Join a relay to be invited…' }).click();
  const join = bob.page.getByRole('dialog', { name: 'Join a relay' });
  await join.getByLabel('Relay address').fill(relay.url);
  await join.getByRole('button', { name: 'Join relay' }).click();
  await join.waitFor({ state: 'detached' });
  await bob.page.getByText('No open invitations.').waitFor();

  const page = ada.page;
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Members…' }).click();
  const members = page.getByRole('dialog', { name: 'Members of Bakery' });
  await members.getByText('Ada (you)').waitFor();
  await members.getByLabel('Username').fill(bob.username);
  await members.getByRole('combobox', { name: 'Role', exact: true }).selectOption('editor');
  await members.getByRole('button', { name: 'Invite' }).click();
  await members.getByText(/Invited Bob as Editor/).waitFor();
  await members.getByRole('combobox', { name: 'Role of Bob' }).waitFor();
  await screenshot(page, 'team-03-members-owner');
  expect(await seriousAxeViolations(page)).toEqual([]);
  await members.getByRole('button', { name: 'Close' }).click();

  const invitation = bob.page.getByRole('button', { name: 'Accept invitation to Bakery' });
  await bob.page.getByRole('button', { name: 'Check for invitations' }).click();
  await invitation.waitFor();
  await bob.page.getByText(new RegExp(`Workspace · Editor · from ${ada.username}`)).waitFor();
  await screenshot(bob.page, 'team-04-invitation');
  await invitation.click();
  await bob.page.getByRole('heading', { name: 'Bakery' }).waitFor();
  await expect.poll(() => workspaceButton(bob.page, 'Bakery').textContent()).toMatch(/Editor.*Synced/);
});

test('both type into one document and see each other’s text live', async () => {
  await newDocument(ada.page);
  await ada.page.getByLabel('Title', { exact: true }).fill('Recipe');
  await editorOf(ada.page).click();
  await ada.page.keyboard.type('Flour and water.');

  // The new document reaches Bob's list; he opens it and sees Ada's text.
  await bob.page.getByRole('button', { name: /^Recipe/ }).click();
  await editorOf(bob.page).getByText('Flour and water.').waitFor();

  // Bob types at the end; Ada's open editor shows it without reopening.
  await editorOf(bob.page).click();
  await bob.page.keyboard.press('End');
  await bob.page.keyboard.type(' Salt from Bob.');
  await expect.poll(() => editorOf(ada.page).textContent(), { timeout: 15_000 }).toBe('Flour and water. Salt from Bob.');

  // And Ada's next words reach Bob's open editor.
  await editorOf(ada.page).click();
  await ada.page.keyboard.press('End');
  await ada.page.keyboard.type(' Knead.');
  await expect.poll(() => editorOf(bob.page).textContent(), { timeout: 15_000 }).toBe('Flour and water. Salt from Bob. Knead.');
  // An Editor sees no delete action for documents.
  await bob.page.getByRole('button', { name: 'Actions for Recipe' }).click();
  await bob.page.getByRole('menuitem', { name: 'Rename…' }).waitFor();
  expect(await bob.page.getByRole('menuitem', { name: 'Delete…' }).count()).toBe(0);
  await bob.page.keyboard.press('Escape');
  await screenshot(ada.page, 'team-05-ada-typing');
  await screenshot(bob.page, 'team-06-bob-editor');
});

test('each sees where the other is: a caret with their name, and their avatar in the header', async () => {
  // Two windows: ProseMirror reads a selection only from the focused one, as a person's would be.
  await ada.page.bringToFront();
  await editorOf(ada.page).click();
  await ada.page.keyboard.press('Home');
  await ada.page.keyboard.press('Shift+End');
  await bob.page.locator('.remote-caret[data-name="Ada"]').waitFor({ timeout: 15_000 });
  // Ada's selection (the whole line) shows tinted on Bob's side.
  await expect.poll(() => bob.page.locator('.remote-selection').allTextContents(), { timeout: 25_000 }).toEqual(['Flour and water. Salt from Bob. Knead.']);
  await bob.page.getByRole('list', { name: 'Also in this document' }).locator('li[title^="Ada"]').waitFor();
  await bob.page.bringToFront();
  await editorOf(bob.page).click();
  await bob.page.keyboard.press('End');
  await ada.page.locator('.remote-caret[data-name="Bob"]').waitFor({ timeout: 15_000 });
  await screenshot(bob.page, 'team-06b-bob-sees-ada-cursor');
  await screenshot(ada.page, 'team-06c-ada-sees-bob-cursor');
  await ada.page.keyboard.press('End');
});

/**
 * Holds back the page's selectionchange events (a window listener in the capture phase stops them
 * before ProseMirror's, on the document, hears them): what a busy page does when a message from
 * outside the editor is handled before the event that reports a selection the keyboard just made.
 */
async function holdSelectionChanges(page: Page, hold: boolean): Promise<void> {
  await page.evaluate((on) => {
    const w = window as unknown as { heldSelection?: (event: Event) => void };
    w.heldSelection ??= (event) => event.stopImmediatePropagation();
    if (on) window.addEventListener('selectionchange', w.heldSelection, true);
    else window.removeEventListener('selectionchange', w.heldSelection, true);
  }, hold);
}
const pageSelection = (page: Page) => page.evaluate(() => String(window.getSelection()));

test('a selection made by keyboard stays when, before the page reports it, the other’s caret moves or their words arrive', async () => {
  const line = 'Flour and water. Salt from Bob. Knead.';
  await ada.page.bringToFront();
  await editorOf(ada.page).click();
  await ada.page.keyboard.press('End');
  await bob.page.locator('.remote-caret[data-name="Ada"]').waitFor();

  // Bob's caret moves to the start of the line while Ada's Shift+Home is not yet reported.
  await holdSelectionChanges(ada.page, true);
  await ada.page.keyboard.press('Shift+Home');
  expect(await pageSelection(ada.page)).toBe(line);
  await bob.page.keyboard.press('Home');
  const bobsCaretAtStart = () =>
    ada.page.evaluate(() => {
      const caret = document.querySelector('.remote-caret[data-name="Bob"]');
      return caret !== null && caret.parentElement?.tagName === 'P' && caret.previousSibling === null;
    });
  await expect.poll(bobsCaretAtStart, { timeout: 15_000 }).toBe(true);
  await holdSelectionChanges(ada.page, false);
  expect(await pageSelection(ada.page)).toBe(line);
  await expect.poll(() => bob.page.locator('.remote-selection').allTextContents(), { timeout: 15_000 }).toEqual([line]);

  // Bob types a word at the start while Ada's next selection is not yet reported.
  await ada.page.keyboard.press('End');
  await expect.poll(() => bob.page.locator('.remote-selection').count(), { timeout: 15_000 }).toBe(0);
  await holdSelectionChanges(ada.page, true);
  await ada.page.keyboard.press('Shift+Home');
  await bob.page.keyboard.type('Now: ');
  await expect.poll(() => editorOf(ada.page).textContent(), { timeout: 15_000 }).toBe(`Now: ${line}`);
  await holdSelectionChanges(ada.page, false);
  expect(await pageSelection(ada.page)).toContain(line);

  // Back as it was for the tests after this one.
  for (let i = 0; i < 'Now: '.length; i++) await bob.page.keyboard.press('Backspace');
  await expect.poll(() => editorOf(ada.page).textContent(), { timeout: 15_000 }).toBe(line);
  await ada.page.keyboard.press('End');
});

test('blocks one person makes reach the other, and both edit one table and one task at once', async () => {
  await ada.page.bringToFront();
  await newDocument(ada.page);
  await ada.page.getByLabel('Title', { exact: true }).fill('Blocks together');
  await editorOf(ada.page).click();
  // Bob has it open while Ada writes: her blocks arrive in his editor as she makes them.
  await bob.page.getByRole('button', { name: /^Blocks together/ }).click({ timeout: 45_000 });
  await editorOf(bob.page).waitFor();
  await ada.page.keyboard.type('/table');
  await ada.page.keyboard.press('Enter');
  for (const cell of ['Step', 'Time', 'Who']) {
    await ada.page.keyboard.type(cell);
    await ada.page.keyboard.press('Tab');
  }
  await editorOf(ada.page).locator('table + p').click();
  await ada.page.keyboard.type('/task');
  await ada.page.keyboard.press('Enter');
  await ada.page.keyboard.type('Preheat the oven');
  const cellsOf = (page: Page, row: number) => editorOf(page).locator('tr').nth(row).locator('td').allTextContents();
  await expect.poll(() => cellsOf(bob.page, 0), { timeout: 45_000 }).toEqual(['Step', 'Time', 'Who']);
  await expect.poll(() => editorOf(bob.page).locator('li.task p').allTextContents(), { timeout: 45_000 }).toEqual(['Preheat the oven']);

  // At once: Ada fills one cell of the second row and Bob the next one; Bob ticks the task
  // while Ada adds words to it.
  await editorOf(ada.page).locator('tr').nth(1).locator('td').nth(0).click();
  await bob.page.bringToFront();
  await editorOf(bob.page).locator('tr').nth(1).locator('td').nth(1).click();
  await Promise.all([ada.page.keyboard.type('Mix'), bob.page.keyboard.type('10 min')]);
  await ada.page.bringToFront();
  await editorOf(ada.page).locator('li.task p').click();
  await ada.page.keyboard.press('End');
  await Promise.all([ada.page.keyboard.type(' to 220°C'), editorOf(bob.page).locator('li.task').getByRole('checkbox').click()]);

  for (const user of [ada, bob]) {
    const editor = editorOf(user.page);
    await expect.poll(() => cellsOf(user.page, 1), { timeout: 45_000 }).toEqual(['Mix', '10 min', '']);
    await expect.poll(() => editor.locator('li.task p').allTextContents(), { timeout: 45_000 }).toEqual(['Preheat the oven to 220°C']);
    await expect.poll(() => editor.locator('li.task[data-checked="true"]').count(), { timeout: 45_000 }).toBe(1);
  }
  await screenshot(bob.page, 'team-06d-bob-blocks-together');
  for (const user of [ada, bob]) await user.page.getByRole('button', { name: /^Recipe/ }).click();
  await editorOf(bob.page).getByText('Flour and water. Salt from Bob. Knead.').waitFor();
  // The tests after this one count on Recipe alone in Bakery.
  await ada.page.getByRole('button', { name: 'Actions for Blocks together' }).click();
  await ada.page.getByRole('menuitem', { name: 'Delete…' }).click();
  await ada.page.getByRole('button', { name: 'Delete document' }).click();
  await expect.poll(() => bob.page.getByRole('button', { name: /^Blocks together/ }).count(), { timeout: 45_000 }).toBe(0);
}, 240_000);

test('Share dialog: people with roles and a public link with an expiry', async () => {
  const page = ada.page;
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Share “Recipe”' });
  await dialog.getByText('Not shared with anyone on its own yet.').waitFor();
  await dialog.getByRole('combobox', { name: 'Expires after' }).selectOption('1 day');
  await dialog.getByRole('button', { name: 'Create public link' }).click();
  const url = await dialog.getByRole('textbox', { name: 'Link address' }).inputValue();
  expect(url).toMatch(/\/p\/[^#]+#.+/);
  await dialog.getByText(/until /).waitFor();
  await screenshot(page, 'team-06d-share-dialog');
  expect(await seriousAxeViolations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await expect.poll(() => dialog.getByRole('textbox', { name: 'Link address' }).count()).toBe(0);
  await dialog.getByRole('button', { name: 'Close' }).click();
  // An Editor is not offered sharing.
  expect(await bob.page.getByRole('button', { name: 'Share', exact: true }).count()).toBe(0);
});

async function setBobRole(role: 'viewer' | 'commenter'): Promise<void> {
  const page = ada.page;
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Members…' }).click();
  const members = page.getByRole('dialog', { name: 'Members of Bakery' });
  await members.getByRole('combobox', { name: 'Role of Bob' }).selectOption(role);
  await expect.poll(() => members.getByRole('combobox', { name: 'Role of Bob' }).inputValue()).toBe(role);
  await members.getByRole('button', { name: 'Close' }).click();
}

test('Ada makes Bob a Viewer: his open editor turns read-only, no toolbar, no comment box, and typing changes nothing', async () => {
  await setBobRole('viewer');
  const page = bob.page;
  await page
    .getByRole('note')
    .getByText(/You are a Viewer in Bakery/)
    .waitFor({ timeout: 15_000 });
  await expect.poll(() => editorOf(page).getAttribute('contenteditable')).toBe('false');
  expect(await page.getByRole('toolbar', { name: 'Formatting' }).count()).toBe(0);
  // With the comments panel open (closed while there are none), still no comment box.
  await page.getByRole('button', { name: 'Show comments' }).click();
  await page.getByRole('complementary', { name: 'Comments' }).waitFor();
  expect(await page.getByLabel('Comment on the document').count()).toBe(0);
  expect(await page.getByRole('button', { name: 'New document' }).count()).toBe(0);
  await expect.poll(() => workspaceButton(page, 'Bakery').textContent()).toMatch(/Viewer/);

  await editorOf(page).click();
  await page.keyboard.type('NOT ALLOWED');
  await page.waitForTimeout(500);
  expect(await editorOf(page).textContent()).toBe('Flour and water. Salt from Bob. Knead.');
  expect(
    await ada.session.requireVault().documents.list(
      ada.session
        .requireVault()
        .workspaces.list()
        .find((w) => w.name === 'Bakery')!.id,
    ).length,
  ).toBe(1);
  await screenshot(page, 'team-07-bob-viewer');
  expect(await seriousAxeViolations(page)).toEqual([]);

  // Ada's typing still reaches the Viewer.
  await editorOf(ada.page).click();
  await ada.page.keyboard.press('End');
  await ada.page.keyboard.type(' Bake.');
  await expect.poll(() => editorOf(page).textContent(), { timeout: 15_000 }).toBe('Flour and water. Salt from Bob. Knead. Bake.');
});

test('as a Commenter Bob gets the comment box but still cannot type', async () => {
  await setBobRole('commenter');
  const page = bob.page;
  await page
    .getByRole('note')
    .getByText(/You are a Commenter in Bakery: you can comment/)
    .waitFor({ timeout: 15_000 });
  await expect.poll(() => editorOf(page).getAttribute('contenteditable')).toBe('false');
  const box = page.getByLabel('Comment on the document');
  await box.fill('Which flour?');
  await page.getByRole('button', { name: 'Comment', exact: true }).click();
  // Shown by his name from the workspace's members, his username on hover.
  await page.getByRole('listitem', { name: 'Comment by Bob' }).waitFor();
  expect(await page.getByRole('listitem', { name: 'Comment by Bob' }).locator('.comment-meta strong').getAttribute('title')).toBe(`@${bob.username}`);
  await editorOf(page).click();
  await page.keyboard.type('NOPE');
  await page.waitForTimeout(300);
  expect(await editorOf(page).textContent()).toBe('Flour and water. Salt from Bob. Knead. Bake.');
  await screenshot(page, 'team-08-bob-commenter');
  // The comment reaches Ada's open document.
  await ada.page.getByText('Which flour?').waitFor({ timeout: 15_000 });
  expect(await ada.page.getByRole('listitem', { name: 'Comment by Bob' }).locator('.comment-meta strong').textContent()).toBe('Bob');
  await screenshot(ada.page, 'team-09-ada-sees-comment');
});

test('Bob deletes his own comment: the dialog says it goes everywhere, and it leaves Ada’s open document', async () => {
  const page = bob.page;
  await page.getByRole('button', { name: 'Delete comment “Which flour?”' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this comment?' });
  await dialog.getByText('erased for good: here, at the relay and on every other member’s device as their app syncs').waitFor();
  await dialog.getByRole('button', { name: 'Delete comment' }).click();
  await page.getByText('Which flour?').waitFor({ state: 'detached' });
  // The deletion reaches the Owner's open document, and her vault, without a reload.
  await ada.page.getByText('Which flour?').waitFor({ state: 'detached', timeout: 15_000 });
  const vault = ada.session.requireVault();
  const texts = vault.documents
    .list(vault.workspaces.list().find((w) => w.name === 'Bakery')!.id)
    .flatMap((d) => vault.comments.records(d.id).map((r) => r.text));
  expect(texts).not.toContain('Which flour?');
});

test('pause and resume sync from the workspace menu; the sidebar says so', async () => {
  const page = bob.page;
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Pause sync' }).click();
  await expect.poll(() => workspaceButton(page, 'Bakery').textContent()).toMatch(/Paused/);
  await screenshot(page, 'team-10-paused');
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Resume sync' }).click();
  await expect.poll(() => workspaceButton(page, 'Bakery').textContent(), { timeout: 15_000 }).toMatch(/Synced/);
});

test('one personal document shared with Bob as Viewer: the dialog says it leaves the device; Bob accepts and reads it, read-only', async () => {
  const page = ada.page;
  await page.bringToFront();
  await workspaceButton(page, 'Personal').click();
  await newDocument(page);
  await page.getByLabel('Title', { exact: true }).fill('Secret plan');
  await editorOf(page).click();
  await page.keyboard.type('Only for Bob.');
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Share “Secret plan”' });
  await dialog.getByText(/will be encrypted on this device and uploaded/).waitFor();
  await dialog.getByLabel('Username').fill(bob.username);
  await dialog.getByRole('combobox', { name: 'Role', exact: true }).selectOption('viewer');
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await dialog
    .getByRole('alert')
    .getByText(/Tick the box/)
    .waitFor();
  await dialog.getByLabel('Encrypt and upload this document').check();
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await dialog.getByRole('list', { name: 'People with access' }).getByText('Bob', { exact: true }).waitFor();
  await screenshot(page, 'team-12-shared-document');
  await dialog.getByRole('button', { name: 'Close' }).click();

  await bob.page.bringToFront();
  await bob.page.getByRole('button', { name: 'Check for invitations' }).click();
  await bob.page.getByText(/Document · Viewer/).waitFor();
  await bob.page.getByRole('button', { name: 'Accept invitation to Secret plan' }).click();
  await bob.page.getByRole('heading', { name: 'Shared with me' }).waitFor();
  await bob.page.getByRole('button', { name: /^Secret plan/ }).click();
  await editorOf(bob.page).getByText('Only for Bob.').waitFor();
  await bob.page
    .getByRole('note')
    .getByText(/This document was shared with you as Viewer/)
    .waitFor();
  await expect.poll(() => editorOf(bob.page).getAttribute('contenteditable')).toBe('false');
  expect(await bob.page.getByRole('button', { name: 'Share', exact: true }).count()).toBe(0);
  await screenshot(bob.page, 'team-13-shared-with-me');
});

test('dark theme: the team sidebar, the Members dialog of a Viewer-free team and the Share dialog pass axe', async () => {
  const page = ada.page;
  await page.bringToFront();
  await page.emulateMedia({ colorScheme: 'dark' });
  await workspaceButton(page, 'Bakery').click();
  await page.getByRole('button', { name: /^Recipe/ }).click();
  await page.getByRole('button', { name: 'Actions for workspace Bakery' }).click();
  await page.getByRole('menuitem', { name: 'Members…' }).click();
  const members = page.getByRole('dialog', { name: 'Members of Bakery' });
  await members.getByRole('combobox', { name: 'Role of Bob' }).waitFor();
  await screenshot(page, 'team-11-members-dark');
  expect(await seriousAxeViolations(page)).toEqual([]);
  await members.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await page.getByRole('dialog', { name: 'Share “Recipe”' }).getByRole('button', { name: 'Create public link' }).waitFor();
  expect(await seriousAxeViolations(page)).toEqual([]);
  await page.getByRole('dialog', { name: 'Share “Recipe”' }).getByRole('button', { name: 'Close' }).click();
  await page.emulateMedia({ colorScheme: 'light' });
});

test('Ada deletes the document she shared with Bob: the confirmation says it leaves his device too, and it leaves his open app', async () => {
  await bob.page.bringToFront();
  await workspaceButton(bob.page, 'Shared with me').click();
  await bob.page.getByRole('button', { name: /^Secret plan/ }).waitFor();
  const page = ada.page;
  await page.bringToFront();
  await workspaceButton(page, 'Personal').click();
  await page.getByRole('button', { name: 'Actions for Secret plan' }).click();
  await page.getByRole('menuitem', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete “Secret plan”?' });
  await dialog
    .getByText(
      'from this device, from the relay, and from the devices of the 1 person you shared it with, as their app syncs. Its public links stop working.',
      { exact: false },
    )
    .waitFor();
  await dialog.getByRole('button', { name: 'Delete document' }).click();
  // Bob's app, open and syncing live, loses it without a reload.
  const vault = bob.session.requireVault();
  await expect.poll(() => vault.documents.allIds().some((d) => vault.documents.summary(d.id).title === 'Secret plan'), { timeout: 20_000 }).toBe(false);
  await bob.page.getByRole('button', { name: /^Secret plan/ }).waitFor({ state: 'detached', timeout: 20_000 });
  // With a notice that says why.
  await bob.page
    .getByText(/the person who shared this document deleted it; the copy on this device was removed too/)
    .first()
    .waitFor();
  await screenshot(bob.page, 'team-14-shared-document-deleted');
});

test('the pages reported no errors', () => {
  expect([...ada.problems, ...bob.problems]).toEqual([]);
  expect(bob.problems).toEqual([]);
});
