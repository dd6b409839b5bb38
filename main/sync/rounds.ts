/**
 * Rounds of sync: one full exchange for a space (capture, membership, keys, push, pull everything,
 * files, push again, snapshots), `syncOnce` for every space (what `hearth sync` runs), and live
 * sync: one loop per relay that connects, runs a round for each of its spaces, follows their
 * documents (a change the relay forwards is applied at once) and reconnects with backoff.
 */
import { parseChange } from '../../common/protocol/change.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import type { Vault } from '../vault/vault.ts';
import type { Deletion, DeletionClient } from './deletion.ts';
import type { FileClient, FileSync } from './file-sync.ts';
import type { HistoryRequests } from './history-requests.ts';
import type { Inbound, InboundClient } from './inbound.ts';
import type { Membership, MembershipClient } from './membership.ts';
import type { Outbox, OutboxClient } from './outbox.ts';
import type { SpaceQueues } from './queues.ts';
import type { Sharing, SharingClient } from './sharing.ts';
import type { DeviceSync } from './device-sync.ts';
import type { SpaceRegistry } from './spaces.ts';
import { reasonOf, type StatusBoard } from './status.ts';
import { aheadOf } from './verify.ts';
import { INDEX_DOC } from './workspace-index.ts';

/** A sync round through at least this many documents reports its progress. */
const PROGRESS_FROM_DOCS = 20;

export interface SyncReport {
  workspaces: number;
  pushed: number;
  applied: number;
  refused: number;
  /** Genuine changes held here after the round, until the history they build on arrives. */
  waiting: number;
}

/** What one space's round did. */
type RoundResult = Omit<SyncReport, 'workspaces'>;

/** The part of a relay client a round needs, with what it hands the other modules. */
export type RoundClient = MembershipClient &
  OutboxClient &
  InboundClient &
  FileClient &
  DeletionClient &
  SharingClient &
  Pick<RelayClient, 'subscribe' | 'closed' | 'onHistoryForgotten' | 'forgetHistory'>;

export interface RoundsHost<C extends RoundClient> {
  readonly vault: Pick<Vault, 'documents' | 'workspaces' | 'syncState'>;
  readonly account: string;
  readonly spaces: Pick<
    SpaceRegistry,
    'state' | 'get' | 'put' | 'view' | 'name' | 'shareOf' | 'indexedDocs' | 'documentState' | 'syncedSpaceIds' | 'spacesFor'
  >;
  readonly status: Pick<StatusBoard, 'set' | 'stateOf'>;
  readonly queues: Pick<SpaceQueues, 'run' | 'settled'>;
  readonly membership: Pick<Membership<C>, 'refreshMembership' | 'afterMembership' | 'catchUp' | 'learnRemoval'>;
  readonly outbox: Pick<Outbox<C>, 'captureAll' | 'push' | 'snapshotIfDue' | 'rebuildIndexIfDue'>;
  readonly inbound: Pick<Inbound, 'pull' | 'receive' | 'receiveRun' | 'recover' | 'waitingCount'>;
  readonly history: Pick<HistoryRequests, 'ask' | 'answer'>;
  readonly files: Pick<FileSync<C>, 'sync'>;
  readonly deletion: Pick<Deletion<C>, 'reconcile'>;
  readonly sharing: Pick<Sharing<C>, 'endOrphans' | 'drop'>;
  readonly deviceSync: Pick<DeviceSync, 'goneFromRelay' | 'stopHere'>;
  /** Reconnect backoff: the first delay and the cap, in ms (doubled per failure, with jitter). */
  readonly backoff: { initialMs: number; maxMs: number };
  client(url: string): Promise<C>;
  whenClosed(client: C): Promise<void>;
  closeAll(): Promise<void>;
  /** Revokes the public links of deleted documents at their relays (only `onlyRelay`'s, if given). */
  revokeDeletedLinks(onlyRelay?: string): Promise<void>;
}

export class Rounds<C extends RoundClient = RelayClient> {
  private running = false;
  private readonly loops = new Set<string>();
  private readonly sleepers = new Set<() => void>();
  private readonly subscribed = new WeakMap<C, Set<string>>();
  /** Per followed document, what the relay pushed while its turn in the space's queue was still to come: taken in together then. */
  private readonly arrived = new Map<string, Array<{ seq: number; bytes: Uint8Array }>>();

