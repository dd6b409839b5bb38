/**
 * Whether the page is connected to Hearth's core. Only browser mode's WebSocket can drop (the
 * Electron preload's IPC cannot), so under Electron this stays `connected`.
 */
import { create } from 'zustand';
import type { ConnectionState } from '../api/browser-client.ts';

export const useConnection = create<{ state: ConnectionState }>()(() => ({ state: { kind: 'connected' } }));
