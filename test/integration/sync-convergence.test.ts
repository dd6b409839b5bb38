// Three clients, one document, real relay over real sockets. Two of them replay the two people of
// a real concurrent editing trace (friendsforever) as editor changes, each with exactly the causal
// context its author had, while the third edits the title; sync runs in rounds meanwhile. All
// three end identical. By default the first HEARTH_TRACE_TXNS (4,000) transactions run, compared
// with the same transactions merged without any sync; HEARTH_TRACE_TXNS=all replays all 26,078
// and compares with the trace's own final text (Automerge alone needs ~70 s for that on a busy
// 2-core machine, so it is not part of every `npm test`).
import * as A from '@automerge/automerge';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closePeer, makePeer, type Peer } from './sync-fixture.ts';

interface ConcurrentTrace {
  endContent: string;
  numAgents: number;
  txns: Array<{ parents: number[]; agent: number; patches: Array<[number, number, string]> }>;
}

const TRACE = '/work/shared/data/editing-traces/friendsforever-concurrent.json.gz';
const LIMIT = process.env.HEARTH_TRACE_TXNS === 'all' ? Number.POSITIVE_INFINITY : Number(process.env.HEARTH_TRACE_TXNS ?? 4000);

let relay: TestRelay;
let peers: Peer[];
beforeAll(async () => {
  relay = await startTestRelay();
  peers = [await makePeer(relay.url, 'ann'), await makePeer(relay.url, 'bob'), await makePeer(relay.url, 'cat')];
});
afterAll(async () => {
  for (const peer of peers ?? []) await closePeer(peer);
  await relay?.stop();
});

/**
 * Turns the trace into Automerge changes, one per transaction, made on top of `base`: each agent
 * has its own replica, and before a transaction it merges exactly the other agent's transactions
 * that the transaction's parents name, so positions mean what they meant to its author.
 */
function traceChanges(
  trace: ConcurrentTrace,
  base: Uint8Array,
): { byAgent: Uint8Array[][]; deps: Map<string, string[]>; hashes: string[][]; expected: string } {
  const replicas = Array.from({ length: trace.numAgents }, () => A.load<DocumentContent>(base));
  const byAgent: Uint8Array[][] = replicas.map(() => []);
  const position = new Map<number, { agent: number; index: number }>();
  const merged = replicas.map(() => new Array<number>(trace.numAgents).fill(0));
  trace.txns.forEach((txn, i) => {
    const a = txn.agent;
    for (const parent of txn.parents) {
      const from = position.get(parent)!;
      if (from.agent === a || merged[a]![from.agent]! > from.index) continue;
      [replicas[a]!] = A.applyChanges(replicas[a]!, byAgent[from.agent]!.slice(merged[a]![from.agent]!, from.index + 1));
      merged[a]![from.agent] = from.index + 1;
    }
    replicas[a] = A.change(replicas[a]!, (d) => {
      for (const [pos, del, ins] of txn.patches) A.splice(d, ['body'], pos, del, ins);
    });
    position.set(i, { agent: a, index: byAgent[a]!.length });
    byAgent[a]!.push(A.getLastLocalChange(replicas[a]!)!);
  });
  const deps = new Map<string, string[]>();
  const hashes = byAgent.map((changes) =>
    changes.map((change) => {
      const decoded = A.decodeChange(change);
      deps.set(decoded.hash!, decoded.deps);
      return decoded.hash!;
    }),
  );
  const [all] = A.applyChanges(replicas[0]!, byAgent[1]!);
  return { byAgent, deps, hashes, expected: all.body };
}

describe('three clients on one document', () => {
  it('replay the concurrent trace and a third editor, and end identical', { timeout: Number.isFinite(LIMIT) ? 240_000 : 1_800_000 }, async () => {
    const full = JSON.parse(gunzipSync(readFileSync(TRACE)).toString('utf8')) as ConcurrentTrace;
    const trace = { ...full, txns: full.txns.slice(0, Math.min(LIMIT, full.txns.length)) };
    const [ann, bob, cat] = peers as [Peer, Peer, Peer];
    const workspace = await ann.engine.createTeamWorkspace('Trace', relay.url);
    for (const peer of [bob, cat]) await ann.engine.invite(workspace.id, peer.vault.profile.username, 'editor');
    for (const peer of [bob, cat]) await peer.engine.acceptInvitation(workspace.id);
    const id = ann.vault.documents.create(workspace.id, { title: 'Friends' }).id;
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    await cat.engine.syncOnce();

    const { byAgent, deps, hashes, expected } = traceChanges(trace, ann.vault.documents.save(id));
    if (trace.txns.length === full.txns.length) expect(expected).toBe(full.endContent);
    const writers = [ann, bob];
    const next = [0, 0];
    const started = performance.now();
    let rounds = 0;
    while (next.some((n, a) => n < byAgent[a]!.length)) {
      rounds++;
      writers.forEach((peer, a) => {
        // An editor only ever produces changes on top of what its replica has.
        const doc = peer.vault.documents.get(id);
        const batch: Uint8Array[] = [];
        const inBatch = new Set<string>();
        const have = (hash: string) => inBatch.has(hash) || A.getMissingDeps(doc, [hash]).length === 0;
        while (next[a]! + batch.length < byAgent[a]!.length && batch.length < 400) {
          const hash = hashes[a]![next[a]! + batch.length]!;
          if (!deps.get(hash)!.every(have)) break;
          batch.push(byAgent[a]![next[a]! + batch.length]!);
          inBatch.add(hash);
        }
        if (batch.length > 0) peer.vault.documents.applyChanges(id, batch);
        next[a]! += batch.length;
      });
      cat.vault.documents.change(id, (d) => A.splice(d, ['title'], d.title.length, 0, String(rounds % 10)));
      for (const peer of peers) await peer.engine.syncOnce();
    }
    for (let i = 0; i < 2; i++) for (const peer of peers) await peer.engine.syncOnce();
    const seconds = (performance.now() - started) / 1000;

    expect(bodyOf(ann, id)).toBe(expected);
    expect(bodyOf(bob, id)).toBe(expected);
    expect(bodyOf(cat, id)).toBe(expected);
    const titles = peers.map((p) => p.vault.documents.get(id).title);
    expect(new Set(titles).size).toBe(1);
    expect(titles[0]).toMatch(/^Friends\d+$/);
    expect(A.getHeads(ann.vault.documents.get(id)).sort()).toEqual(A.getHeads(cat.vault.documents.get(id)).sort());
    for (const peer of peers) expect(peer.engine.status(workspace.id)[0]).toMatchObject({ pending: 0, quarantined: 0 });
    console.log(`trace: ${trace.txns.length} transactions in ${rounds} rounds through the relay in ${seconds.toFixed(1)} s`);
  });
});
