/**
 * A public link opened in a real browser (Debian Chromium): the relay's viewer page decrypts the
 * copy with the key after '#' and shows the document's rich text — headings, emphasis, lists and
 * task items, links, code, quotes, tables, rules and (when the link includes them) images — with
 * a note that it is a read-only copy, when it was published and when it expires. The key never
 * reaches the relay (no request carries it); a revoked link, an expired one, an unknown one, a
 * missing key and a tampered key each get a page that says which, and show no text. Every page
 * passes axe (no serious or critical finding) in light and dark, and is photographed.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { closePeer, eventually, makePeer, type Peer } from '../integration/sync-fixture.ts';
import { CHROMIUM, screenshot } from './app-fixture.ts';
import { seriousAxeViolations } from './ui-checks.ts';

const MARKER = 'VIEWERMARKER-4d1e';
/** A 24×16 blue PNG. */
const BLUE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQqDhBFcQwatCoQaMGjRpEGQIAPLEcH9Ol6TsAAAAASUVORK5CYII=', 'base64');

let relay: TestRelay;
let ann: Peer;
let browser: Browser;
let documentId: string;
const requested: string[] = [];

async function view(url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(url);
  return { page, problems };
}

/** axe in light and in dark, each photographed. */
async function checkBothThemes(page: Page, name: string): Promise<void> {
  expect(await seriousAxeViolations(page), `axe on ${name}`).toEqual([]);
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await seriousAxeViolations(page), `axe on ${name} (dark)`).toEqual([]);
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  const workspaceId = (await ann.engine.createTeamWorkspace('Viewer team', relay.url)).id;
  const image = await ann.vault.files.add(workspaceId, { name: 'harbour.png', type: 'image/png', source: [BLUE_PNG] });
  const markdown = [
    `First paragraph with ${MARKER}, **bold**, *emphasis*, \`code\` and [a web link](https://example.org/page).`,
    'Second <b>not bold</b> paragraph, [a script link](javascript:alert(1)) and [another note](hearth-doc:abcdefgh).',
    '# Plan',
    '- [x] book the room\n- [ ] send the agenda\n- an ordinary item',
    '1. first\n2. second',
    '> A quoted line.',
    '```ts\nconst answer = 42;\n```',
    '| Port | Depth |\n| :--- | ---: |\n| Oban | 12 m |',
    '---',
    `![The harbour at dawn](hearth-file:${image.id})`,
  ].join('\n\n');
  documentId = ann.vault.documents.create(workspaceId, { title: `Plan ${MARKER}`, init: (d) => setBodyFromMarkdown(d, markdown) }).id;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  if (ann) await closePeer(ann);
  await relay?.stop();
});

