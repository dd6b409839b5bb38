/**
 * Content from elsewhere (a peer, the CLI, an import) is only ever shown, never run: script
 * tags, event-handler attributes and javascript: links in titles, text, comments, tags and file
 * names stay text, and a link that is not web or mail renders without an address.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { startApp, type App } from './app-fixture.ts';

let app: App;

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const HOSTILE = '<img src=x onerror="__pwned=1"><script>__pwned=2</script>';
/** File names may not hold slashes. */
const HOSTILE_FILE = '<img src=x onerror="__pwned=4">.html';

beforeAll(async () => {
  app = await startApp();
  const api = connectInProcess(app.session);
  ok(await api.createVault({ passphrase: 'hostile content test', username: 'eve', displayName: HOSTILE }));
  const workspace = ok(await api.createWorkspace(`Team ${HOSTILE}`));
  const summary = ok(await api.createDocument(workspace.id, { title: `Title ${HOSTILE}`, tags: ['<b>tag</b>'] }));
  const opened = ok(await api.openDocument(summary.id));
  const before = A.load<{ body: string }>(opened.bytes);
  const after = A.change(before, (doc) =>
    setBodyFromMarkdown(
      doc,
      `Click [here](javascript:window.__pwned=3) or [there](data:text/html,<script>x</script>) or [safe](https://example.org).\n\n${HOSTILE}`,
    ),
  );
  ok(await api.applyChanges(summary.id, A.getChanges(before, after) as Uint8Array<ArrayBuffer>[]));
  ok(await api.addComment(summary.id, { text: `Comment ${HOSTILE}` }));
  const upload = ok(await api.beginUpload(workspace.id, { name: HOSTILE_FILE, type: 'text/html', size: 5 }));
  ok(await api.uploadChunk(upload.uploadId, new TextEncoder().encode('hello')));
  ok(await api.finishUpload(upload.uploadId));
  api.close();
});

afterAll(async () => {
  await app?.close();
});

test('hostile titles, text, links, comments, tags and file names are shown as text and never run', async () => {
  const { page } = app;
  await page.reload();
  await page.getByRole('button', { name: `Team ${HOSTILE}`, exact: true }).click();
  await page.getByRole('button', { name: /^Title </ }).click();
  const editor = page.getByRole('textbox', { name: 'Document text' });
  await editor.getByText('Click').waitFor();

  expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe(`Title ${HOSTILE}`);
  await editor.getByText(HOSTILE).waitFor();
  await page.locator('.comment-text', { hasText: `Comment ${HOSTILE}` }).waitFor();
  await page.locator('.document-item .tag', { hasText: '<b>tag</b>' }).waitFor();
  await page.locator('.sidebar-profile', { hasText: HOSTILE }).waitFor();

  const links = await editor.locator('a').evaluateAll((anchors) => anchors.map((a) => [a.textContent, a.getAttribute('href')]));
  expect(links).toEqual([
    ['here', null],
    ['there', null],
    ['safe', 'https://example.org/'],
  ]);
  await editor.getByText('here', { exact: true }).click({ modifiers: ['Control'] });
  await editor.getByText('there', { exact: true }).click({ modifiers: ['Control'] });

  await page.getByRole('button', { name: 'Files' }).click();
  await page.locator('.file-name', { hasText: HOSTILE_FILE }).waitFor();

  // Nothing was parsed as markup anywhere in the page, and nothing ran.
  expect(await page.locator('#root script, #root img:not(.avatar)').count()).toBe(0);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(app.context.pages()).toHaveLength(1);
  expect(app.problems).toEqual([]);
});