  constructor(private readonly host: RoundsHost<C>) {}

  /** Whether live sync runs. */
  get live(): boolean {
    return this.running;
  }

  /** A document this vault pushed for the first time: while live, follow it (and pull what peers wrote) so their edits arrive live. */
  async pushedNew(spaceId: string, documentId: string, client: C): Promise<void> {
    // The relay does not echo a push to its sender's index subscription.
    if (!this.running || this.subscribed.get(client)?.has(`${spaceId}/${documentId}`)) return;
    await this.follow(spaceId, documentId, client);
    await this.host.inbound.pull(spaceId, documentId, client);
  }

  /** One full exchange for a workspace: capture, membership, keys, push, pull everything, push again. */
  async syncSpace(workspaceId: string, client: C, live: boolean): Promise<RoundResult> {
    const own = this.host.spaces.shareOf(workspaceId);
    if (own && !own.received && !this.host.vault.documents.allIds().some((d) => d.id === own.document)) {
      // The document this vault shared is gone from it: its space ends (endOrphanShares), nothing comes back.
      return { pushed: 0, applied: 0, refused: 0, waiting: 0 };
    }
    this.host.status.set(workspaceId, { state: 'syncing' });
    this.host.outbox.captureAll(workspaceId);
    const removed = new HearthError(
      'FORBIDDEN',
      `You were removed from ${this.host.spaces.name(workspaceId)}; what is on this device stays readable, nothing new arrives.`,
    );
    try {
      await this.host.membership.refreshMembership(workspaceId, client);
    } catch (error) {
      if (this.host.spaces.shareOf(workspaceId) && isHearthError(error, 'NOT_FOUND')) {
        // The person who shared the document deleted it (and its space): the deletion reaches this copy too.
        this.host.sharing.drop(workspaceId, true);
        return { pushed: 0, applied: 0, refused: 0, waiting: 0 };
      }
      if (this.host.deviceSync.goneFromRelay(workspaceId, error)) {
        // Another device of this account turned its sync off and deleted it from the relay: this copy stays and stops syncing.
        this.host.deviceSync.stopHere(workspaceId);
        return { pushed: 0, applied: 0, refused: 0, waiting: 0 };
      }
      // The relay no longer lets a non-member read the log, only up to the entry it was removed by.
      if (!isHearthError(error, 'FORBIDDEN')) throw error;
      await this.host.membership.learnRemoval(workspaceId, client);
      throw removed;
    }
    if (!this.host.spaces.view(workspaceId).role(this.host.account)) throw removed;
    await this.host.membership.afterMembership(workspaceId, client);
    await this.host.deletion.reconcile(workspaceId, client);
    let pushed = await this.host.outbox.push(workspaceId, client);
    // What the relay served altered last time, where later changes wait for it: a good copy may be there now.
    let applied = await this.host.inbound.recover(workspaceId, client);
    let refused = 0;
    const add = (r: { applied: number; refused: number }) => {
      applied += r.applied;
      refused += r.refused;
    };
    // Subscribe before pulling: a change pushed in between arrives live instead of being missed.
    const known = this.host.spaces.indexedDocs(workspaceId);
    if (live) for (const doc of [INDEX_DOC, ...known]) await this.follow(workspaceId, doc, client);
    add(await this.host.inbound.pull(workspaceId, INDEX_DOC, client));
    await this.newIndexGeneration(workspaceId, client);
    this.host.history.answer(workspaceId);
    const docs = this.host.spaces.indexedDocs(workspaceId);
    // A long round (a first sync after joining) says how far it got, about fifty times.
    const step = docs.length >= PROGRESS_FROM_DOCS ? Math.ceil(docs.length / 50) : 0;
    for (const [done, doc] of docs.entries()) {
      if (step && done % step === 0) this.host.status.set(workspaceId, { progress: { done, total: docs.length } });
      if (live && !known.includes(doc)) await this.follow(workspaceId, doc, client);
      add(await this.host.inbound.pull(workspaceId, doc, client));
    }
    if (step) this.host.status.set(workspaceId, { progress: undefined });
    await this.host.files.sync(workspaceId, client);
    this.host.history.ask(workspaceId);
    pushed += await this.host.outbox.push(workspaceId, client);
    await this.host.outbox.rebuildIndexIfDue(workspaceId, client);
    for (const doc of [INDEX_DOC, ...this.host.spaces.indexedDocs(workspaceId)]) await this.host.outbox.snapshotIfDue(workspaceId, doc, client);
    this.host.status.set(workspaceId, { state: 'synced', lastSyncedAt: Date.now() });
    return { pushed, applied, refused, waiting: this.host.inbound.waitingCount(workspaceId) };
  }

