/**
 * Typing in the app as a person meets it: the real renderer in Chromium (browser mode), the
 * 100k-character trace document laid out one paragraph per block, and for each keystroke the
 * time from keydown to the next painted frame (a requestAnimationFrame callback registered at
 * keydown, then the first task after that frame: style, layout and paint have run by then).
 * Keys go in at a fast typist's pace (10 a second), each in the middle of the document.
 *
 *   node --import tsx bench/typing.ts [--keys N] [--profile FILE.cpuprofile]
 *
 * --profile records the page's CPU profile while typing (open it in Chrome's DevTools) and prints
 * the functions with the most self time.
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { connectInProcess } from '../main/api/connection.ts';
import { Session } from '../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../main/browser/server.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { traceText } from './trace.ts';

const PASSPHRASE = 'bench passphrase';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Builds the production renderer into `outDir`. */
export async function buildRenderer(outDir: string): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: new URL('../vite.config.ts', import.meta.url).pathname,
      logLevel: 'error',
      mode: 'production',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

export interface TypingPage {
  page: Page;
  /** Types `count` characters into the middle of the long document and returns keydown → painted, per key. */
  type(count: number, onEachKey?: () => Promise<void>): Promise<number[]>;
  close(): Promise<void>;
}

/** A browser-mode app with the long document open, ready to type into. */
export async function openTypingPage(options: { text?: string; paragraph?: number; rendererDir?: string } = {}): Promise<TypingPage> {
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-typing-'));
  let server: BrowserServer | undefined;
  let browser: Browser | undefined;
  let session: Session | undefined;
  try {
    // A renderer already built for this run is served as it is.
    const rendererDir = options.rendererDir ?? join(root, 'renderer');
    if (!options.rendererDir) await buildRenderer(rendererDir);
    session = new Session({ vaultDir: join(root, 'vault'), dataDir: join(root, 'data'), kdfCost: MIN_KDF_COST });
    const api = connectInProcess(session);
    ok(await api.createVault({ passphrase: PASSPHRASE, username: 'typist', displayName: 'Typist' }));
    const workspace = ok(await api.listWorkspaces())[0]!;
    const summary = ok(await api.createDocument(workspace.id, { title: 'The paper' }));
    const opened = ok(await api.openDocument(summary.id));
    const paragraphs = (options.text ?? traceText()).split(/\n{2,}/);
    const before = A.load<{ body: string }>(opened.bytes);
    const after = A.change(before, (doc) => {
      if (typeof doc.body !== 'string') doc.body = '';
      A.updateSpans(
        doc,
        ['body'],
        paragraphs.flatMap((paragraph) => [
          { type: 'block' as const, value: { type: new A.ImmutableString('paragraph'), parents: [], attrs: {}, isEmbed: false } },
          { type: 'text' as const, value: paragraph },
        ]),
      );
    });
    ok(await api.applyChanges(summary.id, A.getChanges(before, after) as Uint8Array<ArrayBuffer>[]));
    api.close();

    server = await startBrowserServer({ session, rendererDir });
    browser = await chromium.launch({ executablePath: process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByRole('button', { name: /^The paper/ }).click();
    const editor = page.getByRole('textbox', { name: 'Document text' });
    const nth = options.paragraph ?? Math.floor(paragraphs.length / 2);
    await editor
      .locator('p')
      .nth(paragraphs.length - 1)
      .waitFor({ state: 'attached' });
    await page.evaluate(() => {
      const w = window as unknown as { keyTimes: number[] };
      w.keyTimes = [];
      document.addEventListener(
        'keydown',
        () => {
          const start = performance.now();
          requestAnimationFrame(() => {
            const channel = new MessageChannel();
            channel.port1.onmessage = () => w.keyTimes.push(performance.now() - start);
            channel.port2.postMessage(null);
          });
        },
        true,
      );
    });
    const paragraph = editor.locator('p').nth(nth);
    await paragraph.scrollIntoViewIfNeeded();
    await paragraph.click();
    await page.keyboard.press('End');
    const openSession = session;
    const openServer = server;
    const openBrowser = browser;
    return {
      page,
      async type(count, onEachKey) {
        await page.evaluate(() => ((window as unknown as { keyTimes: number[] }).keyTimes = []));
        const letters = 'the quick brown fox jumps over the lazy dog ';
        for (let i = 0; i < count; i++) {
          await page.keyboard.press(letters[i % letters.length]!);
          await onEachKey?.();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await page.getByText('Saved', { exact: true }).waitFor();
        return page.evaluate(() => (window as unknown as { keyTimes: number[] }).keyTimes);
      },
      async close() {
        await openBrowser.close();
        await openServer.close();
        await openSession.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    await server?.close();
    await session?.close();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The functions with the most self time in a V8 CPU profile. */
export function topSelfTime(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, count = 25): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, t]) => `${t.toFixed(1).padStart(8)} ms  ${name}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { keys: { type: 'string', default: '100' }, profile: { type: 'string' } } });
  const typing = await openTypingPage();
  try {
    const cdp = values.profile ? await typing.page.context().newCDPSession(typing.page) : undefined;
    const metrics = async () => {
      if (!cdp) return {};
      const { metrics: list } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
      return Object.fromEntries(list.map((m) => [m.name, m.value]));
    };
    if (cdp) await cdp.send('Performance.enable');
    const before: Record<string, number> = await metrics();
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const times = (await typing.type(Number(values.keys))).sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
    console.log(`${times.length} keys: keydown → painted median ${at(50)} ms, p95 ${at(95)} ms, p99 ${at(99)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(values.profile!, JSON.stringify(profile));
      const after: Record<string, number> = await metrics();
      const keys = Number(values.keys);
      for (const name of ['ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration', 'TaskDuration']) {
        console.log(`${name}: ${(((after[name]! - before[name]!) * 1000) / keys).toFixed(2)} ms per key`);
      }
      console.log(topSelfTime(profile as never).join('\n'));
    }
  } finally {
    await typing.close();
  }
  process.exit(0);
}
