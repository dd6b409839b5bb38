/**
 * The relay's live state, shared by every request: which account each connection is signed in
 * as, who follows which document (feed.ts), and each space's roles (read through from the
 * store). It fans changes, presence and membership news out to the connections that may have
 * them, and with PostgreSQL catches up on what other instances announced and this one missed.
 */
import { HearthError } from '../common/errors.ts';
import { fromBase64Url, toBase64Url } from '../common/crypto/sodium.ts';
import { encodeRawFrame } from '../common/protocol/frame.ts';
import type { RelayFrame } from '../common/protocol/messages.ts';
import type { Role } from '../common/roles.ts';
import type { Connection } from './connection.ts';
import { DocumentFeeds } from './feed.ts';
import type { RelayLimits } from './limits.ts';
import type { RelayLog } from './relay-log.ts';
import { limitError } from './refusals.ts';
import type { StoreEvent } from './storage/sql-driver.ts';
import type { RelayStorage } from './storage/relay-store.ts';

export type Send = (frame: RelayFrame) => void;

/** Past this many spaces in a cache, it starts over rather than grow without bound. */
const CACHE_SPACES = 50_000;
/** A refusal reads a space's roles again only if they were read longer ago than this (so refusals cannot keep the cache cold). */
const RECHECK_AFTER_MS = 100;

export class RelayHub {
  readonly connections = new Set<Connection>();
  private readonly byAccount = new Map<string, Set<Connection>>();
  readonly feeds: DocumentFeeds;
  // Members per space, read through on a miss and dropped on every membership event. Writes do
  // not trust it (the store checks the writer inside the write's transaction); it answers reads
  // and picks who hears of a change.
  private readonly memberCache = new Map<string, { roles: Promise<Map<string, Role>>; at: number }>();
  private readonly knownHeads = new Map<string, Set<string>>();

  constructor(
    private readonly store: RelayStorage,
    private readonly log: RelayLog,
    private readonly limits: RelayLimits,
    private readonly sessionTtlMs: number,
    /** This instance's id: its connections' sessions are stored under it. */
    private readonly instance: string,
  ) {
    this.feeds = new DocumentFeeds(store, log, (space) => this.members(space));
    store.onEvent((event) => this.onStoreEvent(event));
  }

  /** The space's members and their roles; empty when there is no such space. */
  members(space: string): Promise<Map<string, Role>> {
    let cached = this.memberCache.get(space);
    if (!cached) {
      if (this.memberCache.size > CACHE_SPACES) this.memberCache.clear();
      const entry = { roles: this.store.getMembers(space), at: Date.now() };
      this.memberCache.set(space, entry);
      entry.roles.catch(() => this.memberCache.get(space) === entry && this.memberCache.delete(space));
      cached = entry;
    }
    return cached.roles;
  }

  /**
   * The space's roles read again, unless they were read a moment ago: before refusing a request,
   * in case the cache has not heard of a role given through another instance.
   */
  membersAgain(space: string): Promise<Map<string, Role>> {
    const cached = this.memberCache.get(space);
    if (cached && Date.now() - cached.at < RECHECK_AFTER_MS) return cached.roles;
    this.memberCache.delete(space);
    return this.members(space);
  }

  /** Drops what is cached about a space: its roles, and when it was deleted, its heads and followers (who are told). */
  forgetSpace(space: string, deleted: boolean): void {
    this.memberCache.delete(space);
    if (!deleted) return;
    this.knownHeads.delete(space);
    // Its followers hear it (as a membership change, which their clients look up and find the space gone) so a live copy goes at once.
    const told = new Set<Connection>();
    const frame = encodeRawFrame({ t: 'membershipChanged', space });
    for (const key of this.feeds.keysOf(space)) {
      for (const connection of this.feeds.followers(...(key.split('/') as [string, string])) ?? []) {
        connection.subscriptions.delete(key);
        if (told.has(connection) || connection.protocol < 2) continue;
        told.add(connection);
        connection.send(frame);
      }
      this.feeds.drop(key);
    }
  }

  /** Throws unless `head` is a membership head the space had at some point. */
  async requireKnownHead(space: string, head: string): Promise<void> {
    // Heads only accumulate (until the space is deleted), so a head once found stays valid.
    if (this.knownHeads.get(space)?.has(head)) return;
    if (await this.store.hasMembershipHead(space, head)) {
      if (this.knownHeads.size > CACHE_SPACES) this.knownHeads.clear();
      if (!this.knownHeads.has(space)) this.knownHeads.set(space, new Set());
      this.knownHeads.get(space)!.add(head);
      return;
    }
    throw new HearthError('BAD_REQUEST', 'The change names a membership head this space never had; pull the membership log and rewrite the change.');
  }

