/**
 * The relay: HTTP (health, version, public link viewer) and WebSocket (the protocol in
 * common/protocol) on one port. It stores ciphertext and role metadata only, checks every
 * request against common/roles.ts, and answers bad input with an error frame, never a crash.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { HearthError, isHearthError } from '../common/errors.ts';
import { fromBase64Url, loadSodium, toBase64Url } from '../common/crypto/sodium.ts';
import { applyMembershipEntry, emptyMembership, lastDepartureIndex, type MembershipEntry, type MembershipState } from '../common/membership/log.ts';
import { verifyAuth } from '../common/protocol/auth.ts';
import { verifyChange, type ParsedChange } from '../common/protocol/change.ts';
import { envelopeSender } from '../common/protocol/envelope.ts';
import { decodeRawFrame } from '../common/protocol/frame.ts';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, decodeClientFrame, encodeFrame, type ClientFrame, type RelayFrame } from '../common/protocol/messages.ts';
import {
  canDeleteContent,
  canDeleteSpace,
  canManageLinks,
  canManageMembers,
  canPush,
  canRead,
  canWriteContent,
  type Role,
} from '../common/roles.ts';
import { defaultLimits, type RelayLimits } from './limits.ts';
import { RelayLog, type LogSink } from './relay-log.ts';
import { PostgresDriver } from './storage/postgres-driver.ts';
import { RelayStore, type EpochEnvelopes } from './storage/relay-store.ts';
import { SqliteDriver } from './storage/sqlite-driver.ts';
import { viewerCsp, viewerPage } from './viewer-page.ts';

export const RELAY_VERSION = '0.1.0';
const MAX_PURGE_WINDOW_MS = 30 * 24 * 3600 * 1000;
const SLOW_CLIENT_BYTES = 64 * 1024 * 1024;
const PING_INTERVAL_MS = 30_000;

export interface RelayOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Folder for the SQLite file (relay.sqlite); ignored when postgresUrl is set. */
  dataDir?: string;
  postgresUrl?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
  limits?: Partial<RelayLimits>;
  sessionTtlMs?: number;
  nonceTtlMs?: number;
  /** How long a deleted account's data may linger before it is purged: 0 (default) = at once; at most 30 days. */
  purgeWindowMs?: number;
  /** Where log lines go; by default to <dataDir>/relay.log when there is a dataDir, else nowhere. */
  log?: LogSink;
}

export interface RunningRelay {
  /** ws:// or wss:// address clients connect to. */
  url: string;
  /** http:// or https:// address of the same port. */
  httpUrl: string;
  relayId: string;
  store: RelayStore;
  close(): Promise<void>;
}

type Send = (frame: RelayFrame) => void;

class Connection {
  account: string | undefined;
  sessionExpiresAt = 0;
  /** The protocol version its hello named; the relay sends it only frames that version knows. */
  protocol = 0;
  nonce: { value: string; expiresAt: number } | undefined;
  readonly subscriptions = new Set<string>();
  /** Documents this connection sent presence to (memory only), so their subscribers learn when it goes. */
  readonly presenceIn = new Set<string>();
  private presenceTokens: number | undefined;
  private presenceRefill = Date.now();
  private tokens: number;
  private lastRefill = Date.now();
  private strikes = 0;
  private chain: Promise<void> = Promise.resolve();
  queued = 0;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    private readonly limits: RelayLimits,
  ) {
    this.tokens = limits.messageBurst;
  }

  /** Token bucket: true if this message is within the rate; counts strikes otherwise. */
  takeToken(): boolean {
    const now = Date.now();
    const refill = ((now - this.lastRefill) / 1000) * this.limits.messagesPerSecond;
    this.tokens = Math.min(this.limits.messageBurst, this.tokens + refill);
    // Strikes fade at the same rate: a client that backs off when told is never cut off, one
    // that keeps flooding piles them up far faster than they fade.
    this.strikes = Math.max(0, this.strikes - refill);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.strikes++;
    return false;
  }

  /** A second, smaller bucket for presence: cursors move often, and a burst of them is only noise. */
  takePresenceToken(): boolean {
    const now = Date.now();
    const burst = this.limits.presencePerSecond * 2;
    this.presenceTokens = Math.min(burst, (this.presenceTokens ?? burst) + ((now - this.presenceRefill) / 1000) * this.limits.presencePerSecond);
    this.presenceRefill = now;
    if (this.presenceTokens < 1) return false;
    this.presenceTokens -= 1;
    return true;
  }

  get abusive(): boolean {
    return this.strikes > this.limits.messageBurst;
  }

  /** Frames of one connection are handled in order, so a client's pushes keep their order. */
  enqueue(work: () => Promise<void>): void {
    this.queued++;
    // work() answers its own errors; the catch only keeps one failure from stalling the chain.
    this.chain = this.chain
      .then(work)
      .catch(() => undefined)
      .finally(() => {
        this.queued--;
      });
  }

  /** False until the client answers the latest ping. */
  alive = true;

  send(bytes: Uint8Array): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    // A client that stopped reading must not make the relay buffer without bound.
    if (this.socket.bufferedAmount > SLOW_CLIENT_BYTES) {
      this.socket.close(1013, 'not reading; reconnect and pull');
      return;
    }
    this.socket.send(bytes);
  }
}

