/**
 * Edit-to-peer latency through the whole stack on loopback, the way the app runs it: an editor's
 * change in one user's page replica → the API door → that user's vault and sealed outbox →
 * encrypted, signed blob → relay → each peer verifies, decrypts and persists it in its vault →
 * the peer's page hears `documentChanged` and applies the change to its own replica.
 *
 * The document is a one-paragraph note, or the 100k-character trace document: applying a peer's
 * change costs Automerge 3.5 time in proportion to the document (50–200 ms at 100k characters,
 * in the reader's vault and again in its page), which the long document shows.
 *
 * The writer and the relay run on the main thread; up to two readers are whole app sessions, each on its own worker thread (standing in
 * for their own machines), and their latency is the figure. The other members of a larger team
 * follow the document through the relay from a separate process (bench/sync-followers.ts), so the
 * relay fans every edit out to all of them, but this 2-core machine does not also have to run a
 * whole app per member.
 */
import * as A from '@automerge/automerge';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { HearthApi } from '../common/api/contract.ts';
import type { Result } from '../common/errors.ts';
import { connectInProcess } from '../main/api/connection.ts';
import { Session } from '../main/app/session.ts';
import type { DocumentContent } from '../main/vault/documents.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { startRelay, type RunningRelay } from '../sync-server/relay.ts';
import { goals, percentile, type BenchOptions, type SectionPlan } from './harness.ts';
import { fromFollowers, startFollowers, type ToFollowers } from './sync-followers.ts';
import type { FromPeers, PeersInput, ToPeers } from './sync-peers.ts';
import { traceText } from './trace.ts';

/** A fast typist: ten keystrokes a second (the relay bench types six per client). */
const GAP_MS = 100;
/** Whole app sessions among the readers; the rest of a team follows through the relay. */
const FULL_READERS = 2;

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** A worker does not inherit tsx's loader: it registers it, then loads the readers' module. */
const PEERS_BOOT = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(new URL('./sync-peers.ts', import.meta.url).href)});`,
  )}`,
);

