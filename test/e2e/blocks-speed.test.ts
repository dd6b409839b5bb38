/**
 * Typing stays fast in a 100k-character document that holds every block type (issue 15's speed
 * goal: keydown → painted, p99 under 16 ms). The trace document (Martin Kleppmann's LaTeX paper)
 * is interleaved with code blocks, task lists, tables, rules and images of an attached file;
 * keystrokes are typed into a paragraph, a table cell, a code block and a task item, and each is
 * timed in the page from keydown to the first task after the next frame was painted.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { markdownToSpans } from '../../common/richtext/index.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { startApp, type App } from './app-fixture.ts';

const TRACE = new URL('../../../shared/data/editing-traces/automerge-paper.json.gz', import.meta.url);
const BLUE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQqDhBFcQwatCoQaMGjRpEGQIAPLEcH9Ol6TsAAAAASUVORK5CYII=', 'base64');

let app: App;

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.close();
});

/** The paper's paragraphs with a block of each kind in turn after every third one. */
function documentWithEveryBlock(text: string, imageId: string): string {
  const paragraphs = text
    .split(/\n{2,}/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean);
  const extras = [
    (n: number) => `\`\`\`ts\nconst block${n} = ${n};\nconsole.log(block${n});\n\`\`\``,
    (n: number) => `- [x] checked item ${n}\n- [ ] open item ${n}`,
    (n: number) => `| Column ${n} | Value |\n| :--- | ---: |\n| row ${n} | ${n * 3} |\n| next | ${n * 7} |`,
    () => '---',
    (n: number) => `![figure ${n}](hearth-file:${imageId})`,
  ];
  const out: string[] = [];
  paragraphs.forEach((paragraph, index) => {
    out.push(paragraph.replace(/^([#>*+-]|\d+\.)/, '\\$1'));
    if (index % 3 === 2) out.push(extras[Math.floor(index / 3) % extras.length]!(index));
  });
  return out.join('\n\n') + '\n';
}

test('keydown → painted in a 100k-character document holding every block type', async () => {
  const text = (JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as { endContent: string }).endContent;
  const api = connectInProcess(app.session);
  ok(await api.createVault({ passphrase: 'blocks speed test', username: 'kai', displayName: 'Kai' }));
  const workspace = ok(await api.listWorkspaces())[0]!;
  const { uploadId } = ok(await api.beginUpload(workspace.id, { name: 'figure.png', type: 'image/png', size: BLUE_PNG.length }));
  ok(await api.uploadChunk(uploadId, new Uint8Array(BLUE_PNG)));
  const image = ok(await api.finishUpload(uploadId));
  const summary = ok(await api.createDocument(workspace.id, { title: 'The paper, with blocks' }));
  const opened = ok(await api.openDocument(summary.id));
  const markdown = documentWithEveryBlock(text, image.id);
  const before = A.load<{ body: string }>(opened.bytes);
  const after = A.change(before, (doc) => {
    if (typeof doc.body !== 'string') doc.body = '';
    A.updateSpans(doc, ['body'], markdownToSpans(markdown));
  });
  const length = A.spans(after, ['body']).reduce((sum, span) => sum + (span.type === 'text' ? span.value.length : 1), 0);
  expect(length).toBeGreaterThan(100_000);
  ok(await api.applyChanges(summary.id, A.getChanges(before, after) as Uint8Array<ArrayBuffer>[]));
  ok(await api.createDocument(workspace.id, { title: 'A short note' }));
  api.close();

  const { page } = app;
  await page.reload();
  const editor = page.getByRole('textbox', { name: 'Document text' });
  const countBlocks = () =>
    editor.evaluate((root) => ({
      tables: root.querySelectorAll('table').length,
      code: root.querySelectorAll('pre').length,
      tasks: root.querySelectorAll('li.task').length,
      rules: root.querySelectorAll('hr').length,
      images: root.querySelectorAll('img.embedded-image').length,
    }));

  await page.evaluate(() => {
    const w = window as unknown as { keyTimes: number[] };
    w.keyTimes = [];
    document.addEventListener(
      'keydown',
      () => {
        const start = performance.now();
        // The frame after this key is painted before a task queued from its animation callback runs.
        requestAnimationFrame(() => setTimeout(() => w.keyTimes.push(performance.now() - start), 0));
      },
      true,
    );
  });
  const typed = 'quick brown fox ';
  const timeTyping = async (target: string, nth: number) => {
    await editor.locator(target).nth(nth).click();
    await page.keyboard.press('End');
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
    await page.evaluate(() => ((window as unknown as { keyTimes: number[] }).keyTimes = []));
    for (let round = 0; round < 4; round++) await page.keyboard.type(typed, { delay: 25 });
    await page.getByText('Saved', { exact: true }).waitFor();
    const times = (await page.evaluate(() => (window as unknown as { keyTimes: number[] }).keyTimes)).sort((a, b) => a - b);
    expect(times.length).toBe(typed.length * 4);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))]!;
    return { median: at(0.5), p90: at(0.9), p99: at(0.99), worst: times[times.length - 1]! };
  };
  // The same typing in a short document first: what the browser's own input handling costs here, now.
  await page.getByRole('button', { name: /^A short note/ }).click();
  await editor.click();
  await page.keyboard.type('Short.');
  const short = await timeTyping('p', 0);
  await page.getByRole('button', { name: /^The paper, with blocks/ }).click();
  await editor.locator('table').nth(10).waitFor({ state: 'attached' });
  const counts = await countBlocks();
  for (const count of Object.values(counts)) expect(count).toBeGreaterThan(5);
  const results = {
    paragraph: await timeTyping('p', 200),
    'table cell': await timeTyping('td', counts.tables),
    'code block': await timeTyping('pre', Math.floor(counts.code / 2)),
    'task item': await timeTyping('li.task p', counts.tasks - 1),
  };
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  console.log(
    `100k document with every block (${length} characters; ${JSON.stringify(counts)}): ` +
      Object.entries({ 'short document': short, ...results })
        .map(([where, r]) => `${where}: median ${ms(r.median)}, p90 ${ms(r.p90)}, p99 ${ms(r.p99)}, worst ${ms(r.worst)}`)
        .join('; '),
  );
  // The goal is p99 under 16 ms on an idle machine; a shared, loaded one is measured against
  // its own cost of typing into a short document, with room for its noise (its p99 of 64 keys is
  // one key, which a loaded machine can stall, so p90 is what is held here). Before the binding
  // stopped asking Automerge for the marks at the cursor (renderer/editor/sync.ts), a key in the
  // middle of this document took a median 15–20 ms more than in the short one.
  for (const [where, r] of Object.entries(results)) {
    expect(r.median, where).toBeLessThan(short.median + 10);
    expect(r.p90, where).toBeLessThan(short.p90 + 30);
  }
  expect(app.problems).toEqual([]);
});
