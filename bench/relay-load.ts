/**
 * Relay bench: N simulated clients typing 6 characters a second into shared documents (rooms of
 * 10), against Hearth's relay, a bare `ws` echo relay and automerge-repo's sync server, side by
 * side in one run. Measures edit-to-peer latency (p50/p99), relay CPU per edit, and memory per
 * idle connection with 1,000 connections held.
 *
 *   node --import tsx bench/relay-load.ts [N…]     (default 10 50 200 1000)
 *
 * Each relay runs in its own process (bench/relay-servers.ts); all clients run in this one. On a
 * small machine the clients compete with the relay for CPU, so the client process's own CPU use is
 * reported next to every row: when it nears 100% of a core, latency measures the clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { generateIdentityKeys, type IdentityKeys } from '../common/crypto/identity.ts';
import { loadSodium, randomBytes, randomKey, toBase64Url } from '../common/crypto/sodium.ts';
import { applyMembershipEntry, nextEntry, signMembershipEntry } from '../common/membership/log.ts';
import { parseChange, sealChange } from '../common/protocol/change.ts';
import { RelayClient, type WebSocketLike } from '../common/protocol/client.ts';
import { machine, ms, percentile, renderSection, type BenchSection } from './report.ts';

type Kind = 'hearth' | 'echo' | 'automerge';
const ROOM = 10;
const RATE = 6; // characters per second per client
const WARMUP_S = 2;
const MEASURE_S = 8;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux. */
const TICKS = 100;

interface Server {
  child: ChildProcess;
  port: number;
  cpuSeconds(): number;
  rssBytes(): number;
  stop(): Promise<void>;
}

const liveServers = new Set<ChildProcess>();
// A bench that dies must not leave relays running behind it.
process.on('exit', () => {
  for (const child of liveServers) child.kill('SIGKILL');
});

async function startServer(kind: Kind): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), `hearth-bench-${kind}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/relay-servers.ts', kind, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  liveServers.add(child);
  child.once('exit', () => liveServers.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  const pid = child.pid!;
  return {
    child,
    port,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS;
    },
    rssBytes() {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return Number(match?.[1] ?? 0) * 1024;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client that can type into its room and tells us when it sees someone else's keystroke. */
interface LoadClient {
  type(stamp: string): void;
  close(): void;
}

interface Probe {
  sentAt: Map<string, number>;
  latencies: number[];
  measuring: boolean;
}

function observe(probe: Probe, stamp: string): void {
  const sent = probe.sentAt.get(stamp);
  if (sent !== undefined && probe.measuring) probe.latencies.push(performance.now() - sent);
}

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

async function hearthClients(port: number, n: number, probe: Probe): Promise<LoadClient[]> {
  const url = `ws://127.0.0.1:${port}/`;
  const people = await inBatches(n, 50, async (i) => {
    const keys: IdentityKeys = generateIdentityKeys();
    const client = await RelayClient.connect(url, (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike);
    await client.register(keys, { username: `bench-${i}-${process.pid}`, displayName: `Bench ${i}` });
    return { keys, id: toBase64Url(keys.signPublicKey), client };
  });
  const clients: LoadClient[] = [];
  for (let r = 0; r * ROOM < n; r++) {
    const room = people.slice(r * ROOM, (r + 1) * ROOM);
    const owner = room[0]!;
    const space = `room${r}`;
    let state = await owner.client.createSpace(owner.keys, space, 'workspace');
    for (const member of room.slice(1)) {
      const entry = signMembershipEntry(nextEntry(state, { actor: owner.id, action: 'add', subject: member.id, role: 'editor' }), owner.keys.signSecretKey);
      await owner.client.appendMembership(entry);
      state = applyMembershipEntry(state, entry);
    }
    const key = randomKey();
    const head = state.head!;
    for (const person of room) {
      await person.client.subscribe(space, 'doc', ({ bytes }) => observe(probe, parseChange(bytes).meta.id));
      const plaintext = randomBytes(120); // about one Automerge change for one typed character
      clients.push({
        type(stamp) {
          const change = sealChange({ space, doc: 'doc', kind: 'content', epoch: 0, head, author: person.id, id: stamp, at: Date.now() }, plaintext, key, person.keys.signSecretKey);
          probe.sentAt.set(stamp, performance.now());
          person.client.push(space, 'doc', change).catch(() => undefined);
        },
        close: () => person.client.close(),
      });
    }
  }
  return clients;
}

