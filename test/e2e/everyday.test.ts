/**
 * Everyday things that should just work, in Chromium at 1280×800 against the real core: the
 * first-run form drops an error once the field is fixed; Escape closes search at once; opening a
 * search hit shows the match, highlighted and scrolled to (or the comment it was in); tags added
 * in quick succession all stay; tags filter the document list.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { checkScreen, newDocument, screenshot, startApp, type App } from './app-fixture.ts';

let app: App;
let page: Page;
const editor = () => page.getByRole('textbox', { name: 'Document text' });
const searchDialog = () => page.getByRole('dialog', { name: 'Search' });

describe.sequential('everyday', () => {
  beforeAll(async () => {
    app = await startApp();
    page = app.page;
  });
  afterAll(async () => {
    await app?.close();
  });
  afterEach(async ({ task }) => {
    if (task.result?.state !== 'fail') return;
    await screenshot(page, `failed-everyday-${task.name.slice(0, 30).replace(/\W+/g, '-')}`);
    // A dialog a failed test left open would fail the next ones too.
    for (let i = 0; i < 3 && (await page.locator('dialog[open]').count()) > 0; i++) await page.keyboard.press('Escape');
  });

  test('first run: an error goes away as soon as the field it is about is fixed', async () => {
    await page.getByLabel('Passphrase', { exact: true }).fill('short');
    await page.getByLabel('Confirm passphrase').fill('short');
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Display name').fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByRole('alert').getByText('Choose a passphrase of at least 8 characters.').waitFor();
    await page.getByLabel('Passphrase', { exact: true }).fill('ember lantern quiet harbor');
    await page.getByLabel('Confirm passphrase').fill('ember lantern quiet harbor');
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
  });

  test('two documents, one long, with a comment', async () => {
    await newDocument(page);
    await page.getByLabel('Title', { exact: true }).fill('Short note');
    await editor().click();
    await page.keyboard.type('Nothing to see here.');

    await newDocument(page);
    await page.getByLabel('Title', { exact: true }).fill('Field notes');
    await editor().click();
    for (let i = 1; i <= 30; i++) {
      await page.keyboard.type(`Day ${i}: the weather held.`);
      await page.keyboard.press('Enter');
    }
    await page.keyboard.type('Day 31: the lake froze early this year.');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.getByRole('button', { name: 'Add a comment' }).click();
    await page.getByLabel('Comment on the selected text').fill('Check the thermometer readings.');
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    await page.locator('.thread', { hasText: 'Check the thermometer readings.' }).waitFor();
    await page.getByRole('button', { name: /^Short note/ }).click();
    await editor().getByText('Nothing to see here.').waitFor();
  });

  test('Escape closes search at once, even with something typed', async () => {
    await page.keyboard.press('Control+k');
    await searchDialog().getByRole('combobox').fill('froze');
    await page.keyboard.press('Escape');
    await searchDialog().waitFor({ state: 'detached' });
  });

  test('a search hit opens its document with the match highlighted and scrolled into view', async () => {
    await page.keyboard.press('Control+k');
    await searchDialog().getByRole('combobox').fill('lake froze');
    await searchDialog()
      .getByRole('option', { name: /Field notes/ })
      .waitFor();
    await page.keyboard.press('Enter');
    const match = page.locator('.search-match');
    await match.waitFor();
    expect(await match.textContent()).toBe('lake froze');
    const inView = await match.evaluate((element) => {
      const box = element.getBoundingClientRect();
      const scroller = element.closest('.editor-scroll')!.getBoundingClientRect();
      return box.top >= scroller.top && box.bottom <= scroller.bottom;
    });
    expect(inView).toBe(true);
    expect(await page.locator('.editor-scroll').evaluate((element) => element.scrollTop)).toBeGreaterThan(0);
    await checkScreen(page, 'everyday-01-search-hit');
    // The highlight is for finding it; the next edit makes it go.
    await page.keyboard.press('End');
    await page.keyboard.type(' Brr.');
    await expect.poll(() => page.locator('.search-match').count()).toBe(0);
  });

  test('a hit in a comment opens the comments with that thread shown', async () => {
    await page.getByRole('button', { name: /^Short note/ }).click();
    await editor().getByText('Nothing to see here.').waitFor();
    await page.keyboard.press('Control+k');
    await searchDialog().getByRole('combobox').fill('thermometer');
    await searchDialog().getByRole('option').first().waitFor();
    await page.keyboard.press('Enter');
    const thread = page.locator('.thread-active', { hasText: 'Check the thermometer readings.' });
    await thread.waitFor();
    expect(await thread.isVisible()).toBe(true);
  });

  test('tags added in quick succession all stay; tags filter the list', async () => {
    const tagInput = page.getByLabel('Add a tag');
    await tagInput.click();
    // A comma adds a tag as Enter does: two tags within a few milliseconds, the second before the first is saved.
    await page.keyboard.type('ice,winter,');
    const header = page.getByRole('list', { name: 'Tags' }).first();
    await expect.poll(() => header.getByRole('listitem').allTextContents()).toEqual(['ice', 'winter']);
    const vault = app.session.requireVault();
    const stored = () => vault.documents.list(vault.workspaces.list()[0]!.id).find((d) => d.title === 'Field notes')!.tags;
    await expect.poll(stored).toEqual(['ice', 'winter']);

    await page.getByRole('button', { name: /^Short note/ }).click();
    await page.getByLabel('Add a tag').click();
    await page.keyboard.type('summer');
    await page.keyboard.press('Enter');
    const filters = page.getByRole('group', { name: 'Show documents tagged' });
    await filters.getByRole('button', { name: 'ice' }).waitFor();
    await filters.getByRole('button', { name: 'ice' }).click();
    const listed = () => page.getByRole('list', { name: 'Documents' }).locator('.document-title').allTextContents();
    await expect.poll(listed).toEqual(['Field notes']);
    expect(await filters.getByRole('button', { name: 'ice' }).getAttribute('aria-pressed')).toBe('true');
    await checkScreen(page, 'everyday-02-tag-filter');
    await filters.getByRole('button', { name: 'Show all' }).click();
    await expect.poll(async () => (await listed()).sort()).toEqual(['Field notes', 'Short note']);
    // A tag in the open document's header filters too.
    await page.getByRole('button', { name: /^Short note/ }).click();
    await page.getByRole('button', { name: 'summer' }).first().click();
    await expect.poll(listed).toEqual(['Short note']);
  });

  test('the page reported no errors', () => {
    expect(app.problems).toEqual([]);
  });
});
