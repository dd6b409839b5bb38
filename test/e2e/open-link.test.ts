/**
 * Opening a public link inside the app, in real Chromium (browser mode): the user pastes a link
 * into "Open a public link", reads the shared document read-only (title, published/expiry, text);
 * a hostile Markdown payload (raw <img onerror>, <script>, a javascript: link) stays words and
 * inert links; a link on a relay the user never added asks first (S8) and opens only after
 * "Open anyway"; a revoked link and a tampered key say so and show no text.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session } from '../../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../../main/browser/server.ts';
import type { LinkInfo } from '../../main/sync/engine.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { closePeer, makePeer, type Peer } from '../integration/sync-fixture.ts';
import { tempDir } from '../support/vault.ts';
import { buildRenderer, CHROMIUM, screenshot } from './app-fixture.ts';
import { seriousAxeViolations } from './ui-checks.ts';

const MARKER = 'OPENLINK-e2e-5b2';
const HOSTILE = [
  '# Bakery plan',
  '',
  `Visible words ${MARKER} and **bold** ones.`,
  '',
  '<img src=x onerror="window.pwned=1;alert(1)">',
  '',
  'A [javascript link](javascript:window.pwned=2) and a [web link](https://example.org/ok).',
  '',
  '<script>window.pwned=3</script>',
  '',
  '- first item',
  '- second item',
  '',
].join('\n');

let relayA: TestRelay;
let relayB: TestRelay;
let ann: Peer;
let cy: Peer;
let session: Session;
let server: BrowserServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const alerts: string[] = [];
let hostile: LinkInfo;
let elsewhere: LinkInfo;

beforeAll(async () => {
  relayA = await startTestRelay();
  relayB = await startTestRelay();
  ann = await makePeer(relayA.url, 'ann');
  const teamA = (await ann.engine.createTeamWorkspace('Bakery team', relayA.url)).id;
  const plan = ann.vault.documents.create(teamA, { title: 'Bakery plan <b>v2</b>', init: (d) => setBodyFromMarkdown(d, HOSTILE) }).id;
  hostile = await ann.engine.createLink(plan, { expiresInMs: 7 * 86_400_000 });
  cy = await makePeer(relayB.url, 'cy');
  const teamB = (await cy.engine.createTeamWorkspace('Elsewhere team', relayB.url)).id;
  elsewhere = await cy.engine.createLink(
    cy.vault.documents.create(teamB, { title: 'Notes from elsewhere', init: (d) => setBodyFromMarkdown(d, 'Only on relay B.\n') }).id,
  );

  const rendererDir = await buildRenderer();
  session = new Session({
    vaultDir: join(tempDir('hearth-e2e-openlink-'), 'vault'),
    kdfCost: MIN_KDF_COST,
    dataDir: join(tempDir('hearth-e2e-data-'), 'Hearth'),
  });
  const api = connectInProcess(session);
  const created = await api.createVault({ passphrase: 'open link passphrase', username: `dee-${process.pid}`, displayName: 'Dee' });
  if (!created.ok) throw new Error(created.error.message);
  // Dee added relay A (and only it).
  const registered = await api.registerAccount(relayA.url);
  if (!registered.ok) throw new Error(registered.error.message);
  api.close();
  server = await startBrowserServer({ session, rendererDir });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', reducedMotion: 'reduce' });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    alerts.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Personal' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await session?.close();
  for (const peer of [ann, cy]) if (peer) await closePeer(peer);
  await relayA?.stop();
  await relayB?.stop();
});

const dialogOf = (p: Page) => p.getByRole('dialog', { name: 'Open a public link' });

async function openDialog(): Promise<ReturnType<typeof dialogOf>> {
  if (!(await dialogOf(page).isVisible())) await page.getByRole('button', { name: 'Open a public link' }).click();
  const dialog = dialogOf(page);
  await dialog.waitFor();
  return dialog;
}

async function submit(url: string) {
  const dialog = await openDialog();
  await dialog.getByLabel('Link', { exact: true }).fill(url);
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  return dialog;
}

test('a link on a relay the user added opens in the dialog, read-only; hostile Markdown stays inert', async () => {
  const dialog = await submit(hostile.url);
  const article = dialog.getByRole('article');
  await article.getByRole('heading', { name: 'Bakery plan <b>v2</b>' }).waitFor();
  await expect.poll(() => article.textContent()).toContain(`Visible words ${MARKER} and bold ones.`);
  const meta = await article.locator('.opened-link-header p').textContent();
  expect(meta).toMatch(/^Published .+ · expires .+ · read-only$/);

  const text = article.getByRole('document', { name: 'Text of Bakery plan <b>v2</b>' });
  // The raw HTML is shown as the words it is.
  expect(await text.textContent()).toContain('<img src=x onerror="window.pwned=1;alert(1)">');
  expect(await text.textContent()).toContain('<script>window.pwned=3</script>');
  // …and none of it became markup: no image, no script, no event handler attribute anywhere in the dialog.
  expect(await dialog.locator('img, script, iframe, object, embed').count()).toBe(0);
  expect(await dialog.locator('[onerror], [onclick], [onload]').count()).toBe(0);
  expect(await text.locator('strong').textContent()).toBe('bold');
  expect(await text.locator('li').count()).toBe(2);
  // Links keep only web and mail targets: the javascript: one has no href at all.
  expect(await text.getByText('javascript link').evaluate((el) => el.closest('a')?.getAttribute('href') ?? null)).toBeNull();
  expect(await text.getByRole('link', { name: 'web link' }).getAttribute('href')).toBe('https://example.org/ok');
  expect(await dialog.locator('a[href^="javascript:" i]').count()).toBe(0);
  await screenshot(page, 'open-link-01-opened');
  expect(await seriousAxeViolations(page)).toEqual([]);

  // Read-only: not editable, and typing changes nothing.
  expect(await text.getAttribute('contenteditable')).toBe('false');
  await text.getByText('javascript link').click();
  await page.keyboard.type('typed');
  expect(await text.textContent()).not.toContain('typed');
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned ?? null)).toBeNull();
  expect(alerts).toEqual([]);
  expect(page.url()).toBe(new URL('/', server.url).href);
});

test('a link on a relay the user never added asks first, and opens after "Open anyway"', async () => {
  const host = new URL(elsewhere.url).host;
  const dialog = await submit(elsewhere.url);
  await dialog.getByRole('heading', { name: `This link is on ${host}, not a relay you added. Open it anyway?` }).waitFor();
  await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/Hearth only talks to the relays you added, so nothing was fetched/);
  expect(await dialog.getByRole('link', { name: 'Open in a browser' }).getAttribute('href')).toBe(elsewhere.url);
  expect(await dialog.getByRole('article').count()).toBe(0);
  await screenshot(page, 'open-link-02-other-host');
  expect(await seriousAxeViolations(page)).toEqual([]);

  await dialog.getByRole('button', { name: 'Open anyway' }).click();
  await dialog.getByRole('article').getByRole('heading', { name: 'Notes from elsewhere' }).waitFor();
  expect(await dialog.getByRole('article').textContent()).toContain('Only on relay B.');
  expect(await dialog.getByRole('article').locator('.opened-link-header p').textContent()).toMatch(/· no expiry ·/);

  // Cancel leaves nothing open.
  await submit(elsewhere.url);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(await dialog.getByRole('article').count()).toBe(0);
  expect(await dialog.getByText('not a relay you added').count()).toBe(0);
});

test('a tampered key and a revoked link say so and show no text', async () => {
  const [base, key] = hostile.url.split('#') as [string, string];
  const flipped = `${key[0] === 'A' ? 'B' : 'A'}${key.slice(1)}`;
  let dialog = await submit(`${base}#${flipped}`);
  await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/its key \(the part after #\) does not match/);
  expect(await dialog.getByRole('article').count()).toBe(0);

  await ann.engine.revokeLink(hostile.id);
  dialog = await submit(hostile.url);
  await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/revoked or has expired/);
  expect(await dialog.getByRole('article').count()).toBe(0);
  expect(await dialog.textContent()).not.toContain(MARKER);
  await screenshot(page, 'open-link-03-revoked');

  dialog = await submit('https://example.org/not-a-link');
  await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/is not a Hearth link/);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect(problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
});