function forbid(message: string): never {
  throw new HearthError('FORBIDDEN', message);
}

function limitError(code: 'TOO_LARGE' | 'LIMIT_EXCEEDED' | 'RATE_LIMITED', limit: keyof RelayLimits, message: string): HearthError & { limit: string } {
  return Object.assign(new HearthError(code, message), { limit });
}

/** Only envelopes signed by the uploader for exactly this space, epoch and member are kept. */
function checkEnvelopes(space: string, epoch: number, recipients: readonly string[], parts: readonly Uint8Array[], account: string): void {
  if (parts.some((p) => p.length > 4096)) throw limitError('TOO_LARGE', 'maxFrameBytes', 'A key envelope is at most 4096 bytes.');
  recipients.forEach((recipient, i) => {
    if (envelopeSender(parts[i]!, { space, epoch, recipient }) !== account) forbid('Key envelopes must be signed by the account that uploads them.');
  });
}

/**
 * The new key epoch a removal brings with it (protocol 3): envelopes for exactly the members that
 * remain, none for the one removed, stored in the same transaction as the entry.
 */
function checkRotation(
  frame: { space: string; entry: MembershipEntry; epoch?: number; recipients?: string[]; parts: Uint8Array[] },
  account: string,
  after: MembershipState,
): EpochEnvelopes {
  const { epoch, recipients } = frame;
  if (epoch === undefined || !recipients) throw new HearthError('BAD_REQUEST', 'A new key epoch needs both its number and its recipients.');
  if (frame.entry.action !== 'remove' || frame.entry.subject === account) throw new HearthError('BAD_REQUEST', 'Only removing another member starts a new key epoch with the entry.');
  const remaining = new Set(after.members.keys());
  if (new Set(recipients).size !== recipients.length || recipients.length !== remaining.size || recipients.some((r) => !remaining.has(r))) {
    throw new HearthError('BAD_REQUEST', 'A new key epoch goes to every remaining member exactly once, and to no one else.');
  }
  checkEnvelopes(frame.space, epoch, recipients, frame.parts, account);
  return { epoch, items: recipients.map((recipient, i) => ({ recipient, sealed: frame.parts[i]!.slice() })) };
}

async function openStore(options: RelayOptions, instanceId: string): Promise<RelayStore> {
  if (options.postgresUrl) {
    const driver = new PostgresDriver(options.postgresUrl, instanceId);
    const store = await RelayStore.open(driver);
    await driver.listen();
    return store;
  }
  if (!options.dataDir) throw new HearthError('BAD_REQUEST', 'The relay needs --data DIR (a folder for its SQLite file) or --postgres URL.');
  mkdirSync(options.dataDir, { recursive: true });
  return RelayStore.open(new SqliteDriver(join(options.dataDir, 'relay.sqlite')));
}

