/** The relay's HTTP side on the same port: health, version, and the public link viewer with its ciphertext. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROTOCOL_VERSION } from '../common/protocol/messages.ts';
import type { RelayStorage } from './storage/relay-store.ts';
import { viewerCsp, viewerPage } from './viewer-page.ts';

export const RELAY_VERSION = '0.1.0';

/** Answers one HTTP request; only GET and HEAD are served. */
export async function serveHttp(store: RelayStorage, relayId: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const headers = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
  const json = (status: number, body: unknown) => {
    response.writeHead(status, { ...headers, 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const path = new URL(request.url ?? '/', 'http://relay').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return json(405, { code: 'BAD_REQUEST', message: 'Only GET is served over HTTP; the protocol runs over WebSocket.' });
  if (path === '/health') return json(200, { ok: true });
  if (path === '/version') return json(200, { name: 'hearth-relay', version: RELAY_VERSION, protocol: PROTOCOL_VERSION, relayId });
  const page = /^\/p\/([A-Za-z0-9_-]{1,64})\/?$/.exec(path);
  if (page) {
    response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': viewerCsp, 'x-frame-options': 'DENY' });
    response.end(viewerPage);
    return;
  }
  const data = /^\/p\/([A-Za-z0-9_-]{1,64})\/data$/.exec(path);
  if (data) {
    const link = await store.getLink(data[1]!);
    if (!link) return json(404, { code: 'NOT_FOUND', message: 'No such link.' });
    // The reason lets the viewer page say which; a revoked link says nothing more about itself.
    if (link.revoked || !link.ciphertext) return json(410, { code: 'EXPIRED', reason: 'revoked', message: 'This link was revoked.' });
    if (link.expiresAt !== null && link.expiresAt <= Date.now())
      return json(410, { code: 'EXPIRED', reason: 'expired', expiredAt: link.expiresAt, message: 'This link has expired.' });
    response.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': link.ciphertext.length });
    response.end(link.ciphertext);
    return;
  }
  return json(404, { code: 'NOT_FOUND', message: 'Nothing here. The relay serves /health, /version, /p/<link> and WebSocket.' });
}
