/**
 * The blocks people write in, in Chromium against browser mode with the real core: a code block
 * from three backticks and Enter (with its language), the "/" menu driven by the keyboard, a
 * task list whose box is ticked with the mouse, a table filled with Tab, a rule from `---`, an
 * image of an attached file, and Markdown and HTML pasted with their structure. What the page
 * shows must be what the vault holds (its Markdown) and must survive a reload. Scanned by axe
 * and photographed in light and dark.
 */
import * as A from '@automerge/automerge';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { bodyAsMarkdown } from '../../common/richtext/index.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { checkScreen, screenshot, startApp, type App } from './app-fixture.ts';

/** A 24×16 blue PNG. */
const BLUE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQqDhBFcQwatCoQaMGjRpEGQIAPLEcH9Ol6TsAAAAASUVORK5CYII=', 'base64');

let app: App;
let page: Page;
let documentId: string;

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const editor = () => page.getByRole('textbox', { name: 'Document text' });

/** The document's body as the vault holds it, in Markdown. */
async function storedMarkdown(): Promise<string> {
  const api = connectInProcess(app.session);
  try {
    const { bytes } = ok(await api.openDocument(documentId));
    return bodyAsMarkdown(A.load(bytes));
  } finally {
    api.close();
  }
}

/**
 * The page says everything is saved. Not proof that the last keystroke is stored: right after
 * typing, the page can still show the "Saved" of the save before it for a moment, so the tests
 * poll what main stored first and then check what the page says.
 */
async function saved(): Promise<void> {
  await page.getByText('Saved', { exact: true }).waitFor();
}

