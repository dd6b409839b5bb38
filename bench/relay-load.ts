/**
 * Relay bench (issue 14): typing clients in rooms of 10 sharing one document, 6 characters a
 * second each, against Hearth's relay and its peers, each relay in its own process
 * (relay-servers.ts) and all clients in this one. Scenarios (all by default):
 *
 *   peers       N = 10, 50, 200, 1000 (--sizes): Hearth on SQLite vs a durable echo (fsyncs what
 *               it forwards; goal p99 ≤ 1.5x at N ≤ 200), a bare ws echo (the physical limit) and
 *               automerge-repo's sync server; relay CPU per edit, share of edits delivered.
 *   saturation  automerge-repo from 10 clients up, doubling, until its p99 passes 1 s or it
 *               delivers under 95%; then Hearth with ten times that many (goal p99 < 250 ms, 100%).
 *   cluster     --cluster-size (1,000) clients split across two Hearth instances on one
 *               PostgreSQL (fsync on); then the same with one instance killed (kill -9) mid-run:
 *               every acknowledged edit must reach every peer after reconnection.
 *   reconnect   --reconnect-size (1,000) clients following a relay that is killed and restarted:
 *               how long until all are back (jittered backoff), and that they all converge.
 *   memory      --idle (1,000) idle connections held (Hearth: signed in, following a document):
 *               the relay's memory per connection after GC, against the echo peers and automerge.
 *
 *   node --import tsx bench/relay-load.ts [--scenario peers,saturation,…] [--sizes 10,50] [--repeat 5]
 *
 * HEARTH_VERIFY_THREADS=N sets the relay's verification threads (0: on its main thread), to
 * compare; BENCH_AUTOMERGE_MAX (200) caps the automerge-repo clients of the peers scenario.
 *
 * Hearth's clients are test/support/load-client.ts: the real protocol, sealed and signed changes
 * (prepared before the clock starts), a lean receive path, so the clients cost little. On a small
 * machine they still compete with the relay for CPU: the client process's CPU is reported next to
 * every row; when it nears 100% of a core, latency measures the clients.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSodium } from '../common/crypto/sodium.ts';
import { connectRooms, missingEdits, newProbe, setUpRooms, startTyping, type Probe, type TypingClient } from '../test/support/load-client.ts';
import { startPostgres } from '../test/unit/sync-server/postgres-server.ts';
import { automergeTypists, echoTypists, hearthTypists, ROOM, startServer, type Kind, type Server, type Typist } from './relay-peers.ts';
import { commit } from './harness.ts';
import { machine, median, ms, percentile, renderSection, type BenchSection } from './report.ts';

const RATE = 6;
const WARMUP_S = 2;
const MEASURE_S = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

interface LoadResult {
  kind: Kind;
  n: number;
  p50: number;
  p99: number;
  /** Share of (edits × peers) delivered live, within 5 s of the end of typing. */
  delivered: number;
  edits: number;
  relayCpuPerEdit: number;
  /** Bytes the relay wrote to disk per edit (its log or database, WAL and checkpoints included; PostgreSQL's own writes are not counted). */
  diskPerEdit: number;
  relayCpuShare: number;
  clientCpuShare: number;
  refused: number;
  /** Over several runs: the lowest and highest p99. */
  p99Range?: [number, number];
}
type Outcome = LoadResult | { kind: Kind; n: number; failed: string };

/**
 * Types for WARMUP_S + MEASURE_S seconds and measures the window. `servers` run the relay
 * (their CPU is summed), `clients` type; `kill` (cluster) is called in the middle of the window.
 */