  /**
   * While a deleted account's directory entry waits to leave the index's history (account.ts), a
   * new generation an Owner or Admin uploaded (Outbox.rebuildIndexIfDue) is fetched even when this
   * vault had every change it covers, which a pull after the cursor would never hand out.
   */
  private async newIndexGeneration(workspaceId: string, client: C): Promise<void> {
    if (!this.host.spaces.get(workspaceId).forgetInIndex?.length) return;
    const { snapshot } = await client.pull(workspaceId, INDEX_DOC, 0, 1);
    if (!snapshot || this.host.vault.syncState.hasSeen(workspaceId, INDEX_DOC, parseChange(snapshot.bytes).meta.id)) return;
    this.host.inbound.receive(workspaceId, INDEX_DOC, snapshot.covers, snapshot.bytes, 'snapshot');
  }

  async follow(workspaceId: string, documentId: string, client: C): Promise<void> {
    let set = this.subscribed.get(client);
    if (!set) this.subscribed.set(client, (set = new Set()));
    const key = `${workspaceId}/${documentId}`;
    if (set.has(key)) return;
    if (set.size === 0) {
      // A followed document's history was forgotten: its new generation is pulled (and taken in) at once.
      client.onHistoryForgotten(({ space, doc }) => {
        if (!set.has(`${space}/${doc}`)) return;
        void this.host.queues
          .run(space, async () => {
            if (!this.running || this.host.spaces.get(space).paused) return;
            await this.host.inbound.pull(space, doc, client);
            await this.host.outbox.push(space, client);
          })
          .catch((error) => this.host.status.set(space, { state: 'error', reason: reasonOf(error) }));
      });
    }
    set.add(key);
    await client.subscribe(workspaceId, documentId, ({ seq, bytes }) => {
      // A push while this document's turn is already queued joins it (one application for all, see Inbound.receiveRun).
      const waiting = this.arrived.get(key);
      if (waiting) return void waiting.push({ seq, bytes });
      const pushed = [{ seq, bytes }];
      this.arrived.set(key, pushed);
      void this.host.queues
        .run(workspaceId, async () => {
          this.arrived.delete(key);
          if (!this.running || this.host.spaces.get(workspaceId).paused) return;
          let cursor = this.host.spaces.documentState(workspaceId, documentId).cursor;
          // A change made under a membership state or key epoch this device has not seen yet (a peer
          // removed someone, or an account was deleted and the key rotated): catch up before judging it.
          const { epochKeys } = this.host.spaces.get(workspaceId);
          if (pushed.some((p) => p.seq > cursor && aheadOf(this.host.spaces.view(workspaceId), epochKeys, p.bytes))) {
            await this.host.membership.catchUp(workspaceId, client);
            cursor = this.host.spaces.documentState(workspaceId, documentId).cursor;
          }
          const fresh = pushed.filter((p) => p.seq > cursor).sort((a, b) => a.seq - b.seq);
          if (fresh.length === 0) return; // already here (pulled, or our own change)
          if (fresh.every((p, i) => p.seq === cursor + 1 + i)) this.host.inbound.receiveRun(workspaceId, documentId, fresh);
          else await this.host.inbound.pull(workspaceId, documentId, client);
          if (documentId === INDEX_DOC)
            for (const doc of this.host.spaces.indexedDocs(workspaceId)) {
              if (!set.has(`${workspaceId}/${doc}`)) {
                await this.follow(workspaceId, doc, client);
                await this.host.inbound.pull(workspaceId, doc, client);
              }
            }
          if (documentId === INDEX_DOC) {
            this.host.history.answer(workspaceId);
            await this.host.files.sync(workspaceId, client);
          }
          // What this device lacks (or no longer lacks) goes into the index; what others asked for, out.
          this.host.history.ask(workspaceId);
          await this.host.outbox.push(workspaceId, client);
          this.host.status.set(workspaceId, { state: 'synced', lastSyncedAt: Date.now() });
        })
        .catch((error) => this.host.status.set(workspaceId, { state: 'error', reason: reasonOf(error) }));
    });
  }

