/**
 * The History panel in real Chromium, with two people syncing through a real relay: it lists
 * versions by author, previews one with what changed since, and a restore reaches the other person.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { newDocument, screenshot } from './app-fixture.ts';
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
  type User,
} from './team-fixture.ts';
import { seriousAxeViolations } from './ui-checks.ts';

let relay: TestRelay;
let browser: Browser;
let ada: User;
let bob: User;

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', `ada-h-${process.pid}`);
  bob = await startUser(browser, 'Bob', `bob-h-${process.pid}`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stopUsers(ada, bob);
  await relay?.stop();
});

const historyPanel = (user: User) => user.page.getByRole('complementary', { name: 'History' });

test('Ada and Bob share a team workspace', async () => {
  await createTeamWorkspace(ada, 'Bakery', relay.url);
  await joinRelay(bob, relay.url);
  const members = await openMembers(ada, 'Bakery');
  await invite(ada, 'Bakery', bob.username, 'editor');
  await members.getByRole('button', { name: 'Close' }).click();
  await acceptInvitation(bob, 'Bakery');
});

test('the History panel lists versions by author, previews one, and a restore reaches the other person', async () => {
  await newDocument(ada.page);
  await ada.page.getByLabel('Title', { exact: true }).fill('Recipe');
  await editorOf(ada.page).click();
  await ada.page.keyboard.type('Flour and water.');
  await bob.page.getByRole('button', { name: /^Recipe/ }).click();
  await editorOf(bob.page).getByText('Flour and water.').waitFor();
  await editorOf(bob.page).click();
  await bob.page.keyboard.press('End');
  await bob.page.keyboard.type(' Salt from Bob.');
  await expect.poll(() => editorOf(ada.page).textContent(), { timeout: 15_000 }).toBe('Flour and water. Salt from Bob.');

  await ada.page.getByRole('button', { name: 'Show history' }).click();
  const panel = historyPanel(ada);
  const versions = panel.getByRole('list', { name: 'Versions' });
  await expect
    .poll(() => versions.getByRole('button').allTextContents())
    .toEqual([expect.stringMatching(/^Bob.*Current version$/), expect.stringMatching(/^You.*edits$/)]);
  await versions.getByRole('button', { name: /^You/ }).click();
  const preview = panel.getByTestId('version-preview');
  await expect.poll(() => preview.textContent()).toBe('Flour and water. Salt from Bob.');
  await expect.poll(() => preview.locator('ins').allTextContents()).toEqual([' Salt from Bob.']);
  await screenshot(ada.page, 'history-01-preview');
  expect(await seriousAxeViolations(ada.page)).toEqual([]);

  await panel.getByRole('button', { name: 'Restore this version' }).click();
  await expect.poll(() => editorOf(ada.page).textContent()).toBe('Flour and water.');
  await expect.poll(() => editorOf(bob.page).textContent(), { timeout: 15_000 }).toBe('Flour and water.');
  // The restore is a new version on top; the earlier ones stay.
  await expect
    .poll(() => versions.getByRole('button').allTextContents())
    .toEqual([expect.stringMatching(/^You.*Current version$/), expect.stringMatching(/^Bob/), expect.stringMatching(/^You/)]);
});

test('Erase edit history asks first, then shows no earlier versions, and both people edit on', async () => {
  const panel = historyPanel(ada);
  const versions = panel.getByRole('list', { name: 'Versions' });
  await panel.getByRole('button', { name: 'Erase edit history' }).click();
  const dialog = ada.page.getByRole('dialog', { name: "Erase this document's edit history?" });
  await dialog.waitFor();
  await screenshot(ada.page, 'history-02-erase-asks');
  // Cancelling changes nothing.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect.poll(() => versions.getByRole('button').count()).toBe(3);
  await panel.getByRole('button', { name: 'Erase edit history' }).click();
  await ada.page.getByRole('dialog', { name: "Erase this document's edit history?" }).getByRole('button', { name: 'Erase edit history' }).click();

  await expect.poll(() => versions.getByRole('button').allTextContents()).toEqual([expect.stringMatching(/Earlier history erased$/)]);
  await expect(panel.getByRole('button', { name: 'Erase edit history' }).count()).resolves.toBe(0);
  await expect.poll(() => editorOf(ada.page).textContent()).toBe('Flour and water.');
  // Bob's page took the new generation in, and his next edit reaches Ada.
  await bob.page.getByRole('button', { name: 'Show history' }).click();
  await expect
    .poll(() => historyPanel(bob).getByRole('list', { name: 'Versions' }).getByRole('button').allTextContents(), { timeout: 15_000 })
    .toEqual([expect.stringMatching(/Earlier history erased$/)]);
  await editorOf(bob.page).click();
  await bob.page.keyboard.press('End');
  await bob.page.keyboard.type(' Yeast.');
  await expect.poll(() => editorOf(ada.page).textContent(), { timeout: 15_000 }).toBe('Flour and water. Yeast.');
  await screenshot(ada.page, 'history-03-erased');
});

test('a document also shared on its own: Erase edit history says exactly what to do; after revoking, it erases', async () => {
  const cat = await startUser(browser, 'Cat', `cat-h-${process.pid}`);
  try {
    await joinRelay(cat, relay.url);
    const page = ada.page;
    await page.bringToFront();
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const share = page.getByRole('dialog', { name: 'Share “Recipe”' });
    await share.getByLabel('Username').fill(cat.username);
    await share.getByRole('combobox', { name: 'Role', exact: true }).selectOption('viewer');
    await share.getByRole('button', { name: 'Share', exact: true }).click();
    await share.getByRole('list', { name: 'People with access' }).getByText('Cat', { exact: true }).waitFor();
    await share.getByRole('button', { name: 'Close' }).click();

    // An edit after sharing (which sent the document without its history) gives it history to erase.
    await editorOf(page).click();
    await page.keyboard.press('End');
    await page.keyboard.type(' Sugar.');
    const panel = historyPanel(ada);
    const versions = panel.getByRole('list', { name: 'Versions' });
    await expect.poll(() => versions.getByRole('button').count(), { timeout: 15_000 }).toBeGreaterThan(1);

    // By mouse: the erase is refused, and the dialog says why and what to do, naming Cat.
    await panel.getByRole('button', { name: 'Erase edit history' }).click();
    const asks = page.getByRole('dialog', { name: "Erase this document's edit history?" });
    await asks.getByRole('button', { name: 'Erase edit history' }).click();
    const refusal = asks.getByRole('alert');
    await expect
      .poll(() => refusal.textContent())
      .toMatch(
        new RegExp(
          `Nothing was erased: this document is also shared on its own with Cat \\(${cat.username}\\)\\. Stop sharing it first \\(Share, then Revoke beside them; or \`hearth share revoke DOC --user USERNAME\`\\), then erase its edit history\\.`,
        ),
      );
    await screenshot(page, 'erasure-rest-shared-alone-refused');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await asks.waitFor({ state: 'detached' });
    expect(await versions.getByRole('button').count()).toBeGreaterThan(1);

    // By keyboard: Share, Revoke beside Cat, close; then Erase edit history and confirm.
    await page.getByRole('button', { name: 'Share', exact: true }).focus();
    await page.keyboard.press('Enter');
    await share.getByRole('button', { name: 'Stop sharing with Cat' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => share.getByRole('list', { name: 'People with access' }).getByText('Cat', { exact: true }).count()).toBe(0);
    await page.keyboard.press('Escape');
    await share.waitFor({ state: 'detached' });
    await panel.getByRole('button', { name: 'Erase edit history' }).focus();
    await page.keyboard.press('Enter');
    await asks.getByRole('button', { name: 'Erase edit history' }).focus();
    await page.keyboard.press('Enter');
    await asks.waitFor({ state: 'detached' });
    await expect.poll(() => versions.getByRole('button').allTextContents()).toEqual([expect.stringMatching(/Earlier history erased$/)]);
    await expect.poll(() => editorOf(page).textContent()).toBe('Flour and water. Yeast. Sugar.');
    await screenshot(page, 'erasure-rest-shared-alone-erased');
  } finally {
    await stopUsers(cat);
  }
}, 180_000);
