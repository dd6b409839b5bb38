/**
 * Typing clients for the relay's load tests and its bench: real sockets, real sealed and signed
 * changes, the real protocol, but a lean client — no schema check of what the relay sends, and
 * changes sealed before the clock starts — so that with a thousand clients in one process the
 * measurement is the relay's, not the clients'. Each client follows its room's document and
 * types into it. When its connection drops it reconnects with jittered, doubling backoff (to the
 * next relay address, as a load balancer would send it), signs in again, pulls what it missed and
 * pushes again what the relay had not acknowledged, as the app's sync engine does.
 */
import WebSocket from 'ws';
import { generateIdentityKeys, type IdentityKeys } from '../../common/crypto/identity.ts';
import { randomBytes, randomKey, toBase64Url } from '../../common/crypto/sodium.ts';
import { applyMembershipEntry, nextEntry, signMembershipEntry } from '../../common/membership/log.ts';
import { signAuth } from '../../common/protocol/auth.ts';
import { sealChange } from '../../common/protocol/change.ts';
import { RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import { decodeRawFrame, encodeRawFrame } from '../../common/protocol/frame.ts';
import { PROTOCOL_VERSION } from '../../common/protocol/messages.ts';

/** Edit-to-peer latencies: when each edit was made, and how long each peer took to have it. */
export interface Probe {
  sentAt: Map<string, number>;
  latencies: number[];
  measuring: boolean;
}

export const newProbe = (): Probe => ({ sentAt: new Map(), latencies: [], measuring: false });

export interface RoomMember {
  keys: IdentityKeys;
  id: string;
}

/** A space with one document ('doc') its members type into, as Editors, and the key they seal with. */
export interface Room {
  space: string;
  key: Uint8Array;
  head: string;
  members: RoomMember[];
}

const AUTOMERGE_CHANGE_BYTES = 120; // about one Automerge change for one typed character

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

const connectClient = (url: string) => RelayClient.connect(url, (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike);

/** Registers `count` people on the relay and puts them in rooms of `roomSize`, each room a space with its owner and Editors. */
export async function setUpRooms(url: string, count: number, roomSize: number, label: string): Promise<Room[]> {
  const people = await inBatches(count, 50, async (i) => {
    const keys = generateIdentityKeys();
    const client = await connectClient(url);
    await client.register(keys, { username: `${label}-${i}-${process.pid}`.slice(0, 32), displayName: `Load ${i}` });
    return { keys, id: toBase64Url(keys.signPublicKey), client };
  });
  const rooms: Room[] = [];
  for (let r = 0; r * roomSize < count; r++) {
    const group = people.slice(r * roomSize, (r + 1) * roomSize);
    const owner = group[0]!;
    const space = `${label}-room${r}-${process.pid}`.slice(0, 64);
    let state = await owner.client.createSpace(owner.keys, space, 'workspace');
    for (const member of group.slice(1)) {
      const entry = signMembershipEntry(nextEntry(state, { actor: owner.id, action: 'add', subject: member.id, role: 'editor' }), owner.keys.signSecretKey);
      await owner.client.appendMembership(entry);
      state = applyMembershipEntry(state, entry);
    }
    rooms.push({ space, key: randomKey(), head: state.head!, members: group.map(({ keys, id }) => ({ keys, id })) });
  }
  for (const person of people) person.client.close();
  return rooms;
}

/** The change id inside a change blob, read without the full parse (u8 version, u32 metadata length, metadata JSON). */
function changeIdOf(bytes: Uint8Array): string {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  return (JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 5, length).toString()) as { id: string }).id;
}

type Header = Record<string, unknown> & { t: string; rid?: number | null };
interface Waiter {
  resolve: (frame: { header: Header; parts: Uint8Array[] }) => void;
  reject: (error: Error) => void;
}

export interface TypingOptions {
  /** Relay addresses; a reconnect tries the next one (0 = the first is where it starts). */
  urls: string[];
  start?: number;
  /** First reconnect delay in ms, doubled per failure up to 4 s, each times a random 0.5–1. */
  backoffMs?: number;
}

