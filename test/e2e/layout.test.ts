/**
 * Room to write at 1280×800, in Chromium: the editor gets the width the comments panel does not
 * need (closed while a document has no comments, put away by the person and remembered in their
 * settings), the person's own name and invitation titles are shown whole, and after joining a
 * relay the sidebar says under which @username and on which relay one can be invited.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { SETTINGS_FILE_NAME } from '../../main/app/session.ts';
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
const LONG_WORKSPACE = 'Quarterly planning of the bakery co-operative';

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', `ada-${process.pid}`, { displayName: 'Ada Lovelace' });
  bob = await startUser(browser, 'Bob', `bob-${process.pid}`, { displayName: 'Robert Bobson' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopUsers(ada, bob);
  await relay?.stop();
});

const widthOf = (locator: Locator) => locator.evaluate((element) => element.getBoundingClientRect().width);
/** Whether the element shows all of its text: nothing cut by an ellipsis or overflow. */
const whole = (locator: Locator) =>
  locator.evaluate((element) => element.scrollWidth <= element.clientWidth + 1 && element.scrollHeight <= element.clientHeight + 1);
const commentsPanel = (page: Page) => page.getByRole('complementary', { name: 'Comments' });
const storedSettings = (user: User) => JSON.parse(readFileSync(join(user.session.vaultDir, SETTINGS_FILE_NAME), 'utf8')) as Record<string, unknown>;

test('a new document has no comments panel: the editor gets most of the 1280 px; the person’s own name is whole', async () => {
  const page = ada.page;
  await newDocument(page);
  await page.getByLabel('Title', { exact: true }).fill('Field notes');
  await editorOf(page).click();
  await page.keyboard.type('The lake froze early this year.');
  expect(await commentsPanel(page).count()).toBe(0);
  expect(await widthOf(page.locator('.editor-scroll'))).toBeGreaterThanOrEqual(780);
  const me = page.locator('.sidebar-profile-name');
  expect(await me.textContent()).toBe(`Ada Lovelace@${ada.username}`);
  expect(await whole(me.locator('span').first())).toBe(true);
  await checkScreen(page, 'layout-01-no-comments');
});

test('the first comment opens the panel; putting it away is remembered for the person, across a reload', async () => {
  const page = ada.page;
  await editorOf(page).click();
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await page.getByRole('button', { name: 'Add a comment' }).click();
  await commentsPanel(page).waitFor();
  await page.getByLabel('Comment on the selected text').fill('Which year?');
  await page.getByRole('button', { name: 'Comment', exact: true }).click();
  await page.locator('.thread', { hasText: 'Which year?' }).waitFor();
  expect(await widthOf(page.locator('.editor-scroll'))).toBeGreaterThanOrEqual(500);
  await checkScreen(page, 'layout-02-with-comments');

  await page.getByRole('button', { name: 'Hide comments' }).click();
  await commentsPanel(page).waitFor({ state: 'detached' });
  expect(await widthOf(page.locator('.editor-scroll'))).toBeGreaterThanOrEqual(780);
  await expect.poll(() => storedSettings(ada).showComments).toBe(false);
  // The toggle still says there is something to read.
  expect(await page.getByRole('button', { name: 'Show comments, 1 open' }).textContent()).toBe('1');
  await checkScreen(page, 'layout-02b-comments-put-away');

  await page.reload();
  await page.getByRole('button', { name: /^Field notes/ }).click();
  await editorOf(page).getByText('The lake froze early this year.').waitFor();
  await page.getByRole('button', { name: 'Show comments, 1 open' }).waitFor();
  expect(await commentsPanel(page).count()).toBe(0);
  await page.getByRole('button', { name: 'Show comments, 1 open' }).click();
  await commentsPanel(page).getByText('Which year?').waitFor();
  await expect.poll(() => storedSettings(ada).showComments).toBe(true);
  // In a personal workspace, my comment shows my name, my username on hover.
  const author = page.getByRole('listitem', { name: 'Comment by Ada Lovelace' }).locator('.comment-meta strong');
  expect(await author.textContent()).toBe('Ada Lovelace');
  expect(await author.getAttribute('title')).toBe(`@${ada.username}`);
  // Bob's vault keeps his own choice.
  expect(bob.session.getSettings().showComments).toBeUndefined();
});

test('after joining a relay the sidebar says as whom and where; a long invitation title is shown whole', async () => {
  await joinRelay(bob, relay.url);
  const host = relay.url.replace(/^ws:\/\//, '').replace(/\/$/, '');
  await bob.page.getByText(`People on ${host} can invite you as @${bob.username}.`).waitFor();

  await createTeamWorkspace(ada, LONG_WORKSPACE, relay.url);
  const members = await openMembers(ada, LONG_WORKSPACE);
  await invite(ada, LONG_WORKSPACE, bob.username, 'editor');
  await members.getByRole('button', { name: 'Close' }).click();
  await bob.page.getByRole('button', { name: 'Check for invitations' }).click();
  const title = bob.page.locator('.invitation-text strong');
  await title.waitFor();
  expect(await title.textContent()).toBe(LONG_WORKSPACE);
  expect(await whole(title)).toBe(true);
  expect(await whole(bob.page.locator('.sidebar-profile-name span').first())).toBe(true);
  await checkScreen(bob.page, 'layout-03-invitation');
  await bob.page.getByRole('button', { name: `Accept invitation to ${LONG_WORKSPACE}` }).click();
  await expect.poll(() => workspaceButton(bob.page, 'Quarterly').textContent()).toMatch(/Editor/);
});

test('the pages reported no errors', () => {
  expect([...ada.problems, ...bob.problems]).toEqual([]);
});
