/**
 * Browser mode: the app for any browser, on 127.0.0.1 only. One HTTP server serves the built
 * renderer and, at /api, a WebSocket that carries the API contract to the same door Electron's
 * IPC uses.
 *
 * Who may call: only a page that holds the random token and whose Origin is this server's own.
 * The token never travels in a response: it is in the URL fragment printed to the terminal (a
 * fragment is never sent to a server), and the page presents it as a WebSocket subprotocol.
 * So another local user or process fetching index.html learns nothing, a web page elsewhere is
 * refused by Origin, and DNS rebinding is refused by the Host check.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_PATH, API_SUBPROTOCOL, decodeWireMessage, encodeWireMessage, TOKEN_SUBPROTOCOL_PREFIX, type WireMessage } from '../../common/api/wire.ts';
import type { Result } from '../../common/errors.ts';
import { openApiConnection } from '../api/connection.ts';
import { SECURITY_HEADERS } from '../app/content-security.ts';
import { contentTypeOf, resolveRendererFile } from '../app/renderer-files.ts';
import type { Session } from '../app/session.ts';

/** A 4 MiB upload chunk plus its envelope, or a large document's changes, fits. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
const LOOPBACK = '127.0.0.1';

export interface BrowserServerOptions {
  session: Session;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Random by default; tests may fix it. */
  token?: string;
  logUnexpected?: (method: string, error: unknown) => void;
}

export interface BrowserServer {
  readonly port: number;
  /** http://127.0.0.1:PORT, the only Origin the API accepts. */
  readonly origin: string;
  readonly token: string;
  /** What the user opens: the origin with the token in the fragment. */
  readonly url: string;
  /**
   * The same page under the name localhost, which the server also answers to (each page's API
   * socket must come from its own origin). Browsers refuse WebAuthn on an IP address, so a
   * security key works only here.
   */
  readonly localhostUrl: string;
  /** Drops every page's socket (as a network blip would); the server keeps listening and pages reconnect. */
  dropConnections(): void;
  close(): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Forbidden'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  let origin = '';
  let host = '';
  let localhostHost = '';
  /** The Host header names this server: 127.0.0.1:PORT or localhost:PORT (both loopback, so DNS rebinding is still refused). */
  const ownHost = (value: string | undefined) => value === host || value === localhostHost;

  const send = (response: ServerResponse, status: number, text: string) => {
    response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(`${text}\n`);
  };

  const server: Server = createServer((request, response) => {
    if (!ownHost(request.headers.host)) return send(response, 421, `Open Hearth at ${origin}/ (the address npm start printed).`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'Hearth serves its pages with GET only.');
    const pathname = (request.url ?? '/').split(/[?#]/, 1)[0]!;
    if (!pathname.startsWith('/')) return send(response, 400, 'Bad request path.');
    const file = resolveRendererFile(options.rendererDir, pathname);
    if (!file) return send(response, 404, 'Not found.');
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': contentTypeOf(file),
      // Built assets have hashed names; index.html must always be fresh.
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'public, max-age=31536000, immutable',
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
  });

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(API_SUBPROTOCOL) ? API_SUBPROTOCOL : false),
  });

  server.on('upgrade', (request, socket, head) => {
    const pathname = (request.url ?? '').split('?', 1)[0];
    if (pathname !== API_PATH) return refuseUpgrade(socket, 404, 'The Hearth API is at /api.');
    if (!ownHost(request.headers.host)) return refuseUpgrade(socket, 403, 'Wrong Host.');
    if (request.headers.origin !== `http://${request.headers.host}`) return refuseUpgrade(socket, 403, 'Only the Hearth page itself may use its API.');
    const protocols = offeredProtocols(request);
    const presented = protocols.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length) ?? '';
    if (!protocols.includes(API_SUBPROTOCOL) || !sameSecret(presented, token)) {
      return refuseUpgrade(socket, 401, 'Missing or wrong token. Open the address npm start printed.');
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveApi(ws));
  });

  function serveApi(ws: WebSocket): void {
    const reply = (message: WireMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeWireMessage(message));
    };
    const connection = openApiConnection<WebSocket>(options.session, (event, payload) => reply({ type: 'event', event, payload } as WireMessage), {
      // Admitted at the handshake (token and Origin); the check guards against use after close.
      isAllowedSender: (sender) => sender.readyState === sender.OPEN,
      ...(options.logUnexpected ? { logUnexpected: options.logUnexpected } : {}),
    });
    ws.on('message', (data, isBinary) => {
      let message: WireMessage;
      try {
        if (!isBinary) throw new Error('text frame');
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        message = decodeWireMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch {
        ws.close(1007, 'Malformed message');
        return;
      }
      if (message.type !== 'request') {
        ws.close(1008, 'Only requests are accepted');
        return;
      }
      const { id, method, args } = message;
      connection.call(ws, method, args).then(
        (result) => reply({ type: 'response', id, result }),
        () =>
          reply({
            type: 'response',
            id,
            result: { ok: false, error: { code: 'INTERNAL', message: 'Hearth could not complete the call. Try again.' } } satisfies Result<never>,
          }),
      );
    });
    ws.on('close', () => connection.close());
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  host = `${LOOPBACK}:${port}`;
  localhostHost = `localhost:${port}`;
  origin = `http://${host}`;

  return {
    port,
    origin,
    token,
    url: `${origin}/#token=${token}`,
    localhostUrl: `http://${localhostHost}/#token=${token}`,
    dropConnections: () => {
      for (const client of sockets.clients) client.terminate();
    },
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
