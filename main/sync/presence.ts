/**
 * Presence: who else is in a document now, and their selection. Updates are sealed with the
 * space's key of the current epoch (common/protocol/presence.ts), sent through the relay that
 * forwards them to the document's other subscribers and keeps nothing, and live here in memory only.
 *
 * This vault is in at most one document at a time: `set(doc, selection)` moves it there (leaving
 * the previous one), `set(doc, null)` leaves. While in a document it repeats its update every
 * `heartbeatMs`; a peer not heard from for `ttlMs`, or whose connection the relay reports gone,
 * disappears. Updates that do not open, name another sender, or come from a non-member are dropped.
 */
import type { PresenceEntry } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { openPresence, sealPresence } from '../../common/protocol/presence.ts';
import type { Vault } from '../vault/vault.ts';

export type { PresenceEntry } from '../../common/api/contract.ts';

export interface PresenceOptions {
  /** How often this vault repeats its presence while in a document (default 10 s). */
  heartbeatMs?: number;
  /** How long a peer stays listed without an update (default 30 s). */
  ttlMs?: number;
  /** Cursor moves closer together than this are sent as one (default 50 ms). */
  minIntervalMs?: number;
}

/** What presence needs from the sync engine: workspaces' relays and keys, and verified membership. */
export interface PresenceHost {
  readonly vault: Vault;
  readonly account: string;
  /** The relay of a space this vault syncs and whether its sync is paused; undefined for anything else. */
  spaceOf(space: string): { relay: string; paused: boolean } | undefined;
  /** The spaces a document syncs through: its team workspace and the spaces it is shared in selectively. */
  spacesOf(documentId: string): string[];
  /** The key of the space's current epoch, if this device has it. */
  currentKey(space: string): { epoch: number; key: Uint8Array } | undefined;
  keyOf(workspaceId: string, epoch: number): Uint8Array | undefined;
  isMember(workspaceId: string, account: string): boolean;
  profileOf(workspaceId: string, account: string): { username: string; displayName: string; avatar?: string } | undefined;
  /** Catches up with the relay's membership log and keys (in the background; failures are ignored). */
  learnMembership(workspaceId: string): void;
}

type Listener = (documentId: string, entries: PresenceEntry[]) => void;

interface PeerEntry extends PresenceEntry {
  /** The space the latest update came through. */
  space: string;
  /** The sender's own timestamp, so an older update (a replay) never replaces a newer one. */
  sentAt: number;
}

const MAX_OFFSET = 100_000_000;
/** At most one membership catch-up per workspace this often, however many unknown senders there are. */
const LEARN_EVERY_MS = 10_000;

export class PresenceHub {
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly minIntervalMs: number;
  private readonly peers = new Map<string, Map<string, PeerEntry>>();
  private readonly listeners = new Set<Listener>();
  private readonly clients = new Map<string, RelayClient>();
  private readonly attached = new WeakSet<RelayClient>();
  private mine: { documentId: string; selection: { from: number; to: number } | null } | undefined;
  private lastSentAt = 0;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private readonly learnedAt = new Map<string, number>();

  constructor(
    private readonly host: PresenceHost,
    options: PresenceOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.minIntervalMs = options.minIntervalMs ?? 50;
  }

  /** Listens on a newly signed-in connection and announces this vault's presence there. */
  attach(relay: string, client: RelayClient): void {
    if (this.attached.has(client)) return;
    this.attached.add(client);
    this.clients.set(relay, client);
    client.onPresence((update) => this.receive(relay, update));
    client.onClose(() => {
      if (this.clients.get(relay) === client) this.clients.delete(relay);
      this.dropRelay(relay);
    });
    if (this.mine && this.spacesFor(this.mine.documentId).some((space) => this.host.spaceOf(space)?.relay === relay)) this.sendNow();
  }