test('the viewer page shows the rich text, read-only, with its dates; the key stays in the browser', async () => {
  const link = await ann.engine.createLink(documentId, { expiresInMs: 7 * 24 * 3600 * 1000, includeImages: true });
  const { page, problems } = await view(link.url);
  await expect.poll(() => page.locator('h1').textContent()).toBe(`Plan ${MARKER}`);
  expect(await page.title()).toBe(`Plan ${MARKER}`);
  const meta = page.locator('#meta');
  expect(await meta.isVisible()).toBe(true);
  expect(await meta.textContent()).toMatch(/^Read-only copy\. .*cannot be edited here.* Published .+ · expires .+$/);
  expect(await page.locator('#status').isHidden()).toBe(true);

  const body = page.locator('#body');
  expect(await body.locator('p').first().textContent()).toBe(`First paragraph with ${MARKER}, bold, emphasis, code and a web link.`);
  expect(await body.locator('strong').first().textContent()).toBe('bold');
  expect(await body.locator('em').first().textContent()).toBe('emphasis');
  expect(await body.locator('p code').first().textContent()).toBe('code');
  expect(await body.locator('a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]))).toEqual([
    ['a web link', 'https://example.org/page', 'noopener noreferrer nofollow'],
  ]);
  // Text, not markup: raw HTML shows as written; a script link and a link to another note keep only their words.
  expect(await body.locator('p').nth(1).textContent()).toBe('Second <b>not bold</b> paragraph, a script link and another note.');
  expect(await body.locator('b').count()).toBe(0);
  // The document's headings sit below the page's title.
  expect(await body.locator('h2').textContent()).toBe('Plan');
  const tasks = body.locator('li.task');
  expect(await tasks.count()).toBe(2);
  expect(await tasks.nth(0).getByRole('checkbox', { name: 'Done' }).isChecked()).toBe(true);
  expect(await tasks.nth(1).getByRole('checkbox', { name: 'Not done' }).isChecked()).toBe(false);
  expect(await body.locator('ol > li').count()).toBe(2);
  expect(await body.locator('blockquote').textContent()).toBe('A quoted line.');
  expect(await body.locator('pre[data-language="ts"] code').textContent()).toBe('const answer = 42;');
  expect(await body.locator('table th').allTextContents()).toEqual(['Port', 'Depth']);
  expect(await body.locator('table td').allTextContents()).toEqual(['Oban', '12 m']);
  expect(await body.locator('table td.align-right').textContent()).toBe('12 m');
  expect(await body.locator('hr').count()).toBe(1);
  const image = body.locator('img');
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(24);
  expect(await image.getAttribute('alt')).toBe('The harbour at dawn');
  expect(await image.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
  await checkBothThemes(page, 'link-viewer-document');
  expect(problems).toEqual([]);

  const key = new URL(link.url).hash.slice(1);
  expect(requested.length).toBeGreaterThanOrEqual(2);
  for (const url of requested) expect(url).not.toContain(key);
  for (const line of relay.logLines) expect(line).not.toContain(key);
  await page.context().close();
});

test('a link made without its images shows their descriptions; one without expiry says so', async () => {
  const link = await ann.engine.createLink(documentId);
  const { page, problems } = await view(link.url, 'dark');
  await expect.poll(() => page.locator('#body .missing-image').textContent()).toBe('Image not included: The harbour at dawn');
  expect(await page.locator('#body img').count()).toBe(0);
  expect(await page.locator('#meta').textContent()).toMatch(/· does not expire$/);
  expect(problems).toEqual([]);
  await page.context().close();
});

test('revoked, expired, unknown, keyless and tampered links each say so, and show no text', async () => {
  const link = await ann.engine.createLink(documentId);
  const key = new URL(link.url).hash.slice(1);
  const tampered = await view(link.url.replace(key, `${key.slice(0, -2)}${key.endsWith('AA') ? 'BB' : 'AA'}`));
  await expect.poll(() => tampered.page.locator('h1').textContent()).toBe('This link cannot be opened');
  expect(await tampered.page.locator('#status').textContent()).toMatch(/key does not match/);

  const keyless = await view(link.url.split('#')[0]!);
  await expect.poll(() => keyless.page.locator('h1').textContent()).toBe('This link is incomplete');

  const unknown = await view(link.url.replace(link.id, 'no-such-link-0000'));
  await expect.poll(() => unknown.page.locator('h1').textContent()).toBe('This link does not exist');

  await ann.engine.revokeLink(link.id);
  const revoked = await view(link.url);
  await expect.poll(() => revoked.page.locator('h1').textContent()).toBe('This link was revoked');
  expect(await revoked.page.locator('#status').textContent()).toMatch(/withdrawn it.*Ask them for a new link/);
  await checkBothThemes(revoked.page, 'link-viewer-revoked');

  const shortLived = await ann.engine.createLink(documentId, { expiresInMs: 3_000 });
  await eventually(async () => (await fetch(new URL(`/p/${shortLived.id}/data`, relay.httpUrl))).status === 410, 'the link to expire');
  const expired = await view(shortLived.url);
  await expect.poll(() => expired.page.locator('h1').textContent()).toBe('This link has expired');
  expect(await expired.page.locator('#status').textContent()).toMatch(/^It stopped working on .+\. Ask whoever shared it for a new link\.$/);
  await checkBothThemes(expired.page, 'link-viewer-expired');

  for (const opened of [tampered, keyless, unknown, revoked, expired]) {
    expect(await opened.page.title()).not.toContain(MARKER);
    expect(await opened.page.locator('#body').textContent()).toBe('');
    expect(await opened.page.locator('#meta').isHidden()).toBe(true);
    expect(opened.problems.filter((p) => !/status of 4\d\d/.test(p))).toEqual([]);
    await opened.page.context().close();
  }
});
