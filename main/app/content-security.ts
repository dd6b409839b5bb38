/**
 * The Content-Security-Policy and companion headers of every page Hearth serves, in Electron
 * (app:// protocol) and in browser mode (loopback HTTP) alike: one string, so the two cannot
 * drift, and a unit test pins it.
 *
 * Scripts, styles and fonts only from the app itself (no inline script, no eval; WebAssembly may
 * be compiled, which 'wasm-unsafe-eval' allows without allowing eval, because the page's
 * Automerge replica is wasm), no frames, no
 * plugins, no forms posting anywhere, and connections only back to the app: in browser mode that
 * is the loopback WebSocket, which Chromium counts as 'self'. Images may also be data: (avatars)
 * and blob: (previews of attached files the page holds in memory).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Sent with every response: the CSP plus what keeps the page from being framed, sniffed or referred. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), payment=()',
};