  // ── sessions ──────────────────────────────────────────────────────────────────────────────

  /** The account signed in on this connection; throws UNAUTHENTICATED when there is none or it expired. */
  session(connection: Connection): string {
    if (!connection.account) throw new HearthError('UNAUTHENTICATED', 'Sign in first: send hello, then signIn (or register).');
    if (Date.now() > connection.sessionExpiresAt) {
      this.endSession(connection);
      throw new HearthError('UNAUTHENTICATED', 'Your session expired; sign in again.');
    }
    return connection.account;
  }

  /** Throws unless `nonce` is the one this connection was issued and it is still fresh; either way it is used up. */
  takeNonce(connection: Connection, nonce: string): void {
    const issued = connection.nonce;
    connection.nonce = undefined; // one attempt per nonce, success or not
    if (!issued || issued.value !== nonce)
      throw new HearthError('UNAUTHENTICATED', 'That nonce was not issued on this connection by this relay, or was already used; send hello for a new one.');
    if (Date.now() > issued.expiresAt) throw new HearthError('UNAUTHENTICATED', 'That nonce expired; send hello for a new one.');
  }

  /**
   * Signs the connection in as `account` (ending any session it had) and answers with the
   * session. The store counts the account's connections on every instance and records the
   * sign-in in the same transaction (so on SQLite, a thousand sign-ins share a few commits).
   */
  async establish(connection: Connection, account: string, rid: number, send: Send, device?: string): Promise<void> {
    const now = Date.now();
    await this.store.openSession({ instance: this.instance, connection: connection.id }, account, this.limits.connectionsPerAccount, now, device);
    if (connection.closed) {
      // The socket went while the session was being opened: its row must not outlive it.
      this.closeSessionRow(connection);
      return;
    }
    this.leave(connection);
    connection.account = account;
    connection.device = device;
    connection.sessionExpiresAt = now + this.sessionTtlMs;
    if (!this.byAccount.has(account)) this.byAccount.set(account, new Set());
    this.byAccount.get(account)!.add(connection);
    send({ t: 'session', rid, account, expiresAt: connection.sessionExpiresAt, ...(device ? { device } : {}), parts: [] });
  }

  /** Signs the connection out: its presence ends, it follows nothing, and its session row goes. */
  endSession(connection: Connection): void {
    const hadSession = connection.account !== undefined;
    this.leave(connection);
    if (hadSession) this.closeSessionRow(connection);
  }

  private closeSessionRow(connection: Connection): void {
    this.store
      .closeSession({ instance: this.instance, connection: connection.id })
      .catch((error: unknown) => this.log.write('error', 'session_close_failed', { message: (error as Error).message }));
  }

  /** This instance's part of ending a session: presence, followers, the account's connections. */
  private leave(connection: Connection): void {
    const gone = connection.account;
    if (gone) {
      this.byAccount.get(gone)?.delete(connection);
      if (this.byAccount.get(gone)?.size === 0) this.byAccount.delete(gone);
      for (const key of connection.presenceIn) {
        const [space, doc] = key.split('/') as [string, string];
        this.relayPresence(space, doc, gone, undefined, connection).catch(() => undefined);
      }
    }
    connection.presenceIn.clear();
    connection.account = undefined;
    connection.device = undefined;
    for (const key of connection.subscriptions) this.feeds.unfollow(connection, key);
    connection.subscriptions.clear();
  }

  /** Ends the sessions of revoked devices on this instance and closes their connections (`except` is closed by its own request, once answered). */
  closeDevices(account: string, devices: readonly string[], except?: Connection): void {
    for (const connection of [...(this.byAccount.get(account) ?? [])]) {
      if (connection === except || !connection.device || !devices.includes(connection.device)) continue;
      this.endSession(connection);
      connection.socket.close(4003, 'device revoked');
    }
  }

  /** Ends every session of a deleted account and closes its connections. */
  closeAccount(account: string): void {
    for (const other of [...(this.byAccount.get(account) ?? [])]) {
      this.endSession(other);
      other.socket.close(4001, 'account deleted');
    }
    this.byAccount.delete(account);
  }

  // ── followers ─────────────────────────────────────────────────────────────────────────────

  /** Follows a document; resolves once every change committed from now on will reach the connection. */
  async subscribe(connection: Connection, space: string, doc: string): Promise<void> {
    const key = `${space}/${doc}`;
    if (!connection.subscriptions.has(key) && connection.subscriptions.size >= this.limits.subscriptionsPerConnection) {
      throw limitError(
        'LIMIT_EXCEEDED',
        'subscriptionsPerConnection',
        `A connection follows at most ${this.limits.subscriptionsPerConnection} documents; unsubscribe from some.`,
      );
    }
    connection.subscriptions.add(key);
    try {
      await this.feeds.follow(connection, space, doc);
    } catch (error) {
      this.unsubscribe(connection, key);
      throw error;
    }
  }

