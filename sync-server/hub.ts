/**
 * The relay's live state, shared by every request: which account each connection is signed in
 * as, who follows which document, and each space's roles (read through from the store). It fans
 * changes, presence and membership news out to the connections that may have them.
 */
import { HearthError } from '../common/errors.ts';
import { fromBase64Url, toBase64Url } from '../common/crypto/sodium.ts';
import { encodeFrame, type RelayFrame } from '../common/protocol/messages.ts';
import type { Role } from '../common/roles.ts';
import type { Connection } from './connection.ts';
import type { RelayLimits } from './limits.ts';
import { limitError } from './refusals.ts';
import type { RelayLog } from './relay-log.ts';
import type { StoreEvent } from './storage/sql-driver.ts';
import type { RelayStore } from './storage/relay-store.ts';

export type Send = (frame: RelayFrame) => void;

/** Past this many spaces in a cache, it starts over rather than grow without bound. */
const CACHE_SPACES = 50_000;

export class RelayHub {
  readonly connections = new Set<Connection>();
  private readonly byAccount = new Map<string, Set<Connection>>();
  /** `space/doc` → the connections that follow it. */
  private readonly subscribers = new Map<string, Set<Connection>>();
  // Members per space, read through on a miss and dropped on every membership event.
  private readonly memberCache = new Map<string, Promise<Map<string, Role>>>();
  private readonly knownHeads = new Map<string, Set<string>>();

  constructor(
    private readonly store: RelayStore,
    private readonly log: RelayLog,
    private readonly limits: RelayLimits,
    private readonly sessionTtlMs: number,
  ) {
    store.onEvent((event) => this.onStoreEvent(event));
  }

  /** The space's members and their roles; empty when there is no such space. */
  members(space: string): Promise<Map<string, Role>> {
    let cached = this.memberCache.get(space);
    if (!cached) {
      if (this.memberCache.size > CACHE_SPACES) this.memberCache.clear();
      cached = this.store.getMembers(space);
      this.memberCache.set(space, cached);
      cached.catch(() => this.memberCache.delete(space));
    }
    return cached;
  }

  /** Drops what is cached about a space: its roles, and when it was deleted, its heads and followers. */
  forgetSpace(space: string, deleted: boolean): void {
    this.memberCache.delete(space);
    if (!deleted) return;
    this.knownHeads.delete(space);
    for (const [key, set] of this.subscribers) {
      if (!key.startsWith(`${space}/`)) continue;
      for (const connection of set) connection.subscriptions.delete(key);
      this.subscribers.delete(key);
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

  /** Signs the connection in as `account` (ending any session it had) and answers with the session. */
  async establish(connection: Connection, account: string, rid: number, send: Send): Promise<void> {
    const open = this.byAccount.get(account);
    if (open && open.size >= this.limits.connectionsPerAccount && !open.has(connection)) {
      throw limitError(
        'LIMIT_EXCEEDED',
        'connectionsPerAccount',
        `This account already has ${this.limits.connectionsPerAccount} connections open; close one first.`,
      );
    }
    this.endSession(connection);
    connection.account = account;
    connection.sessionExpiresAt = Date.now() + this.sessionTtlMs;
    if (!this.byAccount.has(account)) this.byAccount.set(account, new Set());
    this.byAccount.get(account)!.add(connection);
    await this.store.recordSignIn(account, Date.now());
    send({ t: 'session', rid, account, expiresAt: connection.sessionExpiresAt, parts: [] });
  }

  /** Signs the connection out: its presence ends and it follows nothing. */
  endSession(connection: Connection): void {
    if (connection.account) this.byAccount.get(connection.account)?.delete(connection);
    const gone = connection.account;
    if (gone) {
      for (const key of connection.presenceIn) {
        const [space, doc] = key.split('/') as [string, string];
        this.relayPresence(space, doc, gone, undefined, connection).catch(() => undefined);
      }
    }
    connection.presenceIn.clear();
    connection.account = undefined;
    for (const key of connection.subscriptions) this.unsubscribe(connection, key);
    connection.subscriptions.clear();
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

  subscribe(connection: Connection, key: string): void {
    if (connection.subscriptions.size >= this.limits.subscriptionsPerConnection) {
      throw limitError(
        'LIMIT_EXCEEDED',
        'subscriptionsPerConnection',
        `A connection follows at most ${this.limits.subscriptionsPerConnection} documents; unsubscribe from some.`,
      );
    }
    connection.subscriptions.add(key);
    if (!this.subscribers.has(key)) this.subscribers.set(key, new Set());
    this.subscribers.get(key)!.add(connection);
  }

  unsubscribe(connection: Connection, key: string): void {
    connection.subscriptions.delete(key);
    const set = this.subscribers.get(key);
    set?.delete(connection);
    if (set?.size === 0) this.subscribers.delete(key);
  }

  /** Sends a stored change to the document's followers that are members now. */
  async fanOut(space: string, doc: string, seq: number, bytes: Uint8Array, except?: Connection): Promise<void> {
    const set = this.subscribers.get(`${space}/${doc}`);
    if (!set || set.size === 0) return;
    const roles = await this.members(space);
    const frame = encodeFrame({ t: 'change', space, doc, seq, parts: [bytes] });
    for (const connection of set) {
      if (connection === except || !connection.account || !roles.has(connection.account)) continue;
      connection.send(frame);
    }
  }

  /** Presence from a client of this instance: to its subscribers here, and (PostgreSQL) to the other instances'. */
  relayPresence(space: string, doc: string, from: string, payload: Uint8Array | undefined, except: Connection): Promise<void> {
    this.store.driver.publish({ kind: 'presence', space, doc, from, payload: payload ? toBase64Url(payload) : null });
    return this.forwardPresence(space, doc, from, payload, except);
  }

  /** Presence goes to the document's other subscribers that are members now; it is never stored or logged. */
  private async forwardPresence(space: string, doc: string, from: string, payload: Uint8Array | undefined, except?: Connection): Promise<void> {
    const set = this.subscribers.get(`${space}/${doc}`);
    if (!set || set.size === 0) return;
    const roles = await this.members(space);
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
  async notifyMembership(space: string, removed: readonly string[] = [], except?: Connection): Promise<void> {
    const roles = await this.members(space);
    const frame = encodeFrame({ t: 'membershipChanged', space, parts: [] });
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

  /** What the store tells every instance (this one's own writes, and with PostgreSQL the others'). */
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
    else if (this.subscribers.get(`${event.space}/${event.doc}`)?.size) {
      void this.store
        .getChange(event.space, event.doc, event.seq)
        .then((bytes) => (bytes ? this.fanOut(event.space, event.doc, event.seq, bytes) : undefined))
        .catch((error: unknown) => this.log.write('error', 'fanout_failed', { message: (error as Error).message }));
    }
  }
}
