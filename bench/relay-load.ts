/**
 * Relay bench: N clients typing 6 characters a second into shared documents (rooms of 10),
 * against Hearth's relay, a bare `ws` echo relay and automerge-repo's sync server, interleaved
 * run by run. Each relay runs in its own process (bench/relay-servers.ts) and the clients in
 * another (bench/relay-clients.ts), so the relay's core is its own on a 2-core machine. Measures
 * edit-to-peer latency, relay CPU per edit, the share of deliveries that arrived, where each relay
 * saturates among the sizes tried, and memory per idle connection after a full garbage collection.
 *
 *   npm run bench -- --only relay          (sizes: HEARTH_BENCH_RELAY_SIZES=10,50,… to change them)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, type BenchOptions, type Goal, type RowPlan, type SectionPlan, type Trial } from './harness.ts';
import type { FromClients, Kind, ToClients } from './relay-clients.ts';
import { ROOM } from './relay-clients.ts';

const RATE = 6; // characters per second per client
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux. */
const TICKS = 100;
/** A relay is saturated at a size where fewer than this share of deliveries arrive, or p99 passes a second. */
const DELIVERED_FLOOR = 0.99;
const SATURATED_P99_MS = 1000;

const live = new Set<ChildProcess>();
// A bench that dies must not leave relays or load generators running behind it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function forkTs(script: string, args: string[], execArgv: string[] = []): ChildProcess {
  const child = fork(new URL(script, import.meta.url).pathname, args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function nextMessage<T extends { op: string }>(child: ChildProcess, op: T['op'], timeoutMs = 180_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${op} from the bench process within ${timeoutMs / 1000} s`)), timeoutMs);
    const onMessage = (message: { op: string; message?: string }) => {
      if (message.op === 'failed') finish(new Error(message.message));
      else if (message.op === op) finish(undefined, message as T);
    };
    const onExit = (code: number | null) => finish(new Error(`a bench process exited with ${code} before ${op}`));
    function finish(error?: Error, value?: T) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

interface Relay {
  port: number;
  cpuSeconds(): number;
  memory(): Promise<{ heapUsed: number; rss: number }>;
  stop(): Promise<void>;
}

async function startRelay(kind: Kind): Promise<Relay> {
  const dir = mkdtempSync(join(tmpdir(), `hearth-bench-${kind}-`));
  const child = forkTs('./relay-servers.ts', [kind, dir], ['--expose-gc']);
  const { port } = await nextMessage<{ op: 'listening'; port: number }>(child, 'listening');
  const pid = child.pid!;
  return {
    port,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS;
    },
    async memory() {
      const answer = nextMessage<{ op: 'memory'; heapUsed: number; rss: number }>(child, 'memory');
      child.send({ op: 'memory' });
      return answer;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function withClients<T>(run: (clients: ChildProcess) => Promise<T>): Promise<T> {
  const clients = forkTs('./relay-clients.ts', []);
  try {
    return await run(clients);
  } finally {
    const exited = new Promise((resolve) => clients.once('exit', resolve));
    clients.kill('SIGKILL');
    await exited;
  }
}

/** One typing run of `n` clients against a fresh relay of `kind`. */
async function typingRun(kind: Kind, n: number, window: { warmupS: number; measureS: number }): Promise<Trial> {
  const relay = await startRelay(kind);
  try {
    return await withClients(async (clients) => {
      const ready = nextMessage(clients, 'ready');
      clients.send({ op: 'type', kind, port: relay.port, clients: n, rate: RATE, ...window } satisfies ToClients);
      await ready;
      const done = nextMessage<Extract<FromClients, { op: 'typed' }>>(clients, 'typed', (window.warmupS + window.measureS) * 1000 + 120_000);
      // The relay's CPU over the measured window (the generator opens it after its warm-up).
      await new Promise((resolve) => setTimeout(resolve, window.warmupS * 1000));
      const cpu0 = relay.cpuSeconds();
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, window.measureS * 1000));
      const relayCpu = relay.cpuSeconds() - cpu0;
      const elapsed = (performance.now() - t0) / 1000;
      const typed = await done;
      const delivered = typed.latencies.length / Math.max(1, typed.expected);
      const p99 = percentile(typed.latencies, 99);
      return {
        p50: percentile(typed.latencies, 50),
        p99,
        delivered,
        edits: typed.edits,
        relayCpuPerEdit: (relayCpu * 1000) / Math.max(1, typed.edits),
        relayCpuShare: relayCpu / elapsed,
        clientCpuShare: typed.cpuSeconds / typed.elapsedS,
        saturated: delivered < DELIVERED_FLOOR || !(p99 <= SATURATED_P99_MS) ? 1 : 0,
      };
    });
  } finally {
    await relay.stop();
  }
}

/** Heap and RSS per connection with `count` idle connections held (Hearth's signed in), after GC. */
async function memoryRun(kind: Kind, count: number): Promise<Trial> {
  const relay = await startRelay(kind);
  try {
    return await withClients(async (clients) => {
      const before = await relay.memory();
      const held = nextMessage<Extract<FromClients, { op: 'held' }>>(clients, 'held');
      clients.send({ op: 'hold', kind, port: relay.port, count } satisfies ToClients);
      const { held: open } = await held;
      const after = await relay.memory();
      clients.send({ op: 'release' } satisfies ToClients);
      return { heap: (after.heapUsed - before.heapUsed) / count, rss: (after.rss - before.rss) / count, held: open };
    });
  } finally {
    await relay.stop();
  }
}

export async function relayPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const sizes = (process.env.HEARTH_BENCH_RELAY_SIZES ?? (options.quick ? '10,50' : '10,50,100,200,500,1000,2000')).split(',').map(Number);
  const window = options.quick ? { warmupS: 1, measureS: 3 } : { warmupS: 2, measureS: 8 };
  const held = options.quick ? 200 : 1000;
  const kinds: Kind[] = ['hearth', 'echo', 'automerge'];
  /** Past the size where a relay saturated, larger sizes are not run for it (they only take longer to fail). */
  const saturatedAt = new Map<Kind, number>();
  const contenders: SectionPlan['contenders'] = {};
  for (const n of sizes) {
    for (const kind of kinds) {
      contenders[`${kind}@${n}`] = async () => {
        const smallest = saturatedAt.get(kind);
        if (smallest !== undefined && n > smallest) return { skipped: 1 };
        const trial = await typingRun(kind, n, window);
        if (trial['saturated'] && (smallest === undefined || n < smallest)) saturatedAt.set(kind, n);
        return trial;
      };
    }
  }
  for (const kind of kinds) contenders[`memory-${kind}`] = () => memoryRun(kind, held);

  const p99Goal: Goal = { text: 'p99 ≤ 1.5x', met: (_, r) => r !== undefined && r <= 1.5 };
  const rows: RowPlan[] = [];
  for (const n of sizes) {
    for (const peer of ['echo', 'automerge'] as const) {
      rows.push({
        name: `N=${n}: p50 edit-to-peer (vs ${peer})`,
        hearth: { contender: `hearth@${n}`, metric: 'p50', unit: 'ms' },
        peer: { contender: `${peer}@${n}`, metric: 'p50', unit: 'ms' },
      });
      rows.push({
        name: `N=${n}: p99 edit-to-peer (vs ${peer})`,
        hearth: { contender: `hearth@${n}`, metric: 'p99', unit: 'ms' },
        peer: { contender: `${peer}@${n}`, metric: 'p99', unit: 'ms' },
        ...(peer === 'echo' ? { goal: p99Goal } : {}),
      });
      rows.push({
        name: `N=${n}: relay CPU per edit (vs ${peer})`,
        hearth: { contender: `hearth@${n}`, metric: 'relayCpuPerEdit', unit: 'ms' },
        peer: { contender: `${peer}@${n}`, metric: 'relayCpuPerEdit', unit: 'ms' },
      });
      rows.push({
        name: `N=${n}: deliveries that arrived (vs ${peer})`,
        hearth: { contender: `hearth@${n}`, metric: 'delivered', unit: '%' },
        peer: { contender: `${peer}@${n}`, metric: 'delivered', unit: '%' },
      });
    }
  }
  for (const peer of ['echo', 'automerge'] as const) {
    rows.push({
      name: `heap per idle connection after GC, ${held.toLocaleString('en')} held (vs ${peer})`,
      hearth: { contender: 'memory-hearth', metric: 'heap', unit: 'KiB' },
      peer: { contender: `memory-${peer}`, metric: 'heap', unit: 'KiB' },
    });
    rows.push({
      name: `RSS per idle connection after GC, ${held.toLocaleString('en')} held (vs ${peer})`,
      hearth: { contender: 'memory-hearth', metric: 'rss', unit: 'KiB' },
      peer: { contender: `memory-${peer}`, metric: 'rss', unit: 'KiB' },
    });
  }

  const capacity = (trials: Record<string, Trial[]>, kind: Kind): string => {
    // The smallest size whose median run saturated; a size every run skipped counts as saturated.
    for (const n of sizes) {
      const runs = trials[`${kind}@${n}`] ?? [];
      const measured = runs.filter((t) => !t['skipped']);
      if (measured.length === 0 || median(measured.map((t) => t['saturated'] ?? 0)) >= 0.5) return `${n}`;
    }
    return `> ${sizes.at(-1)}`;
  };
  return [
    {
      title: 'Relay: N typing clients in shared documents',
      peer: 'bare ws echo relay (the floor: forwards bytes); automerge-repo sync server (same load, same machine)',
      contenders,
      rows,
      notes: (trials) => {
        const hearthCap = capacity(trials, 'hearth');
        const automergeCap = capacity(trials, 'automerge');
        const notes = [
          `Rooms of ${ROOM} clients share one document; each client types ${RATE} characters a second (one change each), ${window.warmupS} s warm-up, ${window.measureS} s measured. Hearth's relay verifies every signature and role and commits each change to SQLite (WAL, synchronous=FULL) before fanning it out; the echo relay only forwards bytes (300 per edit, about a sealed change's size); automerge-repo runs without storage.`,
          `The clients run in their own process, the relay in another. Hearth's and the echo clients stamp each delivery when their socket hands it over and decode it after the window; Hearth's changes are sealed and signed before the window. automerge-repo's clients must merge a sync message to see an edit, and often see only the latest of several: its "arrived" counts edits seen individually.`,
          `Saturation (the smallest size tried where fewer than ${DELIVERED_FLOOR * 100}% of deliveries arrived or p99 passed ${SATURATED_P99_MS / 1000} s, in the median run): Hearth ${hearthCap}, automerge-repo ${automergeCap}, echo ${capacity(trials, 'echo')}. Goal: Hearth holds 10x the users where automerge-repo saturates${/^\d+$/.test(hearthCap) && /^\d+$/.test(automergeCap) ? ` — ${(Number(hearthCap) / Number(automergeCap)).toFixed(1)}x here` : ''}.`,
        ];
        for (const n of sizes) {
          for (const kind of kinds) {
            const measured = (trials[`${kind}@${n}`] ?? []).filter((t) => !t['skipped']);
            if (measured.length === 0) {
              notes.push(`N=${n} ${kind}: not run (saturated at a smaller size).`);
              continue;
            }
            const m = (metric: string) => median(measured.map((t) => t[metric] ?? NaN));
            notes.push(
              `N=${n} ${kind}: ${m('edits').toFixed(0)} edits per run, relay at ${(100 * m('relayCpuShare')).toFixed(0)}% of a core, load generator at ${(100 * m('clientCpuShare')).toFixed(0)}% (medians).`,
            );
          }
        }
        return notes;
      },
    },
  ];
}
