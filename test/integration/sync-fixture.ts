/**
 * What the sync tests share: real vaults in temp folders, each with its own engine, all talking
 * to a real relay over real sockets.
 */
import { join } from 'node:path';
import WebSocket from 'ws';
import type { DeviceSigner, WebSocketLike } from '../../common/protocol/client.ts';
import { SyncEngine, type SyncEngineOptions } from '../../main/sync/engine.ts';
import type { Vault } from '../../main/vault/vault.ts';
import { createTestVault, tempDir } from '../support/vault.ts';

export interface Peer {
  name: string;
  vault: Vault;
  engine: SyncEngine;
  dir: string;
}

let counter = 0;

/** A new vault whose username is unique per test run, registered on the relay. */
export async function makePeer(relayUrl: string, name: string, options: SyncEngineOptions = {}): Promise<Peer> {
  const dir = join(tempDir('hearth-sync-'), 'vault');
  const vault = await createTestVault({ dir, profile: { username: `${name}-${process.pid}-${++counter}`.slice(0, 32), displayName: name } });
  const engine = new SyncEngine(vault, { backoff: { initialMs: 50, maxMs: 500 }, ...options });
  await engine.register(relayUrl);
  return { name, vault, engine, dir };
}

/**
 * Ann and Bob, registered on the relay, in a team workspace `name` that Ann owns and Bob joined as
 * an Editor. `ann` is her sync engine's options (e.g. how often she uploads a snapshot); `onBob`
 * sees Bob before he joins (to listen to his engine from the start).
 */
export async function teamOfTwo(
  relayUrl: string,
  name: string,
  options: { ann?: SyncEngineOptions; onBob?: (bob: Peer) => void } = {},
): Promise<{ ann: Peer; bob: Peer; workspace: string }> {
  const ann = await makePeer(relayUrl, 'ann', options.ann);
  const bob = await makePeer(relayUrl, 'bob');
  options.onBob?.(bob);
  const workspace = (await ann.engine.createTeamWorkspace(name, relayUrl)).id;
  await ann.engine.invite(workspace, bob.vault.profile.username, 'editor');
  await bob.engine.acceptInvitation(workspace);
  return { ann, bob, workspace };
}

/** A vault on a new computer, with no account yet: what `hearth init` makes before linking or recovering an account. */
export async function newComputer(name: string, prefix: string): Promise<Peer> {
  const dir = join(tempDir(prefix), 'vault');
  const vault = await createTestVault({ dir, profile: { username: `${name}-${process.pid}`.slice(0, 32), displayName: name } });
  return { name, vault, engine: new SyncEngine(vault, { backoff: { initialMs: 50, maxMs: 500 } }), dir };
}

export async function closePeer(peer: Peer): Promise<void> {
  await peer.engine.close();
  if (!peer.vault.isLocked) peer.vault.lock();
}

/** Closes the peers that were made (a failed beforeAll leaves some unset), then the proxy and the relay, if any. */
export async function closeAll(
  peers: Array<Peer | undefined>,
  servers: { proxy?: { close(): Promise<void> }; relay?: { stop(): Promise<void> } },
): Promise<void> {
  for (const peer of peers) if (peer) await closePeer(peer);
  await servers.proxy?.close();
  await servers.relay?.stop();
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How a peer's device signs in on a bare relay client (its account key no longer does, once it has a device log). */
export function deviceOf(peer: Peer): DeviceSigner {
  const keys = peer.vault.devices.keys();
  return { account: peer.vault.account, device: peer.vault.devices.self.id, signSecretKey: keys.signSecretKey, boxPublicKey: keys.boxPublicKey };
}

/** Body text of a document as a peer has it. */
export function bodyOf(peer: Peer, documentId: string): string {
  return peer.vault.documents.get(documentId).body;
}

/** Every frame the sockets it makes send or receive, as the bytes on the wire (pass `createSocket` to an engine). */
export function frameRecorder(): { frames: Uint8Array[]; createSocket: (url: string) => WebSocketLike } {
  const frames: Uint8Array[] = [];
  const createSocket = (url: string): WebSocketLike => {
    const socket = new WebSocket(url);
    const send = socket.send.bind(socket);
    socket.send = ((data: Uint8Array) => {
      frames.push(new Uint8Array(data));
      send(data);
    }) as typeof socket.send;
    socket.on('message', (data: Buffer) => frames.push(new Uint8Array(data)));
    return socket as unknown as WebSocketLike;
  };
  return { frames, createSocket };
}
