/**
 * Edit-to-peer latency through the whole stack on loopback, the way the app runs it: an editor's
 * change in one user's page replica → the API door → that user's vault and sealed outbox →
 * encrypted, signed blob → relay → each peer verifies, decrypts and persists it in its vault →
 * the peer's page hears `documentChanged` and applies the change to its own replica. p50 and p99
 * over the writes, per peer count. Every user is a Session (own vault folder, own sync engine,
 * own relay connection) in this one process, so the peers also share its CPU.
 *
 *   node --import tsx bench/sync.ts [PEERS...]      (default 2 10 50)
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadSodium } from '../common/crypto/sodium.ts';
import type { Result } from '../common/errors.ts';
import { connectInProcess } from '../main/api/connection.ts';
import { Session } from '../main/app/session.ts';
import type { DocumentContent } from '../main/vault/documents.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { startRelay } from '../sync-server/relay.ts';
import { machine, ms, percentile, type BenchSection } from './report.ts';
import type { FromPeers, PeersInput, ToPeers } from './sync-peers.ts';

const WRITES = 100;
/** A fast typist: ten keystrokes a second (the relay bench types six per client). */
const GAP_MS = 100;

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

/** Reader threads: one per core, as if the readers were on other machines (this one has few cores). */
const THREADS = Math.max(1, cpus().length);

function nextMessage<T extends FromPeers['t']>(worker: Worker, t: T): Promise<Extract<FromPeers, { t: T }>> {
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

async function latencyWith(peerCount: number): Promise<{ p50: number; p99: number; samples: number; threads: number }> {
  await loadSodium();
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-sync-'));
  const relay = await startRelay({ port: 0, dataDir: join(root, 'relay'), log: () => {}, limits: { maxConnections: 10_000 } });
  const writerSession = new Session({ vaultDir: join(root, 'writer'), dataDir: join(root, 'data-writer'), kdfCost: MIN_KDF_COST, sync: { backoff: { initialMs: 50, maxMs: 500 } } });
  const writer = connectInProcess(writerSession);
  const readers = Array.from({ length: peerCount - 1 }, (_, i) => i + 1);
  const threads = Math.min(THREADS, readers.length);
  const workers: Worker[] = [];
  try {
    ok(await writer.createVault({ passphrase: 'bench passphrase', username: `writer-${process.pid}`, displayName: 'Writer' }));
    const workspace = ok(await writer.createTeamWorkspace('Bench', relay.url));
    const id = ok(await writer.createDocument(workspace.id, { title: 'Latency' })).id;
    for (let t = 0; t < threads; t++) {
      const input: PeersInput = { root, relayUrl: relay.url, indices: readers.filter((_, i) => i % threads === t) };
      workers.push(new Worker(PEERS_BOOT, { workerData: input }));
    }
    const registered = await Promise.all(workers.map((w) => nextMessage(w, 'registered')));
    for (const username of registered.flatMap((r) => r.usernames)) ok(await writer.inviteMember(workspace.id, username, 'editor'));
    const following = workers.map((w) => nextMessage(w, 'following'));
    for (const worker of workers) worker.postMessage({ t: 'accept', workspaceId: workspace.id, documentId: id } satisfies ToPeers);
    await Promise.all(following);
    await new Promise((resolve) => setTimeout(resolve, 500));

    // The writer's page keeps a replica and sends each change through the door, as the editor does.
    let writerDoc = A.load<DocumentContent>(ok(await writer.openDocument(id)).bytes);
    const sentAt = new Map<string, number>();
    for (let i = 0; i < WRITES; i++) {
      const token = `<${i}>`;
      sentAt.set(token, performance.timeOrigin + performance.now());
      writerDoc = A.change(writerDoc, (d) => A.splice(d, ['body'], d.body.length, 0, token));
      ok(await writer.applyChanges(id, [A.getLastLocalChange(writerDoc)!]));
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000 + peerCount * 50));
    const reports = workers.map((w) => nextMessage(w, 'arrivals'));
    for (const worker of workers) worker.postMessage({ t: 'finish' } satisfies ToPeers);
    const samples = (await Promise.all(reports)).flatMap((r) => r.arrivals.map(({ token, at }) => at - sentAt.get(token)!));
    const sorted = samples.sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length, threads };
  } finally {
    for (const worker of workers) await worker.terminate();
    writer.close();
    await writerSession.close();
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function runSyncBench(peerCounts = [2, 10, 50]): Promise<BenchSection[]> {
  const rows = [];
  for (const n of peerCounts) {
    const result = await latencyWith(n);
    const expected = WRITES * (n - 1);
    rows.push({
      name: `editor change → each peer's editor, ${n} users on ${result.threads + 1} threads (${result.samples} of ${expected} deliveries)`,
      hearth: `p50 ${ms(result.p50)} · p99 ${ms(result.p99)}`,
      peer: '—',
      ratio: '—',
      goal: 'p99 < 100 ms',
    });
  }
  return [
    {
      title: 'Sync: edit-to-peer latency on loopback',
      peer: 'none (absolute numbers against the goal)',
      rows,
      notes: [
        `${WRITES} edits ${GAP_MS} ms apart by one user; every other user follows live. Each user is a whole app session (API door, vault, sync engine, own relay connection): outbox, sealing, signing, relay commit (SQLite, synchronous=FULL) and fan-out, verification against the membership log, decryption, the peer's vault write, the documentChanged event and the peer page's replica update. ProseMirror rendering in the page is not included (see the app section).`,
        `The relay and the writer run on the main thread; the readers are spread over one worker thread per core (${THREADS} here), standing in for their own machines. On this small machine all readers of a thread still take their turns, so the 50-user row measures the machine as much as Hearth: each reader spends a few ms of CPU per change.`,
      ],
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const counts = process.argv.slice(2).map(Number).filter((n) => n >= 2);
  const sections = await runSyncBench(counts.length ? counts : undefined);
  console.log(`Measured on ${machine()}`);
  for (const section of sections) for (const row of section.rows) console.log(`${row.name}: ${row.hearth} (goal ${row.goal})`);
  process.exit(0);
}