  /**
   * One round for every team workspace (or one): push and pull until nothing is left, then
   * return. What the CLI's `hearth sync` runs. Workspaces whose relay cannot be reached are
   * reported offline; the round goes on with the others.
   */
  async syncOnce(workspaceIdOrName?: string): Promise<SyncReport> {
    await this.host.sharing.endOrphans();
    const targets = workspaceIdOrName
      ? this.host.spaces.spacesFor(workspaceIdOrName).map((id) => ({ id }))
      : this.host.spaces.syncedSpaceIds().map((id) => ({ id }));
    const report: SyncReport = { workspaces: 0, pushed: 0, applied: 0, refused: 0, waiting: 0 };
    let firstError: unknown;
    for (const workspace of targets) {
      if (!this.host.spaces.state(workspace.id)) continue; // gone during this round (a share ended with its document)
      if (this.host.spaces.get(workspace.id).paused) {
        this.host.status.set(workspace.id, { state: 'paused' });
        continue;
      }
      try {
        const client = await this.host.client(this.host.spaces.get(workspace.id).relay);
        const result = await this.host.queues.run(workspace.id, () => this.syncSpace(workspace.id, client, this.running));
        report.workspaces++;
        report.pushed += result.pushed;
        report.applied += result.applied;
        report.refused += result.refused;
        report.waiting += result.waiting;
      } catch (error) {
        firstError ??= error;
        this.host.status.set(
          workspace.id,
          isHearthError(error, 'UNAVAILABLE') ? { state: 'offline', reason: reasonOf(error) } : { state: 'error', reason: reasonOf(error) },
        );
      }
    }
    // What arrived through one space and was passed on to another (a shared document's edits) goes out in this round too.
    for (const workspace of targets) {
      if (!this.host.spaces.state(workspace.id) || this.host.spaces.get(workspace.id).paused || this.host.vault.syncState.outboxCount(workspace.id) === 0)
        continue;
      try {
        const client = await this.host.client(this.host.spaces.get(workspace.id).relay);
        report.pushed += await this.host.queues.run(workspace.id, () => this.host.outbox.push(workspace.id, client));
      } catch (error) {
        this.host.status.set(workspace.id, { state: 'error', reason: reasonOf(error) });
      }
    }
    // Links of documents deleted here, by a peer or while offline: revoked at their relays now (or next round).
    await this.host.revokeDeletedLinks();
    if (firstError && report.workspaces === 0) throw firstError;
    return report;
  }

  /** Live sync: connects to every relay with a team workspace, follows its documents, reconnects with backoff. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const id of this.host.spaces.syncedSpaceIds()) this.host.status.set(id, { state: this.host.spaces.get(id).paused ? 'paused' : 'offline' });
    const relays = new Set(this.host.spaces.syncedSpaceIds().map((id) => this.host.spaces.get(id).relay));
    for (const url of relays) void this.runRelay(url);
  }

  /** Starts following a relay that gained a workspace after start() (create or accept). */
  ensureRelayLoop(url: string): void {
    if (this.running && !this.loops.has(url)) void this.runRelay(url);
  }

