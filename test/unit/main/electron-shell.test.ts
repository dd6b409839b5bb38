/**
 * The Electron shell's real code (main/electron/app.ts, bundled as for the app) run under Node
 * with 'electron' resolved to a stand-in (electron-fake.ts), since Electron's binary cannot be
 * installed here. The test then acts as Electron and as an attacker: it requests files through
 * app://, calls IPC from the right and the wrong frames, tries to navigate and open windows,
 * asks for permissions and network requests, and uses the Lock menu item.
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../../common/api/wire.ts';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, CONTENT_SECURITY_POLICY, mainWindowOptions } from '../../../main/electron/window-options.ts';
import { tempDir } from '../../support/vault.ts';
import { fakeElectron, type FakeBrowserWindow, type FakeWebContents } from './electron-fake.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SECRET = 'SECRET-NEXT-TO-THE-APP';
const electron = fakeElectron();

let window: FakeBrowserWindow;
let bundle = '';
let vaultDir = '';
const argv = process.argv;

type Handler = (...args: unknown[]) => unknown;
const listener = (contents: FakeWebContents, event: string) => contents.listeners.get(event)![0]! as Handler;
const preventable = () => ({ preventDefault: vi.fn() });
const ipc = (event: unknown, method: string, ...args: unknown[]) =>
  electron.ipcHandlers.get(IPC_CALL_CHANNEL)!(event, method, args) as Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
const fromFrame = (contents: FakeWebContents, frame: { url: string } | null) => ({ sender: contents, senderFrame: frame });

beforeAll(async () => {
  const appPath = tempDir('hearth-electron-app-');
  writeFileSync(join(appPath, SECRET), SECRET);
  mkdirSync(join(appPath, 'dist', 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(appPath, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Hearth</title>');
  writeFileSync(join(appPath, 'dist', 'renderer', 'assets', 'app.js'), 'export {};');
  electron.appPath = appPath;
  vaultDir = join(tempDir('hearth-electron-vault-'), 'vault');

  // Inside the repository so the bundle finds node_modules, as it does when packaged.
  const outDir = join(repo, 'dist', 'test-electron-shell', String(process.pid));
  bundle = join(outDir, 'app.mjs');
  await build({
    entryPoints: [join(repo, 'main', 'electron', 'app.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    alias: { electron: join(repo, 'test', 'unit', 'main', 'electron-fake.ts') },
    logLevel: 'silent',
  });
  process.argv = [...argv, '--vault', vaultDir];
  await import(pathToFileURL(bundle).href);
  await vi.waitFor(() => expect(electron.windows).toHaveLength(1), { timeout: 10_000 });
  window = electron.windows[0]!;
});

afterAll(() => {
  process.argv = argv;
  rmSync(dirname(bundle), { recursive: true, force: true });
  try {
    rmdirSync(dirname(dirname(bundle)));
  } catch {
    // Another test process is still using it.
  }
});

describe('startup', () => {
  test('registers app:// as privileged, enables the sandbox everywhere, opens one window with the checked options on app://hearth/', () => {
    expect(electron.privilegedSchemes).toEqual([APP_SCHEME_PRIVILEGES]);
    expect(electron.sandboxEnabled).toBe(true);
    expect(window.options).toEqual(mainWindowOptions(join(electron.appPath, 'dist', 'preload', 'index.cjs')));
    expect(window.webContents.getURL()).toBe(APP_ENTRY_URL);
    expect(window.shown).toBe(true);
  });

  test('a second launch brings this window forward instead of opening another', () => {
    electron.app.emit('second-instance');
    expect(electron.windows).toHaveLength(1);
  });
});

describe('app:// protocol', () => {
  const get = (url: string, method = 'GET') => electron.protocolHandlers.get('app')!(new Request(url, { method }));

  test('serves the renderer with the CSP header', async () => {
    const page = await get('app://hearth/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>Hearth</title>');
    expect((await get('app://hearth/assets/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  test.each([
    'app://hearth/../' + SECRET,
    'app://hearth/%2e%2e/' + SECRET,
    'app://hearth/..%2f' + SECRET,
    'app://hearth/assets/..%2f..%2f' + SECRET,
    'app://hearth/%252e%252e/' + SECRET,
    'app://hearth/..%5c' + SECRET,
    'app://other/index.html',
    'app://hearth/missing.js',
  ])('refuses %s', async (url) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await response.text()).not.toContain(SECRET);
  });
});

describe('IPC', () => {
  test('the window’s own main frame on app://hearth/ reaches the door', async () => {
    const result = await ipc(fromFrame(window.webContents, window.webContents.mainFrame), 'status');
    expect(result).toEqual({ ok: true, value: { state: 'no-vault', profile: null } });
    const bad = await ipc(fromFrame(window.webContents, window.webContents.mainFrame), 'createWorkspace', 42);
    expect(bad.ok === false && bad.error?.code).toBe('BAD_REQUEST');
  });

  test('a sub-frame, another web contents, a vanished frame or a foreign URL is FORBIDDEN', async () => {
    const other = new (window.webContents.constructor as new () => FakeWebContents)();
    other.mainFrame.url = APP_ENTRY_URL;
    const cases = [fromFrame(window.webContents, { url: APP_ENTRY_URL }), fromFrame(other, other.mainFrame), fromFrame(window.webContents, null)];
    for (const event of cases) expect((await ipc(event, 'status')).error?.code).toBe('FORBIDDEN');
    const realUrl = window.webContents.mainFrame.url;
    window.webContents.mainFrame.url = 'https://evil.example/';
    try {
      expect((await ipc(fromFrame(window.webContents, window.webContents.mainFrame), 'status')).error?.code).toBe('FORBIDDEN');
    } finally {
      window.webContents.mainFrame.url = realUrl;
    }
  });
});

describe('the window cannot be led away', () => {
  test('navigation, redirects and webviews are prevented', () => {
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const attempt = preventable();
      listener(window.webContents, event)(attempt, 'https://evil.example/');
      expect(attempt.preventDefault, event).toHaveBeenCalled();
    }
    const toSelf = preventable();
    listener(window.webContents, 'will-navigate')(toSelf, 'app://hearth/index.html');
    expect(toSelf.preventDefault).toHaveBeenCalled();
  });

  test('window.open is always denied; only http(s) links go to the system browser', () => {
    for (const url of ['https://example.com/a', 'http://example.com/b']) expect(window.webContents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'app://hearth/index.html'])
      expect(window.webContents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    expect(electron.openedExternally).toEqual(['https://example.com/a', 'http://example.com/b']);
  });

  test('no permission is granted and nothing is fetched from the network', () => {
    const granted: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read'])
      electron.permissionRequestHandler!(window.webContents, permission, (g) => granted.push(g));
    expect(granted).toEqual([false, false, false, false]);
    expect(electron.permissionCheckHandler!(window.webContents, 'media')).toBe(false);
    const decisions: Record<string, boolean> = {};
    for (const url of ['app://hearth/assets/app.js', 'https://cdn.example/x.js', 'http://127.0.0.1:9/', 'wss://relay.example/']) {
      electron.beforeRequest!({ url }, ({ cancel }) => (decisions[url] = cancel));
    }
    expect(decisions).toEqual({
      'app://hearth/assets/app.js': false,
      'https://cdn.example/x.js': true,
      'http://127.0.0.1:9/': true,
      'wss://relay.example/': true,
    });
  });

  test('the spell checker downloads no dictionaries: off on this platform (Linux), its downloader pointed at app://, which has none', () => {
    expect(process.platform).not.toBe('darwin');
    expect(electron.spellCheckerEnabled).toBe(false);
    expect(electron.dictionaryDownloadUrl).toBe('app://hearth/no-dictionaries/');
    expect((window.options as { webPreferences: { spellcheck: boolean } }).webPreferences.spellcheck).toBe(false);
    // The browser-process downloader would get nothing there: the app:// handler serves no such file.
    return expect(electron.protocolHandlers.get('app')!(new Request('app://hearth/no-dictionaries/en-US-10-1.bdic')).then((r) => r.status)).resolves.toBe(404);
  });
});

describe('locking', () => {
  test('the vault goes in the --vault folder; File › Lock (Ctrl/Cmd+L) and the screen lock both lock it and tell the page', async () => {
    const page = fromFrame(window.webContents, window.webContents.mainFrame);
    expect((await ipc(page, 'createVault', { passphrase: 'a long enough passphrase', username: 'ada', displayName: 'Ada' })).ok).toBe(true);
    expect(existsSync(join(vaultDir, 'vault.sqlite'))).toBe(true);

    const lock = electron.menu.find((m) => m.label === '&File')!.submenu!.find((item) => item.label === 'Lock')!;
    expect(lock.accelerator).toBe('CmdOrCtrl+L');
    lock.click!();
    await vi.waitFor(() => expect(window.webContents.sent).toContainEqual([IPC_EVENT_CHANNEL, 'locked', { reason: 'user' }]));
    expect(await ipc(page, 'status')).toEqual({ ok: true, value: { state: 'locked', profile: null } });

    expect((await ipc(page, 'unlock', 'a long enough passphrase')).ok).toBe(true);
    electron.powerMonitor.emit('lock-screen');
    await vi.waitFor(() => expect(window.webContents.sent).toContainEqual([IPC_EVENT_CHANNEL, 'locked', { reason: 'idle' }]));
    expect((await ipc(page, 'listWorkspaces')).error?.code).toBe('VAULT_LOCKED');
  });

  test('quitting waits until the vault is locked, then quits', async () => {
    const page = fromFrame(window.webContents, window.webContents.mainFrame);
    expect((await ipc(page, 'unlock', 'a long enough passphrase')).ok).toBe(true);
    const quits = electron.quitCalls;
    const quit = preventable();
    electron.app.emit('before-quit', quit);
    expect(quit.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(electron.quitCalls).toBe(quits + 1));
    expect(await ipc(page, 'status')).toEqual({ ok: true, value: { state: 'locked', profile: null } });
    const again = preventable();
    electron.app.emit('before-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });

  test('stay unlocked is refused where the keychain would only obfuscate (Linux basic_text)', async () => {
    const result = await ipc(fromFrame(window.webContents, window.webContents.mainFrame), 'updateSettings', { stayUnlocked: true });
    expect(result.error?.code).toBe('UNAVAILABLE');
  });
});

test('a second process without the single-instance lock quits at once and opens nothing', async () => {
  electron.singleInstance = false;
  const copy = bundle.replace(/app\.mjs$/, 'app-second.mjs');
  copyFileSync(bundle, copy);
  const quits = electron.quitCalls;
  await import(pathToFileURL(copy).href);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(electron.quitCalls).toBe(quits + 1);
  expect(electron.windows).toHaveLength(1);
});
