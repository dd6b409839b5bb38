/**
 * An Obsidian-style Markdown folder imported from Settings → Your data, in Chromium against
 * browser mode with the real core (issue 15, item 4): the notes arrive with their file dates (not
 * "just now"), their tags, titles that are not repeated in the text, tables, task lists, an image
 * of an attached file shown from the vault, and [[wikilinks]] that open the linked note.
 * Scanned by axe and photographed in light and dark.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { connectInProcess } from '../../main/api/connection.ts';
import { writeObsidianFolder } from '../support/obsidian-folder.ts';
import { tempDir } from '../support/vault.ts';
import { checkScreen, screenshot, startApp, type App } from './app-fixture.ts';

let app: App;
let page: Page;

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const editor = () => page.getByRole('textbox', { name: 'Document text' });

describe.sequential('a Markdown folder imported in the app', () => {
  beforeAll(async () => {
    const dataDir = join(tempDir('hearth-e2e-data-'), 'Hearth');
    writeObsidianFolder(dataDir);
    app = await startApp({ dataDir });
    page = app.page;
    const api = connectInProcess(app.session);
    ok(await api.createVault({ passphrase: 'markdown folder import', username: 'obi', displayName: 'Obi' }));
    api.close();
    await page.reload();
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-import-md-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  test('Settings imports the folder: three notes and three attachments', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Your data' }).click();
    const panel = page.getByRole('tabpanel');
    await panel.getByRole('radio', { name: /Vault notes/ }).check();
    await panel.getByRole('button', { name: 'Import', exact: true }).click();
    const summary = panel.getByRole('status').filter({ hasText: 'Imported' });
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(/^Imported 3 new documents, 0 comments, 3 files into 1 new workspace\./);
    await page.keyboard.press('Escape');
  });

  test('the notes keep their dates, titles and tags', async () => {
    await page.getByRole('button', { name: /^Imported: Vault notes/ }).click();
    const list = page.getByRole('list', { name: 'Documents' });
    const meeting = list.getByRole('button', { name: /^Meeting notes/ });
    await meeting.waitFor();
    // The file's own date, not "just now".
    expect(await meeting.textContent()).toContain(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date('2023-11-05T14:00:00Z')));
    expect(await list.textContent()).not.toContain('just now');
    await list.getByRole('button', { name: /^Home base/ }).click();
    await editor().locator('table').waitFor();
    const tags = page.locator('.document-pane').getByRole('list', { name: 'Tags' });
    await expect.poll(async () => (await tags.textContent()) ?? '').toMatch(/inbox.*planning.*today|today.*inbox/);
    // The title is the front matter's, and the opening heading is not repeated in the text.
    expect(await editor().locator('h1').count()).toBe(0);
  });

  test('the text keeps its table, tasks, image and links between the notes', async () => {
    expect(await editor().locator('table tr').count()).toBe(2);
    expect(await editor().locator('td').first().textContent()).toBe('Task');
    const tasks = editor().locator('li.task');
    expect(await tasks.count()).toBe(2);
    expect(await tasks.nth(0).getByRole('checkbox').isChecked()).toBe(true);
    const images = editor().locator('img.embedded-image');
    await expect.poll(() => images.first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(24);
    expect(await editor().textContent()).toContain('[[Missing note]]');
    expect(await editor().locator('pre').textContent()).toContain('[[not a link]] #notatag');
    await checkScreen(page, 'import-markdown-note');
    // A [[wikilink]] opens the note it names.
    await editor()
      .locator('a.document-link', { hasText: 'Project Alpha' })
      .click({ modifiers: ['ControlOrMeta'] });
    await expect.poll(() => page.getByRole('textbox', { name: 'Title' }).inputValue()).toBe('Project Alpha');
    await expect.poll(() => editor().locator('h2').textContent()).toBe('Risks');
    expect(app.problems).toEqual([]);
  });
});