async function measure(
  kind: Kind,
  n: number,
  servers: Server[],
  typists: ReadonlyArray<{ type(): void }>,
  probe: Probe,
  kill?: () => Promise<void>,
): Promise<LoadResult> {
  const typing = startTyping(typists, RATE);
  await sleep(WARMUP_S * 1000);
  probe.sentAt.clear();
  probe.latencies = [];
  probe.measuring = true;
  const typed0 = typing.typed();
  const cpu0 = servers.map((s) => s.cpuSeconds());
  const disk0 = servers.map((s) => s.diskBytes());
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  // A killed process's CPU goes with it: it is counted up to the kill.
  let killedCpu: number | undefined;
  if (kill) {
    await sleep((MEASURE_S * 1000) / 2);
    killedCpu = servers[0]!.cpuSeconds() - cpu0[0]!;
    await kill();
    await sleep((MEASURE_S * 1000) / 2);
  } else await sleep(MEASURE_S * 1000);
  typing.stop();
  const elapsed = (performance.now() - t0) / 1000;
  const edits = typing.typed() - typed0;
  const cpu = servers.reduce((sum, server, i) => sum + (i === 0 && killedCpu !== undefined ? killedCpu : server.cpuSeconds() - cpu0[i]!), 0);
  const disk = killedCpu === undefined ? servers.reduce((sum, server, i) => sum + server.diskBytes() - disk0[i]!, 0) : NaN;
  const clientCpu = process.cpuUsage(client0);
  const expected = edits * (Math.min(ROOM, n) - 1);
  await until(() => probe.latencies.length >= expected, 5000);
  probe.measuring = false;
  const sorted = probe.latencies.sort((a, b) => a - b);
  return {
    kind,
    n,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    delivered: sorted.length / Math.max(1, expected),
    edits,
    relayCpuPerEdit: cpu / Math.max(1, edits),
    diskPerEdit: disk / Math.max(1, edits),
    relayCpuShare: cpu / elapsed,
    clientCpuShare: (clientCpu.user + clientCpu.system) / 1e6 / elapsed,
    refused: 0,
  };
}

async function runLoad(kind: Kind, n: number): Promise<Outcome> {
  const server = await startServer(kind);
  const probe = newProbe();
  const closers: Array<{ close(): void }> = [];
  try {
    const setup = (async () => {
      if (kind === 'hearth') return (await hearthTypists([server.url], n, probe, RATE * (WARMUP_S + MEASURE_S + 2))).clients;
      if (kind === 'automerge') return (await automergeTypists(server.port, n, probe)).typists;
      return echoTypists(server.port, n, probe);
    })();
    const typists: Typist[] = await Promise.race([setup, sleep(300_000).then(() => Promise.reject(new Error('setup took over 300 s')))]);
    closers.push(...typists);
    return await measure(kind, n, [server], typists, probe);
  } catch (error) {
    return { kind, n, failed: (error as Error).message };
  } finally {
    for (const closer of closers) closer.close();
    await server.stop();
  }
}

