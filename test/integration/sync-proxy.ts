/**
 * A hostile relay for tests: a WebSocket proxy on 127.0.0.1 in front of a real relay that passes
 * the client's frames through and lets a test rewrite every frame the relay sends back.
 */
import { WebSocketServer, WebSocket } from 'ws';
import type { WebSocketLike } from '../../common/protocol/client.ts';
import { decodeRelayFrame, encodeFrame, type RelayFrame } from '../../common/protocol/messages.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import type { Peer } from './sync-fixture.ts';

export interface HostileProxy {
  url: string;
  /** Rewrites one frame from the relay; return it unchanged to pass it through. */
  rewrite: (frame: RelayFrame) => RelayFrame;
  close(): Promise<void>;
}

export async function startHostileProxy(relayUrl: string): Promise<HostileProxy> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const proxy: HostileProxy = {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/`,
    rewrite: (frame) => frame,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (downstream) => {
    const upstream = new WebSocket(relayUrl);
    const early: Buffer[] = [];
    upstream.on('open', () => {
      for (const data of early.splice(0)) upstream.send(data);
    });
    downstream.on('message', (data: Buffer) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data) : early.push(data)));
    upstream.on('message', (data: Buffer) => {
      const frame = proxy.rewrite(decodeRelayFrame(new Uint8Array(data)));
      downstream.send(encodeFrame(frame));
    });
    upstream.on('close', () => downstream.close());
    downstream.on('close', () => upstream.close());
    upstream.on('error', () => downstream.close());
  });
  return proxy;
}

/** Closes `peer`'s engine and gives it a new one that believes it talks to the relay while every frame passes through `proxy`. */
export async function routeThrough(peer: Peer, proxy: HostileProxy): Promise<void> {
  await peer.engine.close();
  peer.engine = new SyncEngine(peer.vault, { createSocket: () => new WebSocket(proxy.url) as unknown as WebSocketLike });
}
