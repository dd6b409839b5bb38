/**
 * The public link viewer: a static page that fetches the link's ciphertext from /p/<id>/data and
 * decrypts it in the browser with the key in the URL fragment (which browsers never send), using
 * the format of common/protocol/link.ts. The relay serves the same bytes for every link.
 */
import { createHash } from 'node:crypto';

/** Runs in the browser; kept free of template values so its hash (for the CSP) is fixed. */
export const viewerScript = `
(async () => {
  const status = document.getElementById('status');
  const show = (text) => { status.textContent = text; };
  try {
    const id = location.pathname.split('/').filter(Boolean)[1] || '';
    const keyText = location.hash.slice(1);
    if (!keyText) return show('This link is missing its key (the part after #). Ask for the full link.');
    const b64 = keyText.replace(/-/g, '+').replace(/_/g, '/');
    const raw = Uint8Array.from(atob(b64 + '==='.slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
    const response = await fetch('/p/' + encodeURIComponent(id) + '/data', { cache: 'no-store', referrerPolicy: 'no-referrer' });
    if (response.status === 410) return show('This link was revoked or has expired.');
    if (!response.ok) return show('This link does not exist.');
    const sealed = new Uint8Array(await response.arrayBuffer());
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: sealed.slice(0, 12), additionalData: new TextEncoder().encode('hearth-link-v1:' + id) },
      key,
      sealed.slice(12),
    );
    const doc = JSON.parse(new TextDecoder().decode(plain));
    document.title = String(doc.title);
    document.getElementById('title').textContent = String(doc.title);
    document.getElementById('body').textContent = String(doc.text);
    status.hidden = true;
  } catch {
    show('This link cannot be opened: its key does not match.');
  }
})();
`;

export const viewerScriptHash = `sha256-${createHash('sha256').update(viewerScript).digest('base64')}`;

export const viewerCsp = [
  "default-src 'none'",
  `script-src '${viewerScriptHash}'`,
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const viewerPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shared document</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#222}#body{white-space:pre-wrap}</style>
</head><body><h1 id="title"></h1><p id="status">Decrypting…</p><div id="body"></div>
<script>${viewerScript}</script></body></html>`;
