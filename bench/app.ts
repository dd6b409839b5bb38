/**
 * The app as a user meets it, in browser mode: cold start to the unlock screen's first paint,
 * unlock to the document list (Argon2id taken out), and keystroke to saved on the 100k-character
 * trace document through the real door, in-process and over the browser-mode WebSocket.
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import type { HearthApi } from '../common/api/contract.ts';
import { connectInProcess } from '../main/api/connection.ts';
import { Session } from '../main/app/session.ts';
import { startBrowserServer } from '../main/browser/server.ts';
import { deriveKek, MIN_KDF_COST, newKdfParams } from '../main/vault/keys.ts';
import { Vault } from '../main/vault/vault.ts';
import { WebSocket } from 'ws';
import { connectBrowserApi, type WebSocketLike } from '../renderer/api/browser-client.ts';
import { median, ms, percentile, type BenchSection } from './report.ts';

const PASSPHRASE = 'bench passphrase';
const TRACE = new URL('../../shared/data/editing-traces/automerge-paper.json.gz', import.meta.url);

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

export async function runAppBench(): Promise<BenchSection[]> {
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-app-'));
  try {
    const rendererDir = join(root, 'renderer');
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    await build({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, logLevel: 'error', mode: 'production', build: { outDir: rendererDir, emptyOutDir: true } });
    process.env.NODE_ENV = nodeEnv;

    // A vault with 200 documents and the 100k-character trace document.
    const vaultDir = join(root, 'vault');
    const vault = await Vault.create(vaultDir, { passphrase: PASSPHRASE, profile: { username: 'bench', displayName: 'Bench' }, kdfCost: MIN_KDF_COST });
    const ws = vault.workspaces.list()[0]!;
    vault.transaction(() => {
      for (let i = 0; i < 200; i++) vault.documents.create(ws.id, { title: `Note ${i}`, init: (d) => A.splice(d, ['body'], 0, 0, `Body ${i}`) });
    });
    const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as { endContent: string };
    const paper = vault.documents.create(ws.id, { title: 'The paper', init: (d) => A.splice(d, ['body'], 0, 0, trace.endContent) });
    vault.lock();

    const session = new Session({ vaultDir, kdfCost: MIN_KDF_COST });
    const server = await startBrowserServer({ session, rendererDir });
    const browser = await chromium.launch({
      executablePath: process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const kdf = newKdfParams(MIN_KDF_COST);
    const firstPaint: number[] = [];
    const toList: number[] = [];
    for (let run = 0; run < 5; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const start = Date.now();
      await page.goto(server.url);
      await page.getByRole('button', { name: 'Unlock' }).waitFor();
      firstPaint.push(Date.now() - start);
      await page.getByLabel('Passphrase').fill(PASSPHRASE);
      let kdfStart = performance.now();
      deriveKek(PASSPHRASE, kdf);
      const kdfMs = performance.now() - kdfStart;
      kdfStart = Date.now();
      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.locator('.document-item').first().waitFor();
      toList.push(Date.now() - kdfStart - kdfMs);
      await context.close();
      await session.lock('user');
    }
    await browser.close();

    const unlocked = connectInProcess(session);
    const unlock = await unlocked.unlock(PASSPHRASE);
    if (!unlock.ok) throw new Error(unlock.error.message);
    const inProcess = await keystrokes(unlocked, paper.id, 300);
    const overSocket = await keystrokes(await connectBrowserApi(server.origin, server.token, { createSocket: (url, protocols) => new WebSocket(url, protocols, { origin: server.origin }) as unknown as WebSocketLike }), paper.id, 300);
    await server.close();
    await session.lock('user');

    const row = (name: string, times: number[]) => ({ name, hearth: `${ms(percentile(times, 50))} / ${ms(percentile(times, 99))}`, peer: '—', ratio: '—', goal: 'p99 < 16 ms' });
    return [
      {
        title: 'The app in browser mode',
        peer: 'goals only',
        rows: [
          { name: 'cold start to the unlock screen (new browser context, median of 5)', hearth: ms(median(firstPaint)), peer: '—', ratio: '—', goal: '< 1 s' },
          { name: 'unlock to the document list, Argon2id excluded (median of 5)', hearth: ms(median(toList)), peer: '—', ratio: '—', goal: '< 1 s' },
          row('keystroke to saved, 100k-char document, in-process door: median / p99', inProcess),
          row('keystroke to saved, 100k-char document, over the WebSocket: median / p99', overSocket),
        ],
        notes: [
          'Keystroke to saved: an Automerge change in a replica of the trace document, sent through the real door (schema check, vault append, sealed row) until the call returns. ProseMirror rendering in the page is measured by test/e2e/large-document.test.ts.',
        ],
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
