/**
 * Child process for the offline crash test: opens a vault whose relay cannot be reached, runs
 * the sync engine live (so it keeps trying), appends one token per write to a document, and
 * prints `ack N` after each write returns. The test kills it with SIGKILL at some point.
 */
import * as A from '@automerge/automerge';
import WebSocket from 'ws';
import type { WebSocketLike } from '../../common/protocol/client.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { Vault } from '../../main/vault/vault.ts';

const [dir, passphrase, documentId, deadUrl] = process.argv.slice(2) as [string, string, string, string];
const vault = await Vault.unlock(dir, passphrase);
const engine = new SyncEngine(vault, { createSocket: () => new WebSocket(deadUrl) as unknown as WebSocketLike, backoff: { initialMs: 20, maxMs: 100 } });
engine.start();
for (let i = 0; ; i++) {
  vault.documents.change(documentId, (d) => A.splice(d, ['body'], d.body.length, 0, ` w${i}`));
  process.stdout.write(`ack ${i}\n`);
  await new Promise((resolve) => setTimeout(resolve, 3));
}