  private async runRelay(url: string): Promise<void> {
    if (this.loops.has(url)) return;
    this.loops.add(url);
    let failures = 0;
    try {
      while (this.running) {
        try {
          const client = await this.host.client(url);
          failures = 0;
          await this.host.sharing.endOrphans(url);
          await this.host.revokeDeletedLinks(url);
          for (const workspace of this.host.spaces.syncedSpaceIds().map((id) => ({ id }))) {
            const space = this.host.spaces.state(workspace.id);
            if (!space || space.relay !== url) continue; // gone meanwhile (a share ended, a workspace left)
            if (space.paused) {
              this.host.status.set(workspace.id, { state: 'paused' });
              continue;
            }
            await this.host.queues
              .run(workspace.id, () => this.syncSpace(workspace.id, client, true))
              .catch((error) => this.host.status.set(workspace.id, { state: client.closed ? 'offline' : 'error', reason: reasonOf(error) }));
          }
          await Promise.race([this.host.whenClosed(client), this.sleep(Number.POSITIVE_INFINITY)]);
        } catch (error) {
          failures++;
          // A relay that refuses the sign-in (this device revoked, the account gone) is not "offline": the page says why.
          const state = isHearthError(error, 'UNAUTHENTICATED') ? 'error' : 'offline';
          for (const workspace of this.host.spaces.syncedSpaceIds().map((id) => ({ id }))) {
            if (this.host.spaces.get(workspace.id).relay === url && !this.host.spaces.get(workspace.id).paused)
              this.host.status.set(workspace.id, { state, reason: reasonOf(error) });
          }
        }
        if (!this.running) break;
        for (const workspace of this.host.spaces.syncedSpaceIds().map((id) => ({ id }))) {
          if (
            this.host.spaces.get(workspace.id).relay === url &&
            !this.host.spaces.get(workspace.id).paused &&
            this.host.status.stateOf(workspace.id) === 'synced'
          ) {
            this.host.status.set(workspace.id, { state: 'offline', reason: { code: 'UNAVAILABLE', message: `Lost the connection to ${url}; reconnecting.` } });
          }
        }
        const delay = Math.min(this.host.backoff.maxMs, this.host.backoff.initialMs * 2 ** Math.min(failures, 16));
        await this.sleep(delay * (0.5 + Math.random() / 2));
      }
    } finally {
      this.loops.delete(url);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      this.sleepers.add(wake);
    });
  }

  /** Stops live sync and closes every connection; the outbox keeps what was not sent. */
  async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    await this.host.closeAll();
    await this.host.queues.settled();
  }

  /** Stops exchanging changes for one workspace; local edits keep queueing in the outbox. */
  pause(workspaceIdOrName: string): void {
    const { workspace } = this.host.vault.workspaces.find(workspaceIdOrName);
    this.host.spaces.put(workspace.id, { ...this.host.spaces.get(workspace.id), paused: true });
    this.host.status.set(workspace.id, { state: 'paused', reason: undefined });
  }

  resume(workspaceIdOrName: string): void {
    const { workspace } = this.host.vault.workspaces.find(workspaceIdOrName);
    const space = this.host.spaces.get(workspace.id);
    this.host.spaces.put(workspace.id, { ...space, paused: false });
    this.host.status.set(workspace.id, { state: 'offline', reason: undefined });
    if (!this.running) return;
    this.ensureRelayLoop(space.relay);
    void this.host
      .client(space.relay)
      .then((client) => this.host.queues.run(workspace.id, () => this.syncSpace(workspace.id, client, true)))
      .catch((error) => this.host.status.set(workspace.id, { state: 'offline', reason: reasonOf(error) }));
  }

  /**
   * Asks the relay for membership entries others made since the last look (a role change, a
   * removal) and for keys sealed to this vault since (the relay only hints that there are some). A
   * refusal because this vault was removed shows as the workspace's error status; a shared
   * document's space that is gone means its sharer deleted it, and the copy here goes too.
   */
  async checkMembership(workspaceIdOrName: string): Promise<void> {
    const { workspace } = this.host.vault.workspaces.find(workspaceIdOrName);
    const space = this.host.spaces.get(workspace.id);
    if (space.paused) return;
    const client = await this.host.client(space.relay);
    await this.host.queues.run(workspace.id, async () => {
      try {
        await this.host.membership.refreshMembership(workspace.id, client);
      } catch (error) {
        if (this.host.spaces.shareOf(workspace.id) && isHearthError(error, 'NOT_FOUND')) {
          // The person who shared the document deleted it (the relay says so to followers at once): the copy goes here too, live.
          this.host.sharing.drop(workspace.id, true);
          return;
        }
        if (!isHearthError(error, 'FORBIDDEN')) throw error;
        await this.host.membership.learnRemoval(workspace.id, client);
        this.host.status.set(workspace.id, {
          state: 'error',
          reason: { code: 'FORBIDDEN', message: `You were removed from ${workspace.name}; what is on this device stays readable, nothing new arrives.` },
        });
        return;
      }
      await this.host.membership.afterMembership(workspace.id, client);
    });
  }
}
