/**
 * The relay bench's processes and clients: each relay (Hearth, its peers) in its own process
 * (relay-servers.ts), and typing clients for each kind of relay, all reporting to one Probe: when
 * each edit was made, and how long each peer took to have it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { randomBytes } from '../common/crypto/sodium.ts';
import { connectRooms, setUpRooms, type Probe, type Room, type TypingClient } from '../test/support/load-client.ts';

export type Kind = 'hearth' | 'hearth-pg' | 'echo' | 'durable-echo' | 'automerge';
export const ROOM = 10;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux. */
const TICKS = 100;

export interface Server {
  kind: Kind;
  port: number;
  url: string;
  dir: string;
  /** CPU seconds the process used so far, all its threads together. */
  cpuSeconds(): number;
  rssBytes(): number;
  /** Bytes the process (all its threads) caused to be written to the storage device so far (/proc/<pid>/io write_bytes). */
  diskBytes(): number;
  /** Collects garbage in the server's main thread and reports its memory. */
  gc(): Promise<{ rss: number; heapUsed: number }>;
  /** SIGKILL; the data folder stays (a restart uses it). */
  kill(): Promise<void>;
  /** SIGKILL and the data folder removed. */
  stop(): Promise<void>;
}

const liveServers = new Set<ChildProcess>();
// A bench that dies must not leave relays running behind it.
process.on('exit', () => {
  for (const child of liveServers) child.kill('SIGKILL');
});

export async function startServer(kind: Kind, options: { dir?: string; port?: number; postgresUrl?: string } = {}): Promise<Server> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `hearth-bench-${kind}-`));
  const args = ['--expose-gc', '--import', 'tsx', 'bench/relay-servers.ts', kind, dir, String(options.port ?? 0), options.postgresUrl ?? ''];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  liveServers.add(child);
  child.once('exit', () => liveServers.delete(child));
  const lines = createInterface({ input: child.stdout! });
  const answers: Array<(line: string) => void> = [];
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  lines.on('line', (line) => answers.shift()?.(line));
  const pid = child.pid!;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  return {
    kind,
    port,
    url: `ws://127.0.0.1:${port}/`,
    dir,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS;
    },
    diskBytes() {
      const match = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
      return Number(match?.[1] ?? 0);
    },
    rssBytes() {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return Number(match?.[1] ?? 0) * 1024;
    },
    gc() {
      return new Promise((resolve) => {
        answers.push((line) => resolve(JSON.parse(line) as { rss: number; heapUsed: number }));
        child.stdin!.write('gc\n');
      });
    },
    kill,
    async stop() {
      await kill();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client that types into its room; its peers' keystrokes reach the probe. */
export interface Typist {
  type(): void;
  close(): void;
}

export function observe(probe: Probe, stamp: string): void {
  const sent = probe.sentAt.get(stamp);
  if (sent !== undefined && probe.measuring) probe.latencies.push(performance.now() - sent);
}

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

/**
 * Hearth's typing clients (test/support/load-client.ts): registered, in rooms, following the
 * room's document, each with `prepared` changes sealed and signed before the clock starts.
 */
export async function hearthTypists(urls: string[], n: number, probe: Probe, prepared: number): Promise<{ rooms: Room[]; clients: TypingClient[] }> {
  const rooms = await setUpRooms(urls[0]!, n, ROOM, 'bench');
  const clients = await connectRooms(rooms, probe, urls, { backoffMs: 250 });
  for (const client of clients) client.prepare(prepared);
  return { rooms, clients };
}

/** The echo relays' clients: each message is a 24-byte stamp and 200 bytes (a sealed change's size). */
export async function echoTypists(port: number, n: number, probe: Probe): Promise<Typist[]> {
  return inBatches(n, 100, async (i) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/?room=${Math.floor(i / ROOM)}`, { perMessageDeflate: false });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.on('message', (data: Buffer) => observe(probe, data.subarray(0, 24).toString().trimEnd()));
    const payload = randomBytes(200);
    let typed = 0;
    return {
      type() {
        const stamp = `c${i}-${typed++}`;
        probe.sentAt.set(stamp, performance.now());
        socket.send(Buffer.concat([Buffer.from(stamp.padEnd(24)), payload]));
      },
      close: () => socket.close(),
    };
  });
}

/**
 * automerge-repo's clients: full Repos, one per client, each room sharing one document. Sync
 * messages merge edits, so a peer often first sees a later edit of a writer than the one it
 * missed; an edit counts as delivered (with its latency) as soon as its peer has it or any later
 * edit of the same writer, since Automerge delivers a writer's history in order.
 */
export async function automergeTypists(port: number, n: number, probe: Probe): Promise<{ typists: Typist[]; refused(): number }> {
  const { Repo } = await import('@automerge/automerge-repo');
  const { WebSocketClientAdapter } = await import('@automerge/automerge-repo-network-websocket');
  const { splice } = await import('@automerge/automerge');
  type Doc = { text: string; stamps: Record<string, number> };
  const typists: Typist[] = [];
  let refused = 0;
  const rooms = Array.from({ length: Math.ceil(n / ROOM) }, (_, r) => {
    const size = Math.min(ROOM, n - r * ROOM);
    const repos = Array.from({ length: size }, () => new Repo({ network: [new WebSocketClientAdapter(`ws://127.0.0.1:${port}`)] }));
    return { base: r * ROOM, repos, first: repos[0]!.create<Doc>({ text: '', stamps: {} }) };
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
  for (const { base, repos, first } of rooms) {
    const handles = [first, ...(await Promise.all(repos.slice(1).map((repo) => find(repo, first.url))))];
    handles.forEach((handle, index) => {
      const writer = base + index;
      const seen: Record<string, number> = {};
      handle.on('change', ({ doc }) => {
        for (const [who, last] of Object.entries(doc.stamps)) {
          if (who === String(writer)) continue;
          for (let k = (seen[who] ?? -1) + 1; k <= last; k++) observe(probe, `c${who}-${k}`);
          seen[who] = Math.max(seen[who] ?? -1, last);
        }
      });
      let typed = 0;
      typists.push({
        type() {
          const k = typed;
          try {
            handle.change((d) => {
              splice(d, ['text'], d.text.length, 0, 'a');
              d.stamps[String(writer)] = k;
            });
            probe.sentAt.set(`c${writer}-${k}`, performance.now());
            typed++;
          } catch {
            // automerge-repo can refuse a change on a handle it is still updating; not made.
            refused++;
          }
        },
        close: () => void repos[index]!.shutdown(),
      });
    });
  }
  return { typists, refused: () => refused };
}
