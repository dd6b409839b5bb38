/**
 * Browser mode as an attacker meets it: the API socket without the token, with a wrong one, from
 * a foreign Origin or Host; files outside the renderer folder; the headers every response
 * carries. Then in real Chromium: the real client under the real CSP works from the app's page,
 * while a page on another origin holding the right token is still refused, and an injected
 * inline script does not run.
 */
import { build } from 'esbuild';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
// Named apart from the page's WebSocket: page.evaluate code below must use the browser's own.
import { WebSocket as NodeWebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../../main/app/content-security.ts';
import type { BrowserServer } from '../../main/browser/server.ts';
import type { Session } from '../../main/app/session.ts';
import { tempDir } from '../support/vault.ts';
import { startTestServer } from './transport-fixture.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SECRET_OUTSIDE = 'SECRET-OUTSIDE-THE-RENDERER';

/** A renderer folder like the built one, with a sibling secret that must never be served. */
function makeRendererDir(): string {
  const parent = tempDir('hearth-browser-');
  writeFileSync(join(parent, 'secret.txt'), SECRET_OUTSIDE);
  const dir = join(parent, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>Hearth</title><script type="module" src="./assets/probe.js"></script></head><body><p id="out">loading</p></body></html>',
  );
  writeFileSync(join(dir, 'assets', 'app.css'), 'body { color: black; }');
  symlinkSync(join(parent, 'secret.txt'), join(dir, 'assets', 'link-out.txt'));
  return dir;
}

/** Sends `path` exactly as written (no URL normalisation), returns status and body. */
function rawGet(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string; headers: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body: rest.join('\r\n\r\n') });
    });
  });
}

/** Tries the API handshake; resolves with 'open' or the HTTP status that refused it. */
function tryHandshake(server: BrowserServer, options: { protocols?: string[]; origin?: string; path?: string; host?: string }): Promise<'open' | number> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = options.host ? { Host: options.host } : {};
    const ws = new NodeWebSocket(`ws://127.0.0.1:${server.port}${options.path ?? '/api'}`, options.protocols ?? [], {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      headers,
    });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

describe('browser mode refuses', () => {
  let server: BrowserServer;
  let session: Session;

  beforeAll(async () => {
    ({ server, session } = await startTestServer({}, makeRendererDir()));
  });
  afterAll(async () => {
    await server.close();
    await session.close();
  });

  test('the API with the right token and Origin opens (the baseline for the refusals below)', async () => {
    expect(await tryHandshake(server, { origin: server.origin, protocols: ['hearth-api', `token.${server.token}`] })).toBe('open');
  });

  test.each([
    ['no token', { protocols: ['hearth-api'] }, 401],
    ['no subprotocol at all', { protocols: [] }, 401],
    ['a wrong token', { protocols: ['hearth-api', 'token.not-the-token'] }, 401],
    ['the token with one character changed', { protocols: ['hearth-api', 'token.WRONG'] }, 401],
    ['the token without the API subprotocol', { protocols: ['token.RIGHT'] }, 401],
  ])('a socket with %s (401)', async (_what, { protocols }, status) => {
    const real = protocols.map((p) =>
      p === 'token.RIGHT' ? `token.${server.token}` : p === 'token.WRONG' ? `token.${server.token.slice(0, -1)}${server.token.endsWith('A') ? 'B' : 'A'}` : p,
    );
    expect(await tryHandshake(server, { origin: server.origin, protocols: real })).toBe(status);
  });

  test.each([
    ['a web page elsewhere', 'https://evil.example'],
    ['another port on loopback', 'http://127.0.0.1:1'],
    ['localhost instead of 127.0.0.1', 'http://localhost:PORT'],
    ['the null origin of a sandboxed frame or file:', 'null'],
    ['https on the same port', 'https://127.0.0.1:PORT'],
  ])('a socket from %s even with the right token (403)', async (_what, origin) => {
    expect(await tryHandshake(server, { origin: origin.replace('PORT', String(server.port)), protocols: ['hearth-api', `token.${server.token}`] })).toBe(403);
  });

  test('a socket with no Origin, a rebinding Host, or the wrong path', async () => {
    const right = ['hearth-api', `token.${server.token}`];
    expect(await tryHandshake(server, { protocols: right })).toBe(403);
    expect(await tryHandshake(server, { origin: server.origin, protocols: right, host: `evil.example:${server.port}` })).toBe(403);
    expect(await tryHandshake(server, { origin: server.origin, protocols: right, path: '/api/../api2' })).toBe(404);
  });

  test.each([
    '/../secret.txt',
    '/../../../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/%252e%252e/secret.txt',
    '/assets/../../secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..\\secret.txt',
    '//etc/passwd',
    '/%00/../secret.txt',
    '/assets/link-out.txt',
    '/%c0%ae%c0%ae/secret.txt',
  ])('path traversal %s finds nothing', async (path) => {
    const response = await rawGet(server.port, path);
    expect([400, 404]).toContain(response.status);
    expect(response.body).not.toContain(SECRET_OUTSIDE);
    expect(response.body).not.toContain('root:');
  });

  test('a page requested under another Host name (DNS rebinding) is refused', async () => {
    const response = await rawGet(server.port, '/', `attacker.example:${server.port}`);
    expect(response.status).toBe(421);
    expect(response.body).not.toContain('<html');
  });

  test('every response carries the strict CSP, and index.html carries no token', async () => {
    for (const path of ['/', '/index.html', '/assets/app.css', '/missing.js', '/../secret.txt']) {
      const response = await rawGet(server.port, path);
      const csp = /^content-security-policy: (.*)$/im.exec(response.headers)?.[1];
      expect(csp, path).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers).toMatch(/^x-content-type-options: nosniff$/im);
      expect(response.headers).toMatch(/^x-frame-options: DENY$/im);
      expect(response.body).not.toContain(server.token);
    }
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|(?<!wasm-)unsafe-eval|\*|https?:/);
  });
});

