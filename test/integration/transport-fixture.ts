/**
 * The app's transports for the shared contract suite: the in-process door, and browser mode's
 * real WebSocket on 127.0.0.1 with the real client. Each gives pages (connections) onto one real
 * session over a real vault in a temporary folder.
 */
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { HearthApi } from '../../common/api/contract.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session, type SessionOptions } from '../../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../../main/browser/server.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { connectBrowserApi, type WebSocketLike } from '../../renderer/api/browser-client.ts';
import { tempDir } from '../support/vault.ts';

export interface TransportUnderTest {
  session: Session;
  /** Opens another page onto the same session. */
  connect(): Promise<HearthApi>;
  close(): Promise<void>;
}

export interface Transport {
  name: string;
  start(options?: Partial<SessionOptions>): Promise<TransportUnderTest>;
}

export function testSession(options: Partial<SessionOptions> = {}): Session {
  return new Session({ vaultDir: join(tempDir('hearth-api-'), 'vault'), kdfCost: MIN_KDF_COST, ...options });
}

export const inProcess: Transport = {
  name: 'in-process door',
  async start(options) {
    const session = testSession(options);
    const pages: Array<{ close(): void }> = [];
    return {
      session,
      connect: async () => {
        const api = connectInProcess(session);
        pages.push(api);
        return api;
      },
      close: async () => {
        for (const page of pages) page.close();
        await session.close();
      },
    };
  },
};

/** A WebSocket from the `ws` package that presents `origin`, as a browser would. */
export function nodeSocket(origin: string): (url: string, protocols: string[]) => WebSocketLike {
  return (url, protocols) => new WebSocket(url, protocols, { origin }) as unknown as WebSocketLike;
}

export async function startTestServer(options: Partial<SessionOptions> = {}, rendererDir = tempDir('hearth-renderer-')): Promise<{ session: Session; server: BrowserServer }> {
  const session = testSession(options);
  const server = await startBrowserServer({ session, rendererDir });
  return { session, server };
}

export const browserWebSocket: Transport = {
  name: 'browser-mode WebSocket',
  async start(options) {
    const { session, server } = await startTestServer(options);
    return {
      session,
      connect: () => connectBrowserApi(server.origin, server.token, { createSocket: nodeSocket(server.origin) }),
      close: async () => {
        await server.close();
        await session.close();
      },
    };
  },
};

export const transports: Transport[] = [inProcess, browserWebSocket];

/** The value of an ok Result, or a failure that shows the error. */
export function expectOk<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}
