/**
 * The Electron shell's security settings, without Electron (its binary cannot be installed here):
 * the window options and CSP that main passes unchanged, the rules for navigation, links,
 * permissions and requests, and the built preload run against a stand-in for Electron's
 * contextBridge and ipcRenderer. window-options.ts and scripts/build-electron.ts do not import 'electron'.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { apiMethods, type HearthApi } from '../../../common/api/contract.ts';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../../common/api/wire.ts';
import { CONTENT_SECURITY_POLICY as SERVED_CSP } from '../../../main/app/content-security.ts';
import { buildElectronApp } from '../../../scripts/build-electron.ts';
import {
  APP_ENTRY_URL,
  APP_SCHEME_PRIVILEGES,
  appRequestPath,
  DICTIONARY_DOWNLOAD_URL,
  spellCheckIsOffline,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  isExternalLinkAllowed,
  isNavigationAllowed,
  isPermissionAllowed,
  isRequestAllowed,
  mainWindowOptions,
} from '../../../main/electron/window-options.ts';
import { tempDir } from '../../support/vault.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the BrowserWindow', () => {
  test('has the whole security checklist in its webPreferences', () => {
    expect(mainWindowOptions('/app/dist/preload/index.cjs', 'linux').webPreferences).toEqual({
      preload: '/app/dist/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: true,
    });
  });

  test('spell checks only where the system does it without downloading dictionaries (macOS), never on Linux or Windows', () => {
    expect(mainWindowOptions('/p', 'darwin').webPreferences.spellcheck).toBe(true);
    expect(mainWindowOptions('/p', 'linux').webPreferences.spellcheck).toBe(false);
    expect(mainWindowOptions('/p', 'win32').webPreferences.spellcheck).toBe(false);
    expect(spellCheckIsOffline('darwin')).toBe(true);
    expect(spellCheckIsOffline('linux')).toBe(false);
    expect(spellCheckIsOffline('win32')).toBe(false);
    // The downloader, should anything turn it on, is pointed at our own scheme, never the network.
    expect(DICTIONARY_DOWNLOAD_URL).toBe('app://hearth/no-dictionaries/');
    expect(isAppUrl(DICTIONARY_DOWNLOAD_URL)).toBe(true);
  });

  test('loads the page from app://hearth/, a secure standard scheme without CORS or service workers', () => {
    expect(APP_ENTRY_URL).toBe('app://hearth/index.html');
    expect(APP_SCHEME_PRIVILEGES).toEqual({
      scheme: 'app',
      privileges: {
        standard: true,
        secure: true,
        supportFetchAPI: true,
        stream: true,
        corsEnabled: false,
        bypassCSP: false,
        allowServiceWorkers: false,
        codeCache: true,
      },
    });
  });

  test('sends exactly the CSP that browser mode sends', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(SERVED_CSP);
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; media-src 'self' blob:; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-src 'none'; frame-ancestors 'none'; object-src 'none'",
    );
  });
});

describe('where the window may go', () => {
  test('only app://hearth/ counts as our page (IPC sender check)', () => {
    expect(isAppUrl('app://hearth/index.html')).toBe(true);
    expect(isAppUrl('app://hearth/')).toBe(true);
    for (const url of [
      'app://hearth.evil/index.html',
      'app://evil/index.html',
      'app://user:pw@hearth/',
      'app://hearth:8080/',
      'https://hearth/',
      'file:///index.html',
      'devtools://devtools/',
      'about:blank',
      '',
      'not a url',
      undefined,
    ]) {
      expect(isAppUrl(url), String(url)).toBe(false);
    }
    // URL parsing already collapses dot segments, encoded or not; resolveRendererFile checks again.
    expect(appRequestPath('app://hearth/assets/%2e%2e/x')).toBe('/x');
    expect(appRequestPath('app://hearth/../../etc/passwd')).toBe('/etc/passwd');
  });

  test('navigation is never allowed, not even to our own origin', () => {
    for (const to of ['https://example.com/', 'app://hearth/other.html', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(isNavigationAllowed(APP_ENTRY_URL, to)).toBe(false);
    }
  });

  test('only plain http(s) links open in the system browser', () => {
    expect(isExternalLinkAllowed('https://example.com/page?q=1#x')).toBe(true);
    expect(isExternalLinkAllowed('http://example.com/')).toBe(true);
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://server/share',
      'ms-msdt:/id',
      'app://hearth/',
      'data:text/html,<script>1</script>',
      'vbscript:x',
      'https://user:pw@example.com/',
      'mailto:a@b.c',
      'steam://run/1',
      '//example.com',
      'https://',
      'nonsense',
    ]) {
      expect(isExternalLinkAllowed(url), url).toBe(false);
    }
  });

  test('no permission is granted and no request reaches the network', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'serial', 'usb']) {
      expect(isPermissionAllowed(permission)).toBe(false);
    }
    expect(isRequestAllowed('app://hearth/assets/index.js')).toBe(true);
    for (const url of [
      'https://example.com/x.js',
      'http://127.0.0.1:9/',
      'ws://127.0.0.1:1/api',
      'wss://relay.example/',
      'file:///etc/passwd',
      'app://evil/x.js',
      'ftp://x/',
    ]) {
      expect(isRequestAllowed(url), url).toBe(false);
    }
  });
});

describe('the preload, built as Electron would load it', () => {
  test('is one file that requires nothing but electron, and exposes exactly the contract as window.hearth', async () => {
    const out = tempDir('hearth-electron-build-');
    await buildElectronApp(repo, out);
    const preload = readFileSync(join(out, 'preload', 'index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect([...new Set(required)]).toEqual(['electron']);

    const exposed: Record<string, unknown> = {};
    const invoked: unknown[][] = [];
    let eventHandler: ((event: unknown, name: string, payload: unknown) => void) | undefined;
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args);
          return { ok: true, value: 'from main' };
        },
        on: (channel: string, handler: typeof eventHandler) => {
          if (channel === IPC_EVENT_CHANNEL) eventHandler = handler;
        },
      },
    };
    const module = { exports: {} };
    runInNewContext(preload, { require: (name: string) => (name === 'electron' ? electron : undefined), module, exports: module.exports, console });

    expect(Object.keys(exposed)).toEqual(['hearth']);
    const hearth = exposed.hearth as HearthApi;
    expect(Object.keys(hearth).sort()).toEqual([...apiMethods, 'on'].sort());
    expect(await hearth.createWorkspace('Notes')).toEqual({ ok: true, value: 'from main' });
    expect(invoked).toEqual([[IPC_CALL_CHANNEL, 'createWorkspace', ['Notes']]]);

    const heard: unknown[] = [];
    const off = hearth.on('locked', (payload) => heard.push(payload));
    eventHandler?.({}, 'locked', { reason: 'idle' });
    eventHandler?.({}, 'documentChanged', { documentId: 'd', changes: [] });
    off();
    eventHandler?.({}, 'locked', { reason: 'user' });
    expect(heard).toEqual([{ reason: 'idle' }]);

    // The main bundle builds too: our code, with npm packages (native, wasm) left in node_modules.
    const main = readFileSync(join(out, 'main', 'electron', 'app.js'), 'utf8');
    expect(main).toMatch(/from ["']electron["']/);
    expect(main).toMatch(/from ["']better-sqlite3["']/);
    expect(main).toMatch(/from ["']@automerge\/automerge["']/);
    expect(main).toContain('registerSchemesAsPrivileged');
  });
});
