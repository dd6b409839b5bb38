/**
 * The relay bench's load generator, in its own process (forked by bench/relay-load.ts) so that
 * the relay's process has a core to itself: simulated clients typing 6 characters a second into
 * shared documents (rooms of 10), or idle connections held for the memory figure.
 *
 * Every client stamps a delivery the moment its socket hands over the bytes, and nothing is
 * decoded in that path: Hearth's clients keep the frames and decode them after the measured
 * window (the RelayClient's own handling of them waits until then too), the echo clients the same.
 * Hearth's changes are sealed and signed before the window opens, as each real client does on
 * its own machine. automerge-repo's clients are whole Repos that must merge what arrives to know
 * it arrived: they stamp when the document changes, which is the peer's cost as designed.
 */
import WebSocket from 'ws';
import { generateIdentityKeys, type IdentityKeys } from '../common/crypto/identity.ts';
import { loadSodium, randomBytes, randomKey, toBase64Url } from '../common/crypto/sodium.ts';
import { applyMembershipEntry, nextEntry, signMembershipEntry } from '../common/membership/log.ts';
import { parseChange, sealChange } from '../common/protocol/change.ts';
import { RelayClient, type WebSocketLike } from '../common/protocol/client.ts';
import { decodeRawFrame } from '../common/protocol/frame.ts';
import { useNativeCrypto } from '../main/native-crypto.ts';

export type Kind = 'hearth' | 'echo' | 'automerge';
export const ROOM = 10;

export type ToClients =
  | { op: 'type'; kind: Kind; port: number; clients: number; rate: number; warmupS: number; measureS: number }
  | { op: 'hold'; kind: Kind; port: number; count: number }
  | { op: 'release' }
  | { op: 'register'; url: string; count: number }
  | { op: 'follow'; space: string; doc: string }
  | { op: 'count' };
export type FromClients =
  | { op: 'ready' }
  | { op: 'typed'; latencies: number[]; edits: number; expected: number; cpuSeconds: number; elapsedS: number; typingErrors: number }
  | { op: 'held'; held: number }
  | { op: 'registered'; usernames: string[] }
  | { op: 'following' }
  | { op: 'counted'; received: number }
  | { op: 'failed'; message: string };

/** A client that can type into its room; what it receives is recorded by `received`. */
interface LoadClient {
  type(): void;
  close(): void;
}

interface Ledger {
  /** Send time of each edit, by its stamp. */
  sentAt: Map<string, number>;
  /** Raw deliveries: when they arrived and how to tell which edit they carry (decoded later). */
  arrivals: Array<{ at: number; stamp: () => string | undefined }>;
  measuring: boolean;
}

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

/**
 * A `ws` socket for RelayClient whose deliveries are stamped on arrival; while `gate.closed`,
 * the RelayClient's own handling waits in a queue that `gate.open()` replays in order.
 */
