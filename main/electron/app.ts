/**
 * The Electron main process: one window over the same session and door as browser mode, with
 * the whole checklist of DESIGN.md. Thin on purpose: what can be decided without Electron lives
 * in window-options.ts (tested) and in main/app and main/api (tested through browser mode).
 */
import { app, BrowserWindow, ipcMain, powerMonitor, protocol, session as electronSession, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../common/api/wire.ts';
import { openApiConnection, type ApiConnection } from '../api/connection.ts';
import { SECURITY_HEADERS } from '../app/content-security.ts';
import { contentTypeOf, resolveRendererFile } from '../app/renderer-files.ts';
import { Session } from '../app/session.ts';
import { useNativeCrypto } from '../native-crypto.ts';
import { defaultVaultDir } from '../paths.ts';
import { SafeStorageKeeper } from './keychain.ts';
import { installMenu } from './menu.ts';
import { electronSqliteBinding } from './native-sqlite.ts';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  appRequestPath,
  isAppUrl,
  isExternalLinkAllowed,
  isNavigationAllowed,
  isPermissionAllowed,
  isRequestAllowed,
  mainWindowOptions,
  DICTIONARY_DOWNLOAD_URL,
  spellCheckIsOffline,
} from './window-options.ts';

// Before `ready`: the scheme must be known as standard and secure when the page loads.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

if (!app.requestSingleInstanceLock()) {
  // Another Hearth has the vault open; it will come to the front (second-instance below).
  app.quit();
} else {
  void main();
}

function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  app.enableSandbox();
  const crypto = useNativeCrypto();
  if (crypto.fallbackReason) console.warn(`Hearth: sodium-native did not load (${crypto.fallbackReason}); using libsodium's wasm build.`);
  await app.whenReady();

  const appRoot = app.getAppPath();
  const rendererDir = join(appRoot, 'dist', 'renderer');
  const preloadPath = join(appRoot, 'dist', 'preload', 'index.cjs');
  const vaultArg = argValue('--vault');
  const vaultDir = vaultArg ? resolve(vaultArg) : defaultVaultDir();
  const devBinding = electronSqliteBinding(appRoot, process.versions.electron);
  const session = new Session({
    vaultDir,
    unlockKeeper: new SafeStorageKeeper(vaultDir),
    ...(!app.isPackaged && existsSync(devBinding) ? { openOptions: { nativeBinding: devBinding } } : {}),
  });

  lockDownSessions();
  serveRenderer(rendererDir);

  // Each window is one page with its own connection: a document open in two windows stays in
  // step through documentChanged, which the door sends to every page but the one that changed it.
  const windows = new Map<WebContents, { window: BrowserWindow; connection: ApiConnection<IpcMainInvokeEvent> }>();

  const isOurPage = (event: IpcMainInvokeEvent): boolean =>
    windows.has(event.sender) && event.senderFrame !== null && event.senderFrame === event.sender.mainFrame && isAppUrl(event.senderFrame.url);

  ipcMain.handle(IPC_CALL_CHANNEL, (event, method: unknown, args: unknown) => {
    const page = windows.get(event.sender);
    if (!page) return { ok: false, error: { code: 'FORBIDDEN', message: 'This caller may not use the Hearth API. Only the Hearth window itself can.' } };
    return page.connection.call(event, method, args);
  });

  const openWindow = () => {
    // Electronegativity cannot read mainWindowOptions(): contextIsolation and sandbox are on there
    // (electron-window.test.ts pins them), and a middle-click opens no window: guardContents denies them all.
    const window = new BrowserWindow(mainWindowOptions(preloadPath)); // eng-disable CONTEXT_ISOLATION_JS_CHECK SANDBOX_JS_CHECK AUXCLICK_JS_CHECK
    const contents = window.webContents;
    const connection = openApiConnection<IpcMainInvokeEvent>(
      session,
      (event, payload) => {
        if (!contents.isDestroyed() && isAppUrl(contents.getURL())) contents.send(IPC_EVENT_CHANNEL, event, payload);
      },
      { isAllowedSender: isOurPage },
    );
    windows.set(contents, { window, connection });
    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      connection.close();
      windows.delete(contents);
    });
    void window.loadURL(APP_ENTRY_URL);
  };
  const lastWindow = () => [...windows.values()].at(-1)?.window;

  app.on('web-contents-created', (_event, contents) => guardContents(contents));
  app.on('second-instance', () => {
    const window = lastWindow();
    if (!window) return openWindow();
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('activate', () => {
    if (windows.size === 0) openWindow();
  });
  app.on('window-all-closed', () => {
    void session.lock('user');
    if (process.platform !== 'darwin') app.quit();
  });
  // Hold the quit until the vault is locked: its last writes land and its keys are wiped first.
  let locked = false;
  app.on('before-quit', (event) => {
    if (locked) return;
    (event as { preventDefault(): void }).preventDefault();
    void session.close().finally(() => {
      locked = true;
      app.quit();
    });
  });
  // Walking away from the machine is as good as idle: lock.
  powerMonitor.on('lock-screen', () => void session.lock('idle'));
  powerMonitor.on('suspend', () => void session.lock('idle'));

  installMenu({ newWindow: openWindow, lock: () => void session.lock('user'), isDevelopment: !app.isPackaged });
  await session.resume();
  openWindow();
}

/** app://hearth/… from the built renderer, with the path-traversal check and the CSP header. */
function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const pathname = appRequestPath(request.url);
    const file = pathname === null ? null : resolveRendererFile(rendererDir, pathname);
    if (request.method !== 'GET' || !file) return new Response('Not found', { status: 404, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain' } });
    return new Response(await readFile(file), { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': contentTypeOf(file) } });
  });
}

/**
 * No permissions, and no request leaves for the network: the page has nothing to fetch out there
 * (S2, S8). Spell checking only where the system does it without downloads (window-options.ts).
 */
function lockDownSessions(): void {
  const ses = electronSession.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback) => callback(isPermissionAllowed(permission)));
  ses.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission));
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isRequestAllowed(details.url) }));
  ses.setSpellCheckerDictionaryDownloadURL(DICTIONARY_DOWNLOAD_URL);
  if (!spellCheckIsOffline(process.platform)) ses.setSpellCheckerEnabled(false);
}

/** Every web contents: no navigation, no new windows (http(s) links go to the system browser), no webviews. */
function guardContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(contents.getURL(), url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Only plain http(s) links without credentials reach the system browser (isExternalLinkAllowed, unit-tested).
    if (isExternalLinkAllowed(url)) void shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
    return { action: 'deny' };
  });
}
