/**
 * End-to-end fixture: the real renderer (built by Vite), served by the real browser-mode server
 * over a real Session and vault in a temporary folder, driven in Debian's Chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { build } from 'vite';
import { expect } from 'vitest';
import { Session } from '../../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../../main/browser/server.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { tempDir } from '../support/vault.ts';
import { seriousAxeViolations } from './ui-checks.ts';

const root = resolve(import.meta.dirname, '../..');
export const CHROMIUM = process.env['HEARTH_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(root, 'test-results', 'screenshots');

let built: Promise<string> | null = null;

/** Builds the renderer once per test file, into its own folder (so parallel files never race). */
export function buildRenderer(): Promise<string> {
  built ??= (async () => {
    const outDir = join(tempDir('hearth-e2e-renderer-'), 'renderer');
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    const nodeEnv = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'error', mode: 'production', build: { outDir, emptyOutDir: true } });
    } finally {
      process.env['NODE_ENV'] = nodeEnv;
    }
    return outDir;
  })();
  return built;
}

export interface App {
  session: Session;
  server: BrowserServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations the page reported. */
  problems: string[];
  close(): Promise<void>;
}

export async function startApp(
  options: { colorScheme?: 'light' | 'dark'; vaultDir?: string; dataDir?: string; acceptDownloads?: boolean; minuteMs?: number } = {},
): Promise<App> {
  const rendererDir = await buildRenderer();
  const session = new Session({
    vaultDir: options.vaultDir ?? join(tempDir('hearth-e2e-'), 'vault'),
    kdfCost: MIN_KDF_COST,
    ...(options.minuteMs ? { minuteMs: options.minuteMs } : {}),
    // Exports and backups never land in the real home folder during tests.
    dataDir: options.dataDir ?? join(tempDir('hearth-e2e-data-'), 'Hearth'),
  });
  const server = await startBrowserServer({ session, rendererDir });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: options.acceptDownloads ?? true,
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(server.url);
  return {
    session,
    server,
    browser,
    context,
    page,
    problems,
    close: async () => {
      await browser.close();
      await server.close();
      await session.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, `${name}.png`), await page.screenshot({ fullPage: false }));
}

/** Scans the page with axe and photographs it, in the light theme and then the dark one (ending light). */
export async function checkScreen(page: Page, name: string): Promise<void> {
  expect(await seriousAxeViolations(page), `axe on ${name}`).toEqual([]);
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
  expect(await seriousAxeViolations(page), `axe on ${name} (dark)`).toEqual([]);
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe('light');
}

/**
 * Clicks "New document" and waits until the new document is open: its empty title field has the
 * focus. Typing straight after the click could otherwise land in the previous document's title,
 * which stays on screen until the new document's pane replaces it.
 */
export async function newDocument(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New document' }).click();
  await expect
    .poll(() =>
      page.evaluate(() => {
        const focused = document.activeElement as HTMLInputElement | null;
        return focused?.getAttribute('aria-label') === 'Title' && focused.value === '';
      }),
    )
    .toBe(true);
}
