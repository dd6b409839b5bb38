/**
 * The app's transports for the shared contract suite: the in-process door, and browser mode's
 * real WebSocket on 127.0.0.1 with the real client. Each gives pages (connections) onto one real
 * session over a real vault in a temporary folder.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { expect, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { HearthApi } from '../../common/api/contract.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session, type SessionOptions } from '../../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../../main/browser/server.ts';
import { buildElectronApp } from '../../scripts/build-electron.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { connectBrowserApi, type WebSocketLike } from '../../renderer/api/browser-client.ts';
import { tempDir } from '../support/vault.ts';
import { resetFakeElectron, type FakeElectronState, type FakeWebContents } from '../unit/main/electron-fake.ts';

export interface TransportUnderTest {
  /** The session behind the pages, where the test can reach it (not inside a stand-in main process). */
  session?: Session;
  /** Opens another page onto the same session. */
  connect(): Promise<HearthApi>;
  close(): Promise<void>;
}

export interface Transport {
  name: string;
  start(options?: Partial<SessionOptions>): Promise<TransportUnderTest>;
}

export function testSession(options: Partial<SessionOptions> = {}): Session {
  return new Session({ vaultDir: join(tempDir('hearth-api-'), 'vault'), kdfCost: MIN_KDF_COST, ...options });
}

export const inProcess: Transport = {
  name: 'in-process door',
  async start(options) {
    const session = testSession(options);
    const pages: Array<{ close(): void }> = [];
    return {
      session,
      connect: async () => {
        const api = connectInProcess(session);
        pages.push(api);
        return api;
      },
      close: async () => {
        for (const page of pages) page.close();
        await session.close();
      },
    };
  },
};

/** A WebSocket from the `ws` package that presents `origin`, as a browser would. */
export function nodeSocket(origin: string): (url: string, protocols: string[]) => WebSocketLike {
  return (url, protocols) => new WebSocket(url, protocols, { origin }) as unknown as WebSocketLike;
}

export async function startTestServer(
  options: Partial<SessionOptions> = {},
  rendererDir = tempDir('hearth-renderer-'),
): Promise<{ session: Session; server: BrowserServer }> {
  const session = testSession(options);
  const server = await startBrowserServer({ session, rendererDir });
  return { session, server };
}

export const browserWebSocket: Transport = {
  name: 'browser-mode WebSocket',
  async start(options) {
    const { session, server } = await startTestServer(options);
    return {
      session,
      connect: () => connectBrowserApi(server.origin, server.token, { createSocket: nodeSocket(server.origin) }),
      close: async () => {
        await server.close();
        await session.close();
      },
    };
  },
};

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let electronBuild: Promise<{ app: string; preload: string }> | undefined;

/** main/electron/app.ts bundled with 'electron' resolved to the stand-in, and the real preload bundle. */
function buildElectronForTests(): Promise<{ app: string; preload: string }> {
  electronBuild ??= (async () => {
    const out = join(repo, 'dist', 'test-electron-ipc', String(process.pid));
    await buildElectronApp(repo, out);
    const app = join(out, 'app-with-stand-in.mjs');
    await build({
      entryPoints: [join(repo, 'main', 'electron', 'app.ts')],
      outfile: app,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      alias: { electron: join(repo, 'test', 'unit', 'main', 'electron-fake.ts') },
      logLevel: 'silent',
    });
    return { app, preload: readFileSync(join(out, 'preload', 'index.cjs'), 'utf8') };
  })();
  return electronBuild;
}

/** The built preload in a fresh context, its ipcRenderer wired to `contents` the way Electron's IPC is (structured clone both ways). */
function loadPreload(preload: string, contents: FakeWebContents, electron: FakeElectronState): HearthApi {
  const exposed: Record<string, unknown> = {};
  const listeners = new Map<string, Array<(...args: unknown[]) => void>>();
  contents.deliver = (channel, ...args) => {
    for (const listener of listeners.get(channel as string) ?? []) listener({}, ...structuredClone(args));
  };
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      const handler = electron.ipcHandlers.get(channel);
      if (!handler) throw new Error(`No handler for ${channel}`);
      return structuredClone(await handler({ sender: contents, senderFrame: contents.mainFrame }, ...structuredClone(args)));
    },
    on: (channel: string, listener: (...args: unknown[]) => void) => listeners.set(channel, [...(listeners.get(channel) ?? []), listener]),
  };
  const module = { exports: {} };
  runInNewContext(preload, {
    require: (name: string) =>
      name === 'electron' ? { ipcRenderer, contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) } } : undefined,
    module,
    exports: module.exports,
  });
  return exposed.hearth as HearthApi;
}

let electronCopies = 0;

export function removeElectronBuild(): void {
  rmSync(join(repo, 'dist', 'test-electron-ipc', String(process.pid)), { recursive: true, force: true });
  try {
    rmdirSync(join(repo, 'dist', 'test-electron-ipc'));
  } catch {
    // Another test process is still using it.
  }
}

/**
 * Electron's IPC: the real preload talking to the real main process code (app.ts) through a
 * stand-in for Electron, one window per page. The session runs at Electron's real Argon2id cost.
 */
export const electronIpc: Transport = {
  name: 'Electron IPC (preload and main, Electron stand-in)',
  async start() {
    const { app, preload } = await buildElectronForTests();
    const electron = resetFakeElectron();
    electron.appPath = tempDir('hearth-electron-app-');
    mkdirSync(join(electron.appPath, 'dist', 'renderer'), { recursive: true });
    writeFileSync(join(electron.appPath, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Hearth</title>');
    const vaultDir = join(tempDir('hearth-api-'), 'vault');
    const argv = process.argv;
    process.argv = [...argv, '--vault', vaultDir];
    // Each start is a fresh main process: a fresh copy of the module.
    const copy = app.replace(/\.mjs$/, `-${electronCopies++}.mjs`);
    copyFileSync(app, copy);
    try {
      await import(pathToFileURL(copy).href);
      await vi.waitFor(() => expect(electron.windows.length).toBe(1), { timeout: 10_000 });
    } finally {
      process.argv = argv;
    }
    const newWindow = electron.menu.find((m) => m.label === '&File')!.submenu!.find((item) => item.label === 'New Window')!;
    let pages = 0;
    return {
      connect: async () => {
        if (pages++ > 0) newWindow.click!();
        const window = electron.windows[pages - 1]!;
        return loadPreload(preload, window.webContents, electron);
      },
      close: async () => {
        const quits = electron.quitCalls;
        electron.app.emit('before-quit', { preventDefault: () => undefined });
        await vi.waitFor(() => expect(electron.quitCalls).toBe(quits + 1));
      },
    };
  },
};

export const transports: Transport[] = [inProcess, browserWebSocket, electronIpc];

/** The value of an ok Result, or a failure that shows the error. */
export function expectOk<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}
