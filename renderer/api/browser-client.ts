/**
 * HearthApi over browser mode's WebSocket: the same contract the Electron preload exposes, so
 * the page cannot tell them apart. Every method resolves to a Result and never rejects, also
 * when the server has gone away.
 *
 * The token comes from the URL fragment that `npm start` printed (#token=…); it is kept in this
 * tab's sessionStorage so a reload still works, and removed from the address bar.
 */
import { apiMethods, type ApiEvent, type ApiEvents, type ApiMethod, type HearthApi } from '../../common/api/contract.ts';
import { decodeWireMessage, encodeWireMessage } from '../../common/api/wire.ts';
import type { Result } from '../../common/errors.ts';

export const API_PATH = '/api';
export const API_SUBPROTOCOL = 'hearth-api';
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

const gone = (why: string): Result<never> => ({
  ok: false,
  error: { code: 'UNAVAILABLE', message: `Hearth's local server is not reachable (${why}). Check that \`npm start\` is still running, then reload the page.` },
});

function toBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new Error('not binary');
}

/**
 * Connects to browser mode's API at `serverOrigin` (e.g. window.location.origin). An empty
 * `token` means: read it from the page (readPageToken). Rejects only if the connection cannot be
 * opened, with a message that says what to do.
 */
export async function connectBrowserApi(serverOrigin: string, token: string, options: BrowserApiOptions = {}): Promise<HearthApi> {
  const secret = token || readPageToken();
  if (!secret) throw new Error('This page has no access token. Open the address that `npm start` printed (it ends in #token=…).');
  const url = `${serverOrigin.replace(/^http/, 'ws')}${API_PATH}`;
  const protocols = [API_SUBPROTOCOL, `token.${secret}`];
  const socket = options.createSocket ? options.createSocket(url, protocols) : (new WebSocket(url, protocols) as unknown as WebSocketLike);
  socket.binaryType = 'arraybuffer';

  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<ApiEvent, Set<(payload: never) => void>>();
  let nextId = 1;
  let closedBecause: string | undefined;

  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error('Hearth refused this page or is not running. Open the address that `npm start` printed.'));
    socket.onclose = () => reject(new Error('Hearth refused this page or is not running. Open the address that `npm start` printed.'));
  });

  socket.onerror = null;
  socket.onclose = (event) => {
    closedBecause = event.reason || `connection closed (${event.code})`;
    for (const resolve of pending.values()) resolve(gone(closedBecause));
    pending.clear();
  };
  socket.onmessage = (event) => {
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
      for (const listener of listeners.get(message.event) ?? []) {
        try {
          (listener as (payload: unknown) => void)(message.payload);
        } catch (error) {
          // A listener's bug must not stop the others or the socket.
          console.error('hearth: an event listener failed', error);
        }
      }
    }
  };

  const call = (method: ApiMethod, args: unknown[]): Promise<Result<unknown>> => {
    if (closedBecause !== undefined) return Promise.resolve(gone(closedBecause));
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      try {
        socket.send(encodeWireMessage({ type: 'request', id, method, args }));
      } catch (error) {
        pending.delete(id);
        resolve({ ok: false, error: { code: 'BAD_REQUEST', message: `${method} could not be sent: ${error instanceof Error ? error.message : String(error)}` } });
      }
    });
  };

  const api: Record<string, unknown> = {
    on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
  for (const method of apiMethods) api[method] = (...args: unknown[]) => call(method, args);
  return api as unknown as HearthApi;
}
