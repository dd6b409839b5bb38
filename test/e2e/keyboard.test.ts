/**
 * The main flow with the keyboard alone: no clicks. First run, a document with formatting, a
 * comment, search, lock and unlock, and deleting through the item menu and its confirmation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshot, startApp, type App } from './app-fixture.ts';
import { focusedName as focusedNameOf } from './ui-checks.ts';

const PASSPHRASE = 'copper kettle winter road';

let app: App;
let page: Page;

const focusedName = () => focusedNameOf(page);

/** Presses Tab until the focused element is called `name`; fails if it is never reached. */
async function tabTo(name: string | RegExp, max = 60): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const current = await focusedName();
    if (typeof name === 'string' ? current === name : name.test(current)) return;
    seen.push(current);
  }
  throw new Error(`Tab never reached ${String(name)}; it went through: ${seen.join(' | ')}`);
}

describe.sequential('Hearth with the keyboard alone', () => {
  beforeAll(async () => {
    app = await startApp();
    page = app.page;
  });

  afterAll(async () => {
    await app?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-keyboard-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  test('first run', async () => {
    await page.getByLabel('Passphrase', { exact: true }).waitFor();
    // The passphrase field has focus from the start.
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Tab');
    await page.keyboard.type('grace');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Grace Hopper');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
  });

  test('a new document with formatting, and a comment on a selection', async () => {
    await tabTo('New document');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Title');
    await page.keyboard.type('Compiler notes');
    await page.keyboard.press('Enter');
    await page.keyboard.type('## Linker');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Plain then ');
    await page.keyboard.press('Control+b');
    await page.keyboard.type('strong words');
    await page.keyboard.press('Control+b');
    const editor = page.getByRole('textbox', { name: 'Document text' });
    await editor.locator('h2', { hasText: 'Linker' }).waitFor();
    expect(await editor.locator('strong').textContent()).toBe('strong words');

    // Select "strong words" and comment on it: Ctrl+Alt+M opens the comments (closed while there
    // are none) with the box focused and the selection quoted.
    await page.keyboard.down('Shift');
    for (let i = 0; i < 'strong words'.length; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.up('Shift');
    await page.keyboard.press('Control+Alt+m');
    await expect.poll(() => page.locator('.comment-form-quote').first().textContent()).toBe('“strong words”');
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    await page.keyboard.type('Say which ones.');
    await page.keyboard.press('Control+Enter');
    const thread = page.locator('.thread', { hasText: 'Say which ones.' });
    await thread.waitFor();
    expect(await thread.locator('.thread-quote').textContent()).toBe('“strong words”');
  });

  test('search with Ctrl+K, arrows and Enter', async () => {
    await page.keyboard.press('Control+k');
    await page.getByRole('combobox').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('combobox');
    await page.keyboard.type('linker');
    await page.getByRole('option', { name: /Compiler notes/ }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe('Compiler notes');
  });

  test('lock and unlock', async () => {
    await tabTo('Lock Hearth');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Unlock Hearth, Grace Hopper' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('password');
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
  });

  test('delete through the item menu, confirmed', async () => {
    await tabTo('Actions for Compiler notes');
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    // Opened from the keyboard, the menu puts focus on its first item; wait for it, as a person would.
    await expect.poll(focusedName).toBe('Rename…');
    // Down to "Delete…", looking at the menu after each key as a person would (under load a
    // key pressed while the menu settles its focus can be dropped, and a person presses again).
    for (let i = 0; i < 6 && (await focusedName()) !== 'Delete…'; i++) {
      await page.keyboard.press('ArrowDown');
      await page.waitForTimeout(50);
    }
    expect(await focusedName()).toBe('Delete…');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Delete “Compiler notes”?' }).waitFor();
    // Cancel has focus first, so a stray Enter deletes nothing.
    await expect.poll(focusedName).toBe('Cancel');
    await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Delete document');
    await page.keyboard.press('Enter');
    await page.getByText('No documents here yet.').waitFor();
  });

  test('the page reported no errors', () => {
    expect(app.problems).toEqual([]);
  });
});