  unsubscribe(connection: Connection, key: string): void {
    connection.subscriptions.delete(key);
    this.feeds.unfollow(connection, key);
  }

  /** A change this instance committed: to the document's followers (but its pusher), after the commit and in order. */
  changeCommitted(space: string, doc: string, seq: number, bytes: Uint8Array, pusher: Connection): void {
    this.feeds.arrive(space, doc, seq, bytes, pusher);
  }

  /**
   * A document's history was forgotten (here, or on another instance): its followers that are
   * members and speak protocol 4 are told to pull its new generation; the change feed moves past
   * the snapshot's sequence number.
   */
  historyForgotten(space: string, doc: string, gen: number, seq: number, except?: Connection): void {
    this.feeds.passed(space, doc, seq);
    const followers = this.feeds.followers(space, doc);
    if (!followers || followers.size === 0) return;
    const frame = encodeRawFrame({ t: 'historyForgotten', space, doc, gen });
    void this.members(space)
      .then((roles) => {
        for (const connection of followers) {
          if (connection === except || !connection.account || !roles.has(connection.account) || connection.protocol < 4) continue;
          connection.send(frame);
        }
      })
      .catch(() => undefined);
  }

  /** Presence from a client of this instance: to its subscribers here, and (PostgreSQL) to the other instances'. */
  relayPresence(space: string, doc: string, from: string, payload: Uint8Array | undefined, except: Connection): Promise<void> {
    this.store.driver.publish({ kind: 'presence', space, doc, from, payload: payload ? toBase64Url(payload) : null });
    return this.forwardPresence(space, doc, from, payload, except);
  }

  /** Presence goes to the document's other subscribers that are members now; it is never stored or logged. */
  private async forwardPresence(space: string, doc: string, from: string, payload: Uint8Array | undefined, except?: Connection): Promise<void> {
    const set = this.feeds.followers(space, doc);
    if (!set || set.size === 0) return;
    const roles = await this.members(space);
    const frame = encodeRawFrame({ t: 'presence', space, doc, from }, payload ? [payload] : []);
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
  async notifyMembership(space: string, removed: readonly string[] = [], except?: Connection): Promise<void> {
    const roles = await this.members(space);
    const frame = encodeRawFrame({ t: 'membershipChanged', space });
    const prefix = `${space}/`;
    for (const account of new Set([...roles.keys(), ...removed])) {
      for (const connection of this.byAccount.get(account) ?? []) {
        if (connection === except || connection.account !== account || connection.protocol < 2) continue;
        for (const key of connection.subscriptions) {
          if (!key.startsWith(prefix)) continue;
          connection.send(frame);
          break;
        }
      }
    }
  }

  /** Reads what this instance may have missed from the store: changes of followed documents, and (after a resync) every space's roles. */
  catchUp(): Promise<void> {
    return this.feeds.sweep();
  }

  /** What the store tells every instance (with PostgreSQL, the others' writes; and `resync` when this one may have missed some). */
  private onStoreEvent(event: StoreEvent): void {
    if (event.kind === 'presence') {
      let payload: Uint8Array | undefined;
      try {
        payload = event.payload === null ? undefined : fromBase64Url(event.payload);
      } catch {
        return;
      }
      if (payload && payload.length > this.limits.maxPresenceBytes) return;
      this.forwardPresence(event.space, event.doc, event.from, payload).catch(() => undefined);
    } else if (event.kind === 'membership') {
      this.forgetSpace(event.space, false);
      this.notifyMembership(event.space, event.removed ?? []).catch(() => undefined);
    } else if (event.kind === 'spaceDeleted') this.forgetSpace(event.space, true);
    else if (event.kind === 'devicesRevoked') this.closeDevices(event.account, event.devices);
    else if (event.kind === 'docDeleted') this.feeds.reset(event.space, event.doc);
    else if (event.kind === 'docReplaced') this.historyForgotten(event.space, event.doc, event.gen, event.seq);
    else if (event.kind === 'change') this.feeds.arrive(event.space, event.doc, event.seq, event.bytes);
    else if (event.kind === 'resync') this.resync();
  }

  /** Announcements may have been lost: forget every cached role, tell followers to check their spaces, and catch up on changes. */
  private resync(): void {
    this.memberCache.clear();
    const spaces = new Set<string>();
    for (const connection of this.connections) for (const key of connection.subscriptions) spaces.add(key.split('/')[0]!);
    for (const space of spaces) this.notifyMembership(space).catch(() => undefined);
    this.catchUp().catch((error: unknown) => this.log.write('error', 'catch_up_failed', { message: (error as Error).message }));
  }
}