/** Runs `repeat` times and keeps the median of each measure (the worst delivery). */
async function runMedian(kind: Kind, n: number, repeat: number): Promise<Outcome> {
  const runs: LoadResult[] = [];
  for (let i = 0; i < repeat; i++) {
    console.error(`bench relay: ${kind} with ${n} clients${repeat > 1 ? ` (run ${i + 1} of ${repeat})` : ''}…`);
    const outcome = await runLoad(kind, n);
    if ('failed' in outcome) return outcome;
    runs.push(outcome);
  }
  const mid = (pick: (r: LoadResult) => number) => median(runs.map(pick));
  return {
    kind,
    n,
    p50: mid((r) => r.p50),
    p99: mid((r) => r.p99),
    delivered: Math.min(...runs.map((r) => r.delivered)),
    edits: mid((r) => r.edits),
    relayCpuPerEdit: mid((r) => r.relayCpuPerEdit),
    diskPerEdit: mid((r) => r.diskPerEdit),
    relayCpuShare: mid((r) => r.relayCpuShare),
    clientCpuShare: mid((r) => r.clientCpuShare),
    refused: mid((r) => r.refused),
    p99Range: [Math.min(...runs.map((r) => r.p99)), Math.max(...runs.map((r) => r.p99))],
  };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const pct = (share: number) => `${(100 * share).toFixed(share >= 0.995 && share < 1 ? 1 : 0)}%`;
const show = (r: Outcome | undefined, pick: (r: LoadResult) => string) => (!r ? 'n/a' : 'failed' in r ? `failed (${r.failed})` : pick(r));
const value = (r: Outcome | undefined, pick: (r: LoadResult) => number) => (r && !('failed' in r) ? pick(r) : NaN);
const note = (r: Outcome) =>
  'failed' in r
    ? `N=${r.n} ${r.kind}: failed (${r.failed}).`
    : `N=${r.n} ${r.kind}: ${r.edits} edits in ${MEASURE_S} s, relay at ${(100 * r.relayCpuShare).toFixed(0)}% of a core, bench clients at ${(100 * r.clientCpuShare).toFixed(0)}%.`;

async function peersScenario(sizes: number[], repeat: number, automergeMax: number): Promise<BenchSection> {
  const rows: BenchSection['rows'] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    const results: Partial<Record<Kind, Outcome>> = {};
    for (const kind of ['hearth', 'durable-echo', 'echo', 'automerge'] as const) {
      // automerge-repo's clients are full Repos; above a few hundred they saturate the bench process.
      results[kind] =
        kind === 'automerge' && n > automergeMax
          ? { kind, n, failed: `not run above ${automergeMax} clients (BENCH_AUTOMERGE_MAX)` }
          : await runMedian(kind, n, repeat);
    }
    const h = results.hearth;
    for (const [peer, goal] of [
      ['durable-echo', n <= 200 ? 'p99 ≤ 1.5x' : ''],
      ['echo', 'the physical limit'],
      ['automerge', ''],
    ] as const) {
      const p = results[peer];
      rows.push({
        name: `N=${n}: p50 / p99 edit-to-peer (vs ${peer})`,
        hearth: show(h, (r) => `${ms(r.p50)} / ${ms(r.p99)}`),
        peer: show(p, (r) => `${ms(r.p50)} / ${ms(r.p99)}`),
        ratio: `${(value(h, (r) => r.p99) / value(p, (r) => r.p99)).toFixed(2)}x (p99)`,
        goal,
      });
      rows.push({
        name: `N=${n}: relay CPU per edit; delivered (vs ${peer})`,
        hearth: show(h, (r) => `${ms(r.relayCpuPerEdit * 1000)}; ${pct(r.delivered)}`),
        peer: show(p, (r) => `${ms(r.relayCpuPerEdit * 1000)}; ${pct(r.delivered)}`),
        ratio: `${(value(h, (r) => r.relayCpuPerEdit) / value(p, (r) => r.relayCpuPerEdit)).toFixed(2)}x (CPU)`,
        goal: '',
      });
      if (peer !== 'durable-echo') continue;
      rows.push({
        name: `N=${n}: written to disk per edit (vs ${peer})`,
        hearth: show(h, (r) => kib(r.diskPerEdit)),
        peer: show(p, (r) => kib(r.diskPerEdit)),
        ratio: `${(value(h, (r) => r.diskPerEdit) / value(p, (r) => r.diskPerEdit)).toFixed(1)}x`,
        goal: '',
      });
    }
    notes.push(...Object.values(results).map(note));
  }
  return {
    title: 'Relay: N typing clients in shared documents',
    peer: 'durable ws echo (fdatasync before forwarding, group commit); bare ws echo; automerge-repo sync server',
    rows,
    notes: [
      `Rooms of ${ROOM} clients share one document; each client types ${RATE} characters a second (one change each), ${WARMUP_S} s warm-up, ${MEASURE_S} s measured${repeat > 1 ? `, median of ${repeat} runs` : ''}. Hearth seals and signs every change (XChaCha20-Poly1305 + Ed25519); the relay verifies every signature (verification threads) and role, and commits each change to SQLite (WAL, synchronous=FULL, storage thread, group commit) before fanning it out. The durable echo appends and fdatasyncs each message before forwarding it; the bare echo only forwards bytes; automerge-repo runs without storage.`,
      "Written to disk: what the relay process caused to be written to the storage device per edit (/proc/<pid>/io write_bytes): the durable echo its log, Hearth its SQLite WAL pages (4 KiB each: the change row, its indexes, the document's sequence and the space's quota) and the checkpoints that copy them into the database file.",
      'Latency: from the moment a client makes its edit to the moment each peer in the room has it; delivered: the share of (edits × peers) seen live within 5 s of the end of typing. automerge-repo merges sync messages: an edit counts as delivered when its peer has it or a later edit of the same writer.',
      ...notes,
    ],
  };
}

/** A p99 with the range of its runs when there were several: "72 ms (65–80)". */
const p99WithRange = (r: LoadResult) =>
  r.p99Range && r.p99Range[0] !== r.p99Range[1] ? `${ms(r.p99)} (${ms(r.p99Range[0])}–${ms(r.p99Range[1])})` : ms(r.p99);

