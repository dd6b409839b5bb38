/**
 * Edit-to-peer latency through the whole sync stack on loopback: a local change persisted in
 * the writer's vault → sealed outbox → encrypted, signed blob → relay → each peer verifies,
 * decrypts and persists it in its vault. p50 and p99 over the writes, per peer count.
 *
 *   node --import tsx bench/sync.ts [PEERS...]      (default 2 10)
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSodium } from '../common/crypto/sodium.ts';
import { SyncEngine } from '../main/sync/engine.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { Vault } from '../main/vault/vault.ts';
import { startRelay } from '../sync-server/relay.ts';
import { machine, ms, percentile, type BenchSection } from './report.ts';

const WRITES = 100;
const GAP_MS = 20;

async function latencyWith(peerCount: number): Promise<{ p50: number; p99: number; samples: number }> {
  await loadSodium();
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-sync-'));
  const relay = await startRelay({ port: 0, dataDir: join(root, 'relay'), log: () => {} });
  const peers: Array<{ vault: Vault; engine: SyncEngine }> = [];
  try {
    for (let i = 0; i < peerCount; i++) {
      const vault = await Vault.create(join(root, `peer${i}`), { passphrase: 'bench passphrase', profile: { username: `peer${i}-${process.pid}`, displayName: `Peer ${i}` }, kdfCost: MIN_KDF_COST });
      const engine = new SyncEngine(vault, { backoff: { initialMs: 50, maxMs: 500 } });
      await engine.register(relay.url);
      peers.push({ vault, engine });
    }
    const [writer, ...readers] = peers as [(typeof peers)[0], ...typeof peers];
    const workspace = await writer.engine.createTeamWorkspace('Bench', relay.url);
    const id = writer.vault.documents.create(workspace.id, { title: 'Latency' }).id;
    for (const reader of readers) await writer.engine.invite(workspace.id, reader.vault.profile.username, 'editor');
    for (const reader of readers) await reader.engine.acceptInvitation(workspace.id);
    for (const peer of peers) peer.engine.start();
    await new Promise((resolve) => setTimeout(resolve, 500));

    const sentAt = new Map<string, number>();
    const samples: number[] = [];
    const seen = readers.map(() => new Set<string>());
    readers.forEach((reader, r) => {
      reader.vault.documents.subscribe((documentId) => {
        if (documentId !== id) return;
        const now = performance.now();
        const doc = reader.vault.documents.get(documentId);
        for (const [token, at] of sentAt) {
          if (!seen[r]!.has(token) && doc.body.includes(token)) {
            seen[r]!.add(token);
            samples.push(now - at);
          }
        }
      });
    });
    for (let i = 0; i < WRITES; i++) {
      const token = `<${i}>`;
      sentAt.set(token, performance.now());
      writer.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.length, 0, token));
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
    const deadline = Date.now() + 30_000;
    while (samples.length < WRITES * readers.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const sorted = samples.sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length };
  } finally {
    for (const peer of peers) {
      await peer.engine.close();
      peer.vault.lock();
    }
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function runSyncBench(peerCounts = [2, 10]): Promise<BenchSection[]> {
  const rows = [];
  for (const n of peerCounts) {
    const result = await latencyWith(n);
    rows.push({ name: `edit → peer's vault, ${n} peers (${result.samples} deliveries)`, hearth: `p50 ${ms(result.p50)} · p99 ${ms(result.p99)}`, peer: '—', ratio: '—', goal: 'p99 < 100 ms' });
  }
  return [
    {
      title: 'Sync: edit-to-peer latency on loopback',
      peer: 'none (absolute numbers against the goal)',
      rows,
      notes: [`${WRITES} writes ${GAP_MS} ms apart by one member; every other member follows live. Includes outbox, sealing, signing, relay, verification against the membership log, decryption and the peer's vault write.`],
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const counts = process.argv.slice(2).map(Number).filter((n) => n >= 2);
  const sections = await runSyncBench(counts.length ? counts : undefined);
  console.log(`Measured on ${machine()}`);
  for (const section of sections) for (const row of section.rows) console.log(`${row.name}: ${row.hearth} (goal ${row.goal})`);
}