  set(documentId: string, selection: { from: number; to: number } | null): void {
    if (selection !== null) {
      const { from, to } = selection;
      if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > MAX_OFFSET) {
        throw new HearthError('BAD_REQUEST', 'A selection is two whole offsets into the text, from ≤ to.');
      }
    }
    this.host.vault.documents.summary(documentId); // NOT_FOUND for a document that is not here
    if (selection === null) {
      if (this.mine?.documentId !== documentId) return;
      this.leave();
      return;
    }
    if (this.mine && this.mine.documentId !== documentId) this.leave();
    this.mine = { documentId, selection: { from: selection.from, to: selection.to } };
    this.heartbeat ??= setInterval(() => this.sendNow(), this.heartbeatMs);
    this.heartbeat.unref?.();
    const wait = this.lastSentAt + this.minIntervalMs - Date.now();
    if (wait <= 0) this.sendNow();
    else if (!this.pending) {
      this.pending = setTimeout(() => this.sendNow(), wait);
      this.pending.unref?.();
    }
  }

  /**
   * A space's member directory changed (a member changed their profile): the people shown in its
   * documents take their new name and avatar now, not at their next heartbeat.
   */
  profilesChanged(space: string): void {
    for (const [doc, entries] of this.peers) {
      let changed = false;
      for (const [from, entry] of entries) {
        if (entry.space !== space) continue;
        const profile = this.host.profileOf(space, from);
        if (!profile) continue;
        const { avatar: _old, ...rest } = entry;
        const next = { ...rest, username: profile.username, displayName: profile.displayName, ...(profile.avatar ? { avatar: profile.avatar } : {}) };
        if (next.username === entry.username && next.displayName === entry.displayName && next.avatar === entry.avatar) continue;
        entries.set(from, next);
        changed = true;
      }
      if (changed) this.notify(doc);
    }
  }

  /** The other people in a document now (never this vault's own account), by username. */
  list(documentId: string, now = Date.now()): PresenceEntry[] {
    const entries = [...(this.peers.get(documentId)?.values() ?? [])].filter((e) => now - e.at < this.ttlMs);
    return entries
      .map(({ account, username, displayName, avatar, selection, at }) => ({
        account,
        username,
        displayName,
        ...(avatar ? { avatar } : {}),
        selection: selection && { ...selection },
        at,
      }))
      .sort((a, b) => a.username.localeCompare(b.username) || a.account.localeCompare(b.account));
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.mine) this.leave();
    clearInterval(this.sweeper);
    clearTimeout(this.pending);
    this.sweeper = undefined;
    this.pending = undefined;
    const documents = [...this.peers.keys()];
    this.peers.clear();
    for (const documentId of documents) this.notify(documentId);
    this.clients.clear();
  }

  private leave(): void {
    const mine = this.mine;
    this.mine = undefined;
    clearInterval(this.heartbeat);
    clearTimeout(this.pending);
    this.heartbeat = undefined;
    this.pending = undefined;
    if (mine) this.send(mine.documentId, null, true);
  }

  private sendNow(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    if (!this.mine) return;
    this.lastSentAt = Date.now();
    this.send(this.mine.documentId, this.mine.selection, false);
  }

  /** Fire and forget: presence is a hint, so an offline relay or a refusal only means nobody sees it. */
  private spacesFor(documentId: string): string[] {
    try {
      return this.host.spacesOf(documentId);
    } catch {
      return []; // deleted meanwhile
    }
  }

  /**
   * To every space the document syncs through, each sealed with that space's key, so the team
   * and the people it is shared with one by one see the same. Fire and forget: presence is a
   * hint, so an offline relay or a refusal only means nobody sees it.
   */
  private send(documentId: string, selection: { from: number; to: number } | null, left: boolean): void {
    for (const space of this.spacesFor(documentId)) {
      const state = this.host.spaceOf(space);
      if (!state || state.paused) continue;
      const client = this.clients.get(state.relay);
      const current = this.host.currentKey(space);
      if (!client || client.closed || !current) continue;
      const payload = sealPresence(
        { space, doc: documentId, epoch: current.epoch },
        { account: this.host.account, selection, at: Date.now(), ...(left ? { left } : {}) },
        current.key,
      );
      client.sendPresence(space, documentId, payload).catch(() => undefined);
    }
  }

  private receive(relay: string, update: { space: string; doc: string; from: string; payload: Uint8Array | undefined }): void {
    const { space, doc, from, payload } = update;
    if (from === this.host.account || this.host.spaceOf(space)?.relay !== relay) return;
    if (!payload) {
      this.remove(doc, from);
      return;
    }
    let unknownEpoch = false;
    const keyOf = (epoch: number) => {
      const key = this.host.keyOf(space, epoch);
      unknownEpoch = key === undefined;
      return key;
    };
    // A sender this device does not know as a member (yet), or a key epoch it lacks: someone
    // joined or a key rotated since the last sync. Catch up; the sender's next heartbeat gets in.
    if (!this.host.isMember(space, from)) return this.learn(space);
    const body = openPresence(payload, { space, doc, from }, keyOf);
    if (!body) return unknownEpoch ? this.learn(space) : undefined;
    const existing = this.peers.get(doc)?.get(from);
    if (existing && body.at < existing.sentAt) return;
    if (body.left) {
      this.remove(doc, from);
      return;
    }
    const profile = this.host.profileOf(space, from);
    let entries = this.peers.get(doc);
    if (!entries) this.peers.set(doc, (entries = new Map()));
    entries.set(from, {
      account: from,
      username: profile?.username ?? from,
      displayName: profile?.displayName ?? profile?.username ?? from,
      ...(profile?.avatar ? { avatar: profile.avatar } : {}),
      selection: body.selection,
      at: Date.now(),
      space,
      sentAt: body.at,
    });
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, Math.min(5000, Math.floor(this.ttlMs / 3))));
    this.sweeper.unref?.();
    this.notify(doc);
  }

  private learn(workspaceId: string): void {
    const now = Date.now();
    if (now - (this.learnedAt.get(workspaceId) ?? 0) < LEARN_EVERY_MS) return;
    this.learnedAt.set(workspaceId, now);
    this.host.learnMembership(workspaceId);
  }

  private remove(documentId: string, account: string): void {
    const entries = this.peers.get(documentId);
    if (!entries?.delete(account)) return;
    if (entries.size === 0) this.peers.delete(documentId);
    this.notify(documentId);
  }

  /** The connection to a relay closed: nobody there can be seen any more. */
  private dropRelay(relay: string): void {
    for (const [documentId, entries] of [...this.peers]) {
      for (const entry of [...entries.values()]) if (this.host.spaceOf(entry.space)?.relay === relay) this.remove(documentId, entry.account);
    }
  }

  private sweep(now = Date.now()): void {
    for (const [documentId, entries] of [...this.peers]) {
      for (const entry of [...entries.values()]) if (now - entry.at >= this.ttlMs) this.remove(documentId, entry.account);
    }
    if (this.peers.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private notify(documentId: string): void {
    const entries = this.list(documentId);
    for (const listener of this.listeners) {
      try {
        listener(documentId, entries);
      } catch {
        // A listener's failure must not stop the others or the connection.
      }
    }
  }
}
