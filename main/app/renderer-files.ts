/**
 * Finds the built renderer's file for a request path, for both the app:// protocol and browser
 * mode's HTTP server. Anything that would land outside the renderer folder (../, encoded or
 * doubly encoded, backslashes, NUL, absolute paths, symlinks pointing out) finds nothing.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** The file under `rootDir` that `pathname` (still URL-encoded) names, or null if there is none or it is not allowed. */
export function resolveRendererFile(rootDir: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  // A second round of decoding must change nothing: "%252e%252e" is someone probing.
  if (decoded.includes('%') && /%[0-9a-f]{2}/i.test(decoded)) return null;
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return null;
  const relativePath = segments.length === 0 ? 'index.html' : segments.join('/');
  if (isAbsolute(relativePath)) return null;
  const root = resolve(rootDir);
  const candidate = resolve(join(root, relativePath));
  const inside = relative(root, candidate);
  if (inside.startsWith('..') || isAbsolute(inside)) return null;
  if (!existsSync(candidate)) return null;
  const real = realpathSync(candidate);
  const realRoot = realpathSync(root);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return null;
  if (!statSync(real).isFile()) return null;
  return real;
}