async function saturationScenario(repeat: number): Promise<BenchSection> {
  const rows: BenchSection['rows'] = [];
  const notes: string[] = [];
  let saturated: number | undefined;
  let last = 0;
  for (const n of [10, 20, 40, 80, 160, 320]) {
    const r = await runMedian('automerge', n, repeat);
    last = n;
    rows.push({
      name: `automerge-repo, N=${n}: p99; delivered`,
      hearth: '',
      peer: show(r, (x) => `${p99WithRange(x)}; ${pct(x.delivered)}`),
      ratio: '',
      goal: 'p99 ≤ 1 s and ≥ 95%',
    });
    notes.push(note(r));
    if ('failed' in r || r.p99 > 1000 || r.delivered < 0.95) {
      saturated = n;
      break;
    }
  }
  const point = saturated ?? last;
  const n = 10 * point;
  const h = await runMedian('hearth', n, repeat);
  notes.push(note(h));
  rows.push({
    name: `Hearth at 10x automerge-repo's saturation point (N=${n}): p99; delivered`,
    hearth: show(h, (x) => `${p99WithRange(x)}; ${pct(x.delivered)}`),
    peer: saturated ? `saturated at N=${saturated}` : `not saturated up to N=${last}`,
    ratio: '',
    goal: 'p99 < 250 ms, 100%',
  });
  return {
    title: "Relay: automerge-repo's saturation point, and Hearth at ten times it",
    peer: 'automerge-repo sync server (its p99 passes 1 s, or it delivers under 95%)',
    rows,
    notes: [
      "automerge-repo's clients are full Repos in the bench process; their CPU share is in the notes, and when it nears 100% the saturation is the clients' as much as the server's.",
      ...(repeat > 1 ? [`Each point is the median of ${repeat} runs (the range of their p99 in parentheses); delivered is the worst run's.`] : []),
      ...notes,
    ],
  };
}

/** CPU seconds of a PostgreSQL server: its postmaster and every backend it forked. */
function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(entry) === postmaster || Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** What the database did so far: committed transactions, and WAL syncs to disk (pg_stat_wal). */
async function postgresCounters(url: string): Promise<{ commits: number; walSyncs: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const [db] = (await client.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows as Array<{ xact_commit: string }>;
    const [wal] = (await client.query('SELECT wal_sync FROM pg_stat_wal')).rows as Array<{ wal_sync: string }>;
    return { commits: Number(db!.xact_commit), walSyncs: Number(wal!.wal_sync) };
  } finally {
    await client.end();
  }
}

async function clusterScenario(n: number): Promise<BenchSection> {
  const rows: BenchSection['rows'] = [];
  const notes: string[] = [];
  const pg = await startPostgres({ durable: true, maxConnections: 300 });
  try {
    for (const killOne of [false, true]) {
      const url = await pg.createDatabase(killOne ? 'bench_kill' : 'bench');
      const servers = [await startServer('hearth-pg', { postgresUrl: url }), await startServer('hearth-pg', { postgresUrl: url })];
      const probe = newProbe();
      let clients: TypingClient[] = [];
      try {
        console.error(`bench relay: ${n} clients on two instances${killOne ? ', one killed mid-run' : ''}…`);
        const setup = await hearthTypists(
          servers.map((s) => s.url),
          n,
          probe,
          RATE * (WARMUP_S + MEASURE_S + 2),
        );
        clients = setup.clients;
        let killedAt = 0;
        const pgCpu0 = postgresCpuSeconds(pg.dataDir);
        const counters0 = await postgresCounters(url);
        const killFirst = async () => {
          killedAt = performance.now();
          await servers[0]!.kill();
        };
        const result = await measure('hearth-pg', n, servers, clients, probe, killOne ? killFirst : undefined);
        // Over the whole run (warm-up and the edits' settling included), per edit typed in it.
        const pgCpu = postgresCpuSeconds(pg.dataDir) - pgCpu0;
        const counters = await postgresCounters(url);
        const typedInRun = clients.reduce((sum, c) => sum + c.acked.size, 0);
        const settled = await until(
          () => clients.every((c) => c.connected && c.unacknowledged === 0) && missingEdits(setup.rooms, clients, true).length === 0,
          60_000,
        );
        const missing = missingEdits(setup.rooms, clients, true).length;
        const acked = clients.reduce((sum, c) => sum + c.acked.size, 0);
        const label = killOne ? `N=${n}, one of two instances killed mid-run` : `N=${n} across two instances`;
        rows.push({
          name: `${label}: p50 / p99 edit-to-peer`,
          hearth: `${ms(result.p50)} / ${ms(result.p99)}`,
          peer: '',
          ratio: '',
          goal: killOne ? '' : 'p99 reported',
        });
        rows.push({
          name: `${label}: delivered live; relay CPU per edit (both instances)`,
          hearth: `${pct(result.delivered)}; ${ms(result.relayCpuPerEdit * 1000)}`,
          peer: '',
          ratio: '',
          goal: killOne ? '' : '100%',
        });
        rows.push({
          name: `${label}: acknowledged edits every peer has${killOne ? ' after reconnecting' : ''}`,
          hearth: `${acked - missing} of ${acked}${settled ? '' : ' (not settled in 60 s)'}`,
          peer: '',
          ratio: '',
          goal: '100%',
        });
        rows.push({
          name: `${label}: PostgreSQL per edit: CPU; commits; WAL syncs`,
          hearth: `${ms((1000 * pgCpu) / Math.max(1, typedInRun))}; ${((counters.commits - counters0.commits) / Math.max(1, typedInRun)).toFixed(2)}; ${((counters.walSyncs - counters0.walSyncs) / Math.max(1, typedInRun)).toFixed(2)}`,
          peer: '',
          ratio: '',
          goal: '',
        });
        if (killOne) {
          const moved = clients.filter((c) => c.reconnects > 0);
          const back = Math.max(...moved.map((c) => (c.lastReconnectAt ?? killedAt) - killedAt));
          rows.push({ name: `${label}: clients moved; all back after`, hearth: `${moved.length}; ${ms(back)}`, peer: '', ratio: '', goal: '' });
        }
        notes.push(note(result));
      } finally {
        for (const client of clients) client.close();
        for (const server of servers) await server.stop();
      }
    }
  } finally {
    await pg.stop();
  }
  return {
    title: 'Relay: two instances on one PostgreSQL',
    peer: 'none (Hearth alone; PostgreSQL with fsync and synchronous commit on, on the same machine)',
    rows,
    notes: [
      'Clients alternate between the two instances (a round-robin load balancer), so every room spans both. A client whose instance is killed reconnects to the other with jittered backoff, signs in, pulls what it missed and pushes again what was not acknowledged; the survivors never pull: what they get is live or read back by their instance.',
      ...notes,
    ],
  };
}