async function echoClients(port: number, n: number, probe: Probe): Promise<LoadClient[]> {
  return inBatches(n, 100, async (i) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/?room=${Math.floor(i / ROOM)}`, { perMessageDeflate: false });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.on('message', (data: Buffer) => observe(probe, data.subarray(0, 24).toString().trimEnd()));
    const payload = randomBytes(200);
    return {
      type(stamp) {
        probe.sentAt.set(stamp, performance.now());
        socket.send(Buffer.concat([Buffer.from(stamp.padEnd(24)), payload]));
      },
      close: () => socket.close(),
    };
  });
}

async function automergeClients(port: number, n: number, probe: Probe): Promise<LoadClient[]> {
  const { Repo } = await import('@automerge/automerge-repo');
  const { WebSocketClientAdapter } = await import('@automerge/automerge-repo-network-websocket');
  const { splice } = await import('@automerge/automerge');
  type Doc = { text: string; stamps: Record<string, string> };
  const clients: LoadClient[] = [];
  const rooms = Array.from({ length: Math.ceil(n / ROOM) }, (_, r) => {
    const size = Math.min(ROOM, n - r * ROOM);
    const repos = Array.from({ length: size }, () => new Repo({ network: [new WebSocketClientAdapter(`ws://127.0.0.1:${port}`)] }));
    return { repos, first: repos[0]!.create<Doc>({ text: '', stamps: {} }) };
  });
  // The server learns a document from its creator; give that a moment before the others ask.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const find = async (repo: (typeof rooms)[number]['repos'][number], url: (typeof rooms)[number]['first']['url']) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await repo.find<Doc>(url);
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  for (const { repos, first } of rooms) {
    const handles = [first, ...(await Promise.all(repos.slice(1).map((repo) => find(repo, first.url))))];
    handles.forEach((handle, index) => {
      const seen: Record<string, string> = {};
      handle.on('change', ({ doc }) => {
        for (const [who, stamp] of Object.entries(doc.stamps)) {
          if (who === String(index) || seen[who] === stamp) continue;
          seen[who] = stamp;
          observe(probe, stamp);
        }
      });
      clients.push({
        type(stamp) {
          probe.sentAt.set(stamp, performance.now());
          handle.change((d) => {
            splice(d, ['text'], d.text.length, 0, 'a');
            d.stamps[String(index)] = stamp;
          });
        },
        close: () => void repos[index]!.shutdown(),
      });
    });
  }
  return clients;
}

interface LoadResult {
  kind: Kind;
  n: number;
  p50: number;
  p99: number;
  delivered: number;
  expected: number;
  edits: number;
  relayCpuPerEdit: number;
  relayCpuShare: number;
  clientCpuShare: number;
  typingErrors: number;
}

async function runLoad(kind: Kind, n: number): Promise<LoadResult | { kind: Kind; n: number; failed: string }> {
  const server = await startServer(kind);
  const probe: Probe = { sentAt: new Map(), latencies: [], measuring: false };
  try {
    const make = kind === 'hearth' ? hearthClients : kind === 'echo' ? echoClients : automergeClients;
    const clients = await Promise.race([
      make(server.port, n, probe),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('setup took over 120 s')), 120_000)),
    ]);
    let edits = 0;
    let typingErrors = 0;
    let counting = false;
    // Each client types on its own schedule (random phase), 6 times a second.
    const next = clients.map(() => performance.now() + Math.random() * (1000 / RATE));
    const typed = clients.map(() => 0);
    const timer = setInterval(() => {
      const now = performance.now();
      clients.forEach((client, i) => {
        // A bench process that falls behind skips the keystrokes it missed instead of piling
        // them up (which would never let the measurement end); the "typed" count shows the loss.
        if (next[i]! < now - 1000 / RATE) next[i] = now;
        while (next[i]! <= now) {
          next[i]! += 1000 / RATE;
          try {
            client.type(`c${i}-${typed[i]!++}`);
            if (counting) edits++;
          } catch {
            // automerge-repo can refuse a change on a handle it is still updating; count as not made.
            typingErrors++;
          }
        }
      });
    }, 5);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_S * 1000));
    probe.measuring = true;
    counting = true;
    const cpu0 = server.cpuSeconds();
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, MEASURE_S * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = server.cpuSeconds() - cpu0;
    const clientCpu = process.cpuUsage(client0);
    counting = false;
    clearInterval(timer);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let in-flight edits land
    probe.measuring = false;
    for (const client of clients) client.close();
    const sorted = probe.latencies.sort((a, b) => a - b);
    const peers = Math.min(ROOM, n) - 1;
    return {
      kind,
      n,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      delivered: sorted.length,
      expected: edits * peers,
      edits,
      relayCpuPerEdit: cpu / Math.max(1, edits),
      relayCpuShare: cpu / elapsed,
      clientCpuShare: (clientCpu.user + clientCpu.system) / 1e6 / elapsed,
      typingErrors,
    };
  } catch (error) {
    return { kind, n, failed: (error as Error).message };
  } finally {
    await server.stop();
  }
}