function stampedSocket(url: string, ledger: Ledger, gate: { closed: boolean; queue: Array<() => void> }): WebSocketLike {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.on('message', (data: Buffer | ArrayBuffer) => {
    if (!ledger.measuring) return;
    const at = performance.now();
    ledger.arrivals.push({
      at,
      stamp: () => {
        const frame = decodeRawFrame(data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        return frame.header['t'] === 'change' && frame.parts[0] ? parseChange(frame.parts[0]).meta.id : undefined;
      },
    });
  });
  return {
    get binaryType() {
      return socket.binaryType;
    },
    set binaryType(value: string) {
      socket.binaryType = value as 'arraybuffer';
    },
    get readyState() {
      return socket.readyState;
    },
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    addEventListener(type: string, listener: (event: never) => void) {
      if (type !== 'message') return socket.addEventListener(type as 'open', listener as never);
      socket.addEventListener('message', (event) => {
        if (gate.closed) gate.queue.push(() => listener(event as never));
        else listener(event as never);
      });
    },
  } as WebSocketLike;
}

async function hearthClients(
  port: number,
  n: number,
  ledger: Ledger,
  editsPerClient: number,
  gate: { closed: boolean; queue: Array<() => void> },
): Promise<LoadClient[]> {
  const url = `ws://127.0.0.1:${port}/`;
  const people = await inBatches(n, 50, async (i) => {
    const keys: IdentityKeys = generateIdentityKeys();
    const client = await RelayClient.connect(url, (u) => stampedSocket(u, ledger, gate));
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
    for (const [index, person] of room.entries()) {
      await person.client.subscribe(space, 'doc', () => undefined);
      const plaintext = randomBytes(120); // about one Automerge change for one typed character
      const who = r * ROOM + index;
      // Sealed and signed ahead of the run: each real client does that on its own machine.
      const changes = Array.from({ length: editsPerClient }, (_, k) => {
        const stamp = `c${who}-${k}`;
        return {
          stamp,
          bytes: sealChange(
            { space, doc: 'doc', kind: 'content', epoch: 0, head, author: person.id, id: stamp, at: Date.now() },
            plaintext,
            key,
            person.keys.signSecretKey,
          ),
        };
      });
      let next = 0;
      clients.push({
        type() {
          const change = changes[next++];
          if (!change) return;
          ledger.sentAt.set(change.stamp, performance.now());
          person.client.push(space, 'doc', change.bytes).catch(() => undefined);
        },
        close: () => person.client.close(),
      });
    }
  }
  return clients;
}

async function echoClients(port: number, n: number, ledger: Ledger): Promise<LoadClient[]> {
  return inBatches(n, 100, async (i) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/?room=${Math.floor(i / ROOM)}`, { perMessageDeflate: false });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.on('message', (data: Buffer) => {
      if (ledger.measuring) ledger.arrivals.push({ at: performance.now(), stamp: () => data.subarray(0, 24).toString().trimEnd() });
    });
    // The same bytes on the wire as one of Hearth's sealed changes for one typed character.
    const payload = randomBytes(300);
    let typed = 0;
    return {
      type() {
        const stamp = `c${i}-${typed++}`;
        ledger.sentAt.set(stamp, performance.now());
        socket.send(Buffer.concat([Buffer.from(stamp.padEnd(24)), payload]));
      },
      close: () => socket.close(),
    };
  });
}

async function automergeClients(port: number, n: number, ledger: Ledger): Promise<LoadClient[]> {
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
  for (const [r, { repos, first }] of rooms.entries()) {
    const handles = [first, ...(await Promise.all(repos.slice(1).map((repo) => find(repo, first.url))))];
    handles.forEach((handle, index) => {
      const seen: Record<string, string> = {};
      handle.on('change', ({ doc }) => {
        if (!ledger.measuring) return;
        const at = performance.now();
        for (const [who, stamp] of Object.entries(doc.stamps)) {
          if (who === String(index) || seen[who] === stamp) continue;
          seen[who] = stamp;
          ledger.arrivals.push({ at, stamp: () => stamp });
        }
      });
      const who = r * ROOM + index;
      let typed = 0;
      clients.push({
        type() {
          const stamp = `c${who}-${typed++}`;
          ledger.sentAt.set(stamp, performance.now());
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

async function typeInRooms(message: Extract<ToClients, { op: 'type' }>, reply: (m: FromClients) => void): Promise<void> {
  const ledger: Ledger = { sentAt: new Map(), arrivals: [], measuring: false };
  const gate = { closed: false, queue: [] as Array<() => void> };
  const editsPerClient = Math.ceil(message.rate * (message.warmupS + message.measureS + 2));
  const clients =
    message.kind === 'hearth'
      ? await hearthClients(message.port, message.clients, ledger, editsPerClient, gate)
      : message.kind === 'echo'
        ? await echoClients(message.port, message.clients, ledger)
        : await automergeClients(message.port, message.clients, ledger);
  reply({ op: 'ready' });
  let edits = 0;
  let typingErrors = 0;
  let counting = false;
  const interval = 1000 / message.rate;
  // Each client types on its own schedule (random phase).
  const next = clients.map(() => performance.now() + Math.random() * interval);
  const timer = setInterval(() => {
    const now = performance.now();
    clients.forEach((client, i) => {
      // A generator that falls behind skips the keystrokes it missed instead of piling them up;
      // the count of edits made shows the loss.
      if (next[i]! < now - interval) next[i] = now;
      while (next[i]! <= now) {
        next[i]! += interval;
        try {
          client.type();
          if (counting) edits++;
        } catch {
          // automerge-repo can refuse a change on a handle it is still updating; count as not made.
          typingErrors++;
        }
      }
    });
  }, 5);
  await new Promise((resolve) => setTimeout(resolve, message.warmupS * 1000));
  // From here to the end of the window, deliveries are only stamped; decoding waits.
  gate.closed = true;
  ledger.measuring = true;
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const windowStart = t0;
  await new Promise((resolve) => setTimeout(resolve, message.measureS * 1000));
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  counting = false;
  clearInterval(timer);
  // Edits still in flight land within a second; later arrivals count as not delivered.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  ledger.measuring = false;
  gate.closed = false;
  for (const replay of gate.queue.splice(0)) replay();
  const latencies: number[] = [];
  for (const arrival of ledger.arrivals) {
    const stamp = arrival.stamp();
    const sent = stamp === undefined ? undefined : ledger.sentAt.get(stamp);
    if (sent !== undefined && sent >= windowStart) latencies.push(arrival.at - sent);
  }
  for (const client of clients) client.close();
  const peers = Math.min(ROOM, message.clients) - 1;
  reply({
    op: 'typed',
    latencies: latencies.sort((a, b) => a - b),
    edits,
    expected: edits * peers,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    elapsedS,
    typingErrors,
  });
}

let held: Array<{ close(): void; open(): boolean }> = [];

async function hold(message: Extract<ToClients, { op: 'hold' }>, reply: (m: FromClients) => void): Promise<void> {
  held = await inBatches(message.count, 100, async (i) => {
    if (message.kind === 'hearth') {
      const client = await RelayClient.connect(
        `ws://127.0.0.1:${message.port}/`,
        (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike,
      );
      await client.register(generateIdentityKeys(), { username: `idle-${i}-${process.pid}`, displayName: 'Idle' });
      return { close: () => client.close(), open: () => !client.closed };
    }
    if (message.kind === 'automerge') {
      const { Repo } = await import('@automerge/automerge-repo');
      const { WebSocketClientAdapter } = await import('@automerge/automerge-repo-network-websocket');
      const repo = new Repo({ network: [new WebSocketClientAdapter(`ws://127.0.0.1:${message.port}`)] });
      await repo.networkSubsystem.whenReady();
      return { close: () => void repo.shutdown(), open: () => true };
    }
    const socket = new WebSocket(`ws://127.0.0.1:${message.port}/?room=${i}`, { perMessageDeflate: false });
    await new Promise((resolve) => socket.once('open', resolve));
    return { close: () => socket.close(), open: () => socket.readyState === WebSocket.OPEN };
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  reply({ op: 'held', held: held.filter((c) => c.open()).length });
}

/**
 * Members of a team workspace that follow one document through the relay and count what reaches
 * them: they load the relay's fan-out as real members do, without a whole app session each on
 * this small machine (bench/sync.ts measures the editor-to-editor latency on full sessions).
 */
const followers: RelayClient[] = [];
let followed = 0;

async function registerFollowers(message: Extract<ToClients, { op: 'register' }>, reply: (m: FromClients) => void): Promise<void> {
  const usernames = await inBatches(message.count, 25, async (i) => {
    const username = `follower-${i}-${process.pid}`;
    const client = await RelayClient.connect(message.url, (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike);
    await client.register(generateIdentityKeys(), { username, displayName: `Follower ${i}` });
    followers.push(client);
    return username;
  });
  reply({ op: 'registered', usernames });
}

async function follow(message: Extract<ToClients, { op: 'follow' }>, reply: (m: FromClients) => void): Promise<void> {
  await Promise.all(followers.map((client) => client.subscribe(message.space, message.doc, () => void followed++)));
  reply({ op: 'following' });
}

if (process.send) {
  useNativeCrypto();
  await loadSodium();
  // automerge-repo's client adapter emits an unhandled 'error' when shut down while reconnecting;
  // that is the peer's client tearing down, not a result.
  process.on('uncaughtException', (error) => {
    if (/closed before the connection was established|Websocket not ready|ECONNRESET/.test(error.message)) return;
    throw error;
  });
  const reply = (m: FromClients) => process.send!(m);
  process.on('message', (message: ToClients) => {
    const work =
      message.op === 'type'
        ? typeInRooms(message, reply)
        : message.op === 'hold'
          ? hold(message, reply)
          : message.op === 'register'
            ? registerFollowers(message, reply)
            : message.op === 'follow'
              ? follow(message, reply)
              : message.op === 'count'
                ? Promise.resolve(reply({ op: 'counted', received: followed }))
                : Promise.resolve(held.splice(0).forEach((c) => c.close()));
    work.catch((error: unknown) => reply({ op: 'failed', message: (error as Error).message }));
  });
}