export class TypingClient {
  /** Change ids this client has: its own, and its peers' (live or pulled). */
  readonly received = new Set<string>();
  /** Its own changes the relay acknowledged, with their sequence numbers. */
  readonly acked = new Map<string, number>();
  reconnects = 0;
  /** When it last came back after losing its connection (performance.now()), if it did. */
  lastReconnectAt: number | undefined;
  private socket: WebSocket | undefined;
  private online = false;
  private stopped = false;
  /** One reconnect loop at a time: a socket that fails while the loop opens it reports its loss too. */
  private reconnecting = false;
  private nextRid = 1;
  private readonly waiters = new Map<number, Waiter>();
  private readonly pushes = new Map<number, string>();
  private readonly prepared: Array<{ id: string; bytes: Uint8Array }> = [];
  private readonly outbox = new Map<string, Uint8Array>();
  private readonly seqs = new Set<number>();
  private cursor = 0;
  private typed = 0;
  private urlIndex: number;

  constructor(
    readonly name: string,
    private readonly member: RoomMember,
    private readonly room: Room,
    private readonly probe: Probe,
    private readonly options: TypingOptions,
  ) {
    this.urlIndex = options.start ?? 0;
  }

  /** Seals the next `count` changes now, so typing them costs only a send. */
  prepare(count: number): void {
    for (let i = 0; i < count; i++) this.prepared.push(this.seal());
  }

  private seal(): { id: string; bytes: Uint8Array } {
    const id = `${this.name}-${this.typed++}`;
    const meta = { space: this.room.space, doc: 'doc', kind: 'content' as const, epoch: 0, head: this.room.head, author: this.member.id, id, at: Date.now() };
    return { id, bytes: sealChange(meta, randomBytes(AUTOMERGE_CHANGE_BYTES), this.room.key, this.member.keys.signSecretKey) };
  }

  /** Connects, signs in, follows the room's document and pulls it. */
  async connect(): Promise<void> {
    await this.open(this.options.urls[this.urlIndex % this.options.urls.length]!);
  }

  /** Types one character: pushes the next change now, or queues it while offline. */
  type(): void {
    const change = this.prepared.shift() ?? this.seal();
    this.probe.sentAt.set(change.id, performance.now());
    this.received.add(change.id);
    this.outbox.set(change.id, change.bytes);
    if (this.online) this.push(change.id, change.bytes);
  }

  /** Whether it is connected and signed in. */
  get connected(): boolean {
    return this.online;
  }

  /** How many of its changes still wait for the relay's acknowledgement. */
  get unacknowledged(): number {
    return this.outbox.size;
  }

  close(): void {
    this.stopped = true;
    this.socket?.close();
  }

  private push(id: string, bytes: Uint8Array): void {
    const rid = this.nextRid++;
    this.pushes.set(rid, id);
    this.socket!.send(encodeRawFrame({ t: 'push', rid, space: this.room.space, doc: 'doc' }, [bytes]));
  }