/** Starts a relay and resolves once it listens. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  await loadSodium();
  const limits: RelayLimits = { ...defaultLimits, ...options.limits };
  const sessionTtlMs = options.sessionTtlMs ?? 12 * 3600 * 1000;
  const nonceTtlMs = options.nonceTtlMs ?? 60_000;
  const purgeWindowMs = options.purgeWindowMs ?? 0;
  if (!(purgeWindowMs >= 0 && purgeWindowMs <= MAX_PURGE_WINDOW_MS)) {
    throw new HearthError('BAD_REQUEST', 'The purge window is between 0 and 30 days; deleted data may not linger longer.');
  }
  const instanceId = randomBytes(12).toString('base64url');
  const store = await openStore(options, instanceId);
  const logFile = options.dataDir && !options.log ? join(options.dataDir, 'relay.log') : undefined;
  const log = new RelayLog(options.log ?? (logFile ? (line) => appendFileSync(logFile, line + '\n') : () => undefined));
  const relayId = store.relayId;

  const connections = new Set<Connection>();
  const byAccount = new Map<string, Set<Connection>>();
  const subscribers = new Map<string, Set<Connection>>();
  // Members per space, read through on a miss and dropped on every membership event.
  const memberCache = new Map<string, Promise<Map<string, Role>>>();
  const knownHeads = new Map<string, Set<string>>();
  let nextConnectionId = 1;

  function members(space: string): Promise<Map<string, Role>> {
    let cached = memberCache.get(space);
    if (!cached) {
      if (memberCache.size > 50_000) memberCache.clear();
      cached = store.getMembers(space);
      memberCache.set(space, cached);
      cached.catch(() => memberCache.delete(space));
    }
    return cached;
  }

  function forgetSpace(space: string, deleted: boolean): void {
    memberCache.delete(space);
    if (!deleted) return;
    knownHeads.delete(space);
    for (const [key, set] of subscribers) {
      if (!key.startsWith(`${space}/`)) continue;
      for (const connection of set) connection.subscriptions.delete(key);
      subscribers.delete(key);
    }
  }

  async function fanOut(space: string, doc: string, seq: number, bytes: Uint8Array, except?: Connection): Promise<void> {
    const set = subscribers.get(`${space}/${doc}`);
    if (!set || set.size === 0) return;
    const roles = await members(space);
    const frame = encodeFrame({ t: 'change', space, doc, seq, parts: [bytes] });
    for (const connection of set) {
      if (connection === except || !connection.account || !roles.has(connection.account)) continue;
      connection.send(frame);
    }
  }

  /** Presence goes to the document's other subscribers that are members now; it is never stored or logged. */
  async function forwardPresence(space: string, doc: string, from: string, payload: Uint8Array | undefined, except?: Connection): Promise<void> {
    const set = subscribers.get(`${space}/${doc}`);
    if (!set || set.size === 0) return;
    const roles = await members(space);
    const frame = encodeFrame({ t: 'presence', space, doc, from, parts: payload ? [payload] : [] });
    for (const connection of set) {
      if (connection === except || !connection.account || !roles.has(connection.account)) continue;
      connection.send(frame);
    }
  }

  /**
   * Tells the connections (protocol 2+) of the space's members that follow a document of it, and of
   * the accounts the change took out, that its membership or keys changed: a frame with only the
   * space id, so their clients catch up at once instead of at the next poll.
   */
  async function notifyMembership(space: string, removed: readonly string[] = [], except?: Connection): Promise<void> {
    const roles = await members(space);
    const frame = encodeFrame({ t: 'membershipChanged', space, parts: [] });
    const prefix = `${space}/`;
    for (const account of new Set([...roles.keys(), ...removed])) {
      for (const connection of byAccount.get(account) ?? []) {
        if (connection === except || connection.account !== account || connection.protocol < 2) continue;
        for (const key of connection.subscriptions) {
          if (!key.startsWith(prefix)) continue;
          connection.send(frame);
          break;
        }
      }
    }
  }

  /** Presence from a client of this instance: to its subscribers here, and (PostgreSQL) to the other instances'. */
  function relayPresence(space: string, doc: string, from: string, payload: Uint8Array | undefined, except: Connection): Promise<void> {
    store.driver.publish({ kind: 'presence', space, doc, from, payload: payload ? toBase64Url(payload) : null });
    return forwardPresence(space, doc, from, payload, except);
  }

  store.onEvent((event) => {
    if (event.kind === 'presence') {
      let payload: Uint8Array | undefined;
      try {
        payload = event.payload === null ? undefined : fromBase64Url(event.payload);
      } catch {
        return;
      }
      if (payload && payload.length > limits.maxPresenceBytes) return;
      forwardPresence(event.space, event.doc, event.from, payload).catch(() => undefined);
    } else if (event.kind === 'membership') {
      forgetSpace(event.space, false);
      notifyMembership(event.space, event.removed ?? []).catch(() => undefined);
    } else if (event.kind === 'spaceDeleted') forgetSpace(event.space, true);
    else if (subscribers.get(`${event.space}/${event.doc}`)?.size) {
      void store
        .getChange(event.space, event.doc, event.seq)
        .then((bytes) => (bytes ? fanOut(event.space, event.doc, event.seq, bytes) : undefined))
        .catch((error: unknown) => log.write('error', 'fanout_failed', { message: (error as Error).message }));
    }
  });

  // ── request handling ──────────────────────────────────────────────────────────────────────

  function session(connection: Connection): string {
    if (!connection.account) throw new HearthError('UNAUTHENTICATED', 'Sign in first: send hello, then signIn (or register).');
    if (Date.now() > connection.sessionExpiresAt) {
      endSession(connection);
      throw new HearthError('UNAUTHENTICATED', 'Your session expired; sign in again.');
    }
    return connection.account;
  }

  function endSession(connection: Connection): void {
    if (connection.account) byAccount.get(connection.account)?.delete(connection);
    const gone = connection.account;
    if (gone) {
      for (const key of connection.presenceIn) {
        const [space, doc] = key.split('/') as [string, string];
        relayPresence(space, doc, gone, undefined, connection).catch(() => undefined);
      }
    }
    connection.presenceIn.clear();
    connection.account = undefined;
    for (const key of connection.subscriptions) unsubscribe(connection, key);
    connection.subscriptions.clear();
  }

  function unsubscribe(connection: Connection, key: string): void {
    connection.subscriptions.delete(key);
    const set = subscribers.get(key);
    set?.delete(connection);
    if (set?.size === 0) subscribers.delete(key);
  }

  async function requireRole(connection: Connection, space: string, allowed: (role: Role) => boolean, action: string): Promise<{ account: string; role: Role }> {
    const account = session(connection);
    const roles = await members(space);
    const role = roles.get(account);
    if (!role) {
      if (roles.size === 0) throw new HearthError('NOT_FOUND', `There is no space ${space} on this relay (it may have been deleted).`);
      forbid('You are not a member of this space; ask one of its Owners or Admins to add you.');
    }
    if (!allowed(role)) forbid(`A ${role} cannot ${action} in this space; ask an Owner or Admin for another role.`);
    return { account, role };
  }

  function takeNonce(connection: Connection, nonce: string): void {
    const issued = connection.nonce;
    connection.nonce = undefined; // one attempt per nonce, success or not
    if (!issued || issued.value !== nonce) throw new HearthError('UNAUTHENTICATED', 'That nonce was not issued on this connection by this relay, or was already used; send hello for a new one.');
    if (Date.now() > issued.expiresAt) throw new HearthError('UNAUTHENTICATED', 'That nonce expired; send hello for a new one.');
  }

  async function establish(connection: Connection, account: string, rid: number, send: Send): Promise<void> {
    const open = byAccount.get(account);
    if (open && open.size >= limits.connectionsPerAccount && !open.has(connection)) {
      throw limitError('LIMIT_EXCEEDED', 'connectionsPerAccount', `This account already has ${limits.connectionsPerAccount} connections open; close one first.`);
    }
    endSession(connection);
    connection.account = account;
    connection.sessionExpiresAt = Date.now() + sessionTtlMs;
    if (!byAccount.has(account)) byAccount.set(account, new Set());
    byAccount.get(account)!.add(connection);
    await store.recordSignIn(account, Date.now());
    send({ t: 'session', rid, account, expiresAt: connection.sessionExpiresAt, parts: [] });
  }

  function checkChange(frame: { space: string; doc: string; parts: Uint8Array[] }, account: string): ParsedChange {
    const bytes = frame.parts[0]!;
    if (bytes.length > limits.maxChangeBytes) throw limitError('TOO_LARGE', 'maxChangeBytes', `A change is at most ${limits.maxChangeBytes} bytes; take a snapshot or split the edit.`);
    const change = verifyChange(bytes);
    if (change.meta.space !== frame.space || change.meta.doc !== frame.doc) throw new HearthError('BAD_REQUEST', 'The change names another space or document than the frame it came in.');
    if (change.meta.author !== account) forbid('A change must be signed by the account that pushes it.');
    return change;
  }

  async function requireKnownHead(space: string, head: string): Promise<void> {
    // Heads only accumulate (until the space is deleted), so a head once found stays valid.
    if (knownHeads.get(space)?.has(head)) return;
    if (await store.hasMembershipHead(space, head)) {
      if (knownHeads.size > 50_000) knownHeads.clear();
      if (!knownHeads.has(space)) knownHeads.set(space, new Set());
      knownHeads.get(space)!.add(head);
      return;
    }
    throw new HearthError('BAD_REQUEST', 'The change names a membership head this space never had; pull the membership log and rewrite the change.');
  }

  const ok = (rid: number, extra: { seq?: number; head?: string } = {}): RelayFrame => ({ t: 'ok', rid, ...extra, parts: [] });

  async function handle(connection: Connection, frame: ClientFrame, send: Send): Promise<void> {
    const now = Date.now();
    switch (frame.t) {
      case 'hello': {
        if (frame.protocol < MIN_PROTOCOL_VERSION || frame.protocol > PROTOCOL_VERSION) {
          throw new HearthError('BAD_REQUEST', `This relay speaks protocol ${MIN_PROTOCOL_VERSION}–${PROTOCOL_VERSION}, not ${frame.protocol}; update Hearth or the relay.`);
        }
        connection.protocol = frame.protocol;
        const nonce = randomBytes(32).toString('base64url');
        connection.nonce = { value: nonce, expiresAt: now + nonceTtlMs };
        return send({ t: 'challenge', rid: frame.rid, protocol: frame.protocol, relayId, nonce, parts: [] });
      }
      case 'register': {
        takeNonce(connection, frame.nonce);
        if (!verifyAuth('register', relayId, frame.nonce, frame.account, frame.signature)) throw new HearthError('UNAUTHENTICATED', 'The signature does not match this key, nonce and relay; sign the nonce from this relay with your own key.');
        const avatar = frame.parts[0];
        if (avatar && avatar.length > limits.maxAvatarBytes) throw limitError('TOO_LARGE', 'maxAvatarBytes', `An avatar is at most ${limits.maxAvatarBytes} bytes; pick a smaller picture.`);
        if (fromBase64Url(frame.boxPublicKey).length !== 32) throw new HearthError('BAD_REQUEST', 'boxPublicKey must be a 32-byte X25519 key.');
        await store.createAccount({ account: frame.account, username: frame.username, displayName: frame.displayName, boxPublicKey: frame.boxPublicKey, avatar: avatar ? avatar.slice() : null, createdAt: now });
        log.write('info', 'registered', { connection: connection.id, account: frame.account });
        return establish(connection, frame.account, frame.rid, send);
      }
      case 'signIn': {
        takeNonce(connection, frame.nonce);
        if (!(await store.getAccount(frame.account))) throw new HearthError('UNAUTHENTICATED', 'No account with this key exists on this relay; register first.');
        if (!verifyAuth('signIn', relayId, frame.nonce, frame.account, frame.signature)) throw new HearthError('UNAUTHENTICATED', 'The signature does not match this key, nonce and relay; sign the nonce from this relay with your own key.');
        log.write('info', 'signed_in', { connection: connection.id, account: frame.account });
        return establish(connection, frame.account, frame.rid, send);
      }
      case 'lookup': {
        session(connection);
        const found = await store.findByUsername(frame.username);
        if (!found) throw new HearthError('NOT_FOUND', `No user is called ${frame.username} on this relay; check the spelling.`);
        return send({ t: 'profile', rid: frame.rid, account: found.account, username: found.username, displayName: found.displayName, boxPublicKey: found.boxPublicKey, parts: found.avatar ? [found.avatar] : [] });
      }
      case 'createSpace': {
        const account = session(connection);
        if (frame.genesis.actor !== account || frame.genesis.space !== frame.space) forbid('A space is created by its first Owner: the genesis entry must be yours and name this space.');
        const state = applyMembershipEntry(emptyMembership(frame.space), frame.genesis);
        await store.createSpace(frame.space, frame.kind, frame.genesis, state, now);
        memberCache.delete(frame.space);
        return send(ok(frame.rid, { seq: 0, head: state.head! }));
      }
      case 'appendMembership': {
        const account = session(connection);
        if (frame.entry.space !== frame.space) throw new HearthError('BAD_REQUEST', 'The entry names another space than the frame.');
        if (frame.entry.actor !== account) forbid('You can only append membership entries you signed yourself.');
        const before = await store.getMembershipState(frame.space);
        if (!before) throw new HearthError('NOT_FOUND', `There is no space ${frame.space} on this relay.`);
        if (!before.members.has(account)) forbid('You are not a member of this space.');
        const after = applyMembershipEntry(before, frame.entry);
        const rotation = frame.recipients || frame.epoch !== undefined ? checkRotation(frame, account, after) : undefined;
        await store.appendMembership(before, frame.entry, after, rotation);
        forgetSpace(frame.space, false);
        const removed = [...before.members.keys()].filter((member) => !after.members.has(member));
        notifyMembership(frame.space, removed, connection).catch(() => undefined);
        log.write('info', 'membership', { space: frame.space, action: frame.entry.action, seq: frame.entry.seq });
        return send(ok(frame.rid, { seq: frame.entry.seq, head: after.head! }));
      }
      case 'getMembership': {
        await requireRole(connection, frame.space, canRead, 'read');
        return send({ t: 'membership', rid: frame.rid, space: frame.space, entries: await store.getMembershipLog(frame.space, frame.since), parts: [] });
      }
      case 'getRemoval': {
        const account = session(connection);
        const roles = await members(frame.space);
        if (roles.size === 0) throw new HearthError('NOT_FOUND', `There is no space ${frame.space} on this relay (it may have been deleted).`);
        if (roles.has(account)) throw new HearthError('BAD_REQUEST', 'You are a member of this space; read its membership log with getMembership.');
        const log = await store.getMembershipLog(frame.space, 0);
        const end = lastDepartureIndex(log, account);
        if (end < 0) forbid('You were never a member of this space.');
        return send({ t: 'membership', rid: frame.rid, space: frame.space, entries: log.slice(0, end + 1).filter((e) => e.seq >= frame.since), parts: [] });
      }
      case 'putEnvelopes': {
        const { account } = await requireRole(connection, frame.space, canManageMembers, 'hand out keys');
        const roles = await members(frame.space);
        for (const recipient of frame.recipients) if (!roles.has(recipient)) throw new HearthError('BAD_REQUEST', 'Key envelopes go to members only; add the member first.');
        checkEnvelopes(frame.space, frame.epoch, frame.recipients, frame.parts, account);
        await store.putEnvelopes(frame.space, frame.epoch, frame.recipients.map((recipient, i) => ({ recipient, sealed: frame.parts[i]!.slice() })));
        notifyMembership(frame.space, [], connection).catch(() => undefined);
        return send(ok(frame.rid));
      }
      case 'getEnvelopes': {
        const { account } = await requireRole(connection, frame.space, canRead, 'read');
        const items = await store.getEnvelopes(frame.space, account);
        return send({ t: 'envelopes', rid: frame.rid, space: frame.space, items: items.map((i) => ({ epoch: i.epoch })), parts: items.map((i) => i.sealed) });
      }
      case 'deleteSpace': {
        await requireRole(connection, frame.space, canDeleteSpace, 'delete the space');
        await store.deleteSpace(frame.space);
        forgetSpace(frame.space, true);
        await store.driver.scrub();
        log.write('info', 'space_deleted', { space: frame.space });
        return send(ok(frame.rid));
      }
      case 'push': {
        const { account, role } = await requireRole(connection, frame.space, canRead, 'push');
        const change = checkChange(frame, account);
        if (change.meta.kind === 'snapshot') throw new HearthError('BAD_REQUEST', 'Snapshots go through putSnapshot, not push.');
        if (!canPush(role, change.meta.kind)) forbid(`A ${role} cannot push ${change.meta.kind} changes in this space.`);
        await requireKnownHead(frame.space, change.meta.head);
        const bytes = frame.parts[0]!;
        const { seq, duplicate } = await store.appendChange(frame.space, frame.doc, change.meta.id, account, bytes, limits.bytesPerSpace);
        send(ok(frame.rid, { seq }));
        if (!duplicate) await fanOut(frame.space, frame.doc, seq, bytes, connection);
        return;
      }
      case 'pull': {
        await requireRole(connection, frame.space, canRead, 'read');
        const result = await store.getChanges(frame.space, frame.doc, frame.since, frame.limit ?? 1000);
        // Keep the answer under the frame limit; the client pulls again from the last seq it got.
        let budget = limits.maxFrameBytes - Math.min(64 * 1024, limits.maxFrameBytes / 4) - (result.snapshot?.bytes.length ?? 0);
        const changes: typeof result.changes = [];
        for (const change of result.changes) {
          budget -= change.bytes.length;
          if (budget < 0 && (changes.length > 0 || result.snapshot)) break;
          changes.push(change);
        }
        return send({
          t: 'changes',
          rid: frame.rid,
          space: frame.space,
          doc: frame.doc,
          snapshot: result.snapshot ? { covers: result.snapshot.covers } : null,
          seqs: changes.map((c) => c.seq),
          latest: result.latest,
          parts: [...(result.snapshot ? [result.snapshot.bytes] : []), ...changes.map((c) => c.bytes)],
        });
      }
      case 'subscribe': {
        await requireRole(connection, frame.space, canRead, 'read');
        if (connection.subscriptions.size >= limits.subscriptionsPerConnection) throw limitError('LIMIT_EXCEEDED', 'subscriptionsPerConnection', `A connection follows at most ${limits.subscriptionsPerConnection} documents; unsubscribe from some.`);
        const key = `${frame.space}/${frame.doc}`;
        connection.subscriptions.add(key);
        if (!subscribers.has(key)) subscribers.set(key, new Set());
        subscribers.get(key)!.add(connection);
        return send(ok(frame.rid));
      }
      case 'unsubscribe': {
        session(connection);
        unsubscribe(connection, `${frame.space}/${frame.doc}`);
        return send(ok(frame.rid));
      }
      case 'putSnapshot': {
        const { account } = await requireRole(connection, frame.space, canWriteContent, 'write snapshots');
        const change = checkChange(frame, account);
        if (change.meta.kind !== 'snapshot') throw new HearthError('BAD_REQUEST', 'putSnapshot carries a change of kind snapshot.');
        await requireKnownHead(frame.space, change.meta.head);
        await store.putSnapshot(frame.space, frame.doc, frame.covers, frame.parts[0]!, limits.bytesPerSpace);
        return send(ok(frame.rid, { seq: frame.covers }));
      }
      case 'deleteDoc': {
        await requireRole(connection, frame.space, canDeleteContent, 'delete documents');
        await store.deleteDoc(frame.space, frame.doc); // its public links go with it
        await store.driver.scrub();
        return send(ok(frame.rid));
      }
      case 'fileBegin': {
        const { account } = await requireRole(connection, frame.space, canWriteContent, 'upload files');
        if (frame.size > limits.maxFileBytes) throw limitError('TOO_LARGE', 'maxFileBytes', `A file is at most ${limits.maxFileBytes} bytes on this relay.`);
        if (frame.chunkSize > limits.maxFrameBytes - 64 * 1024) throw limitError('TOO_LARGE', 'maxFrameBytes', `Chunks must fit in a frame: at most ${limits.maxFrameBytes - 64 * 1024} bytes.`);
        const file = await store.beginFile(frame.space, frame.file, frame.size, frame.chunkSize, account, limits.bytesPerSpace, now);
        return send({ t: 'fileStatus', rid: frame.rid, file: file.file, size: file.size, chunkSize: file.chunkSize, received: file.received, complete: file.complete, parts: [] });
      }
      case 'fileChunk': {
        await requireRole(connection, frame.space, canWriteContent, 'upload files');
        const file = await store.getFile(frame.space, frame.file);
        if (!file) throw new HearthError('NOT_FOUND', 'Begin the upload (fileBegin) before sending chunks.');
        if (frame.index >= file.chunkCount) throw new HearthError('BAD_REQUEST', `This file has ${file.chunkCount} chunks; index ${frame.index} is out of range.`);
        const expected = frame.index === file.chunkCount - 1 ? file.size - file.chunkSize * (file.chunkCount - 1) : file.chunkSize;
        if (frame.parts[0]!.length !== expected) throw new HearthError('BAD_REQUEST', `Chunk ${frame.index} must be ${expected} bytes.`);
        await store.putChunk(frame.space, frame.file, frame.index, frame.parts[0]!);
        return send(ok(frame.rid, { seq: frame.index }));
      }
      case 'fileStatus': {
        await requireRole(connection, frame.space, canRead, 'read');
        const file = await store.getFile(frame.space, frame.file);
        if (!file) throw new HearthError('NOT_FOUND', 'No such file in this space; begin an upload first.');
        return send({ t: 'fileStatus', rid: frame.rid, file: file.file, size: file.size, chunkSize: file.chunkSize, received: file.received, complete: file.complete, parts: [] });
      }
      case 'fileGet': {
        await requireRole(connection, frame.space, canRead, 'read');
        const chunk = await store.getChunk(frame.space, frame.file, frame.index);
        if (!chunk) throw new HearthError('NOT_FOUND', 'That chunk is not on the relay (yet); check fileStatus.');
        return send({ t: 'fileData', rid: frame.rid, file: frame.file, index: frame.index, parts: [chunk] });
      }
      case 'fileDelete': {
        await requireRole(connection, frame.space, canDeleteContent, 'delete files');
        await store.deleteFile(frame.space, frame.file);
        return send(ok(frame.rid));
      }
      case 'linkCreate': {
        const { account } = await requireRole(connection, frame.space, canManageLinks, 'create links');
        if (frame.parts[0]!.length > limits.maxLinkBytes) throw limitError('TOO_LARGE', 'maxLinkBytes', `A shared copy is at most ${limits.maxLinkBytes} bytes.`);
        if (frame.expiresAt !== null && frame.expiresAt <= now) throw new HearthError('BAD_REQUEST', 'The expiry is in the past; choose a later time.');
        await store.putLink(frame.link, frame.space, account, frame.parts[0]!, frame.expiresAt, limits.bytesPerSpace, now, frame.doc ?? null);
        log.write('info', 'link_created', { space: frame.space, link: frame.link });
        return send(ok(frame.rid));
      }
      case 'linkRevoke': {
        await requireRole(connection, frame.space, canManageLinks, 'revoke links');
        if (!(await store.revokeLink(frame.space, frame.link))) throw new HearthError('NOT_FOUND', 'No active link with that id in this space.');
        await store.driver.scrub(); // S6: the dropped copy leaves the WAL too
        log.write('info', 'link_revoked', { space: frame.space, link: frame.link });
        return send(ok(frame.rid));
      }
      case 'presence': {
        const { account } = await requireRole(connection, frame.space, canRead, 'share presence');
        if (frame.parts[0]!.length > limits.maxPresenceBytes) throw limitError('TOO_LARGE', 'maxPresenceBytes', `A presence update is at most ${limits.maxPresenceBytes} bytes.`);
        if (!connection.takePresenceToken()) throw limitError('RATE_LIMITED', 'presencePerSecond', `At most ${limits.presencePerSecond} presence updates per second per connection; send fewer.`);
        const key = `${frame.space}/${frame.doc}`;
        if (connection.presenceIn.has(key) || connection.presenceIn.size < 256) connection.presenceIn.add(key);
        send(ok(frame.rid));
        return relayPresence(frame.space, frame.doc, account, frame.parts[0]!, connection);
      }
      case 'access': {
        const account = session(connection);
        const report = await store.accessReport(account);
        if (!report) throw new HearthError('NOT_FOUND', 'This account no longer exists.');
        const { record } = report;
        return send({
          t: 'access',
          rid: frame.rid,
          report: {
            account,
            username: record.username,
            displayName: record.displayName,
            boxPublicKey: record.boxPublicKey,
            createdAt: record.createdAt,
            lastSignInAt: record.lastSignInAt,
            avatarBytes: record.avatar?.length ?? 0,
            bytesStored: report.bytesStored,
            spaces: report.spaces,
            envelopes: report.envelopes,
            links: report.links,
          },
          parts: record.avatar ? [record.avatar] : [],
        });
      }
      case 'deleteAccount': {
        const account = session(connection);
        const outliving = await store.spacesOutliving(account);
        if (outliving.length > 0) {
          throw new HearthError(
            'CONFLICT',
            `This account is still a member of ${outliving.length} space(s) that other Owners keep; leave each first with a signed account_deleted membership entry (Hearth does this for you), then delete the account.`,
          );
        }
        await store.markAccountDeleted(account, now); // also revokes every link it created
        const purged = purgeWindowMs === 0 ? await store.purgeDeleted(now) : [];
        if (purgeWindowMs !== 0) await store.driver.scrub(); // (a purge scrubs by itself)
        for (const space of purged) forgetSpace(space, true);
        // The relay log keeps that it happened and how much went: no content, and not even the account's id.
        log.write('info', 'account_deleted', { connection: connection.id, spacesDeleted: purged.length, purgeWindowMs });
        send(ok(frame.rid));
        for (const other of [...(byAccount.get(account) ?? [])]) {
          endSession(other);
          other.socket.close(4001, 'account deleted');
        }
        byAccount.delete(account);
        return;
      }
    }
  }

  function errorFrame(rid: number | null, error: unknown): RelayFrame {
    if (isHearthError(error)) {
      const limit = (error as HearthError & { limit?: string }).limit;
      return { t: 'error', rid, code: error.code, message: error.message, ...(limit ? { limit } : {}), parts: [] };
    }
    return { t: 'error', rid, code: 'INTERNAL', message: 'The relay failed on this request; try again, and report it to the relay operator if it persists.', parts: [] };
  }

  function ridOf(bytes: Uint8Array): number | null {
    try {
      const rid = decodeRawFrame(bytes).header.rid;
      return typeof rid === 'number' && Number.isInteger(rid) && rid >= 0 && rid < 2 ** 31 ? rid : null;
    } catch {
      return null;
    }
  }

  function onMessage(connection: Connection, data: Buffer, isBinary: boolean): void {
    const reply = (frame: RelayFrame) => {
      let bytes: Uint8Array;
      try {
        bytes = encodeFrame(frame);
      } catch (error) {
        // An answer that fails its own schema is a relay bug: log it, tell the client, stay up.
        log.write('error', 'invalid_answer', { connection: connection.id, frame: frame.t, message: (error as Error).message });
        bytes = encodeFrame(errorFrame('rid' in frame ? frame.rid : null, new Error('invalid answer')));
      }
      connection.send(bytes);
    };
    if (!isBinary) return reply(errorFrame(null, new HearthError('BAD_REQUEST', 'Send binary frames built by encodeFrame(); text frames are not part of the protocol.')));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!connection.takeToken()) {
      if (connection.abusive) return connection.socket.close(1008, 'rate limit');
      return reply(errorFrame(ridOf(bytes), limitError('RATE_LIMITED', 'messagesPerSecond', `At most ${limits.messagesPerSecond} requests per second per connection; slow down and retry.`)));
    }
    if (bytes.length > limits.maxFrameBytes) {
      return reply(errorFrame(ridOf(bytes), limitError('TOO_LARGE', 'maxFrameBytes', `A frame is at most ${limits.maxFrameBytes} bytes; split the upload into chunks.`)));
    }
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(bytes);
    } catch (error) {
      return reply(errorFrame(ridOf(bytes), error));
    }
    connection.enqueue(async () => {
      try {
        await handle(connection, frame, reply);
      } catch (error) {
        if (!isHearthError(error)) log.write('error', 'request_failed', { connection: connection.id, frame: frame.t, message: (error as Error).message });
        reply(errorFrame('rid' in frame ? frame.rid : null, error));
      }
    });
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────────────────────

  async function onHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const headers = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { ...headers, 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const path = new URL(request.url ?? '/', 'http://relay').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { code: 'BAD_REQUEST', message: 'Only GET is served over HTTP; the protocol runs over WebSocket.' });
    if (path === '/health') return json(200, { ok: true });
    if (path === '/version') return json(200, { name: 'hearth-relay', version: RELAY_VERSION, protocol: PROTOCOL_VERSION, relayId });
    const page = /^\/p\/([A-Za-z0-9_-]{1,64})\/?$/.exec(path);
    if (page) {
      response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': viewerCsp, 'x-frame-options': 'DENY' });
      response.end(viewerPage);
      return;
    }
    const data = /^\/p\/([A-Za-z0-9_-]{1,64})\/data$/.exec(path);
    if (data) {
      const link = await store.getLink(data[1]!);
      if (!link) return json(404, { code: 'NOT_FOUND', message: 'No such link.' });
      if (link.revoked || !link.ciphertext || (link.expiresAt !== null && link.expiresAt <= Date.now())) return json(410, { code: 'EXPIRED', message: 'This link was revoked or has expired.' });
      response.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': link.ciphertext.length });
      response.end(link.ciphertext);
      return;
    }
    return json(404, { code: 'NOT_FOUND', message: 'Nothing here. The relay serves /health, /version, /p/<link> and WebSocket.' });
  }

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.3' })
    : createHttpServer();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    onHttp(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  const wss = new WebSocketServer({ server, maxPayload: limits.maxFrameBytes * 2, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const connection = new Connection(nextConnectionId++, socket, limits);
    if (connections.size >= limits.maxConnections) {
      connection.send(encodeFrame(errorFrame(null, limitError('LIMIT_EXCEEDED', 'maxConnections', 'The relay is full; try again later.'))));
      socket.close(1013, 'relay full');
      return;
    }
    connections.add(connection);
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('message', (data: Buffer, isBinary) => onMessage(connection, data, isBinary));
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      endSession(connection);
      connections.delete(connection);
    });
  });
  wss.on('error', (error) => log.write('error', 'websocket_server', { message: error.message }));

  // Connections whose peer vanished without closing are found by ping and dropped.
  const pingTimer = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, PING_INTERVAL_MS);
  pingTimer.unref();

  // Accounts deleted with a window > 0 (or left over from a crash) are purged here.
  const purge = () =>
    store
      .purgeDeleted(Date.now() - purgeWindowMs)
      .then((spaces) => spaces.forEach((space) => forgetSpace(space, true)))
      .catch((error: unknown) => log.write('error', 'purge_failed', { message: (error as Error).message }));
  await purge();
  const purgeTimer = setInterval(purge, Math.max(1000, Math.min(purgeWindowMs || 3600_000, 3600_000)));
  purgeTimer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const secure = Boolean(options.tls);
  log.write('info', 'listening', { host: address.address, port: address.port, relay: relayId, backend: options.postgresUrl ? 'postgres' : 'sqlite' });

  return {
    url: `${secure ? 'wss' : 'ws'}://${host}:${address.port}/`,
    httpUrl: `${secure ? 'https' : 'http'}://${host}:${address.port}/`,
    relayId,
    store,
    async close() {
      clearInterval(purgeTimer);
      clearInterval(pingTimer);
      for (const connection of connections) connection.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

