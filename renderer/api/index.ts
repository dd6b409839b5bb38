/**
 * The one seam where the page gets its HearthApi. Under Electron the preload has exposed it as
 * `window.hearth`; in browser mode the page connects back to the server it came from, with the
 * token from the address `npm start` printed. Nothing else in the renderer knows which one it talks to.
 */
import type { HearthApi } from '../../common/api/contract.ts';
import { useConnection } from '../state/connection.ts';

declare global {
  interface Window {
    hearth?: HearthApi;
  }
}

let connecting: Promise<HearthApi> | null = null;

/** Connects once per page; later calls share the same connection. */
export function connectHearthApi(): Promise<HearthApi> {
  connecting ??= connect();
  return connecting;
}

async function connect(): Promise<HearthApi> {
  if (window.hearth) return window.hearth;
  const { connectBrowserApi } = await import('./browser-client.ts');
  // An empty token: the client reads it from the URL fragment (#token=…), or this tab's earlier visit.
  return connectBrowserApi(window.location.origin, '', { onConnection: (state) => useConnection.setState({ state }) });
}
