/**
 * A public link opened in a real browser (Debian Chromium): the relay's viewer page decrypts the
 * copy with the key after '#' and shows the document's title and text; the key never reaches the
 * relay (no request carries it); a tampered key, a revoked link and an expired one show a clear
 * message and no text.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { closePeer, eventually, makePeer, type Peer } from '../integration/sync-fixture.ts';
import { CHROMIUM } from './app-fixture.ts';

const MARKER = 'VIEWERMARKER-4d1e';

let relay: TestRelay;
let ann: Peer;
let browser: Browser;
let documentId: string;
const requested: string[] = [];

async function view(url: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(url);
  return { page, problems };
}

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  const workspaceId = (await ann.engine.createTeamWorkspace('Viewer team', relay.url)).id;
  documentId = ann.vault.documents.create(workspaceId, { title: `Plan ${MARKER}`, init: (d) => setBodyFromMarkdown(d, `First paragraph with ${MARKER}.\n\nSecond <b>not bold</b> paragraph.\n`) }).id;
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

test('the viewer page shows the decrypted document; the key stays in the browser', async () => {
  const link = await ann.engine.createLink(documentId);
  const { page, problems } = await view(link.url);
  await expect.poll(() => page.locator('#title').textContent()).toBe(`Plan ${MARKER}`);
  const body = await page.locator('#body').textContent();
  expect(body).toContain(`First paragraph with ${MARKER}.`);
  // Text, not markup: the page never turns the document into HTML.
  expect(body).toContain('Second <b>not bold</b> paragraph.');
  expect(await page.locator('#body b').count()).toBe(0);
  expect(await page.title()).toBe(`Plan ${MARKER}`);
  expect(await page.locator('#status').isHidden()).toBe(true);
  expect(problems).toEqual([]);
  const key = new URL(link.url).hash.slice(1);
  expect(requested.length).toBeGreaterThanOrEqual(2);
  for (const url of requested) expect(url).not.toContain(key);
  for (const line of relay.logLines) expect(line).not.toContain(key);
  await page.context().close();
});

test('a tampered key, a revoked link and an expired one show a message and no text', async () => {
  const link = await ann.engine.createLink(documentId);
  const key = new URL(link.url).hash.slice(1);
  const tampered = await view(link.url.replace(key, `${key.slice(0, -2)}${key.endsWith('AA') ? 'BB' : 'AA'}`));
  await expect.poll(() => tampered.page.locator('#status').textContent()).toMatch(/key does not match/);
  expect(await tampered.page.locator('#body').textContent()).toBe('');
  expect(await tampered.page.locator('#title').textContent()).toBe('');

  await ann.engine.revokeLink(link.id);
  const revoked = await view(link.url);
  await expect.poll(() => revoked.page.locator('#status').textContent()).toMatch(/revoked or has expired/);
  expect(await revoked.page.locator('#body').textContent()).toBe('');

  const shortLived = await ann.engine.createLink(documentId, { expiresInMs: 3_000 });
  await eventually(async () => (await fetch(new URL(`/p/${shortLived.id}/data`, relay.httpUrl))).status === 410, 'the link to expire');
  const expired = await view(shortLived.url);
  await expect.poll(() => expired.page.locator('#status').textContent()).toMatch(/revoked or has expired/);
  expect(await expired.page.locator('#body').textContent()).toBe('');
  for (const opened of [tampered, revoked, expired]) await opened.page.context().close();
});