  private request(header: Header, parts: Uint8Array[] = []): Promise<{ header: Header; parts: Uint8Array[] }> {
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      this.waiters.set(rid, { resolve, reject });
      this.socket!.send(encodeRawFrame({ ...header, rid }, parts));
    });
  }

  private async open(url: string): Promise<void> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket = socket;
    socket.on('message', (data: Buffer) => this.receive(data));
    socket.on('error', () => undefined);
    socket.on('close', () => this.lost(socket));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('close', () => reject(new Error(`could not connect to ${url}`)));
    });
    const challenge = (await this.request({ t: 'hello', protocol: PROTOCOL_VERSION })).header as unknown as { relayId: string; nonce: string };
    const signature = signAuth('signIn', challenge.relayId, challenge.nonce, this.member.id, this.member.keys.signSecretKey);
    await this.request({ t: 'signIn', account: this.member.id, nonce: challenge.nonce, signature });
    await this.request({ t: 'subscribe', space: this.room.space, doc: 'doc' });
    await this.pullAll();
    // A newer socket took over meanwhile (its loop goes on): this one is not the client's connection.
    if (socket !== this.socket) throw new Error('superseded by a newer connection');
    this.online = true;
    // What was typed while away, or never acknowledged, goes again: a retried change keeps its sequence number.
    for (const [id, bytes] of this.outbox) this.push(id, bytes);
  }

  private async pullAll(): Promise<void> {
    for (;;) {
      const { header, parts } = await this.request({ t: 'pull', space: this.room.space, doc: 'doc', since: this.cursor });
      const seqs = header.seqs as number[];
      seqs.forEach((seq, i) => this.have(seq, parts[i]!, false));
      if (seqs.length === 0 || this.cursor >= (header.latest as number)) return;
    }
  }

  private have(seq: number, bytes: Uint8Array, live: boolean): void {
    this.seqs.add(seq);
    while (this.seqs.has(this.cursor + 1)) this.seqs.delete(++this.cursor);
    const id = changeIdOf(bytes);
    if (this.received.has(id)) return;
    this.received.add(id);
    const sent = this.probe.sentAt.get(id);
    if (live && sent !== undefined && this.probe.measuring) this.probe.latencies.push(performance.now() - sent);
  }

  private receive(data: Buffer): void {
    const { header, parts } = decodeRawFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as { header: Header; parts: Uint8Array[] };
    if (header.t === 'change') return this.have(header.seq as number, parts[0]!, true);
    if (typeof header.rid !== 'number') return;
    const pushed = this.pushes.get(header.rid);
    if (pushed !== undefined) {
      this.pushes.delete(header.rid);
      if (header.t === 'ok') {
        this.acked.set(pushed, header.seq as number);
        this.outbox.delete(pushed);
      }
      return;
    }
    const waiter = this.waiters.get(header.rid);
    if (!waiter) return;
    this.waiters.delete(header.rid);
    if (header.t === 'error') waiter.reject(new Error(`${String(header.code)}: ${String(header.message)}`));
    else waiter.resolve({ header, parts });
  }

  private lost(socket: WebSocket): void {
    if (socket !== this.socket) return;
    this.online = false;
    this.pushes.clear();
    for (const waiter of this.waiters.values()) waiter.reject(new Error('connection lost'));
    this.waiters.clear();
    if (!this.stopped && !this.reconnecting) void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    this.reconnecting = true;
    try {
      await this.reconnectLoop();
    } finally {
      this.reconnecting = false;
    }
  }

  private async reconnectLoop(): Promise<void> {
    const initial = this.options.backoffMs ?? 250;
    for (let failures = 0; !this.stopped; failures++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(4000, initial * 2 ** failures) * (0.5 + Math.random() / 2)));
      if (this.stopped) return;
      this.urlIndex++;
      try {
        await this.open(this.options.urls[this.urlIndex % this.options.urls.length]!);
        this.reconnects++;
        this.lastReconnectAt = performance.now();
        return;
      } catch {
        // That relay is not there (yet): the next attempt waits longer and tries the next address.
        this.socket?.removeAllListeners('close');
        this.socket?.terminate();
      }
    }
  }
}

/** One room's typing clients, connected: `start` picks each one's first relay address (round robin over `urls` by default). */
export async function connectRooms(
  rooms: Room[],
  probe: Probe,
  urls: string[],
  options: { backoffMs?: number; start?: (index: number) => number } = {},
): Promise<TypingClient[]> {
  const members = rooms.flatMap((room) => room.members.map((member) => ({ room, member })));
  return inBatches(members.length, 50, async (i) => {
    const { room, member } = members[i]!;
    const client = new TypingClient(`c${i}`, member, room, probe, { urls, start: options.start?.(i) ?? i, backoffMs: options.backoffMs ?? 250 });
    await client.connect();
    return client;
  });
}

/**
 * Makes each client type `rate` characters a second (each on its own random phase) until
 * stop() is called. A process that falls behind skips the keystrokes it missed rather than
 * piling them up.
 */
export function startTyping(clients: ReadonlyArray<{ type(): void }>, rate: number): { stop(): void; typed(): number } {
  const interval = 1000 / rate;
  const next = clients.map(() => performance.now() + Math.random() * interval);
  let typed = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    clients.forEach((client, i) => {
      if (next[i]! < now - interval) next[i] = now;
      while (next[i]! <= now) {
        next[i]! += interval;
        client.type();
        typed++;
      }
    });
  }, 5);
  return { stop: () => clearInterval(timer), typed: () => typed };
}

/** The edits one room's clients made that some other client of the room does not have: [who lacks it, the edit]. */
export function missingEdits(rooms: Room[], clients: TypingClient[], acknowledgedOnly: boolean): Array<[string, string]> {
  const missing: Array<[string, string]> = [];
  let offset = 0;
  for (const room of rooms) {
    const group = clients.slice(offset, offset + room.members.length);
    offset += room.members.length;
    for (const author of group) {
      const made = acknowledgedOnly ? [...author.acked.keys()] : [...author.received].filter((id) => id.startsWith(`${author.name}-`));
      for (const peer of group) {
        if (peer === author) continue;
        for (const id of made) if (!peer.received.has(id)) missing.push([peer.name, id]);
      }
    }
  }
  return missing;
}

/** Generates a signed-in-ready identity without a relay (for idle-connection counts). */
export const newMember = (): RoomMember => {
  const keys = generateIdentityKeys();
  return { keys, id: toBase64Url(keys.signPublicKey) };
};
