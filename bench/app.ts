/**
 * The app as a user meets it, in browser mode: typing in the 100k-character trace document in
 * Chromium (keydown → painted frame), cold start to the unlock screen's first paint, unlock to
 * the document list (Argon2id taken out), and keystroke to saved through the real door,
 * in-process and over the browser-mode WebSocket.
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { WebSocket } from 'ws';
import type { HearthApi } from '../common/api/contract.ts';
import { connectInProcess } from '../main/api/connection.ts';
import { Session } from '../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../main/browser/server.ts';
import { deriveKek, MIN_KDF_COST, newKdfParams } from '../main/vault/keys.ts';
import { Vault } from '../main/vault/vault.ts';
import { connectBrowserApi, type WebSocketLike } from '../renderer/api/browser-client.ts';
import { goals, percentile, type BenchOptions, type SectionPlan } from './harness.ts';
import { traceText } from './trace.ts';
import { buildRenderer, CHROMIUM_ARGS, openTypingPage, type TypingPage } from './typing.ts';

const PASSPHRASE = 'bench passphrase';

export async function typingPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const keys = options.quick ? 30 : 200;
  let typing: TypingPage;
  let shortTyping: TypingPage;
  const builtDir = mkdtempSync(join(tmpdir(), 'hearth-bench-renderer-'));
  const rendererDir = join(builtDir, 'renderer');
  const summary = (times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)!, keys: sorted.length };
  };
  return [
    {
      title: 'Typing: keydown → painted frame in a 100k-character document, in Chromium',
      peer: 'the same page typing into a short document (what the browser and the page cost without the length)',
      async setup() {
        await buildRenderer(rendererDir);
        typing = await openTypingPage({ rendererDir });
        shortTyping = await openTypingPage({ rendererDir, text: traceText().slice(0, 2000) });
        // Warm-up: the first keystrokes compile the page's hot paths.
        await typing.type(10);
        await shortTyping.type(10);
      },
      async teardown() {
        await typing?.close();
        await shortTyping?.close();
        rmSync(builtDir, { recursive: true, force: true });
      },
      contenders: {
        hearth: async () => summary(await typing.type(keys)),
        short: async () => summary(await shortTyping.type(keys)),
      },
      rows: [
        {
          name: 'keydown → painted, median',
          hearth: { contender: 'hearth', metric: 'p50', unit: 'ms' },
          peer: { contender: 'short', metric: 'p50', unit: 'ms' },
        },
        { name: 'keydown → painted, p95', hearth: { contender: 'hearth', metric: 'p95', unit: 'ms' }, peer: { contender: 'short', metric: 'p95', unit: 'ms' } },
        {
          name: 'keydown → painted, p99',
          hearth: { contender: 'hearth', metric: 'p99', unit: 'ms' },
          peer: { contender: 'short', metric: 'p99', unit: 'ms' },
          goal: goals.below(16),
        },
        {
          name: 'keydown → painted, slowest',
          hearth: { contender: 'hearth', metric: 'max', unit: 'ms' },
          peer: { contender: 'short', metric: 'max', unit: 'ms' },
        },
      ],
      notes: [
        `Per run: ${keys} keys typed at 10 a second into the middle of the trace document (1,000-odd paragraphs, about 104k characters), the real renderer built by Vite in production mode, served in browser mode from a real vault. Each key is timed from keydown to the first task after the next animation frame (style, layout and paint done). Profile a run with \`node --import tsx bench/typing.ts --profile FILE\`.`,
      ],
    },
  ];
}

async function keystrokes(api: HearthApi, documentId: string, count: number): Promise<number[]> {
  const opened = await api.openDocument(documentId);
  if (!opened.ok) throw new Error(opened.error.message);
  let replica = A.load<{ body: string }>(opened.value.bytes);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    replica = A.change(replica, (d) => A.splice(d, ['body'], 1000 + i, 0, 'x'));
    const saved = await api.applyChanges(documentId, [A.getLastLocalChange(replica)!]);
    if (!saved.ok) throw new Error(saved.error.message);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

export async function appPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-app-'));
  const vaultDir = join(root, 'vault');
  const count = options.quick ? 50 : 300;
  let session: Session;
  let server: BrowserServer;
  let browser: Browser;
  let paperId = '';
  const kdf = newKdfParams(MIN_KDF_COST);
  return [
    {
      title: 'The app in browser mode',
      peer: 'goals only',
      async setup() {
        const rendererDir = join(root, 'renderer');
        await buildRenderer(rendererDir);
        const vault = await Vault.create(vaultDir, { passphrase: PASSPHRASE, profile: { username: 'bench', displayName: 'Bench' }, kdfCost: MIN_KDF_COST });
        const ws = vault.workspaces.list()[0]!;
        vault.transaction(() => {
          for (let i = 0; i < 200; i++) vault.documents.create(ws.id, { title: `Note ${i}`, init: (d) => A.splice(d, ['body'], 0, 0, `Body ${i}`) });
        });
        paperId = vault.documents.create(ws.id, { title: 'The paper', init: (d) => A.splice(d, ['body'], 0, 0, traceText()) }).id;
        vault.lock();
        session = new Session({ vaultDir, kdfCost: MIN_KDF_COST });
        server = await startBrowserServer({ session, rendererDir });
        browser = await chromium.launch({ executablePath: process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
      },
      async teardown() {
        await browser?.close();
        await server?.close();
        await session?.close();
        rmSync(root, { recursive: true, force: true });
      },
      contenders: {
        async hearth() {
          const context = await browser.newContext();
          const page = await context.newPage();
          let start = performance.now();
          await page.goto(server.url);
          await page.getByRole('button', { name: 'Unlock' }).waitFor();
          const coldStart = performance.now() - start;
          await page.getByLabel('Passphrase').fill(PASSPHRASE);
          const kdfMs = (() => {
            const t = performance.now();
            deriveKek(PASSPHRASE, kdf);
            return performance.now() - t;
          })();
          start = performance.now();
          await page.getByRole('button', { name: 'Unlock' }).click();
          await page.locator('.document-item').first().waitFor();
          const toList = performance.now() - start - kdfMs;
          await context.close();
          await session.lock('user');

          const inProcessApi = connectInProcess(session);
          const unlocked = await inProcessApi.unlock(PASSPHRASE);
          if (!unlocked.ok) throw new Error(unlocked.error.message);
          const inProcess = await keystrokes(inProcessApi, paperId, count);
          const socketApi = await connectBrowserApi(server.origin, server.token, {
            createSocket: (url, protocols) => new WebSocket(url, protocols, { origin: server.origin }) as unknown as WebSocketLike,
          });
          const overSocket = await keystrokes(socketApi, paperId, count);
          inProcessApi.close();
          await session.lock('user');
          return {
            coldStart,
            toList,
            inProcessP50: percentile(inProcess, 50),
            inProcessP99: percentile(inProcess, 99),
            socketP50: percentile(overSocket, 50),
            socketP99: percentile(overSocket, 99),
          };
        },
      },
      rows: [
        {
          name: 'cold start to the unlock screen (new browser context)',
          hearth: { contender: 'hearth', metric: 'coldStart', unit: 'ms' },
          goal: goals.below(1000),
        },
        { name: 'unlock to the document list, Argon2id excluded', hearth: { contender: 'hearth', metric: 'toList', unit: 'ms' }, goal: goals.below(1000) },
        { name: 'keystroke to saved, 100k-char document, in-process door: median', hearth: { contender: 'hearth', metric: 'inProcessP50', unit: 'ms' } },
        {
          name: 'keystroke to saved, 100k-char document, in-process door: p99',
          hearth: { contender: 'hearth', metric: 'inProcessP99', unit: 'ms' },
          goal: goals.below(16),
        },
        { name: 'keystroke to saved, 100k-char document, over the WebSocket: median', hearth: { contender: 'hearth', metric: 'socketP50', unit: 'ms' } },
        {
          name: 'keystroke to saved, 100k-char document, over the WebSocket: p99',
          hearth: { contender: 'hearth', metric: 'socketP99', unit: 'ms' },
          goal: goals.below(16),
        },
      ],
      notes: [
        `Keystroke to saved: ${count} Automerge changes in a replica of the trace document, each sent through the real door (schema check, vault append, sealed row) until the call returns. Rendering in the page is the typing section's.`,
      ],
    },
  ];
}