describe('in real Chromium', () => {
  let browser: Browser;
  let server: BrowserServer;
  let session: Session;
  let foreign: Server;
  let foreignOrigin = '';

  beforeAll(async () => {
    const rendererDir = makeRendererDir();
    // The real client, bundled as the app's build would, driving the real API from the page.
    await build({
      stdin: {
        contents: `
          import { connectBrowserApi } from './renderer/api/browser-client.ts';
          const out = document.getElementById('out');
          const steps = [];
          try {
            const api = await connectBrowserApi(location.origin, '');
            const state = (await api.status()).value.state;
            steps.push(state);
            if (state === 'no-vault') steps.push((await api.createVault({ passphrase: 'a long enough passphrase', username: 'ada', displayName: 'Ada' })).ok);
            const ws = await api.createWorkspace('From Chromium');
            steps.push(ws.ok, ws.value.name);
            const bad = await api.openDocument('../../etc/passwd');
            steps.push(bad.error.code);
            steps.push(location.hash === '' ? 'token out of the address bar' : 'token still in the URL');
          } catch (error) {
            steps.push('error: ' + error.message);
          }
          out.textContent = steps.join(' | ');
        `,
        resolveDir: repo,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(rendererDir, 'assets', 'probe.js'),
      logLevel: 'silent',
    });
    ({ server, session } = await startTestServer({}, rendererDir));
    foreign = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await session?.close();
    foreign?.close();
  });

  test('the app page reaches the API with the token from the fragment, and keeps it across a reload', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await expect
      .poll(() => page.textContent('#out'), { timeout: 20_000 })
      .toBe('no-vault | true | true | From Chromium | BAD_REQUEST | token out of the address bar');
    expect(page.url()).toBe(`${server.origin}/`);
    await page.reload();
    await expect.poll(() => page.textContent('#out'), { timeout: 20_000 }).toBe('unlocked | true | From Chromium | BAD_REQUEST | token out of the address bar');
    await page.close();
  });

  test('a page opened without the token gets no API', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    await expect
      .poll(() => page.textContent('#out'), { timeout: 20_000 })
      .toMatch(/^error: This page has no access token\. Open the address that `npm start` printed/);
    await page.close();
  });

  test('a page on another origin that knows the token is still refused', async () => {
    const page = await browser.newPage();
    await page.goto(foreignOrigin);
    const outcome = await page.evaluate(
      ([url, token]) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url!, ['hearth-api', `token.${token}`]);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      [`ws://127.0.0.1:${server.port}/api`, server.token],
    );
    expect(outcome).toBe('refused');
    // Nor can it read the app's page: the response has no CORS grant.
    const read = await page.evaluate(
      (url) =>
        fetch(url).then(
          () => 'read',
          () => 'blocked',
        ),
      `${server.origin}/`,
    );
    expect(read).toBe('blocked');
    await page.close();
  });

  test('the CSP stops an injected inline script, eval, and connections to anywhere else', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => violations.push(message.text()));
    await page.goto(server.url);
    await expect.poll(() => page.textContent('#out'), { timeout: 20_000 }).toContain('From Chromium');
    const result = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.pwned = true';
      document.body.append(script);
      const img = document.createElement('img');
      img.setAttribute('src', 'x');
      img.setAttribute('onerror', 'window.pwnedByHandler = true');
      document.body.append(img);
      await new Promise((resolve) => setTimeout(resolve, 300));
      let evaluated = 'blocked';
      try {
        (0, eval)('1');
        evaluated = 'ran';
      } catch {
        evaluated = 'blocked';
      }
      const outward = await fetch('http://example.com/').then(
        () => 'connected',
        () => 'blocked',
      );
      const w = window as unknown as { pwned?: boolean; pwnedByHandler?: boolean };
      return { inline: w.pwned === true, handler: w.pwnedByHandler === true, evaluated, outward };
    });
    expect(result).toEqual({ inline: false, handler: false, evaluated: 'blocked', outward: 'blocked' });
    expect(violations.join('\n')).toMatch(/Content Security Policy/);
    await page.close();
  });
});