function fromWorker<T extends FromPeers['t']>(worker: Worker, t: T): Promise<Extract<FromPeers, { t: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromPeers) => {
      if (message.t !== t) return;
      worker.off('message', onMessage);
      resolve(message as Extract<FromPeers, { t: T }>);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

/** What the writer types into: a short note, or the trace's 100k-character paper. */
type Document = { name: string; text: () => string };
const NOTE: Document = { name: 'a short note', text: () => 'Minutes of the meeting. '.repeat(8) };
const PAPER: Document = { name: 'the 100k-character trace document', text: traceText };

function syncPlan(users: number, writes: number, document: Document): SectionPlan {
  let root = '';
  let relay: RunningRelay;
  let writerSession: Session;
  let writer: HearthApi & { close(): void };
  let followerProcess: ChildProcess | undefined;
  const workers: Worker[] = [];
  let documentId = '';
  let writerDoc: A.Doc<DocumentContent>;
  let written = 0;
  const fullReaders = Math.min(FULL_READERS, users - 1);
  const followerCount = users - 1 - fullReaders;
  return {
    title: `Sync: edit-to-peer latency on loopback, ${users} users, ${document.name}`,
    peer: 'none (absolute numbers against the goal)',
    async setup() {
      root = mkdtempSync(join(tmpdir(), 'hearth-bench-sync-'));
      relay = await startRelay({ port: 0, dataDir: join(root, 'relay'), log: () => {}, limits: { maxConnections: 10_000 } });
      writerSession = new Session({
        vaultDir: join(root, 'writer'),
        dataDir: join(root, 'data-writer'),
        kdfCost: MIN_KDF_COST,
        sync: { backoff: { initialMs: 50, maxMs: 500 } },
      });
      writer = connectInProcess(writerSession);
      ok(await writer.createVault({ passphrase: 'bench passphrase', username: `writer-${process.pid}`, displayName: 'Writer' }));
      const workspace = ok(await writer.createTeamWorkspace('Bench', relay.url));
      documentId = ok(await writer.createDocument(workspace.id, { title: 'The paper' })).id;
      const empty = A.load<DocumentContent>(ok(await writer.openDocument(documentId)).bytes);
      const filled = A.change(empty, (d) => A.splice(d, ['body'], 0, 0, document.text()));
      ok(await writer.applyChanges(documentId, A.getChanges(empty, filled) as Uint8Array<ArrayBuffer>[]));
      for (let t = 0; t < fullReaders; t++) {
        const input: PeersInput = { root, relayUrl: relay.url, indices: [t + 1] };
        workers.push(new Worker(PEERS_BOOT, { workerData: input }));
      }
      const registered = await Promise.all(workers.map((w) => fromWorker(w, 'registered')));
      const usernames = registered.flatMap((r) => r.usernames);
      if (followerCount > 0) {
        followerProcess = startFollowers();
        const answer = fromFollowers(followerProcess, 'registered');
        followerProcess.send({ op: 'register', url: relay.url, count: followerCount } satisfies ToFollowers);
        usernames.push(...(await answer).usernames);
      }
      for (const username of usernames) ok(await writer.inviteMember(workspace.id, username, 'editor'));
      const following = workers.map((w) => fromWorker(w, 'following'));
      for (const worker of workers) worker.postMessage({ t: 'accept', workspaceId: workspace.id, documentId } satisfies ToPeers);
      await Promise.all(following);
      if (followerProcess) {
        const answer = fromFollowers(followerProcess, 'following');
        followerProcess.send({ op: 'follow', space: workspace.id, doc: documentId } satisfies ToFollowers);
        await answer;
      }
      writerDoc = A.load<DocumentContent>(ok(await writer.openDocument(documentId)).bytes);
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
    async teardown() {
      for (const worker of workers) await worker.terminate();
      followerProcess?.kill('SIGKILL');
      writer?.close();
      await writerSession?.close();
      await relay?.close();
      rmSync(root, { recursive: true, force: true });
    },
    contenders: {
      async hearth() {
        const countFollowers = async () => {
          if (!followerProcess) return 0;
          const answer = fromFollowers(followerProcess, 'counted');
          followerProcess.send({ op: 'count' } satisfies ToFollowers);
          return (await answer).received;
        };
        const followedBefore = await countFollowers();
        // The writer's page keeps a replica and sends each change through the door, as the editor does.
        const sentAt = new Map<string, number>();
        const middle = Math.floor(writerDoc.body.length / 2);
        for (let i = 0; i < writes; i++) {
          const token = `<${written++}>`;
          sentAt.set(token, performance.timeOrigin + performance.now());
          // In the middle of the paper, as someone revising it would; each token before the last one,
          // never inside it, so changes a reader takes in together still name every token in their patches.
          writerDoc = A.change(writerDoc, (d) => A.splice(d, ['body'], middle, 0, token));
          ok(await writer.applyChanges(documentId, [A.getLastLocalChange(writerDoc)!]));
          await new Promise((resolve) => setTimeout(resolve, GAP_MS));
        }
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const reports = workers.map((w) => fromWorker(w, 'arrivals'));
        for (const worker of workers) worker.postMessage({ t: 'report' } satisfies ToPeers);
        const samples = (await Promise.all(reports)).flatMap((r) =>
          r.arrivals.filter(({ token }) => sentAt.has(token)).map(({ token, at }) => at - sentAt.get(token)!),
        );
        const sorted = samples.sort((a, b) => a - b);
        const followed = (await countFollowers()) - followedBefore;
        return {
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          delivered: sorted.length / (writes * fullReaders),
          followed: followerCount ? followed / (writes * followerCount) : NaN,
        };
      },
    },
    rows: [
      { name: `editor change → each reader's editor, p50 (${fullReaders} whole-app readers)`, hearth: { contender: 'hearth', metric: 'p50', unit: 'ms' } },
      {
        name: `editor change → each reader's editor, p99 (${fullReaders} whole-app readers)`,
        hearth: { contender: 'hearth', metric: 'p99', unit: 'ms' },
        goal: goals.below(100),
      },
      { name: 'edits that reached the readers', hearth: { contender: 'hearth', metric: 'delivered', unit: '%' } },
      ...(followerCount
        ? [
            {
              name: `edits that reached the other ${followerCount} members through the relay`,
              hearth: { contender: 'hearth', metric: 'followed', unit: '%' as const },
            },
          ]
        : []),
    ],
    notes: [
      `Per run: ${writes} edits ${GAP_MS} ms apart by one user, in the middle of ${document.name}. Each reader is a whole app session (API door, vault, sync engine, own relay connection): outbox, sealing, signing, relay commit (SQLite, synchronous=FULL) and fan-out, verification against the membership log, decryption, the reader's vault write, the documentChanged event and the reader page's replica update. ProseMirror rendering is the typing section's.`,
      followerCount
        ? `The other ${followerCount} members are relay connections in a separate process that subscribe to the document as members and count what arrives; the relay verifies, stores and fans out to all ${users - 1} peers.`
        : 'Every reader is a whole app session.',
      ...(document === PAPER
        ? [
            "What costs on the long document: Automerge 3.5 applies a peer's change to a 100k-character document in 50–200 ms (A.applyChanges of one change, and as much through its backend; a local change costs under 1 ms), once in the reader's vault and once in its page, so at ten edits a second the readers fall behind. What would close it: applying peers' changes in the vault lazily, as the editor's own are (DocumentStore.appendChanges), and an Automerge that applies a remote text change without a pass over the document.",
          ]
        : []),
    ],
  };
}

export async function syncPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const writes = options.quick ? 20 : 100;
  const users = options.quick ? [2, 5] : [2, 10, 50];
  return [...users.map((n) => syncPlan(n, writes, NOTE)), syncPlan(users.at(-1)!, writes, PAPER)];
}
