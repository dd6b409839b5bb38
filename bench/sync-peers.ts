/**
 * A worker thread of bench/sync.ts that hosts some of the readers: each a whole app session (own
 * vault folder, sync engine and relay connection, its page connected through the in-process
 * door) that follows the bench document and notes when each token reaches its page's replica.
 * Times are `performance.timeOrigin + performance.now()`, comparable across the threads.
 */
import * as A from '@automerge/automerge';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { HearthApi } from '../common/api/contract.ts';
import type { Result } from '../common/errors.ts';
import { connectInProcess } from '../main/api/connection.ts';
import { Session } from '../main/app/session.ts';
import type { DocumentContent } from '../main/vault/documents.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { useNativeCrypto } from '../main/native-crypto.ts';

export interface PeersInput {
  root: string;
  relayUrl: string;
  indices: number[];
}

export type ToPeers = { t: 'accept'; workspaceId: string; documentId: string } | { t: 'report' } | { t: 'finish' };
export type FromPeers = { t: 'registered'; usernames: string[] } | { t: 'following' } | { t: 'arrivals'; arrivals: Array<{ token: string; at: number }> };

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

const now = () => performance.timeOrigin + performance.now();

if (parentPort) {
  // Each thread has its own modules: it picks the app's crypto as the main thread did.
  useNativeCrypto();
  const port = parentPort;
  const { root, relayUrl, indices } = workerData as PeersInput;
  const users: Array<{ session: Session; api: HearthApi & { close(): void }; username: string }> = [];
  const arrivals: Array<{ token: string; at: number }> = [];
  for (const i of indices) {
    const session = new Session({
      vaultDir: join(root, `peer${i}`),
      dataDir: join(root, `data${i}`),
      kdfCost: MIN_KDF_COST,
      sync: { backoff: { initialMs: 50, maxMs: 500 } },
    });
    const api = connectInProcess(session);
    const username = `peer${i}-${process.pid}`;
    ok(await api.createVault({ passphrase: 'bench passphrase', username, displayName: `Peer ${i}` }));
    ok(await api.registerAccount(relayUrl));
    users.push({ session, api, username });
  }
  port.postMessage({ t: 'registered', usernames: users.map((u) => u.username) } satisfies FromPeers);
  port.on('message', async (message: ToPeers) => {
    if (message.t === 'accept') {
      for (const user of users) {
        ok(await user.api.acceptInvitation(message.workspaceId));
        // The page's replica of the document, as the editor keeps it.
        let replica = A.load<DocumentContent>(ok(await user.api.openDocument(message.documentId)).bytes);
        const seen = new Set<string>();
        user.api.on('documentChanged', ({ documentId, changes }) => {
          if (documentId !== message.documentId || changes.length === 0) return;
          const inserted: string[] = [];
          [replica] = A.applyChanges(replica, changes, {
            patchCallback: (patches) => {
              for (const patch of patches) if (patch.action === 'splice') inserted.push(patch.value);
            },
          });
          const at = now();
          // The writer inserts each token whole, so the patches name it (no scan of the 100k text).
          for (const token of inserted.join('').match(/<\d+>/g) ?? []) {
            if (!seen.has(token)) {
              seen.add(token);
              arrivals.push({ token, at });
            }
          }
        });
      }
      port.postMessage({ t: 'following' } satisfies FromPeers);
    } else if (message.t === 'report') {
      port.postMessage({ t: 'arrivals', arrivals: arrivals.splice(0) } satisfies FromPeers);
    } else {
      for (const user of users) {
        user.api.close();
        await user.session.close();
      }
      port.postMessage({ t: 'arrivals', arrivals } satisfies FromPeers);
    }
  });
}