async function reconnectScenario(n: number): Promise<BenchSection> {
  const first = await startServer('hearth');
  const probe = newProbe();
  let clients: TypingClient[] = [];
  let second: Server | undefined;
  try {
    console.error(`bench relay: ${n} clients reconnecting after a restart…`);
    const setup = await hearthTypists([first.url], n, probe, 0);
    clients = setup.clients;
    await first.kill();
    const restarted = performance.now();
    second = await startServer('hearth', { dir: first.dir, port: first.port });
    const up = performance.now() - restarted;
    const allBack = await until(() => clients.every((c) => c.connected && c.reconnects > 0), 120_000);
    const back = clients.map((c) => (c.lastReconnectAt ?? Infinity) - restarted).sort((a, b) => a - b);
    for (const client of clients) client.type();
    const converged = await until(() => missingEdits(setup.rooms, clients, false).length === 0, 60_000);
    return {
      title: `Relay: a restart with ${n} clients reconnecting at once`,
      peer: 'none (Hearth alone, SQLite)',
      rows: [
        { name: 'relay listening again after', hearth: ms(up), peer: '', ratio: '', goal: '' },
        {
          name: 'clients back (p50 / p99 / last)',
          hearth: `${ms(percentile(back, 50))} / ${ms(percentile(back, 99))} / ${ms(back.at(-1)!)}`,
          peer: '',
          ratio: '',
          goal: allBack ? 'all served' : 'NOT all back in 120 s',
        },
        { name: 'one edit each, then every peer has every edit', hearth: converged ? 'yes' : 'no', peer: '', ratio: '', goal: 'yes' },
      ],
      notes: [
        "The relay is killed (SIGKILL) and started again on the same folder and port. Clients retry after 125–250 ms, doubling to at most 4 s, each delay times a random 0.5–1 (the app's sync engine backs off the same way).",
      ],
    };
  } finally {
    for (const client of clients) client.close();
    await second?.kill();
    await first.stop();
  }
}

