/**
 * HearthApi over browser mode's WebSocket: the same contract the Electron preload exposes, so
 * the page cannot tell them apart. Every method resolves to a Result and never rejects, also
 * when the server has gone away.
 *
 * The token comes from the URL fragment that `npm start` printed (#token=…); it is kept in this
 * tab's sessionStorage so a reload still works, and removed from the address bar.
 */
import { buildApiClient } from '../../common/api/client.ts';
import type { ApiMethod, HearthApi } from '../../common/api/contract.ts';
import { API_PATH, API_SUBPROTOCOL, decodeWireMessage, encodeWireMessage, TOKEN_SUBPROTOCOL_PREFIX } from '../../common/api/wire.ts';
import type { Result } from '../../common/errors.ts';

const TOKEN_STORAGE_KEY = 'hearth.token';

/** The part of the WebSocket interface the client uses (the DOM's, or the `ws` package's in Node tests). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export interface BrowserApiOptions {
  /** Makes the socket; the page's own WebSocket by default. */
  createSocket?: (url: string, protocols: string[]) => WebSocketLike;
  /** Told whenever the connection goes down, comes back, or cannot come back. */
  onConnection?: (state: ConnectionState) => void;
  /** Whether the server still answers plain HTTP (a refused socket then means a wrong token); fetch by default. */
  probe?: (origin: string) => Promise<boolean>;
}

/**
 * The connection as the page should show it. `reconnecting`: the socket dropped and the client
 * tries again with backoff; calls fail at once with UNAVAILABLE meanwhile. `gone`: the server
 * answers but refuses this page's token, which happens when Hearth was restarted (every start
 * makes a new token): only the new address helps, so the client stops trying.
 */
export type ConnectionState = { kind: 'connected' } | { kind: 'reconnecting'; attempt: number } | { kind: 'gone'; message: string };

/** Backoff between reconnect attempts: 250 ms doubling up to 5 s. Pure, for the tests. */
export function reconnectDelay(attempt: number): number {
  return Math.min(250 * 2 ** Math.max(0, attempt), 5000);
}

/** How many refused attempts, while the server answers HTTP, mean "restarted with another token". */
export const REFUSALS_BEFORE_GONE = 3;

export const RESTARTED_MESSAGE =
  "Hearth was restarted, and this page's access no longer works. Open the new address that `npm start` printed (it ends in #token=…). Edits not yet saved in this page are lost when it closes.";

async function answersHttp(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/`, { method: 'HEAD', cache: 'no-store' });
    return response.status < 500;
  } catch {
    return false;
  }
}

/** The token from the URL fragment (moved into sessionStorage), or the one this tab stored before. */
export function readPageToken(): string {
  const fromFragment = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, fromFragment);
    // Out of the address bar, so it is not bookmarked, shared in a screenshot or kept in history.
    history.replaceState(history.state, '', window.location.pathname + window.location.search);
    return fromFragment;
  }
  return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? '';
}

const unavailable = (why: string): Result<never> => ({
  ok: false,
  error: {
    code: 'UNAVAILABLE',
    message: `Hearth's local server is not reachable right now (${why}). The page is reconnecting; try again in a moment. If it stays down, check that \`npm start\` is still running.`,
  },
});

function toBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new Error('not binary');
}

/**
 * Connects to browser mode's API at `serverOrigin` (e.g. window.location.origin). An empty
 * `token` means: read it from the page (readPageToken). Rejects only if the first connection
 * cannot be opened, with a message that says what to do. Afterwards a dropped socket is opened
 * again with backoff (same origin, same token); event listeners stay registered here, and the
 * server sends every connection its events, so they keep working on the new socket.
 */
export async function connectBrowserApi(serverOrigin: string, token: string, options: BrowserApiOptions = {}): Promise<HearthApi> {
  const secret = token || readPageToken();
  if (!secret) throw new Error('This page has no access token. Open the address that `npm start` printed (it ends in #token=…).');
  const url = `${serverOrigin.replace(/^http/, 'ws')}${API_PATH}`;
  const protocols = [API_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${secret}`];
  const open = () => {
    const socket = options.createSocket ? options.createSocket(url, protocols) : (new WebSocket(url, protocols) as unknown as WebSocketLike);
    socket.binaryType = 'arraybuffer';
    return socket;
  };
  const probe = options.probe ?? answersHttp;

  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  /** Why the connection is down (undefined while it is up). */
  let downBecause: string | undefined;
  let gone: string | undefined;
  let attempt = 0;
  let refusals = 0;

  const opened = (candidate: WebSocketLike) =>
    new Promise<boolean>((resolve) => {
      candidate.onopen = () => resolve(true);
      candidate.onerror = () => resolve(false);
      candidate.onclose = () => resolve(false);
    });

  const onMessage = (event: { data: unknown }) => {
    let message;
    try {
      message = decodeWireMessage(toBytes(event.data));
    } catch {
      return;
    }
    if (message.type === 'response') {
      const resolve = pending.get(message.id);
      pending.delete(message.id);
      resolve?.(message.result);
    } else if (message.type === 'event') {
      client.deliver(message.event, message.payload);
    }
  };

  const attach = (live: WebSocketLike) => {
    socket = live;
    downBecause = undefined;
    attempt = 0;
    refusals = 0;
    live.onerror = null;
    live.onmessage = onMessage;
    live.onclose = (event) => {
      if (socket !== live) return;
      socket = null;
      downBecause = event.reason || `connection closed (${event.code})`;
      // Nothing waits for an answer that can no longer come.
      for (const resolve of pending.values()) resolve(unavailable(downBecause));
      pending.clear();
      scheduleReconnect();
    };
  };

  const scheduleReconnect = () => {
    options.onConnection?.({ kind: 'reconnecting', attempt });
    const timer = setTimeout(() => void reconnect(), reconnectDelay(attempt));
    (timer as { unref?: () => void }).unref?.();
  };

  const reconnect = async () => {
    attempt++;
    const candidate = open();
    if (await opened(candidate)) {
      attach(candidate);
      options.onConnection?.({ kind: 'connected' });
      return;
    }
    // Refused while the server still serves pages: the token is not this server's any more.
    if (await probe(serverOrigin)) refusals++;
    else refusals = 0;
    if (refusals >= REFUSALS_BEFORE_GONE) {
      gone = RESTARTED_MESSAGE;
      options.onConnection?.({ kind: 'gone', message: gone });
      return;
    }
    scheduleReconnect();
  };

  const call = (method: ApiMethod, args: unknown[]): Promise<Result<unknown>> => {
    if (gone !== undefined) return Promise.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: gone } });
    const live = socket;
    if (!live || downBecause !== undefined) return Promise.resolve(unavailable(downBecause ?? 'connection closed'));
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      try {
        live.send(encodeWireMessage({ type: 'request', id, method, args }));
      } catch (error) {
        pending.delete(id);
        resolve({
          ok: false,
          error: { code: 'BAD_REQUEST', message: `${method} could not be sent: ${error instanceof Error ? error.message : String(error)}` },
        });
      }
    });
  };

  // A listener's bug must not stop the others or the socket.
  const client = buildApiClient(call, (error) => console.error('hearth: an event listener failed', error));

  const first = open();
  if (!(await opened(first))) throw new Error('Hearth refused this page or is not running. Open the address that `npm start` printed.');
  attach(first);

  return client.api;
}
