/**
 * The Electron window's security settings and the rules for where it may go, as plain data and
 * pure functions: this module does not import 'electron', so unit tests can pin every value.
 * app.ts passes these to Electron unchanged.
 */
import { CONTENT_SECURITY_POLICY } from '../app/content-security.ts';

export { CONTENT_SECURITY_POLICY };

/** The renderer is served from app://hearth/, a custom protocol: no file:// and no remote origin. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'hearth';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Privileges of app:// (standard and secure, so the page is a secure context with an origin; no CORS, no service workers). */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
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
} as const;

/**
 * Whether spell checking runs, on this platform, without the network: only where the operating
 * system checks spelling itself (macOS). Elsewhere Chromium would download Hunspell dictionaries
 * from Google's servers, a third party the privacy promise (S8) rules out; Hearth bundles none,
 * so there it is off.
 */
export function spellCheckIsOffline(platform: NodeJS.Platform): boolean {
  return platform === 'darwin';
}

/**
 * Where the dictionary downloader is pointed anyway: a path of our own app:// scheme, which
 * serves no dictionaries, so that nothing that turns it on can reach the network (the downloader
 * runs in the browser process, where the session's request filter does not see it).
 */
export const DICTIONARY_DOWNLOAD_URL = `${APP_ORIGIN}/no-dictionaries/`;

/** Everything a BrowserWindow is given; the checklist of DESIGN.md is the webPreferences block. */
export function mainWindowOptions(preloadPath: string, platform: NodeJS.Platform = process.platform) {
  return {
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Hearth',
    backgroundColor: '#1f1f1f',
    webPreferences: {
      preload: preloadPath,
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
      spellcheck: spellCheckIsOffline(platform),
      devTools: true,
    },
  } as const;
}

/** The path inside the renderer folder that an app:// URL asks for, or null if it is not ours. */
export function appRequestPath(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST || parsed.username || parsed.password || parsed.port) return null;
  return parsed.pathname;
}

/** Whether a sender's frame URL is our page (IPC is accepted only from it). */
export function isAppUrl(url: string | undefined): boolean {
  return url !== undefined && appRequestPath(url) !== null;
}

/** The page may never navigate: it is one page, and anything else is an attack or a bug. */
export function isNavigationAllowed(_from: string, _to: string): false {
  return false;
}

/** Links the user clicked open in the system browser only when they are plain http(s). */
export function isExternalLinkAllowed(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '' && parsed.password === '' && parsed.hostname !== '';
}

/** Permissions the page may have: none (no camera, microphone, location, notifications, …). */
export function isPermissionAllowed(_permission: string): boolean {
  return false;
}

/** Requests the window's session lets through: its own app:// files and DevTools, nothing from the network. */
export function isRequestAllowed(url: string): boolean {
  return isAppUrl(url) || url.startsWith('devtools://') || url.startsWith('blob:app://hearth/') || url.startsWith('data:');
}