async function memoryScenario(count: number): Promise<BenchSection> {
  const perConnection: Partial<Record<Kind, { bytes: number; heap: number; held: number }>> = {};
  for (const kind of ['hearth', 'durable-echo', 'echo', 'automerge'] as const) {
    console.error(`bench relay: ${count} idle connections on ${kind}…`);
    const server = await startServer(kind);
    const probe = newProbe();
    let closers: Array<{ close(): void }> = [];
    try {
      // Hearth's accounts and rooms are made first (they are stored data, not connections).
      const rooms = kind === 'hearth' ? await setUpRooms(server.url, count, ROOM, 'idle') : [];
      await sleep(500);
      const before = await server.gc();
      if (kind === 'hearth') closers = await connectRooms(rooms, probe, [server.url]);
      else closers = await echoTypists(server.port, count, probe);
      await sleep(1500);
      const after = await server.gc();
      const held = kind === 'hearth' ? (closers as TypingClient[]).filter((c) => c.connected).length : count;
      perConnection[kind] = { bytes: (after.rss - before.rss) / count, heap: (after.heapUsed - before.heapUsed) / count, held };
    } finally {
      for (const closer of closers) closer.close();
      await server.stop();
    }
  }
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const h = perConnection.hearth!;
  return {
    title: `Relay: memory per idle connection, ${count} held`,
    peer: 'durable ws echo; bare ws echo; automerge-repo sync server',
    rows: (['durable-echo', 'echo', 'automerge'] as const).map((peer) => ({
      name: `RSS per connection after GC (heap) vs ${peer}`,
      hearth: `${kib(h.bytes)} (${kib(h.heap)}), ${h.held} held`,
      peer: `${kib(perConnection[peer]!.bytes)} (${kib(perConnection[peer]!.heap)})`,
      ratio: `${(h.bytes / perConnection[peer]!.bytes).toFixed(2)}x`,
      goal: `${count} held`,
    })),
    notes: [
      "Hearth connections are signed in and follow one document each; the peers' are open sockets in a room. Memory is the relay process's resident size after two full collections of its main thread, before and after the connections open, divided by their number.",
    ],
  };
}

/** The machine's load when this process started: a section's stamp names the load its runs began in, not their own. */
const LOAD_AT_START = loadavg();
/** The commit measured, read when the run starts (files edited during a long run do not change what it measured). */
const COMMIT_AT_START = commit();

/**
 * Replaces the sections measured in bench/RESULTS.md (by title) and keeps the others;
 * `npm run bench` names its own file in HEARTH_BENCH_RESULTS (a --quick run's goes elsewhere).
 */
function writeResults(sections: BenchSection[]): void {
  const file = process.env.HEARTH_BENCH_RESULTS ? pathToFileURL(process.env.HEARTH_BENCH_RESULTS) : new URL('./RESULTS.md', import.meta.url);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const [head, ...parts] = text.split(/^(?=## )/m);
  const kept = new Map(parts.map((part) => [part.split('\n', 1)[0]!, part.trimEnd() + '\n']));
  const stamp = `_Relay section measured ${new Date().toISOString().slice(0, 16)}Z on ${machine()}, commit ${COMMIT_AT_START}; load average at start ${LOAD_AT_START.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores._\n`;
  for (const section of sections) kept.set(`## ${section.title}`, `${renderSection(section)}\n${stamp}`);
  writeFileSync(file, `${head!.trimEnd()}\n\n${[...kept.values()].join('\n')}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  // automerge-repo's client adapter emits an unhandled 'error' when shut down while reconnecting;
  // that is the peer's client tearing down, not a result, so it must not end the run.
  process.on('uncaughtException', (error) => {
    if (/closed before the connection was established|Websocket not ready|ECONNRESET/.test(error.message)) return;
    throw error;
  });
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'peers,saturation,cluster,reconnect,memory' },
      sizes: { type: 'string', default: '10,50,200,1000' },
      repeat: { type: 'string', default: '1' },
      'cluster-size': { type: 'string', default: '1000' },
      'reconnect-size': { type: 'string', default: '1000' },
      idle: { type: 'string', default: '1000' },
    },
  });
  await loadSodium();
  const chosen = values.scenario.split(',');
  const sections: BenchSection[] = [];
  const partial = new URL('./out/relay-partial.md', import.meta.url);
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  const done = (section: BenchSection) => {
    sections.push(section);
    // Each scenario's table goes to a side file as it finishes, so a long run is never all lost.
    writeFileSync(partial, sections.map(renderSection).join('\n'));
    console.log(renderSection(section));
  };
  if (chosen.includes('peers'))
    done(await peersScenario(values.sizes.split(',').map(Number), Number(values.repeat), Number(process.env.BENCH_AUTOMERGE_MAX ?? 200)));
  if (chosen.includes('saturation')) done(await saturationScenario(Number(values.repeat)));
  if (chosen.includes('cluster')) done(await clusterScenario(Number(values['cluster-size'])));
  if (chosen.includes('reconnect')) done(await reconnectScenario(Number(values['reconnect-size'])));
  if (chosen.includes('memory')) done(await memoryScenario(Number(values.idle)));
  writeResults(sections);
  process.exit(0);
}