/** Pastes as the browser does: a paste event carrying these clipboard types. */
async function paste(data: Record<string, string>): Promise<void> {
  await page.evaluate((entries) => {
    const transfer = new DataTransfer();
    for (const [type, value] of Object.entries(entries)) transfer.setData(type, value);
    document.querySelector('.ProseMirror')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, data);
}

describe.sequential('editor blocks', () => {
  beforeAll(async () => {
    app = await startApp();
    page = app.page;
    const api = connectInProcess(app.session);
    ok(await api.createVault({ passphrase: 'editor blocks test', username: 'lin', displayName: 'Lin' }));
    const workspace = ok(await api.listWorkspaces())[0]!;
    const { uploadId } = ok(await api.beginUpload(workspace.id, { name: 'harbour.png', type: 'image/png', size: BLUE_PNG.length }));
    ok(await api.uploadChunk(uploadId, new Uint8Array(BLUE_PNG)));
    ok(await api.finishUpload(uploadId));
    documentId = ok(await api.createDocument(workspace.id, { title: 'Blocks' })).id;
    api.close();
    await page.reload();
    await page.getByRole('button', { name: /^Blocks/ }).click();
    await editor().waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-blocks-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  test('three backticks and Enter make a code block in that language', async () => {
    await editor().click();
    await page.keyboard.type('```ts');
    await page.keyboard.press('Enter');
    await page.keyboard.type('const answer = 42;');
    await page.keyboard.press('Enter');
    await page.keyboard.type('console.log(answer);');
    await expect.poll(() => editor().locator('pre[data-language="ts"]').textContent()).toBe('const answer = 42;\nconsole.log(answer);');
    // Ctrl+Enter leaves the code block for a new paragraph.
    await page.keyboard.press('Control+Enter');
    await page.keyboard.type('After the code.');
    await expect.poll(storedMarkdown).toBe('```ts\nconst answer = 42;\nconsole.log(answer);\n```\n\nAfter the code.\n');
    await saved();
  });

  test('the "/" menu opens, filters and inserts with the keyboard alone', async () => {
    await page.keyboard.press('Enter');
    await page.keyboard.type('/');
    const menu = page.getByRole('listbox', { name: 'Insert a block' });
    await menu.waitFor();
    expect(await menu.getByRole('option').count()).toBeGreaterThan(8);
    await checkScreen(page, 'blocks-slash-menu');
    await page.keyboard.type('ta');
    // "ta" matches Table and Task list; the first is highlighted, Down moves to the next.
    await expect.poll(() => menu.getByRole('option', { selected: true }).locator('.slash-label').textContent()).toBe('Task list');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => menu.getByRole('option', { selected: true }).locator('.slash-label').textContent()).toBe('Table');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'detached' });
    await page.keyboard.type('Buy lamp oil');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Mend the net');
    const tasks = editor().locator('li.task');
    await expect.poll(() => tasks.count()).toBe(2);
    // The box is ticked with the mouse; the other item stays open.
    await tasks.nth(0).getByRole('checkbox').click();
    await expect.poll(() => tasks.nth(0).getAttribute('data-checked')).toBe('true');
    expect(await tasks.nth(1).getByRole('checkbox').isChecked()).toBe(false);
    // Escape closes the menu and keeps what was typed.
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('/xyz');
    await expect.poll(() => page.getByRole('listbox', { name: 'Insert a block' }).count()).toBe(0);
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('/');
    await menu.waitFor();
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    await expect.poll(() => editor().locator('p').last().textContent()).toBe('/');
    await page.keyboard.press('Backspace');
    await expect.poll(storedMarkdown).toContain('- [x] Buy lamp oil\n- [ ] Mend the net\n');
    await saved();
  });

  test('a table from the menu is filled with Tab and grows a row at its end', async () => {
    await page.keyboard.type('/table');
    await page.keyboard.press('Enter');
    for (const cell of ['Port', 'Depth', 'Tide', 'Oban', '12 m', 'high']) {
      await page.keyboard.type(cell);
      await page.keyboard.press('Tab');
    }
    await page.keyboard.type('Mallaig');
    await expect.poll(() => editor().locator('table tr').count()).toBe(3);
    await expect.poll(storedMarkdown).toContain('| Port | Depth | Tide |\n| --- | --- | --- |\n| Oban | 12 m | high |\n| Mallaig |  |  |\n');
    await saved();
  });

  test('--- makes a rule, and an attached image goes in from the menu', async () => {
    // Below the table: the paragraph the table was inserted with.
    await editor().locator('table + p').click();
    await page.keyboard.type('---');
    await expect.poll(() => editor().locator('hr').count()).toBe(1);
    await page.keyboard.type('/image');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Insert an image' });
    await dialog.getByRole('button', { name: 'harbour.png' }).click();
    const image = editor().locator('img.embedded-image');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(24);
    expect(await image.getAttribute('src')).toMatch(/^blob:/);
    expect(await image.getAttribute('alt')).toBe('harbour.png');
    await expect.poll(storedMarkdown).toMatch(/\n---\n\n!\[harbour\.png\]\(hearth-file:[A-Za-z0-9_-]+\)\n$/);
    await saved();
  });

  test('pasted Markdown and HTML keep their structure', async () => {
    await page.keyboard.press('Enter');
    await paste({ 'text/plain': '## Pasted notes\n\n- [ ] check the **anchor**\n\n| a | b |\n| :- | -: |\n| 1 | 2 |\n' });
    await expect.poll(() => editor().locator('h2').textContent()).toBe('Pasted notes');
    await expect.poll(() => editor().locator('table').count()).toBe(2);
    await page.keyboard.press('Control+End');
    await paste({
      'text/html': '<h3>From a page</h3><ul><li><input type="checkbox" checked> shipped</li></ul><pre><code class="language-py">print(1)</code></pre>',
      'text/plain': 'From a page',
    });
    await expect.poll(() => editor().locator('pre[data-language="py"]').count()).toBe(1);
    await expect.poll(storedMarkdown).toContain('### From a page\n\n- [x] shipped\n\n```py\nprint(1)\n```\n');
    await saved();
    expect(await storedMarkdown()).toContain('## Pasted notes\n\n- [ ] check the **anchor**\n\n| a | b |\n| :--- | ---: |\n| 1 | 2 |\n');
  });

  test('every block survives a reload, and the document passes axe in light and dark', async () => {
    const before = await storedMarkdown();
    await page.reload();
    await page.getByRole('button', { name: /^Blocks/ }).click();
    await editor().locator('pre[data-language="ts"]').waitFor();
    expect(await editor().locator('li.task').count()).toBe(4);
    expect(await editor().locator('table').count()).toBe(2);
    expect(await editor().locator('hr').count()).toBe(1);
    await expect
      .poll(() =>
        editor()
          .locator('img.embedded-image')
          .evaluate((img: HTMLImageElement) => img.naturalWidth),
      )
      .toBe(24);
    expect(await storedMarkdown()).toBe(before);
    await checkScreen(page, 'blocks-document');
    expect(app.problems).toEqual([]);
  });
});
