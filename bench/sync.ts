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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HearthApi } from '../common/api/contract.ts';
import { loadSodium } from '../common/crypto/sodium.ts';
import type { Result } from '../common/errors.ts';
import { connectInProcess } from '../main/api/connection.ts';
import { Session } from '../main/app/session.ts';
import type { DocumentContent } from '../main/vault/documents.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { startRelay } from '../sync-server/relay.ts';
import { machine, ms, percentile, type BenchSection } from './report.ts';

const WRITES = 100;
const GAP_MS = 20;

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

async function latencyWith(peerCount: number): Promise<{ p50: number; p99: number; samples: number }> {
  await loadSodium();
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-sync-'));
  const relay = await startRelay({ port: 0, dataDir: join(root, 'relay'), log: () => {}, limits: { maxConnections: 10_000 } });
  const users: Array<{ session: Session; api: HearthApi & { close(): void }; username: string }> = [];
  try {
    for (let i = 0; i < peerCount; i++) {
      const session = new Session({ vaultDir: join(root, `peer${i}`), dataDir: join(root, `data${i}`), kdfCost: MIN_KDF_COST, sync: { backoff: { initialMs: 50, maxMs: 500 } } });
      const api = connectInProcess(session);
      const username = `peer${i}-${process.pid}`;
      ok(await api.createVault({ passphrase: 'bench passphrase', username, displayName: `Peer ${i}` }));
      users.push({ session, api, username });
    }
    const [writer, ...readers] = users as [(typeof users)[0], ...typeof users];
    const workspace = ok(await writer.api.createTeamWorkspace('Bench', relay.url));
    const id = ok(await writer.api.createDocument(workspace.id, { title: 'Latency' })).id;
    for (const reader of readers) ok(await reader.api.registerAccount(relay.url));
    for (const reader of readers) ok(await writer.api.inviteMember(workspace.id, reader.username, 'editor'));
    for (const reader of readers) ok(await reader.api.acceptInvitation(workspace.id));

    // Each page keeps a replica of the document, as the editor does.
    let writerDoc = A.load<DocumentContent>(ok(await writer.api.openDocument(id)).bytes);
    const replicas = await Promise.all(readers.map(async (reader) => A.load<DocumentContent>(ok(await reader.api.openDocument(id)).bytes)));
    const sentAt = new Map<string, number>();
    const samples: number[] = [];
    const seen = readers.map(() => new Set<string>());
    readers.forEach((reader, r) => {
      reader.api.on('documentChanged', ({ documentId, changes }) => {
        if (documentId !== id || changes.length === 0) return;
        [replicas[r]!] = A.applyChanges(replicas[r]!, changes);
        const now = performance.now();
        const body = replicas[r]!.body;
        for (const [token, at] of sentAt) {
          if (!seen[r]!.has(token) && body.includes(token)) {
            seen[r]!.add(token);
            samples.push(now - at);
          }
        }
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < WRITES; i++) {
      const token = `<${i}>`;
      sentAt.set(token, performance.now());
      writerDoc = A.change(writerDoc, (d) => A.splice(d, ['body'], d.body.length, 0, token));
      ok(await writer.api.applyChanges(id, [A.getLastLocalChange(writerDoc)!]));
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
    const deadline = Date.now() + 60_000;
    while (samples.length < WRITES * readers.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const sorted = samples.sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length };
  } finally {
    for (const user of users) {
      user.api.close();
      await user.session.close();
    }
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
      name: `editor change → each peer's editor, ${n} users (${result.samples} of ${expected} deliveries)`,
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
        `${WRITES} edits ${GAP_MS} ms apart by one user; every other user follows live. Each user is a whole app session (API door, vault, sync engine, own relay connection), all in one process on this machine with the relay: outbox, sealing, signing, relay commit (SQLite, synchronous=FULL) and fan-out, verification against the membership log, decryption, the peer's vault write, the documentChanged event and the peer page's replica update. ProseMirror rendering in the page is not included (see the app section).`,
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