/** Holds 1,000 idle connections (Hearth: signed in) and reports the relay's memory per connection. */
async function idleMemory(kind: Kind, count = 1000): Promise<{ kind: Kind; perConnection: number; held: number }> {
  const server = await startServer(kind);
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = server.rssBytes();
    const sockets = await inBatches(count, 100, async (i) => {
      if (kind === 'hearth') {
        const client = await RelayClient.connect(`ws://127.0.0.1:${server.port}/`, (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike);
        await client.register(generateIdentityKeys(), { username: `idle-${i}-${process.pid}`, displayName: 'Idle' });
        return { close: () => client.close(), open: () => !client.closed };
      }
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/?room=${i}`, { perMessageDeflate: false });
      await new Promise((resolve) => socket.once('open', resolve));
      return { close: () => socket.close(), open: () => socket.readyState === WebSocket.OPEN };
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const held = sockets.filter((s) => s.open()).length;
    const perConnection = (server.rssBytes() - before) / count;
    for (const s of sockets) s.close();
    return { kind, perConnection, held };
  } finally {
    await server.stop();
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export async function runRelayBench(sizes = [10, 50, 200, 1000], onProgress?: (partial: BenchSection[]) => void): Promise<BenchSection[]> {
  await loadSodium();
  const startLoad = loadavg();
  const rows: BenchSection['rows'] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    onProgress?.([{ title: 'Relay: N typing clients in shared documents (partial)', peer: '', rows, notes }]);
    const results: Record<string, Awaited<ReturnType<typeof runLoad>>> = {};
    for (const kind of (process.env.BENCH_KINDS?.split(',') ?? ['hearth', 'echo', 'automerge']) as Kind[]) {
      // automerge-repo's clients are full Repos; above a few hundred they saturate the bench
      // process itself, so its larger runs measure our harness, not its server.
      if (kind === 'automerge' && n > Number(process.env.BENCH_AUTOMERGE_MAX ?? 200)) {
        results[kind] = { kind, n, failed: `not run: ${n} automerge-repo clients saturate one bench process` };
        continue;
      }
      console.error(`bench relay: ${kind} with ${n} clients…`);
      results[kind] = await runLoad(kind, n);
    }
    const fmt = (r: (typeof results)[string] | undefined, pick: (r: LoadResult) => string) => (!r ? 'n/a' : 'failed' in r ? `failed (${r.failed})` : pick(r));
    const num = (r: (typeof results)[string] | undefined, pick: (r: LoadResult) => number) => (r && !('failed' in r) ? pick(r) : NaN);
    const h = results.hearth;
    for (const [peer, goal] of [
      ['echo', 'p99 ≤ 1.5x'],
      ['automerge', 'stable where it saturates'],
    ] as const) {
      const p = results[peer];
      rows.push({
        name: `N=${n}: p50 / p99 edit-to-peer (vs ${peer})`,
        hearth: fmt(h, (r) => `${ms(r.p50)} / ${ms(r.p99)}`),
        peer: fmt(p, (r) => `${ms(r.p50)} / ${ms(r.p99)}`),
        ratio: `${(num(h, (r) => r.p99) / num(p, (r) => r.p99)).toFixed(2)}x (p99)`,
        goal,
      });
      rows.push({
        name: `N=${n}: relay CPU per edit; delivered (vs ${peer})`,
        hearth: fmt(h, (r) => `${ms(r.relayCpuPerEdit * 1000)}; ${((100 * r.delivered) / Math.max(1, r.expected)).toFixed(0)}%`),
        peer: fmt(p, (r) => `${ms(r.relayCpuPerEdit * 1000)}; ${((100 * r.delivered) / Math.max(1, r.expected)).toFixed(0)}%`),
        ratio: `${(num(h, (r) => r.relayCpuPerEdit) / num(p, (r) => r.relayCpuPerEdit)).toFixed(2)}x (CPU)`,
        goal: '',
      });
    }
    for (const r of Object.values(results)) {
      if (!('failed' in r)) notes.push(`N=${r.n} ${r.kind}: ${r.edits} edits in ${MEASURE_S} s, relay at ${(100 * r.relayCpuShare).toFixed(0)}% of a core, bench clients at ${(100 * r.clientCpuShare).toFixed(0)}%${r.typingErrors ? `, ${r.typingErrors} edits refused by the client library` : ''}.`);
    }
  }
  const memory = { hearth: await idleMemory('hearth'), echo: await idleMemory('echo'), automerge: await idleMemory('automerge') };
  for (const peer of ['echo', 'automerge'] as const) {
    rows.push({
      name: `memory per idle connection, 1,000 held (vs ${peer})`,
      hearth: `${kib(memory.hearth.perConnection)} (${memory.hearth.held} held, signed in)`,
      peer: `${kib(memory[peer].perConnection)} (${memory[peer].held} held)`,
      ratio: `${(memory.hearth.perConnection / memory[peer].perConnection).toFixed(2)}x`,
      goal: '1,000 held',
    });
  }
  notes.unshift(
    `Rooms of ${ROOM} clients share one document; each client types ${RATE} characters a second (one change each), ${WARMUP_S} s warm-up, ${MEASURE_S} s measured. Hearth seals and signs every change (XChaCha20-Poly1305 + Ed25519); the relay verifies every signature and role and commits each change to SQLite (WAL, synchronous=FULL) before fanning it out. The echo relay only forwards bytes. automerge-repo runs without storage.`,
    `Latency is from the moment a client makes its edit to the moment each peer in the room has it; "delivered" is the share of (edits × peers) seen within the run. automerge-repo merges and batches sync messages, so a peer often sees only the latest of several edits; its "delivered" counts only edits seen individually, and its latency is measured on those.`,
    `Load average when the relay section started: ${startLoad.map((l) => l.toFixed(2)).join(' ')} (on ${cpus().length} cores; other work on the machine inflates every column alike).`,
  );
  return [{ title: 'Relay: N typing clients in shared documents', peer: 'bare ws echo relay; automerge-repo sync server (same load, same machine)', rows, notes }];
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  // automerge-repo's client adapter emits an unhandled 'error' when shut down while reconnecting;
  // that is the peer's client tearing down, not a result, so it must not end the run.
  process.on('uncaughtException', (error) => {
    if (/closed before the connection was established|Websocket not ready|ECONNRESET/.test(error.message)) return;
    throw error;
  });
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  // Partial tables go to a side file as each size finishes, so a long run is never all lost.
  const partial = new URL('./out/relay-partial.md', import.meta.url);
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  const sections = await runRelayBench(sizes.length ? sizes : undefined, (done) => writeFileSync(partial, done.map(renderSection).join('\n')));
  const rendered = sections.map(renderSection).join('\n');
  const results = new URL('./RESULTS.md', import.meta.url);
  const previous = existsSync(results) ? readFileSync(results, 'utf8') : `# Benchmark results\n`;
  // Replace an earlier relay section, keep everything else.
  const start = previous.indexOf('## Relay: ');
  const next = start >= 0 ? previous.indexOf('\n## ', start + 1) : -1;
  const kept = start >= 0 ? previous.slice(0, start) + (next >= 0 ? previous.slice(next + 1) : '') : previous;
  writeFileSync(results, `${kept.trimEnd()}\n\n${rendered}\n_Relay section measured ${new Date().toISOString().slice(0, 16)}Z on ${machine()}._\n`);
  console.log(rendered);
  process.exit(0);
}
