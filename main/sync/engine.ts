/**
 * The sync engine of one unlocked vault: accounts on relays, team workspaces (create, invite,
 * accept, roles, removal with key rotation), and the exchange of encrypted, signed changes.
 *
 * Local edits are captured into the vault's sealed outbox in the same tick they are persisted
 * (and, after a crash, by comparing each document with the heads already handed over), so an
 * edit made offline or just before a SIGKILL still goes out on the next connection. Remote
 * changes are applied only after client-side verification (S5); what fails is kept aside in the
 * quarantine table and reported with the workspace's name.
 */
import * as A from '@automerge/automerge';
import WebSocket from 'ws';
import type { SharePlan, SyncStateName, SyncStatus, SyncWarning, TeamInvitation, TeamMember as Member } from '../../common/api/contract.ts';
import { equalBytes, fromBase64Url, fromHex, hash, newId, randomKey, toBase64Url, toHex, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError, type ErrorCode } from '../../common/errors.ts';
import { nextEntry, signMembershipEntry, type MembershipAction } from '../../common/membership/log.ts';
import { openChange, parseChange, sealChange, verifyChange, type ParsedChange } from '../../common/protocol/change.ts';
import { accountIdOf, RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import type { AccessReport } from '../../common/protocol/messages.ts';
import { openEnvelope, sealEnvelope } from '../../common/protocol/envelope.ts';
import { MembershipHistory } from '../../common/protocol/verify.ts';
import { canComment, canDeleteContent, canManageMembers, canPush, canSetRole, canWriteContent, Roles, type Role } from '../../common/roles.ts';
import type { CommentRecord } from '../vault/comments.ts';
import type { DocumentContent } from '../vault/documents.ts';
import type { DocumentSyncState, OutboxEntry, SpaceState } from '../vault/sync-state.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import { downloadFile, uploadFile } from './files.ts';
import { MembershipView } from './membership-view.ts';
import { decodeChanges, decodeComment, decodeSnapshot, encodeChanges, encodeComment, encodeSnapshot, joinChanges } from './payload.ts';
import { emptyIndex, INDEX_DOC, loadIndex, newIndex, saveIndex, type IndexDoc, type WorkspaceIndex } from './workspace-index.ts';
import { assertLinkOnConfiguredRelay, openPublicLink, PublicLinks, type LinkInfo, type OpenedLink, type PendingLinkRevocation } from './links.ts';
import { AccountDeletion, type AccountDeletionOptions, type AccountDeletionResult } from './account.ts';

export type { LinkInfo, OpenedLink } from './links.ts';
import { PresenceHub, type PresenceEntry, type PresenceOptions } from './presence.ts';

export type { PresenceEntry, PresenceOptions } from './presence.ts';

export type { SharePlan, SyncStateName, SyncWarning, TeamMember as Member } from '../../common/api/contract.ts';

/** An invitation as the engine lists it: the API's, always saying what it is for. */
export interface Invitation extends TeamInvitation {
  /** A whole team workspace, or one document shared selectively. */
  kind: 'workspace' | 'document';
}

/** The name of the local workspace that holds the documents others shared with this vault. */
export const SHARED_WITH_ME = 'Shared with me';

export interface SyncReport {
  workspaces: number;
  pushed: number;
  applied: number;
  refused: number;
}

export interface SyncEngineOptions {
  /** Opens a WebSocket; the `ws` package by default. Tests pass a recorder or a hostile proxy here. */
  createSocket?: (url: string) => WebSocketLike;
  /** Reconnect backoff: the first delay and the cap, in ms (doubled per failure, with jitter). */
  backoff?: { initialMs: number; maxMs: number };
  /** Largest blob the outbox coalesces queued changes into. */
  maxBlobBytes?: number;
  /** After this many relay changes past the last snapshot, a writer uploads an encrypted snapshot. */
  snapshotEvery?: number;
  /** Presence heartbeat, expiry and throttle (main/sync/presence.ts); defaults 10 s, 30 s, 50 ms. */
  presence?: PresenceOptions;
}

const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 30_000 };
const DEFAULT_MAX_BLOB = 256 * 1024;
const DEFAULT_SNAPSHOT_EVERY = 1000;
/** A sync round through at least this many documents reports its progress. */
const PROGRESS_FROM_DOCS = 20;

function defaultSocket(url: string): WebSocketLike {
  return new WebSocket(url) as unknown as WebSocketLike;
}

function avatarBytes(dataUrl: string | undefined): Uint8Array | undefined {
  if (!dataUrl) return undefined;
  const comma = dataUrl.indexOf(',');
  return new Uint8Array(Buffer.from(dataUrl.slice(comma + 1), 'base64'));
}

function errorOf(error: unknown): { code: ErrorCode; message: string } {
  if (isHearthError(error)) return { code: error.code, message: error.cause ? `${error.message} (${(error.cause as Error).message ?? String(error.cause)})` : error.message };
  return { code: 'INTERNAL', message: (error as Error)?.message ?? String(error) };
}

export class SyncEngine {
  private readonly createSocket: (url: string) => WebSocketLike;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly maxBlobBytes: number;
  private readonly snapshotEvery: number;
  private readonly clients = new Map<string, Promise<RelayClient>>();
  private readonly closeWaiters = new Map<string, Set<() => void>>();
  private readonly subscribed = new WeakMap<RelayClient, Set<string>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly pushQueued = new Set<string>();
  private readonly statuses = new Map<string, SyncStatus>();
  private readonly statusListeners = new Set<(status: SyncStatus) => void>();
  private readonly warningListeners = new Set<(warning: SyncWarning) => void>();
  private readonly remoteListeners = new Set<(change: { workspaceId: string; documentId: string; kind: 'content' | 'comment' | 'snapshot' | 'index' }) => void>();
  private readonly views = new Map<string, MembershipView>();
  private readonly spaces = new Map<string, SpaceState>();
  /** Workspaces whose documents were compared with the handed-over heads since this engine started. */
  private readonly reconciled = new Set<string>();
  private readonly indexes = new Map<string, IndexDoc>();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly sleepers = new Set<() => void>();
  private applyingRemote = false;
  private running = false;

  constructor(
    private readonly vault: Vault,
    options: SyncEngineOptions = {},
  ) {
    this.createSocket = options.createSocket ?? defaultSocket;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB;
    this.snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    this.presenceOptions = options.presence ?? {};
    this.unsubscribers.push(
      vault.documents.subscribe((documentId, changes) => this.onLocalDocument(documentId, changes)),
      vault.comments.subscribe((documentId) => this.onLocalComment(documentId)),
      vault.files.subscribe((info) => this.onLocalFile(info.workspaceId)),
      vault.documents.onDelete((_documentId, workspaceId) => this.onLocalDeletion(workspaceId)),
      vault.documents.onDelete((documentId) => this.onDocumentGone(documentId)),
      vault.files.onDelete((info) => this.onLocalDeletion(info.workspaceId)),
    );
  }

  /** This vault's account id on every relay: the base64url of its Ed25519 public key. */
  get account(): string {
    return toBase64Url(fromHex(this.vault.publicKeys.signPublicKey));
  }

  // ---------------------------------------------------------------- relays and accounts

  /** Remembers a relay address (ws:// or wss://) without connecting. */
  addRelay(url: string): void {
    if (!/^wss?:\/\/[^\s]+$/.test(url)) throw new HearthError('BAD_REQUEST', `${url} is not a relay address; it starts with ws:// or wss://.`);
    if (!this.vault.syncState.relay(url)) this.vault.syncState.putRelay({ url });
  }

  relays(): Array<{ url: string; account?: string; registeredAt?: number }> {
    return this.vault.syncState.relays().map(({ url, account, registeredAt }) => ({ url, ...(account ? { account } : {}), ...(registeredAt ? { registeredAt } : {}) }));
  }

  /** What the relay holds about this account: its right-of-access report (the `access` frame). */
  async accessReport(url: string): Promise<{ report: AccessReport; avatar: Uint8Array | undefined }> {
    return (await this.client(url)).access();
  }

  /**
   * Creates this vault's account on the relay, publishing its username, display name and avatar
   * (nothing else). Registering again where the account already exists just signs in.
   */
  async register(url: string): Promise<{ relay: string; account: string; username: string }> {
    this.addRelay(url);
    const keys = this.vault.identityKeys();
    const profile = this.vault.profile;
    const client = await RelayClient.connect(url, (u) => this.openSocket(u));
    try {
      const avatar = avatarBytes(profile.avatar);
      try {
        await client.register(keys, { username: profile.username, displayName: profile.displayName, ...(avatar ? { avatar } : {}) });
      } catch (error) {
        if (!isHearthError(error, 'ALREADY_EXISTS')) throw error;
        const existing = await client.lookup(profile.username).catch(() => undefined);
        if (existing?.account !== accountIdOf(keys)) {
          throw new HearthError('ALREADY_EXISTS', `The username ${profile.username} is taken on ${url} by someone else; choose another username for this vault.`);
        }
        await client.signIn(keys);
      }
    } catch (error) {
      client.close();
      throw error;
    }
    this.vault.syncState.putRelay({ url, account: accountIdOf(keys), registeredAt: Date.now() });
    this.clients.set(url, Promise.resolve(client));
    this.listen(url, client);
    return { relay: url, account: accountIdOf(keys), username: profile.username };
  }

  private openSocket(url: string): WebSocketLike {
    const socket = this.createSocket(url);
    socket.addEventListener('close', () => {
      const waiters = this.closeWaiters.get(url);
      this.closeWaiters.delete(url);
      for (const wake of waiters ?? []) wake();
    });
    return socket;
  }

  /** Hooks a new signed-in client up to presence and to the relay's membership hints. */
  private listen(url: string, client: RelayClient): void {
    this.presenceHub.attach(url, client);
    // The relay says a followed space's membership or keys changed: catch up now, through the same
    // serialised path as the app's poll (main/app/session.ts), which stays as the fallback.
    client.onMembershipChanged((space) => {
      if (this.spaceState(space)) this.checkMembership(space).catch(() => undefined);
    });
  }

  /** A signed-in client for `url`, reusing the open one. */
  private async client(url: string): Promise<RelayClient> {
    const existing = this.clients.get(url);
    if (existing) {
      const client = await existing.catch(() => undefined);
      if (client && !client.closed) return client;
      this.clients.delete(url);
    }
    const relay = this.vault.syncState.relay(url);
    if (!relay?.account) throw new HearthError('UNAUTHENTICATED', `This vault has no account on ${url} yet; run \`hearth account register --relay ${url}\` first.`);
    const connecting = (async () => {
      const client = await RelayClient.connect(url, (u) => this.openSocket(u));
      try {
        await client.signIn(this.vault.identityKeys());
      } catch (error) {
        client.close();
        throw error;
      }
      this.listen(url, client);
      return client;
    })();
    this.clients.set(url, connecting);
    try {
      return await connecting;
    } catch (error) {
      this.clients.delete(url);
      throw error;
    }
  }

  // ---------------------------------------------------------------- team workspaces

  /** The space's state, decrypted once and kept while the engine runs (every write goes through putSpace). */
  private spaceState(workspaceId: string): SpaceState | undefined {
    let state = this.spaces.get(workspaceId);
    if (!state) {
      state = this.vault.syncState.space(workspaceId);
      if (state) this.spaces.set(workspaceId, state);
    }
    return state;
  }

  private putSpace(workspaceId: string, state: SpaceState): void {
    this.vault.syncState.putSpace(workspaceId, state);
    this.spaces.set(workspaceId, state);
  }

  private space(workspaceId: string): SpaceState {
    const state = this.spaceState(workspaceId);
    if (!state) throw new HearthError('BAD_REQUEST', `Workspace ${workspaceId} is not a team workspace; only team workspaces sync.`);
    return state;
  }

  private view(workspaceId: string): MembershipView {
    let view = this.views.get(workspaceId);
    if (!view) {
      view = MembershipView.replay(workspaceId, this.space(workspaceId).membership);
      this.views.set(workspaceId, view);
    }
    return view;
  }

  private index(workspaceId: string): IndexDoc {
    let index = this.indexes.get(workspaceId);
    if (!index) {
      index = loadIndex(this.space(workspaceId).index);
      this.indexes.set(workspaceId, index);
    }
    return index;
  }

  private teamWorkspaces(): Workspace[] {
    const ids = new Set(this.vault.syncState.spaceIds());
    return this.vault.workspaces.list().filter((w) => ids.has(w.id));
  }

  /** The relay spaces of selectively shared documents this vault made or accepted (whose holder still exists). */
  private shareSpaceIds(): string[] {
    const ids = new Set(this.vault.syncState.spaceIds());
    const holders = new Set(this.vault.workspaces.list().map((w) => w.id));
    return this.vault.workspaces
      .shareSpaces()
      .filter((w) => ids.has(w.id) && holders.has(this.spaceState(w.id)?.share?.workspace ?? ''))
      .map((w) => w.id);
  }

  /** Every space this vault syncs: its team workspaces, then its shared documents' spaces. */
  private syncedSpaceIds(): string[] {
    return [...this.teamWorkspaces().map((w) => w.id), ...this.shareSpaceIds()];
  }

  private shareOf(spaceId: string): SpaceState['share'] {
    return this.spaceState(spaceId)?.share;
  }

  /** The spaces a local document travels through: its team workspace (if any) and the spaces it is shared in. */
  private spacesOf(documentId: string): string[] {
    const holder = this.vault.documents.workspaceOf(documentId);
    const spaces = this.isSynced(holder) ? [holder] : [];
    for (const id of this.shareSpaceIds()) if (this.shareOf(id)!.document === documentId) spaces.push(id);
    return spaces;
  }

  /** The local documents a space carries. */
  private docsOf(spaceId: string): string[] {
    const share = this.shareOf(spaceId);
    const all = this.vault.documents.allIds();
    if (share) return all.some((d) => d.id === share.document) ? [share.document] : [];
    return all.filter((d) => d.workspaceId === spaceId).map((d) => d.id);
  }

  /** The share space of `documentId` that this vault made (and owns), if any. */
  private ownShareOf(documentId: string): string | undefined {
    return this.shareSpaceIds().find((id) => {
      const share = this.shareOf(id)!;
      return share.document === documentId && !share.received;
    });
  }

  /** What a space is called in statuses and warnings: the workspace's name, or the shared document's title. */
  private spaceName(spaceId: string): string {
    const share = this.shareOf(spaceId);
    if (share) {
      let title = this.index(spaceId).name ?? '';
      try {
        title = this.vault.documents.summary(share.document).title || title;
      } catch {
        // the document is not here (yet)
      }
      return `Shared document "${title || 'Untitled'}"`;
    }
    try {
      return this.vault.workspaces.get(spaceId).name;
    } catch {
      return spaceId;
    }
  }

  /** This vault's role in a team workspace as of the last verified membership log; undefined if not a member. */
  roleIn(workspaceIdOrName: string): Role | undefined {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind !== 'team' || !this.spaceState(workspace.id)) return undefined;
    return this.view(workspace.id).role(this.account);
  }

  /**
   * This vault's role for one document: its team workspace's role, or for a document shared with
   * this vault the role it was shared with; undefined for a personal document (no restriction)
   * or when the membership ended.
   */
  documentRole(documentId: string): Role | undefined {
    const holder = this.vault.documents.workspaceOf(documentId);
    if (this.isSynced(holder)) return this.view(holder).role(this.account);
    const space = this.shareSpaceIds().find((id) => this.shareOf(id)!.document === documentId && this.shareOf(id)!.received);
    return space ? this.view(space).role(this.account) : undefined;
  }

  /** Creates a team workspace on a relay: the space, its genesis entry, the epoch-0 key sealed to this vault. */
  async createTeamWorkspace(name: string, relayUrl: string): Promise<Workspace> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100) throw new HearthError('BAD_REQUEST', 'A workspace name is 1–100 characters.');
    if (!this.vault.syncState.relay(relayUrl)?.account) await this.register(relayUrl);
    const client = await this.client(relayUrl);
    const keys = this.vault.identityKeys();
    const id = newId();
    await client.createSpace(keys, id, 'workspace');
    const entries = await client.getMembership(id, 0);
    const view = MembershipView.replay(id, entries);
    const key = randomKey();
    await client.putEnvelopes(id, 0, [{ recipient: this.account, envelope: this.sealEnvelope(id, 0, key, this.account, keys.boxPublicKey) }]);
    let index = newIndex(trimmed);
    const profile = this.vault.profile;
    index = A.change(index, (d) => {
      d.members[this.account] = { username: profile.username, displayName: profile.displayName, boxPublicKey: toBase64Url(keys.boxPublicKey) };
    });
    const workspace: Workspace = { id, name: trimmed, kind: 'team', createdAt: Date.now(), relay: relayUrl };
    this.vault.transaction(() => {
      this.vault.workspaces.adopt(workspace);
      this.vault.audit.record('workspace.created', id);
      this.putSpace(id, { relay: relayUrl, epochKeys: { 0: toHex(key) }, membership: [...view.entries], index: saveIndex(index), paused: false });
      this.vault.syncState.enqueue(id, { documentId: INDEX_DOC, kind: 'content', payload: encodeChanges(A.getAllChanges(index)) });
      this.vault.syncState.putDocument(id, INDEX_DOC, { cursor: 0, heads: A.getHeads(index), comments: {} });
    });
    this.views.set(id, view);
    this.indexes.set(id, index);
    await this.serial(id, () => this.push(id, client));
    this.setStatus(id, { state: 'synced', lastSyncedAt: Date.now() });
    this.ensureRelayLoop(relayUrl);
    return this.vault.workspaces.get(id);
  }

  /**
   * What turning a personal workspace into a team one would send to the relay, for the
   * confirmation the user must give: every document and comment, encrypted; files stay here.
   */
  describeTeamConversion(workspaceIdOrName: string): { workspaceId: string; name: string; documents: number; comments: number; filesStayLocal: number; message: string } {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind !== 'personal') throw new HearthError('BAD_REQUEST', `${workspace.name} is already a team workspace.`);
    const documents = this.vault.documents.list(workspace.id);
    const comments = documents.reduce((n, d) => n + this.vault.comments.records(d.id).length, 0);
    const filesStayLocal = this.vault.files.list(workspace.id).length;
    return {
      workspaceId: workspace.id,
      name: workspace.name,
      documents: documents.length,
      comments,
      filesStayLocal,
      message:
        `${documents.length} document(s) with their full history and ${comments} comment(s) will be encrypted on this device and uploaded to the relay, ` +
        `where only members you invite can read them; the relay sees their sizes and timing, never their content.` +
        (filesStayLocal ? ` ${filesStayLocal} attached file(s) stay on this device.` : ''),
    };
  }

  /** Turns a personal workspace into a team one on `relayUrl`; `confirmed` must echo the user's explicit yes. */
  async convertToTeam(workspaceIdOrName: string, relayUrl: string, confirmed: boolean): Promise<Workspace> {
    const plan = this.describeTeamConversion(workspaceIdOrName);
    if (!confirmed) throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Confirm to go ahead.`);
    if (!this.spaceState(plan.workspaceId) && !this.vault.syncState.relay(relayUrl)?.account) await this.register(relayUrl);
    const client = await this.client(relayUrl);
    const keys = this.vault.identityKeys();
    await client.createSpace(keys, plan.workspaceId, 'workspace');
    const view = MembershipView.replay(plan.workspaceId, await client.getMembership(plan.workspaceId, 0));
    const key = randomKey();
    await client.putEnvelopes(plan.workspaceId, 0, [{ recipient: this.account, envelope: this.sealEnvelope(plan.workspaceId, 0, key, this.account, keys.boxPublicKey) }]);
    const profile = this.vault.profile;
    const index = A.change(newIndex(plan.name), (d) => {
      d.members[this.account] = { username: profile.username, displayName: profile.displayName, boxPublicKey: toBase64Url(keys.boxPublicKey) };
    });
    this.vault.transaction(() => {
      this.vault.workspaces.makeTeam(plan.workspaceId, relayUrl);
      // The files already here stay here, as the conversion's message says; files added later sync.
      const localFiles = this.vault.files.list(plan.workspaceId).map((f) => f.id);
      this.putSpace(plan.workspaceId, { relay: relayUrl, epochKeys: { 0: toHex(key) }, membership: [...view.entries], index: saveIndex(index), paused: false, localFiles });
      this.vault.syncState.enqueue(plan.workspaceId, { documentId: INDEX_DOC, kind: 'content', payload: encodeChanges(A.getAllChanges(index)) });
      this.vault.syncState.putDocument(plan.workspaceId, INDEX_DOC, { cursor: 0, heads: A.getHeads(index), comments: {} });
    });
    this.views.set(plan.workspaceId, view);
    this.indexes.set(plan.workspaceId, index);
    await this.serial(plan.workspaceId, () => this.syncWorkspace(plan.workspaceId, client, this.running));
    this.ensureRelayLoop(relayUrl);
    return this.vault.workspaces.get(plan.workspaceId);
  }

  private sealEnvelope(space: string, epoch: number, key: Uint8Array, recipient: string, recipientBoxKey: Uint8Array): Uint8Array {
    return sealEnvelope({ space, epoch, recipient, recipientBoxPublicKey: recipientBoxKey, key, sender: this.vault.identityKeys() });
  }

  /** Opens an envelope if it is sealed to this vault and signed by someone who managed the space; else undefined. */
  private openEnvelope(view: MembershipView, epoch: number, sealed: Uint8Array): string | undefined {
    try {
      const history = MembershipHistory.replay(view.current.space, view.entries);
      return toHex(openEnvelope(sealed, this.vault.identityKeys(), { space: view.current.space, epoch }, history).key);
    } catch {
      return undefined;
    }
  }

  /** The members of a team workspace with their published names (refreshed from the relay when reachable). */
  async members(workspaceIdOrName: string): Promise<Member[]> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    await this.refresh(workspace.id).catch(() => undefined);
    const view = this.view(workspace.id);
    const directory = this.index(workspace.id).members ?? {};
    return [...view.current.members].map(([account, role]) => {
      const entry = directory[account];
      return { account, role, isMe: account === this.account, ...(entry ? { username: entry.username, displayName: entry.displayName } : {}) };
    });
  }

  /** Pulls the membership log and keys of one workspace (used before changing membership). */
  private async refresh(workspaceId: string): Promise<RelayClient> {
    const client = await this.client(this.space(workspaceId).relay);
    await this.serial(workspaceId, async () => {
      await this.refreshMembership(workspaceId, client);
      await this.refreshKeys(workspaceId, client);
      await this.accountDeletion.afterMembership(workspaceId, client);
      await this.pullDoc(workspaceId, INDEX_DOC, client);
    });
    return client;
  }

  private async profileOf(workspaceId: string, username: string, client: RelayClient): Promise<{ account: string; username: string; displayName: string; boxPublicKey: string }> {
    const members = this.index(workspaceId).members ?? {};
    for (const [account, entry] of Object.entries(members)) if (entry.username === username) return { account, ...entry };
    const found = await client.lookup(username);
    return { account: found.account, username: found.username, displayName: found.displayName, boxPublicKey: found.boxPublicKey };
  }

  /**
   * Appends a membership entry built on the newest log, rebuilding it (and the key epoch it starts,
   * when `rotation` is given) if another member's entry got in first.
   */
  private async appendEntry(
    workspaceId: string,
    client: RelayClient,
    action: MembershipAction,
    subject: string,
    role: Role | null,
    rotation?: (view: MembershipView) => { epoch: number; sealed: Array<{ recipient: string; envelope: Uint8Array }> },
  ): Promise<void> {
    const keys = this.vault.identityKeys();
    for (let attempt = 0; ; attempt++) {
      const view = this.view(workspaceId);
      const entry = signMembershipEntry(nextEntry(view.current, { actor: this.account, action, subject, role }), keys.signSecretKey);
      try {
        await client.appendMembership(entry, rotation?.(view));
        // After leaving, the relay no longer shows this account the log.
        if (!(action === 'remove' && subject === this.account)) await this.refreshMembership(workspaceId, client);
        return;
      } catch (error) {
        // Someone else changed the membership meanwhile: catch up and build the entry again.
        if (!isHearthError(error, 'CONFLICT') || attempt >= 3) throw error;
        await this.refreshMembership(workspaceId, client);
      }
    }
  }

  /** Throws FORBIDDEN naming this vault's role unless it is an Owner of the workspace. */
  private assertOwner(workspace: { id: string; name: string }, what: string): void {
    const mine = this.view(workspace.id).role(this.account);
    if (mine === 'owner') return;
    throw new HearthError('FORBIDDEN', mine ? `You are ${article(mine)} ${capital(mine)} in ${workspace.name}; only an Owner can ${what}.` : `You are no longer a member of ${workspace.name}.`);
  }

  private assertManager(workspaceId: string, from: Role | undefined, to: Role | undefined): Role {
    const mine = this.view(workspaceId).role(this.account);
    if (!mine) throw new HearthError('FORBIDDEN', 'You are no longer a member of this workspace.');
    if (!canSetRole(mine, from, to)) {
      throw new HearthError('FORBIDDEN', `As ${article(mine)} ${capital(mine)} you cannot ${to === undefined ? `remove a ${from}` : from === undefined ? `add someone as ${to}` : `change a ${from} to ${to}`} in this workspace; ask an Owner.`);
    }
    return mine;
  }

  /** Adds a registered user as a member with `role` and gives them every key epoch this vault holds. */
  async invite(workspaceIdOrName: string, username: string, role: Role): Promise<Member> {
    if (!Roles.includes(role)) throw new HearthError('BAD_REQUEST', `${role} is not a role; use one of ${Roles.join(', ')}.`);
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const client = await this.refresh(workspace.id);
    // The role first: someone who may not invite learns nothing about which usernames exist.
    this.assertManager(workspace.id, undefined, role);
    const profile = await this.profileOf(workspace.id, username, client);
    if (this.view(workspace.id).role(profile.account)) throw new HearthError('ALREADY_EXISTS', `${username} is already a member; change their role with \`hearth member role\`.`);
    await this.serial(workspace.id, async () => {
      await this.appendEntry(workspace.id, client, 'add', profile.account, role);
      const boxKey = fromBase64Url(profile.boxPublicKey);
      for (const [epoch, key] of Object.entries(this.space(workspace.id).epochKeys)) {
        await client.putEnvelopes(workspace.id, Number(epoch), [{ recipient: profile.account, envelope: this.sealEnvelope(workspace.id, Number(epoch), fromHex(key), profile.account, boxKey) }]);
      }
      this.changeIndex(workspace.id, (d) => {
        d.members[profile.account] = { username: profile.username, displayName: profile.displayName, boxPublicKey: profile.boxPublicKey };
      });
      this.vault.audit.record('member.invited', `${workspace.id}/${username}`);
      await this.push(workspace.id, client);
    });
    return { account: profile.account, username: profile.username, displayName: profile.displayName, role, isMe: false };
  }

  async setRole(workspaceIdOrName: string, username: string, role: Role): Promise<void> {
    if (!Roles.includes(role)) throw new HearthError('BAD_REQUEST', `${role} is not a role; use one of ${Roles.join(', ')}.`);
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const client = await this.refresh(workspace.id);
    const profile = await this.profileOf(workspace.id, username, client);
    const from = this.view(workspace.id).role(profile.account);
    if (!from) throw new HearthError('NOT_FOUND', `${username} is not a member of this workspace; add them with \`hearth member add\`.`);
    if (from === role) return;
    this.assertManager(workspace.id, from, role);
    await this.serial(workspace.id, () => this.appendEntry(workspace.id, client, 'change_role', profile.account, role));
    this.vault.audit.record('member.role_changed', `${workspace.id}/${username}:${role}`);
  }

  /**
   * Removes a member and, in the same step, starts a new key epoch: a fresh key sealed to every
   * remaining member travels in the same frame as the removal entry and the relay stores both or
   * neither, so no write after the removal can be made under a key the removed member holds (S4),
   * and two managers removing people at once each get their own epoch (the second rebuilds its
   * entry and key on the first's). Pulls everything first so that the removed member's last
   * accepted edits are here.
   */
  async removeMember(workspaceIdOrName: string, username: string): Promise<void> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const client = await this.refresh(workspace.id);
    await this.serial(workspace.id, () => this.syncWorkspace(workspace.id, client, false));
    const profile = await this.profileOf(workspace.id, username, client);
    const from = this.view(workspace.id).role(profile.account);
    if (!from) throw new HearthError('NOT_FOUND', `${username} is not a member of this workspace.`);
    if (profile.account === this.account) throw new HearthError('BAD_REQUEST', 'To leave a workspace yourself, use leave, not remove.');
    this.assertManager(workspace.id, from, undefined);
    await this.serial(workspace.id, async () => {
      let rotated: { epoch: number; key: Uint8Array } | undefined;
      await this.appendEntry(workspace.id, client, 'remove', profile.account, null, (view) => {
        const epoch = view.currentEpoch + 1;
        const key = randomKey();
        const directory = this.index(workspace.id).members ?? {};
        const sealed: Array<{ recipient: string; envelope: Uint8Array }> = [];
        for (const account of view.current.members.keys()) {
          if (account === profile.account) continue;
          let boxKey = directory[account]?.boxPublicKey;
          if (!boxKey && account === this.account) boxKey = toBase64Url(this.vault.identityKeys().boxPublicKey);
          if (!boxKey) throw new HearthError('CONFLICT', `The member ${account} has no published key in this workspace's directory yet; sync and try again.`);
          sealed.push({ recipient: account, envelope: this.sealEnvelope(workspace.id, epoch, key, account, fromBase64Url(boxKey)) });
        }
        rotated = { epoch, key };
        return { epoch, sealed };
      });
      // The relay keeps this vault's envelope too; holding the key here spares the round trip.
      const state = this.space(workspace.id);
      this.putSpace(workspace.id, { ...state, epochKeys: { ...state.epochKeys, [rotated!.epoch]: toHex(rotated!.key) } });
      this.changeIndex(workspace.id, (d) => {
        delete d.members[profile.account];
      });
      this.vault.audit.record('member.removed', `${workspace.id}/${username}`);
      await this.push(workspace.id, client);
    });
  }

  /** Makes another member the Owner; this vault's account stays on as Admin (the shared role rules). */
  async transferOwnership(workspaceIdOrName: string, username: string): Promise<void> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const client = await this.refresh(workspace.id);
    this.assertOwner(workspace, 'transfer its ownership');
    const profile = await this.profileOf(workspace.id, username, client);
    if (!this.view(workspace.id).role(profile.account)) throw new HearthError('NOT_FOUND', `${username} is not a member; add them first.`);
    await this.serial(workspace.id, () => this.appendEntry(workspace.id, client, 'transfer', profile.account, 'owner'));
    this.vault.audit.record('member.role_changed', `${workspace.id}/${username}:owner`);
  }

  /**
   * Leaves a team workspace: this vault's account is removed from the space and the local copy is
   * deleted with its key. (The remaining members keep the current key epoch: leaving is voluntary,
   * unlike a removal, which rotates it.)
   */
  async leave(workspaceIdOrName: string): Promise<void> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const client = await this.refresh(workspace.id);
    await this.serial(workspace.id, () => this.syncWorkspace(workspace.id, client, false));
    await this.serial(workspace.id, () => this.appendEntry(workspace.id, client, 'remove', this.account, null));
    // Its documents leave this device, so the shares this vault made of them end too.
    await this.endOwnShares(this.docsOf(workspace.id));
    this.forgetWorkspace(workspace.id);
  }

  /** Deletes a team workspace on the relay (Owner only) and then here. */
  async deleteTeamWorkspace(workspaceIdOrName: string): Promise<void> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const client = await this.refresh(workspace.id);
    this.assertOwner(workspace, 'delete it');
    await this.serial(workspace.id, () => client.deleteSpace(workspace.id));
    await this.endOwnShares(this.docsOf(workspace.id));
    this.forgetWorkspace(workspace.id);
  }

  /**
   * Ends share spaces that lost their reason to be (the holding workspace was deleted here, or the
   * document this vault shared was deleted without the engine): a share this vault made is deleted
   * at the relay (S6: its ciphertext goes), one it received is left. Unreachable relays: next time.
   */
  private async endOrphanShares(onlyRelay?: string): Promise<void> {
    const holders = new Set(this.vault.workspaces.list().map((w) => w.id));
    const docs = new Set(this.vault.documents.allIds().map((d) => d.id));
    for (const row of this.vault.workspaces.shareSpaces()) {
      const state = this.spaceState(row.id);
      const share = state?.share;
      if (!state || !share || (onlyRelay && state.relay !== onlyRelay)) continue;
      if (holders.has(share.workspace) && (share.received || docs.has(share.document))) continue;
      try {
        const client = await this.client(state.relay);
        await this.serial(row.id, async () => {
          try {
            if (share.received) await this.appendEntry(row.id, client, 'remove', this.account, null);
            else await client.deleteSpace(row.id);
          } catch (error) {
            // Already gone there, or this vault was removed meanwhile: nothing left to end.
            if (!isHearthError(error, 'NOT_FOUND') && !isHearthError(error, 'FORBIDDEN')) throw error;
          }
        });
        this.forgetWorkspace(row.id);
      } catch {
        // The relay is not reachable now; the next round ends it.
      }
    }
  }

  /** Deletes, at the relay and here, the share spaces this vault made for `documents` (the people they were shared with lose their copies on their next sync). */
  private async endOwnShares(documents: string[]): Promise<void> {
    for (const documentId of documents) {
      const space = this.ownShareOf(documentId);
      if (!space) continue;
      const client = await this.client(this.space(space).relay);
      await this.serial(space, () => client.deleteSpace(space));
      this.forgetWorkspace(space);
    }
  }

  private forgetWorkspace(workspaceId: string): void {
    this.vault.deleteWorkspace(workspaceId);
    this.spaces.delete(workspaceId);
    this.views.delete(workspaceId);
    this.indexes.delete(workspaceId);
    this.statuses.delete(workspaceId);
  }

  /** Team workspaces on the relays this vault has accounts on, where it is a member but has not accepted yet. */
  async invitations(): Promise<Invitation[]> {
    const found: Invitation[] = [];
    const local = new Set([...this.vault.workspaces.list().map((w) => w.id), ...this.vault.workspaces.shareSpaces().map((w) => w.id)]);
    for (const relay of this.vault.syncState.relays()) {
      if (!relay.account) continue;
      const client = await this.client(relay.url);
      const { report } = await client.access();
      for (const space of report.spaces) {
        if (local.has(space.space)) continue;
        const peek = await this.peek(space.space, client).catch(() => undefined);
        const name = peek?.name ?? '(name not readable yet)';
        found.push({
          id: space.space,
          kind: space.kind,
          relay: relay.url,
          role: space.role,
          name,
          ...(space.kind === 'document' ? { documentTitle: name } : {}),
          ...(peek?.invitedBy ? { invitedBy: peek.invitedBy } : {}),
        });
      }
    }
    return found;
  }

  /** Reads an invitation's name and inviter: its membership log, this vault's keys, and its index document. */
  private async peek(space: string, client: RelayClient): Promise<{ view: MembershipView; epochKeys: Record<string, string>; index: IndexDoc; name: string; invitedBy?: string }> {
    const view = MembershipView.replay(space, await client.getMembership(space, 0));
    const epochKeys: Record<string, string> = {};
    for (const { epoch, envelope } of await client.getEnvelopes(space)) {
      const key = this.openEnvelope(view, epoch, envelope);
      if (key) epochKeys[epoch] = key;
    }
    let index = emptyIndex();
    const { changes } = await client.pullAll(space, INDEX_DOC, 0);
    for (const { bytes } of changes) {
      try {
        const change = this.verifyWith(view, space, INDEX_DOC, bytes);
        const key = epochKeys[change.meta.epoch];
        const plain = key ? openChange(change, fromHex(key)) : undefined;
        if (plain) [index] = A.applyChanges(index, decodeChanges(plain));
      } catch {
        // The full sync after accepting verifies again and reports what is wrong.
      }
    }
    const adder = view.addedBy(this.account);
    const invitedBy = adder ? (index.members?.[adder]?.username ?? adder) : undefined;
    return { view, epochKeys, index, name: index.name ?? '', ...(invitedBy ? { invitedBy } : {}) };
  }

  /** Accepts an invitation: the workspace, its keys and its documents come into this vault. */
  async acceptInvitation(id: string): Promise<Workspace> {
    const invitation = (await this.invitations()).find((i) => i.id === id);
    if (!invitation) throw new HearthError('NOT_FOUND', `No invitation ${id}; \`hearth invite list\` shows the open ones.`);
    const client = await this.client(invitation.relay);
    const peek = await this.peek(id, client);
    if (Object.keys(peek.epochKeys).length === 0) throw new HearthError('UNAVAILABLE', 'The workspace key has not been sealed to you yet; ask the person who invited you to sync, then accept again.');
    if (invitation.kind === 'document') return this.acceptShare(invitation, peek, client);
    const workspace: Workspace = { id, name: peek.name || 'Team workspace', kind: 'team', createdAt: Date.now(), relay: invitation.relay };
    this.vault.transaction(() => {
      this.vault.workspaces.adopt(workspace);
      this.putSpace(id, { relay: invitation.relay, epochKeys: peek.epochKeys, membership: [...peek.view.entries], index: '', paused: false });
    });
    this.views.set(id, peek.view);
    await this.serial(id, () => this.syncWorkspace(id, client, this.running));
    this.ensureRelayLoop(invitation.relay);
    return this.vault.workspaces.get(id);
  }

  // ---------------------------------------------------------------- selective sharing

  /**
   * Accepts a shared document: its space's state is kept under a hidden record, and the document
   * comes into the local workspace "Shared with me" (made on the first accept).
   */
  private async acceptShare(invitation: Invitation, peek: { view: MembershipView; epochKeys: Record<string, string>; index: IndexDoc }, client: RelayClient): Promise<Workspace> {
    const documents = Object.keys(peek.index.docs ?? {});
    if (documents.length !== 1) throw new HearthError('UNAVAILABLE', 'The shared document has not reached the relay yet; ask the person who shared it to sync, then accept again.');
    const documentId = documents[0]!;
    const here = this.vault.documents.allIds().find((d) => d.id === documentId);
    const holder = here?.workspaceId ?? this.sharedWithMe().id;
    this.vault.transaction(() => {
      this.vault.workspaces.createShareSpace(invitation.id, invitation.relay, documentId);
      this.putSpace(invitation.id, {
        relay: invitation.relay,
        epochKeys: peek.epochKeys,
        membership: [...peek.view.entries],
        index: '',
        paused: false,
        share: { document: documentId, workspace: holder, received: true },
      });
    });
    this.views.set(invitation.id, peek.view);
    await this.serial(invitation.id, () => this.syncWorkspace(invitation.id, client, this.running));
    this.ensureRelayLoop(invitation.relay);
    return this.vault.workspaces.get(holder);
  }

  /** The local workspace for documents shared with this vault, made when first needed. */
  private sharedWithMe(): Workspace {
    for (const id of this.shareSpaceIds()) {
      const share = this.shareOf(id)!;
      if (share.received && !this.isSynced(share.workspace)) return this.vault.workspaces.get(share.workspace);
    }
    const existing = this.vault.workspaces.list().filter((w) => w.name === SHARED_WITH_ME && w.kind === 'team' && !this.spaceState(w.id));
    return existing[0] ?? this.vault.workspaces.create({ name: SHARED_WITH_ME, kind: 'team' });
  }

  /** The relay a document's share space goes to: its team workspace's, else the one relay this vault has an account on. */
  private shareRelay(documentId: string, relay?: string): string {
    const holder = this.vault.documents.workspaceOf(documentId);
    if (this.isSynced(holder)) {
      const own = this.space(holder).relay;
      if (relay && relay !== own) throw new HearthError('BAD_REQUEST', `This document's workspace syncs through ${own}; it is shared there.`);
      return own;
    }
    if (relay) return relay;
    const registered = this.vault.syncState.relays().filter((r) => r.account);
    if (registered.length === 1) return registered[0]!.url;
    throw new HearthError(
      'BAD_REQUEST',
      registered.length === 0
        ? 'Sharing needs an account on a relay; run `hearth account register --relay URL` first.'
        : `This vault has accounts on ${registered.length} relays; say which one to share through (--relay URL).`,
    );
  }

  /** What sharing `documentId` would upload, in words the confirmation shows. */
  describeShare(documentId: string, relay?: string): SharePlan {
    const summary = this.vault.documents.summary(documentId);
    const url = this.ownShareOf(documentId) ? this.space(this.ownShareOf(documentId)!).relay : this.shareRelay(documentId, relay);
    const comments = this.vault.comments.records(documentId).length;
    const holder = this.vault.documents.workspaceOf(documentId);
    const leavesDevice = !this.isSynced(holder) && !this.ownShareOf(documentId);
    const message = leavesDevice
      ? `The document "${summary.title}" with its full history and ${comments} comment(s) will be encrypted on this device and uploaded to ${url}, ` +
        'where only the people you share it with can read it; the relay sees its size and timing, never its content. Nothing else in this workspace leaves the device.'
      : `The document "${summary.title}" gets its own encrypted space on ${url}; the people you share it with can read it and nothing else of this workspace.`;
    return { documentId, title: summary.title, relay: url, leavesDevice, comments, message };
  }

  /**
   * Shares one document with a registered user and a role, without giving them the workspace:
   * the document gets its own relay space (its own membership log, key epochs and index) whose
   * Owner is this vault, and this vault passes changes between that space and the workspace.
   * Sharing a personal workspace's document uploads that one document: `confirmed` must echo the
   * user's explicit yes to describeShare's message.
   */
  async shareDocument(documentId: string, username: string, role: Role, options: { confirmed?: boolean; relay?: string } = {}): Promise<Member> {
    if (!Roles.includes(role)) throw new HearthError('BAD_REQUEST', `${role} is not a role; use one of ${Roles.join(', ')}.`);
    if (role === 'owner') throw new HearthError('BAD_REQUEST', 'A shared document has one Owner, the person who shared it; share it as admin, editor, commenter or viewer.');
    const holder = this.vault.documents.workspaceOf(documentId);
    if (this.shareSpaceIds().some((id) => this.shareOf(id)!.document === documentId && this.shareOf(id)!.received) && !this.isSynced(holder)) {
      throw new HearthError('FORBIDDEN', 'This document was shared with you; only the person who shared it can share it further.');
    }
    if (this.isSynced(holder)) {
      const mine = this.view(holder).role(this.account);
      if (!mine || !canManageMembers(mine)) {
        throw new HearthError('FORBIDDEN', `As ${mine ? `${article(mine)} ${mine}` : 'a non-member'} in ${this.vault.workspaces.get(holder).name} you cannot share its documents; ask an Owner or Admin.`);
      }
    }
    let space = this.ownShareOf(documentId);
    if (!space) {
      const plan = this.describeShare(documentId, options.relay);
      if (plan.leavesDevice && !options.confirmed) throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Confirm to go ahead.`);
      space = await this.createShareSpace(documentId, plan.relay);
    }
    return this.invite(space, username, role);
  }

  private async createShareSpace(documentId: string, relayUrl: string): Promise<string> {
    if (!this.vault.syncState.relay(relayUrl)?.account) await this.register(relayUrl);
    const client = await this.client(relayUrl);
    const keys = this.vault.identityKeys();
    const id = newId();
    await client.createSpace(keys, id, 'document');
    const view = MembershipView.replay(id, await client.getMembership(id, 0));
    const key = randomKey();
    await client.putEnvelopes(id, 0, [{ recipient: this.account, envelope: this.sealEnvelope(id, 0, key, this.account, keys.boxPublicKey) }]);
    const profile = this.vault.profile;
    const title = this.vault.documents.summary(documentId).title;
    const index = A.change(newIndex(title), (d) => {
      d.members[this.account] = { username: profile.username, displayName: profile.displayName, boxPublicKey: toBase64Url(keys.boxPublicKey) };
    });
    this.vault.transaction(() => {
      this.vault.workspaces.createShareSpace(id, relayUrl, documentId);
      this.putSpace(id, {
        relay: relayUrl,
        epochKeys: { 0: toHex(key) },
        membership: [...view.entries],
        index: saveIndex(index),
        paused: false,
        share: { document: documentId, workspace: this.vault.documents.workspaceOf(documentId), received: false },
      });
      this.vault.syncState.enqueue(id, { documentId: INDEX_DOC, kind: 'content', payload: encodeChanges(A.getAllChanges(index)) });
      this.vault.syncState.putDocument(id, INDEX_DOC, { cursor: 0, heads: A.getHeads(index), comments: {} });
      this.vault.audit.record('document.shared', documentId);
    });
    this.views.set(id, view);
    this.indexes.set(id, index);
    // The index lists the document and the whole document goes up before anyone is invited.
    await this.serial(id, () => this.syncWorkspace(id, client, this.running));
    this.ensureRelayLoop(relayUrl);
    return id;
  }

  /** The share space of a document this vault shared, or NOT_FOUND in words the user can act on. */
  private sharedSpace(documentId: string): string {
    this.vault.documents.summary(documentId);
    const space = this.ownShareOf(documentId);
    if (!space) throw new HearthError('NOT_FOUND', 'This document is not shared with anyone from this device; share it first.');
    return space;
  }

  /**
   * Revokes a person's access to a shared document: they are removed from the document's space
   * and its key rotates in the same step, so nothing written afterwards is readable to them (S4).
   */
  async unshareDocument(documentId: string, username: string): Promise<void> {
    await this.removeMember(this.sharedSpace(documentId), username);
    this.vault.audit.record('document.unshared', `${documentId}/${username}`);
  }

  /** The people a document is shared with (this vault, its Owner, included), with their roles. */
  async documentShares(documentId: string): Promise<Member[]> {
    this.vault.documents.summary(documentId);
    const space = this.ownShareOf(documentId) ?? this.shareSpaceIds().find((id) => this.shareOf(id)!.document === documentId);
    if (!space) return [];
    return this.members(space);
  }

  /** Forgets a share space here; with `deleteCopy`, also the received document (its sharer deleted it). */
  private dropShare(spaceId: string, deleteCopy: boolean): void {
    const share = this.shareOf(spaceId);
    if (share && deleteCopy && share.received && this.vault.documents.allIds().some((d) => d.id === share.document && d.workspaceId === share.workspace)) {
      this.warn(spaceId, share.document, 'NOT_FOUND', 'the person who shared this document deleted it; the copy on this device was removed too.');
      this.vault.documents.delete(share.document);
    }
    this.forgetWorkspace(spaceId);
  }

  // ---------------------------------------------------------------- deleting documents

  /**
   * Deletes a document here and everywhere it syncs: it leaves its workspace's index (peers delete
   * their copies when they see that), the relay drops its changes, and a space it was shared
   * through is deleted. Only a role that may delete content can do it (not an Editor).
   */
  /**
   * Deletes a document here and, in a team workspace or a shared document's space, at the relay and
   * at every member. Local first: when the relay cannot be reached, the document is deleted here at
   * once (the role as this device last verified it allows it) and the next round tells the relay
   * and the others (as for a deletion made with the vault alone). Resolves with whether that is
   * still to do.
   */
  async deleteDocument(documentId: string): Promise<{ waitsForRelay: boolean }> {
    const holder = this.vault.documents.workspaceOf(documentId);
    this.assertCan(holder, 'delete', documentId);
    const reachable = await this.reachable([...(this.isSynced(holder) ? [holder] : []), ...this.shareSpaceIds().filter((id) => this.shareOf(id)!.document === documentId)]);
    if (!reachable) {
      this.vault.documents.delete(documentId);
      await this.revokeDeletedLinks();
      return { waitsForRelay: true };
    }
    if (this.isSynced(holder)) {
      const client = await this.refresh(holder);
      this.assertCan(holder, 'delete', documentId);
      await this.serial(holder, async () => {
        this.vault.syncState.forgetDocument(holder, documentId);
        this.changeIndex(holder, (d) => {
          if (d.docs?.[documentId]) delete d.docs[documentId];
        });
        await this.push(holder, client);
        await client.deleteDoc(holder, documentId);
      });
    }
    for (const space of this.shareSpaceIds().filter((id) => this.shareOf(id)!.document === documentId)) {
      const share = this.shareOf(space)!;
      if (share.received) {
        this.forgetWorkspace(space);
        continue;
      }
      const client = await this.client(this.space(space).relay);
      await this.serial(space, () => client.deleteSpace(space));
      this.forgetWorkspace(space);
    }
    this.vault.documents.delete(documentId);
    await this.revokeDeletedLinks(); // its public links end with it (kept pending if a relay is out of reach)
    return { waitsForRelay: false };
  }

  /** Whether every relay these spaces live on answers now (UNAVAILABLE: it cannot be reached). */
  private async reachable(spaces: string[]): Promise<boolean> {
    for (const relay of new Set(spaces.map((space) => this.space(space).relay))) {
      try {
        await this.client(relay);
      } catch (error) {
        if (isHearthError(error, 'UNAVAILABLE')) return false;
        throw error;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- files

  /**
   * A document or file was deleted with the vault directly (the engine's own deletions have
   * already gone out): while live, the next exchange carries it to the relay and the peers (or
   * fetches it back where this role may not delete), as a full round would.
   */
  private onLocalDeletion(workspaceId: string): void {
    if (this.applyingRemote || !this.running) return;
    void this.endOrphanShares().then(() => this.reconcileLive(workspaceId));
  }

  private reconcileLive(workspaceId: string): void {
    if (!this.vault.workspaces.list().some((w) => w.id === workspaceId)) return;
    const spaces = [...(this.isSynced(workspaceId) ? [workspaceId] : []), ...this.shareSpaceIds().filter((id) => this.shareOf(id)!.workspace === workspaceId)];
    for (const space of spaces) {
      if (this.space(space).paused) continue;
      void this.serial(space, async () => {
        if (!this.spaceState(space)) return;
        const existing = this.clients.get(this.space(space).relay);
        const client = existing ? await existing.catch(() => undefined) : undefined;
        if (!client || client.closed) return; // the next round does it
        await this.reconcileLocalDeletions(space, client);
        await this.syncFiles(space, client);
        await this.push(space, client);
        for (const doc of this.indexedDocs(space)) if (!this.vault.documents.allIds().some((d) => d.id === doc)) await this.pullDoc(space, doc, client);
      }).catch((error) => this.setStatus(space, { state: 'error', reason: errorOf(error) }));
    }
  }

  private onLocalFile(workspaceId: string): void {
    if (this.downloading || !this.running || !this.isSynced(workspaceId) || this.space(workspaceId).paused) return;
    void this.serial(workspaceId, async () => {
      const existing = this.clients.get(this.space(workspaceId).relay);
      const client = existing ? await existing.catch(() => undefined) : undefined;
      if (!client || client.closed) return; // the next round uploads it
      await this.syncFiles(workspaceId, client);
      await this.push(workspaceId, client);
    }).catch((error) => this.setStatus(workspaceId, { state: 'error', reason: errorOf(error) }));
  }

  private downloading = false;

  /**
   * Uploads the workspace's files the relay does not have (sealed chunk by chunk with the space
   * key, listed in the encrypted index) and downloads the ones listed there that are not here.
   */
  private async syncFiles(workspaceId: string, client: RelayClient): Promise<void> {
    if (this.shareOf(workspaceId)) return; // a shared document's space carries that document only
    const view = this.view(workspaceId);
    const role = view.role(this.account);
    const listed = () => this.index(workspaceId).files ?? {};
    // Files this device had (uploaded or downloaded) that are gone without the engine deleting them.
    for (const id of this.space(workspaceId).haveFiles ?? []) {
      if (this.vault.files.has(id)) continue;
      this.markFile(workspaceId, id, false);
      if (!listed()[id]) continue;
      if (role && canDeleteContent(role)) {
        this.changeIndex(workspaceId, (d) => {
          if (d.files?.[id]) delete d.files[id];
        });
        await client.fileDelete(workspaceId, id);
      } else {
        this.warn(workspaceId, INDEX_DOC, 'FORBIDDEN', `a file deleted on this device is fetched again: as ${role ? `${article(role)} ${role}` : 'a non-member'} you cannot delete files in this workspace.`);
      }
    }
    if (role && canWriteContent(role)) {
      const keep = new Set(this.space(workspaceId).localFiles ?? []);
      for (const file of this.vault.files.list(workspaceId)) {
        if (listed()[file.id] || keep.has(file.id)) continue;
        const state = this.space(workspaceId);
        const epoch = state.uploads?.[file.id] ?? view.currentEpoch;
        const keyHex = state.epochKeys[epoch];
        if (!keyHex) throw new HearthError('UNAVAILABLE', `The key for epoch ${epoch} of this workspace has not reached this device yet; files wait until it does.`);
        if (state.uploads?.[file.id] === undefined) this.putSpace(workspaceId, { ...state, uploads: { ...state.uploads, [file.id]: epoch } });
        const up = (done: number) => this.setStatus(workspaceId, { transfer: { fileId: file.id, name: file.name, direction: 'up', done, total: file.size } });
        up(0);
        try {
          await uploadFile(client, workspaceId, file.id, file.size, fromHex(keyHex), this.vault.files.read(file.id), up);
        } finally {
          this.setStatus(workspaceId, { transfer: undefined });
        }
        this.changeIndex(workspaceId, (d) => {
          if (!d.files) d.files = {};
          d.files[file.id] = { name: file.name, type: file.type, size: file.size, createdAt: file.createdAt, epoch };
        });
        const after = this.space(workspaceId);
        const uploads = { ...after.uploads };
        delete uploads[file.id];
        this.putSpace(workspaceId, { ...after, uploads });
        this.markFile(workspaceId, file.id, true);
      }
    }
    for (const [id, meta] of Object.entries(listed())) {
      if (this.vault.files.has(id)) continue;
      const keyHex = this.space(workspaceId).epochKeys[meta.epoch];
      if (!keyHex) {
        this.warn(workspaceId, INDEX_DOC, 'RECORD_TAMPERED', `the file "${meta.name}" is sealed under key epoch ${meta.epoch}, whose key this device was never given; it was not downloaded.`);
        continue;
      }
      let source: AsyncGenerator<Uint8Array> | undefined;
      try {
        source = await downloadFile(client, workspaceId, id, meta, fromHex(keyHex));
      } catch (error) {
        if (isHearthError(error, 'NOT_FOUND')) continue; // deleted meanwhile, or not begun yet
        throw error;
      }
      if (!source) continue; // still uploading; a later round fetches it
      this.downloading = true;
      try {
        const down = (done: number) => this.setStatus(workspaceId, { transfer: { fileId: id, name: meta.name, direction: 'down', done, total: meta.size } });
        down(0);
        await this.vault.files.add(workspaceId, { id, name: meta.name, type: meta.type, createdAt: meta.createdAt, source, onProgress: down });
        this.markFile(workspaceId, id, true);
      } catch (error) {
        if (isHearthError(error, 'RECORD_TAMPERED')) {
          this.warn(workspaceId, INDEX_DOC, 'RECORD_TAMPERED', `The relay delivered ${errorOf(error).message} ("${meta.name}"); it was not kept.`);
          continue;
        }
        throw error;
      } finally {
        this.downloading = false;
        this.setStatus(workspaceId, { transfer: undefined });
      }
    }
  }

  /** Records whether this device holds a synced file (so a deletion made without the engine is noticed). */
  private markFile(workspaceId: string, fileId: string, have: boolean): void {
    const state = this.space(workspaceId);
    const set = new Set(state.haveFiles ?? []);
    if (set.has(fileId) === have) return;
    if (have) set.add(fileId);
    else set.delete(fileId);
    this.putSpace(workspaceId, { ...state, haveFiles: [...set] });
  }

  /**
   * Deletes an attachment here and, in a team workspace, at the relay and at every member (it
   * leaves the encrypted index; peers delete their copies when they see that). Not for Editors.
   * Offline, like a document: deleted here now, the relay and the members told on the next round.
   */
  async deleteFile(fileId: string): Promise<{ waitsForRelay: boolean }> {
    const { workspaceId } = this.vault.files.info(fileId);
    if (!this.isSynced(workspaceId)) {
      this.vault.files.delete(fileId);
      return { waitsForRelay: false };
    }
    this.assertCan(workspaceId, 'delete');
    if (!(await this.reachable([workspaceId]))) {
      this.vault.files.delete(fileId);
      return { waitsForRelay: true };
    }
    const client = await this.refresh(workspaceId);
    this.assertCan(workspaceId, 'delete');
    await this.serial(workspaceId, async () => {
      this.changeIndex(workspaceId, (d) => {
        if (d.files?.[fileId]) delete d.files[fileId];
      });
      await this.push(workspaceId, client);
      await client.fileDelete(workspaceId, fileId);
      this.vault.files.delete(fileId);
      this.markFile(workspaceId, fileId, false);
    });
    return { waitsForRelay: false };
  }

  // ---------------------------------------------------------------- role checks for local edits

  /**
   * Throws FORBIDDEN, naming the role, when this vault may not make `kind` edits in the workspace
   * (or, with `documentId`, to that document: a document shared with this vault follows the role
   * it was shared with).
   */
  assertCan(workspaceIdOrName: string, kind: 'content' | 'comment' | 'delete', documentId?: string): void {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const verb = kind === 'content' ? 'create or edit documents' : kind === 'comment' ? 'comment' : 'delete documents or files';
    const allowed = (role: Role) => (kind === 'content' ? canWriteContent(role) : kind === 'comment' ? canComment(role) : canDeleteContent(role));
    if (workspace.kind === 'team' && this.spaceState(workspace.id)) {
      const role = this.roleIn(workspace.id);
      if (!role) throw new HearthError('FORBIDDEN', `You are not a member of ${workspace.name} any more; its documents are read-only here.`);
      if (!allowed(role)) {
        throw new HearthError('FORBIDDEN', `You are ${article(role)} ${capital(role)} in ${workspace.name}: ${article(role)} ${role} cannot ${verb}. Ask an Owner or Admin for another role.`);
      }
      return;
    }
    if (!documentId) return;
    const space = this.shareSpaceIds().find((id) => this.shareOf(id)!.document === documentId && this.shareOf(id)!.received);
    if (!space) return;
    const role = this.view(space).role(this.account);
    const title = this.vault.documents.summary(documentId).title || 'Untitled';
    if (!role) throw new HearthError('FORBIDDEN', `"${title}" is no longer shared with you; the copy here is read-only.`);
    if (!allowed(role)) {
      throw new HearthError('FORBIDDEN', `"${title}" was shared with you as ${article(role)} ${capital(role)}: ${article(role)} ${role} cannot ${kind === 'content' ? 'edit it' : kind === 'comment' ? 'comment on it' : 'delete it'}. Ask the person who shared it for another role.`);
    }
  }

  // ---------------------------------------------------------------- capturing local changes

  private isSynced(workspaceId: string): boolean {
    return this.vault.workspaces.list().some((w) => w.id === workspaceId && w.kind === 'team') && this.spaceState(workspaceId) !== undefined;
  }

  private onLocalDocument(documentId: string, changes: readonly Uint8Array[]): void {
    if (this.applyingRemote) return;
    for (const workspaceId of this.spacesOf(documentId)) {
      if (!this.reconciled.has(workspaceId)) {
        // First edit since this engine started: first queue anything a crash left behind (this edit included).
        this.reconciled.add(workspaceId);
        this.captureAll(workspaceId);
      } else {
        this.captureChanges(workspaceId, documentId, changes);
      }
      this.schedulePush(workspaceId);
    }
  }

  /**
   * Queues the changes a listener was just told about, without reading the document (which would
   * force the vault to apply an editor's changes at once; see DocumentStore.appendChanges). The
   * handed-over heads move past them: add each change, drop what it depends on.
   */
  private captureChanges(workspaceId: string, documentId: string, changes: readonly Uint8Array[]): void {
    const state = this.documentState(workspaceId, documentId);
    if (state.heads.length === 0 || changes.length === 0) {
      this.captureDocument(workspaceId, documentId);
      return;
    }
    const heads = new Set(state.heads);
    for (const change of changes) {
      const decoded = A.decodeChange(change);
      for (const dep of decoded.deps) heads.delete(dep);
      heads.add(decoded.hash!);
    }
    this.vault.syncState.transaction(() => {
      if (!this.index(workspaceId).docs?.[documentId]) {
        const createdAt = this.vault.documents.summary(documentId).createdAt;
        this.changeIndex(workspaceId, (d) => {
          if (!d.docs) d.docs = {};
          d.docs[documentId] = { createdAt };
        });
      }
      this.vault.syncState.enqueue(workspaceId, { documentId, kind: 'content', payload: encodeChanges([...changes]) });
      this.vault.syncState.putDocument(workspaceId, documentId, { ...state, heads: [...heads].sort() });
    });
  }

  private onLocalComment(documentId: string): void {
    if (this.applyingRemote) return;
    for (const workspaceId of this.spacesOf(documentId)) {
      this.captureComments(workspaceId, documentId);
      this.schedulePush(workspaceId);
    }
  }

  private documentState(workspaceId: string, documentId: string): DocumentSyncState {
    return this.vault.syncState.document(workspaceId, documentId) ?? { cursor: 0, heads: [], comments: {} };
  }

  /** Queues whatever the document has beyond the heads already handed over; lists new documents in the index. */
  private captureDocument(workspaceId: string, documentId: string): number {
    const doc = this.vault.documents.get(documentId);
    const state = this.documentState(workspaceId, documentId);
    const changes = state.heads.length === 0 ? A.getAllChanges(doc) : A.getChanges(A.view(doc, state.heads), doc);
    if (changes.length === 0) return 0;
    this.vault.syncState.transaction(() => {
      if (!this.index(workspaceId).docs?.[documentId]) {
        const createdAt = this.vault.documents.summary(documentId).createdAt;
        this.changeIndex(workspaceId, (d) => {
          if (!d.docs) d.docs = {};
          d.docs[documentId] = { createdAt };
        });
      }
      this.vault.syncState.enqueue(workspaceId, { documentId, kind: 'content', payload: encodeChanges(changes) });
      this.vault.syncState.putDocument(workspaceId, documentId, { ...state, heads: A.getHeads(doc) });
    });
    return changes.length;
  }

  private captureComments(workspaceId: string, documentId: string): number {
    const state = this.documentState(workspaceId, documentId);
    const changed = this.vault.comments.records(documentId).filter((r) => state.comments[r.id] !== r.updatedAt);
    if (changed.length === 0) return 0;
    this.vault.syncState.transaction(() => {
      const comments = { ...state.comments };
      for (const record of changed) {
        this.vault.syncState.enqueue(workspaceId, { documentId, kind: 'comment', payload: encodeComment(record) });
        comments[record.id] = record.updatedAt;
      }
      // Re-read: capturing the comments may follow capturing the document in the same tick.
      this.vault.syncState.putDocument(workspaceId, documentId, { ...this.documentState(workspaceId, documentId), comments });
    });
    return changed.length;
  }

  /** After a crash or edits made without the engine (the CLI): queue everything not yet handed over. */
  private captureAll(workspaceId: string): void {
    this.reconciled.add(workspaceId);
    for (const id of this.docsOf(workspaceId)) {
      this.captureDocument(workspaceId, id);
      this.captureComments(workspaceId, id);
    }
  }

  /** The documents a space's index lists; a shared document's space carries that one document only. */
  private indexedDocs(spaceId: string): string[] {
    const listed = Object.keys(this.index(spaceId).docs ?? {});
    const share = this.shareOf(spaceId);
    return share ? listed.filter((d) => d === share.document) : listed;
  }

  /** Changes the index document locally and queues the change, in one transaction. */
  private changeIndex(workspaceId: string, fn: (d: WorkspaceIndex) => void): void {
    const before = this.index(workspaceId);
    const after = A.change(before, fn);
    if (after === before) return;
    const change = A.getLastLocalChange(after)!;
    this.vault.syncState.transaction(() => {
      const state = this.space(workspaceId);
      this.putSpace(workspaceId, { ...state, index: saveIndex(after) });
      this.vault.syncState.enqueue(workspaceId, { documentId: INDEX_DOC, kind: 'content', payload: encodeChanges([change]) });
      const docState = this.documentState(workspaceId, INDEX_DOC);
      this.vault.syncState.putDocument(workspaceId, INDEX_DOC, { ...docState, heads: A.getHeads(after) });
    });
    this.indexes.set(workspaceId, after);
  }

  // ---------------------------------------------------------------- pushing

  private schedulePush(workspaceId: string): void {
    if (!this.running || this.pushQueued.has(workspaceId) || this.space(workspaceId).paused) return;
    this.pushQueued.add(workspaceId);
    this.setStatus(workspaceId, {});
    void this.serial(workspaceId, async () => {
      this.pushQueued.delete(workspaceId);
      const existing = this.clients.get(this.space(workspaceId).relay);
      const client = existing ? await existing.catch(() => undefined) : undefined;
      if (!client || client.closed) return; // the reconnect loop pushes when the relay is back
      await this.push(workspaceId, client);
    }).catch((error) => this.setStatus(workspaceId, { state: 'error', reason: errorOf(error) }));
  }

  /** Sends the outbox in order, coalescing consecutive entries of one document and kind into one blob. */
  private async push(workspaceId: string, client: RelayClient): Promise<number> {
    let pushed = 0;
    const keys = this.vault.identityKeys();
    for (;;) {
      const queued = this.vault.syncState.outbox(workspaceId, 500);
      if (queued.length === 0) break;
      const view = this.view(workspaceId);
      const role = view.role(this.account);
      const epoch = view.currentEpoch;
      const keyHex = this.space(workspaceId).epochKeys[epoch];
      if (!keyHex) throw new HearthError('UNAVAILABLE', `The key for epoch ${epoch} of this workspace has not reached this device yet; changes wait in the outbox until it does.`);
      const group = takeGroup(queued, this.maxBlobBytes);
      const first = group[0]!;
      if (!role || !canPush(role, first.kind)) {
        // A change this role may not make never goes out; it stays in this vault's copy only.
        this.vault.syncState.transaction(() => group.forEach((e) => this.vault.syncState.dequeue(e.seq)));
        this.warn(workspaceId, first.documentId, 'FORBIDDEN', `${group.length} local ${first.kind} change(s) were not sent: as ${role ?? 'a non-member'} you cannot write ${first.kind} in this workspace.`);
        continue;
      }
      const payload = first.kind === 'content' ? joinChanges(group.map((e) => e.payload)) : first.payload;
      // The same group always gets the same id, so a push retried after a lost answer is not stored twice.
      const changeId = group.length === 1 ? first.changeId : toBase64Url(hash(utf8(group.map((e) => e.changeId).join(',')), 16));
      const blob = sealChange(
        { space: workspaceId, doc: first.documentId, kind: first.kind, epoch, head: view.head, author: this.account, id: changeId, at: Math.floor(Date.now()) },
        payload,
        fromHex(keyHex),
        keys.signSecretKey,
      );
      await client.push(workspaceId, first.documentId, blob);
      this.vault.syncState.transaction(() => {
        for (const entry of group) this.vault.syncState.dequeue(entry.seq);
        this.vault.syncState.markSeen(workspaceId, first.documentId, changeId);
      });
      pushed += group.length;
      this.setStatus(workspaceId, {});
      // A document this vault just created is not followed yet (the relay does not echo a push to
      // its sender's index subscription): follow it now, so peers' edits to it arrive live.
      if (this.running && !this.subscribed.get(client)?.has(`${workspaceId}/${first.documentId}`)) {
        await this.follow(workspaceId, first.documentId, client);
        await this.pullDoc(workspaceId, first.documentId, client);
      }
    }
    return pushed;
  }

  // ---------------------------------------------------------------- pulling and verifying

  private async refreshMembership(workspaceId: string, client: RelayClient): Promise<void> {
    const view = this.view(workspaceId);
    // Ask from the last entry this device verified: the relay must still hold it, unchanged.
    const overlap = await client.getMembership(workspaceId, view.current.nextSeq - 1);
    const last = view.entries.at(-1);
    const first = overlap[0];
    if (last && (!first || first.seq !== last.seq || first.sig !== last.sig)) {
      const message = !first
        ? `the relay's membership log for this workspace ends before entry ${last.seq}, which this device already verified: it was rolled back. Nothing from it was used; distrust this relay until it is fixed.`
        : `the relay's membership log for this workspace differs at entry ${last.seq} from the one this device verified (a forked log). Nothing from it was used; distrust this relay until it is fixed.`;
      this.warn(workspaceId, INDEX_DOC, 'RECORD_TAMPERED', message);
      throw new HearthError('RECORD_TAMPERED', `${this.spaceName(workspaceId)}: ${message}`);
    }
    const more = overlap.slice(1);
    if (more.length === 0) return;
    let next: MembershipView;
    try {
      next = view.extend(more);
    } catch (error) {
      throw new HearthError('RECORD_TAMPERED', `The relay's membership log for this workspace does not verify (${errorOf(error).message}); nothing from it was used. Distrust this relay until it is fixed.`);
    }
    this.putSpace(workspaceId, { ...this.space(workspaceId), membership: [...next.entries] });
    this.views.set(workspaceId, next);
  }

  private async refreshKeys(workspaceId: string, client: RelayClient): Promise<void> {
    const state = this.space(workspaceId);
    const envelopes = await client.getEnvelopes(workspaceId);
    const added: Record<string, string> = {};
    for (const { epoch, envelope } of envelopes) {
      if (state.epochKeys[epoch]) continue;
      const key = this.openEnvelope(this.view(workspaceId), epoch, envelope);
      if (key) added[epoch] = key;
    }
    if (Object.keys(added).length > 0) this.putSpace(workspaceId, { ...state, epochKeys: { ...state.epochKeys, ...added } });
  }

  private verifyWith(view: MembershipView, space: string, doc: string, bytes: Uint8Array): ParsedChange {
    let change: ParsedChange;
    try {
      change = verifyChange(bytes);
    } catch (error) {
      throw new HearthError('RECORD_TAMPERED', `a change that is not genuine (${errorOf(error).message})`);
    }
    const { meta } = change;
    if (meta.space !== space || meta.doc !== doc) throw new HearthError('RECORD_TAMPERED', 'a change that belongs to another document or workspace');
    if (!view.hasHead(meta.head)) throw new HearthError('RECORD_TAMPERED', 'a change naming a membership state this workspace never had');
    const role = view.roleAt(meta.head, meta.author);
    if (!role || !canPush(role, meta.kind)) throw new HearthError('FORBIDDEN', `a ${meta.kind} change by ${role ? `a ${role}, who may not write it` : 'someone who was not a member'}`);
    const now = view.role(meta.author);
    if (!now || !canPush(now, meta.kind)) {
      // What a member wrote while allowed stays after they lose the right (demoted, removed, or their
      // account deleted): a later joiner gets the same history as everyone else. What they signed
      // after the entry that took the right is refused. (The relay refuses such pushes as well; only
      // a relay colluding with that member could offer one backdated, which this cannot tell.)
      const lostAt = view.lostAt(meta.author, (r) => r !== undefined && canPush(r, meta.kind));
      if (lostAt === undefined || meta.at > lostAt) {
        throw new HearthError('FORBIDDEN', `a ${meta.kind} change by someone who ${now ? `is now a ${now}` : 'has been removed'} and may no longer write it`);
      }
    }
    if (meta.epoch !== view.epochAt(meta.head)) throw new HearthError('RECORD_TAMPERED', `a change sealed under key epoch ${meta.epoch}, not the epoch of the membership state it names`);
    return change;
  }

  /** Pulls one document's changes after the cursor and verifies and applies each in order. */
  private async pullDoc(workspaceId: string, documentId: string, client: RelayClient): Promise<{ applied: number; refused: number }> {
    const start = this.documentState(workspaceId, documentId).cursor;
    const page = await client.pullAll(workspaceId, documentId, start);
    let applied = 0;
    let refused = 0;
    let previous = start;
    if (page.snapshot) {
      // Everything up to `covers` in one encrypted, signed blob; the relay dropped those changes.
      if (page.snapshot.covers <= start) {
        refused++;
        this.refuse(workspaceId, documentId, page.snapshot.covers, page.snapshot.bytes, new HearthError('RECORD_TAMPERED', `a snapshot covering ${page.snapshot.covers}, which this device had already passed`), false);
      } else if (this.receive(workspaceId, documentId, page.snapshot.covers, page.snapshot.bytes, 'snapshot')) applied++;
      else refused++;
      previous = Math.max(previous, page.snapshot.covers);
    }
    if (page.latest < start) {
      this.warn(workspaceId, documentId, 'RECORD_TAMPERED', `the relay says it holds changes up to ${page.latest} of a document, but this device already received up to ${start}: it rolled back or lost changes.`);
    }
    const last = page.changes.at(-1)?.seq ?? previous;
    if (last < page.latest) {
      this.warn(workspaceId, documentId, 'RECORD_TAMPERED', `the relay says it holds changes up to ${page.latest} of a document but delivered only up to ${last}: it withholds changes.`);
    }
    let expected = previous + 1;
    const delivered = new Map<number, Uint8Array>();
    for (const { seq, bytes } of page.changes) {
      if (seq > expected) {
        this.warn(workspaceId, documentId, 'RECORD_TAMPERED', `the relay skipped change${seq - expected > 1 ? `s ${expected}–${seq - 1}` : ` ${expected}`} of a document: it withholds changes.`);
      }
      expected = Math.max(expected, seq + 1);
      // Paging may hand the same change out twice; only a different blob under a used number is an attack.
      const earlier = delivered.get(seq);
      if (earlier && equalBytes(earlier, bytes)) continue;
      delivered.set(seq, bytes);
      if (seq <= previous) {
        refused++;
        this.refuse(workspaceId, documentId, seq, bytes, new HearthError('RECORD_TAMPERED', `changes out of order (sequence ${seq} after ${previous})`), false);
        continue;
      }
      previous = seq;
      if (this.receive(workspaceId, documentId, seq, bytes)) applied++;
      else refused++;
    }
    return { applied, refused };
  }

  /** Verifies, decrypts and applies one change; false when it was refused (and quarantined). */
  private receive(workspaceId: string, documentId: string, seq: number, bytes: Uint8Array, as: 'change' | 'snapshot' = 'change'): boolean {
    let change: ParsedChange;
    let plaintext: Uint8Array;
    try {
      // This vault's own change coming back (pulled after a push): genuine, signed by this vault and
      // already here; skipped before the role checks, which would refuse it once this vault's role was lowered.
      // Looked at unverified first, so each change's signature is checked once: here for our own, in verifyWith otherwise.
      const claimed = unverifiedMeta(bytes);
      if (claimed?.author === this.account && claimed.space === workspaceId && claimed.doc === documentId && this.vault.syncState.hasSeen(workspaceId, documentId, claimed.id) && ownChange(bytes)) {
        this.advance(workspaceId, documentId, seq);
        return true;
      }
      change = this.verifyWith(this.view(workspaceId), workspaceId, documentId, bytes);
      if ((change.meta.kind === 'snapshot') !== (as === 'snapshot')) throw new HearthError('RECORD_TAMPERED', as === 'snapshot' ? 'a change passed off as a snapshot' : 'a snapshot passed off as a change');
      if (this.vault.syncState.hasSeen(workspaceId, documentId, change.meta.id)) {
        if (change.meta.author === this.account) {
          this.advance(workspaceId, documentId, seq);
          return true; // our own change coming back
        }
        throw new HearthError('RECORD_TAMPERED', 'a change delivered a second time (a replay)');
      }
      const key = this.space(workspaceId).epochKeys[change.meta.epoch];
      if (!key) throw new HearthError('RECORD_TAMPERED', `a change under key epoch ${change.meta.epoch}, whose key this device was never given`);
      const opened = openChange(change, fromHex(key));
      if (!opened) throw new HearthError('RECORD_TAMPERED', 'a change whose ciphertext does not decrypt (altered bytes)');
      plaintext = opened;
    } catch (error) {
      this.refuse(workspaceId, documentId, seq, bytes, error);
      return false;
    }
    try {
      this.apply(workspaceId, documentId, change, plaintext, seq);
      return true;
    } catch (error) {
      this.refuse(workspaceId, documentId, seq, bytes, error);
      return false;
    }
  }

  private advance(workspaceId: string, documentId: string, seq: number): void {
    const state = this.documentState(workspaceId, documentId);
    if (seq > state.cursor) this.vault.syncState.putDocument(workspaceId, documentId, { ...state, cursor: seq });
  }

  private refuse(workspaceId: string, documentId: string, seq: number, bytes: Uint8Array, error: unknown, advance = true): void {
    const { code, message } = errorOf(error);
    this.vault.syncState.transaction(() => {
      this.vault.syncState.quarantine(workspaceId, { documentId, relaySeq: seq, code, reason: message, at: Date.now(), bytes });
      if (advance) this.advance(workspaceId, documentId, seq);
    });
    this.warn(workspaceId, documentId, code === 'FORBIDDEN' ? 'FORBIDDEN' : 'RECORD_TAMPERED', `The relay delivered ${message}; it was not applied and is kept aside.`);
  }

  private warn(workspaceId: string, documentId: string, code: ErrorCode, message: string): void {
    const workspaceName = this.spaceName(workspaceId);
    const warning: SyncWarning = { workspaceId, workspaceName, documentId, code, message: `${workspaceName}: ${message}`, at: Date.now() };
    for (const listener of this.warningListeners) listener(warning);
    this.setStatus(workspaceId, {});
  }

  /** Applies a verified change, records its id and the cursor, all in one transaction. */
  private apply(workspaceId: string, documentId: string, change: ParsedChange, plaintext: Uint8Array, seq: number): void {
    const { meta } = change;
    let deleted: string[] = [];
    let deletedFiles: string[] = [];
    this.applyingRemote = true;
    try {
      this.vault.syncState.transaction(() => {
        const state = this.documentState(workspaceId, documentId);
        let heads = state.heads;
        const comments = { ...state.comments };
        const snapshot = meta.kind === 'snapshot' ? decodeSnapshot(plaintext) : undefined;
        const automergeChanges = () => (snapshot ? snapshotChanges(snapshot.documentBytes) : decodeChanges(plaintext));
        if (documentId === INDEX_DOC) {
          if (meta.kind === 'comment') throw new HearthError('RECORD_TAMPERED', 'a comment on the workspace index');
          const before = this.index(workspaceId);
          // On a clone: a refused change must leave the index as it was (applyChanges retires `before`).
          const [next] = A.applyChanges(A.clone(before), automergeChanges());
          // A document dropped from the index was deleted; only a role that may delete content can do that.
          deleted = Object.keys(before.docs ?? {}).filter((d) => !next.docs?.[d]);
          deletedFiles = Object.keys(before.files ?? {}).filter((f) => !next.files?.[f]);
          const signer = this.view(workspaceId).roleAt(meta.head, meta.author);
          if (deleted.length + deletedFiles.length > 0 && (!signer || !canDeleteContent(signer))) {
            throw new HearthError(
              'FORBIDDEN',
              `a deletion of ${deleted.length} document(s) and ${deletedFiles.length} file(s) by ${signer ? `a ${signer}, who may not delete content` : 'someone who was not a member'}`,
            );
          }
          this.putSpace(workspaceId, { ...this.space(workspaceId), index: saveIndex(next) });
          this.indexes.set(workspaceId, next);
          heads = A.getHeads(next);
        } else if (meta.kind !== 'comment') {
          heads = this.applyContent(workspaceId, documentId, snapshot ? { snapshot: snapshot.documentBytes } : { changes: decodeChanges(plaintext) }, meta.at);
          // The snapshot's author vouches for the comments in it (they were verified when it took them in).
          for (const record of snapshot?.comments ?? []) {
            this.applyComment(workspaceId, documentId, record, undefined);
            this.accountDeletion.afterRemoteComment(workspaceId, record, undefined);
            comments[record.id] = Math.max(comments[record.id] ?? 0, record.updatedAt);
          }
        } else {
          const record = decodeComment(plaintext);
          // An Owner or Admin passing on comments between a workspace and a shared document's space vouches for them.
          const signer = this.view(workspaceId).roleAt(meta.head, meta.author);
          this.applyComment(workspaceId, documentId, record, signer && canManageMembers(signer) && record.author !== this.index(workspaceId).members?.[meta.author]?.username ? undefined : meta.author);
          this.accountDeletion.afterRemoteComment(workspaceId, record, meta.author);
          comments[record.id] = record.updatedAt;
        }
        this.vault.syncState.markSeen(workspaceId, documentId, meta.id);
        this.vault.syncState.putDocument(workspaceId, documentId, {
          cursor: Math.max(seq, state.cursor),
          heads,
          comments,
          ...(meta.kind === 'snapshot' ? { snapshotAt: seq } : state.snapshotAt !== undefined ? { snapshotAt: state.snapshotAt } : {}),
        });
      });
    } finally {
      this.applyingRemote = false;
    }
    for (const doc of deleted) this.deleteLocally(workspaceId, doc);
    for (const file of deletedFiles) {
      const local = this.vault.files.has(file) ? this.vault.files.info(file) : undefined;
      if (local?.workspaceId === workspaceId) this.vault.files.delete(file);
      if (this.spaceState(workspaceId)) this.markFile(workspaceId, file, false);
    }
    if (documentId !== INDEX_DOC) this.forward(workspaceId, documentId);
    const remote = { workspaceId, documentId, kind: documentId === INDEX_DOC ? ('index' as const) : meta.kind };
    for (const listener of this.remoteListeners) {
      try {
        listener(remote);
      } catch {
        // A listener's trouble is not the change's: it is applied and recorded.
      }
    }
  }

  /**
   * A document that travels through several spaces (a team workspace's document also shared with
   * people outside it) passes what arrived through one space on to the others, signed by this vault.
   */
  private forward(fromSpace: string, documentId: string): void {
    if (!this.vault.documents.has(documentId)) return;
    for (const space of this.spacesOf(documentId)) {
      if (space === fromSpace) continue;
      const role = this.view(space).role(this.account);
      if (!role || !canWriteContent(role)) continue;
      this.captureDocument(space, documentId);
      this.captureComments(space, documentId);
      this.schedulePush(space);
    }
  }

  /**
   * Documents this device had (its heads were handed over or received) that are gone without the
   * engine having deleted them (the vault's own delete, e.g. from an older caller): where this
   * vault may delete content in a workspace, the deletion goes out now; otherwise (or in a shared
   * document's space) the document is fetched again, since deleting it is not this vault's to do.
   */
  private async reconcileLocalDeletions(spaceId: string, client: RelayClient): Promise<void> {
    const share = this.shareOf(spaceId);
    const here = new Set(this.vault.documents.allIds().map((d) => d.id));
    for (const doc of this.indexedDocs(spaceId)) {
      if (here.has(doc)) continue;
      const state = this.vault.syncState.document(spaceId, doc);
      if (!state || state.heads.length === 0) continue; // never here (not pulled yet, or refused)
      const role = this.view(spaceId).role(this.account);
      this.vault.syncState.forgetDocument(spaceId, doc);
      if (!share && role && canDeleteContent(role)) {
        this.changeIndex(spaceId, (d) => {
          if (d.docs?.[doc]) delete d.docs[doc];
        });
        await this.push(spaceId, client);
        await client.deleteDoc(spaceId, doc);
      } else if (!share) {
        this.warn(spaceId, doc, 'FORBIDDEN', `a document deleted on this device is fetched again: as ${role ? `${article(role)} ${role}` : 'a non-member'} you cannot delete documents in this workspace.`);
      }
    }
  }

  /** A peer deleted the document: the local copy goes too, with what the space kept about it. */
  private deleteLocally(spaceId: string, documentId: string): void {
    this.vault.syncState.forgetDocument(spaceId, documentId);
    const here = this.vault.documents.allIds().find((d) => d.id === documentId);
    const share = this.shareOf(spaceId);
    if (!here || here.workspaceId !== (share ? share.workspace : spaceId)) return;
    for (const other of this.spacesOf(documentId)) if (other !== spaceId) this.vault.syncState.forgetDocument(other, documentId);
    const ownShare = this.ownShareOf(documentId);
    this.vault.documents.delete(documentId);
    // A document this vault shared and someone else deleted: its share space goes too, once this round is done.
    if (ownShare && ownShare !== spaceId) {
      void this.endOwnShares([documentId]).catch((error) => this.setStatus(ownShare, { state: 'error', reason: errorOf(error) }));
    }
  }

  private applyContent(workspaceId: string, documentId: string, content: { snapshot: Uint8Array } | { changes: Uint8Array[] }, at: number): string[] {
    const share = this.shareOf(workspaceId);
    if (share && documentId !== share.document) throw new HearthError('RECORD_TAMPERED', 'a change to another document than the one shared in this space');
    const holder = share ? share.workspace : workspaceId;
    const exists = this.vault.documents.has(documentId);
    if (exists) {
      if (this.vault.documents.workspaceOf(documentId) !== holder) throw new HearthError('RECORD_TAMPERED', 'a change to a document of another workspace');
      const changes = 'snapshot' in content ? snapshotChanges(content.snapshot) : content.changes;
      const doc = this.vault.documents.get(documentId);
      const has = (hash: string) => A.getMissingDeps(doc, [hash]).length === 0;
      const fresh: Uint8Array[] = [];
      const inBatch = new Set<string>();
      for (const change of changes) {
        let decoded: A.DecodedChange;
        try {
          decoded = A.decodeChange(change);
        } catch (cause) {
          throw new HearthError('BAD_REQUEST', 'malformed document changes', { cause });
        }
        if (has(decoded.hash!)) continue; // already here (a snapshot overlaps what this device has)
        // The relay hands changes out in the order they were pushed, which is causal; a change whose
        // history is missing was withheld or reordered, and would sit invisible in the document.
        if (!decoded.deps.every((dep) => inBatch.has(dep) || has(dep))) throw new HearthError('RECORD_TAMPERED', 'a change whose earlier history the relay has not delivered');
        inBatch.add(decoded.hash!);
        fresh.push(change);
      }
      if (fresh.length === 0) return A.getHeads(doc);
      return A.getHeads(this.vault.documents.applyChanges(documentId, fresh));
    }
    // New here: the document is built once and stored as it came (a snapshot's bytes are already its save).
    let doc: A.Doc<DocumentContent>;
    try {
      doc = 'snapshot' in content ? A.load<DocumentContent>(content.snapshot) : A.applyChanges(A.init<DocumentContent>(), content.changes)[0];
    } catch (cause) {
      throw new HearthError('BAD_REQUEST', 'snapshot' in content ? 'a snapshot that is not a readable document' : 'malformed document changes', { cause });
    }
    if (A.getHeads(doc).length === 0) throw new HearthError('RECORD_TAMPERED', 'changes to a document whose beginning is missing');
    if (A.getMissingDeps(doc, []).length > 0) throw new HearthError('RECORD_TAMPERED', 'a change whose earlier history the relay has not delivered');
    this.vault.documents.adoptLoaded(holder, documentId, doc, { createdAt: at, updatedAt: at }, 'snapshot' in content ? content.snapshot : undefined);
    return A.getHeads(doc);
  }

  private applyComment(workspaceId: string, documentId: string, record: CommentRecord, author: string | undefined): void {
    if (record.documentId !== documentId) throw new HearthError('RECORD_TAMPERED', 'a comment filed under another document');
    if (!this.vault.documents.has(documentId)) throw new HearthError('CONFLICT', 'a comment on a document this device does not have');
    const directory = this.index(workspaceId).members ?? {};
    const username = author === undefined ? undefined : directory[author]?.username;
    const existing = this.vault.comments.records(documentId).find((r) => r.id === record.id);
    if (!existing) {
      // A new comment must be in its signer's own name.
      if (username && record.author !== username) throw new HearthError('FORBIDDEN', `a comment signed by ${username} but written in the name of ${record.author}`);
      this.vault.comments.adopt(record);
      return;
    }
    if (record.updatedAt <= existing.updatedAt) return;
    // Someone else may resolve or reopen a thread, but only its author may change what it says.
    if (record.text !== existing.text && author !== undefined && username !== existing.author) throw new HearthError('FORBIDDEN', `an edit of ${existing.author}'s comment by someone else`);
    this.vault.comments.replace({ ...existing, text: record.text, resolved: record.resolved, updatedAt: record.updatedAt });
  }

  // ---------------------------------------------------------------- rounds, live sync, status

  /** One full exchange for a workspace: capture, membership, keys, push, pull everything, push again. */
  private async syncWorkspace(workspaceId: string, client: RelayClient, live: boolean): Promise<{ pushed: number; applied: number; refused: number }> {
    const own = this.shareOf(workspaceId);
    if (own && !own.received && !this.vault.documents.allIds().some((d) => d.id === own.document)) {
      // The document this vault shared is gone from it: its space ends (endOrphanShares), nothing comes back.
      return { pushed: 0, applied: 0, refused: 0 };
    }
    this.setStatus(workspaceId, { state: 'syncing' });
    this.captureAll(workspaceId);
    const removed = new HearthError('FORBIDDEN', `You were removed from ${this.spaceName(workspaceId)}; what is on this device stays readable, nothing new arrives.`);
    try {
      await this.refreshMembership(workspaceId, client);
    } catch (error) {
      if (this.shareOf(workspaceId) && isHearthError(error, 'NOT_FOUND')) {
        // The person who shared the document deleted it (and its space): the deletion reaches this copy too.
        this.dropShare(workspaceId, true);
        return { pushed: 0, applied: 0, refused: 0 };
      }
      // The relay no longer lets a non-member read the log it was removed by.
      throw isHearthError(error, 'FORBIDDEN') ? removed : error;
    }
    if (!this.view(workspaceId).role(this.account)) throw removed;
    await this.refreshKeys(workspaceId, client);
    await this.accountDeletion.afterMembership(workspaceId, client);
    await this.reconcileLocalDeletions(workspaceId, client);
    let pushed = await this.push(workspaceId, client);
    let applied = 0;
    let refused = 0;
    const add = (r: { applied: number; refused: number }) => {
      applied += r.applied;
      refused += r.refused;
    };
    // Subscribe before pulling: a change pushed in between arrives live instead of being missed.
    const known = this.indexedDocs(workspaceId);
    if (live) for (const doc of [INDEX_DOC, ...known]) await this.follow(workspaceId, doc, client);
    add(await this.pullDoc(workspaceId, INDEX_DOC, client));
    const docs = this.indexedDocs(workspaceId);
    // A long round (a first sync after joining) says how far it got, about fifty times.
    const step = docs.length >= PROGRESS_FROM_DOCS ? Math.ceil(docs.length / 50) : 0;
    for (const [done, doc] of docs.entries()) {
      if (step && done % step === 0) this.setStatus(workspaceId, { progress: { done, total: docs.length } });
      if (live && !known.includes(doc)) await this.follow(workspaceId, doc, client);
      add(await this.pullDoc(workspaceId, doc, client));
    }
    if (step) this.setStatus(workspaceId, { progress: undefined });
    await this.syncFiles(workspaceId, client);
    pushed += await this.push(workspaceId, client);
    for (const doc of [INDEX_DOC, ...this.indexedDocs(workspaceId)]) await this.maybeSnapshot(workspaceId, doc, client);
    this.setStatus(workspaceId, { state: 'synced', lastSyncedAt: Date.now() });
    return { pushed, applied, refused };
  }

  /**
   * A writer that has everything up to its cursor uploads the whole document, encrypted and
   * signed, once enough changes piled up after the last snapshot; the relay then drops the
   * changes it covers, so a new member downloads one snapshot and a short tail.
   */
  private async maybeSnapshot(workspaceId: string, documentId: string, client: RelayClient): Promise<void> {
    const state = this.documentState(workspaceId, documentId);
    if (state.cursor - (state.snapshotAt ?? 0) < this.snapshotEvery) return;
    const view = this.view(workspaceId);
    const role = view.role(this.account);
    const keyHex = this.space(workspaceId).epochKeys[view.currentEpoch];
    if (!role || !canWriteContent(role) || !keyHex) return;
    if (!this.vault.documents.has(documentId) && documentId !== INDEX_DOC) return;
    const bytes =
      documentId === INDEX_DOC ? encodeSnapshot(A.save(this.index(workspaceId)), []) : encodeSnapshot(this.vault.documents.save(documentId), this.vault.comments.records(documentId));
    const blob = sealChange(
      { space: workspaceId, doc: documentId, kind: 'snapshot', epoch: view.currentEpoch, head: view.head, author: this.account, id: newId(), at: Date.now() },
      bytes,
      fromHex(keyHex),
      this.vault.identityKeys().signSecretKey,
    );
    try {
      await client.putSnapshot(workspaceId, documentId, state.cursor, blob);
    } catch (error) {
      // Another member's snapshot got there first; theirs serves as well.
      if (!isHearthError(error, 'CONFLICT')) throw error;
    }
    this.vault.syncState.putDocument(workspaceId, documentId, { ...this.documentState(workspaceId, documentId), snapshotAt: state.cursor });
  }

  /** Whether a genuine change names a membership head or key epoch this device does not know yet. */
  private aheadOfMembership(workspaceId: string, bytes: Uint8Array): boolean {
    // The common case (nothing new) costs no signature check; a claim of something new is checked
    // before it may trigger a catch-up, and verifyWith checks the change again when it is applied.
    const meta = unverifiedMeta(bytes);
    if (!meta || (this.view(workspaceId).hasHead(meta.head) && this.space(workspaceId).epochKeys[meta.epoch])) return false;
    return ownChange(bytes) !== undefined;
  }

  private async follow(workspaceId: string, documentId: string, client: RelayClient): Promise<void> {
    let set = this.subscribed.get(client);
    if (!set) this.subscribed.set(client, (set = new Set()));
    const key = `${workspaceId}/${documentId}`;
    if (set.has(key)) return;
    set.add(key);
    await client.subscribe(workspaceId, documentId, ({ seq, bytes }) => {
      void this.serial(workspaceId, async () => {
        if (!this.running || this.space(workspaceId).paused) return;
        const cursor = this.documentState(workspaceId, documentId).cursor;
        // A change made under a membership state or key epoch this device has not seen yet (a peer
        // removed someone, or an account was deleted and the key rotated): catch up before judging it.
        if (seq > cursor && this.aheadOfMembership(workspaceId, bytes)) {
          await this.refreshMembership(workspaceId, client);
          await this.refreshKeys(workspaceId, client);
          await this.accountDeletion.afterMembership(workspaceId, client);
        }
        if (seq === cursor + 1) this.receive(workspaceId, documentId, seq, bytes);
        else if (seq > cursor) await this.pullDoc(workspaceId, documentId, client);
        else return; // already here (pulled, or our own change)
        if (documentId === INDEX_DOC) for (const doc of this.indexedDocs(workspaceId)) {
          if (!set.has(`${workspaceId}/${doc}`)) {
            await this.follow(workspaceId, doc, client);
            await this.pullDoc(workspaceId, doc, client);
          }
        }
        if (documentId === INDEX_DOC) {
          await this.syncFiles(workspaceId, client);
          await this.push(workspaceId, client);
        }
        this.setStatus(workspaceId, { state: 'synced', lastSyncedAt: Date.now() });
      }).catch((error) => this.setStatus(workspaceId, { state: 'error', reason: errorOf(error) }));
    });
  }

  /**
   * One round for every team workspace (or one): push and pull until nothing is left, then
   * return. What the CLI's `hearth sync` runs. Workspaces whose relay cannot be reached are
   * reported offline; the round goes on with the others.
   */
  async syncOnce(workspaceIdOrName?: string): Promise<SyncReport> {
    await this.endOrphanShares();
    const targets = workspaceIdOrName ? this.spacesFor(workspaceIdOrName) : this.syncedSpaceIds().map((id) => ({ id }));
    const report: SyncReport = { workspaces: 0, pushed: 0, applied: 0, refused: 0 };
    let firstError: unknown;
    for (const workspace of targets) {
      if (!this.spaceState(workspace.id)) continue; // gone during this round (a share ended with its document)
      if (this.space(workspace.id).paused) {
        this.setStatus(workspace.id, { state: 'paused' });
        continue;
      }
      try {
        const client = await this.client(this.space(workspace.id).relay);
        const result = await this.serial(workspace.id, () => this.syncWorkspace(workspace.id, client, this.running));
        report.workspaces++;
        report.pushed += result.pushed;
        report.applied += result.applied;
        report.refused += result.refused;
      } catch (error) {
        firstError ??= error;
        this.setStatus(workspace.id, isHearthError(error, 'UNAVAILABLE') ? { state: 'offline', reason: errorOf(error) } : { state: 'error', reason: errorOf(error) });
      }
    }
    // What arrived through one space and was passed on to another (a shared document's edits) goes out in this round too.
    for (const workspace of targets) {
      if (!this.spaceState(workspace.id) || this.space(workspace.id).paused || this.vault.syncState.outboxCount(workspace.id) === 0) continue;
      try {
        const client = await this.client(this.space(workspace.id).relay);
        report.pushed += await this.serial(workspace.id, () => this.push(workspace.id, client));
      } catch (error) {
        this.setStatus(workspace.id, { state: 'error', reason: errorOf(error) });
      }
    }
    // Links of documents deleted here, by a peer or while offline: revoked at their relays now (or next round).
    await this.revokeDeletedLinks();
    if (firstError && report.workspaces === 0) throw firstError;
    return report;
  }

  /** Live sync: connects to every relay with a team workspace, follows its documents, reconnects with backoff. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const id of this.syncedSpaceIds()) this.setStatus(id, { state: this.space(id).paused ? 'paused' : 'offline' });
    const relays = new Set(this.syncedSpaceIds().map((id) => this.space(id).relay));
    for (const url of relays) void this.runRelay(url);
  }

  /** Starts following a relay that gained a workspace after start() (create or accept). */
  private ensureRelayLoop(url: string): void {
    if (this.running && !this.loops.has(url)) void this.runRelay(url);
  }

  private readonly loops = new Set<string>();

  private async runRelay(url: string): Promise<void> {
    if (this.loops.has(url)) return;
    this.loops.add(url);
    let failures = 0;
    try {
      while (this.running) {
        const closed = new Promise<void>((resolve) => {
          if (!this.closeWaiters.has(url)) this.closeWaiters.set(url, new Set());
          this.closeWaiters.get(url)!.add(resolve);
        });
        try {
          const client = await this.client(url);
          failures = 0;
          await this.endOrphanShares(url);
          await this.revokeDeletedLinks(url);
          for (const workspace of this.syncedSpaceIds().map((id) => ({ id }))) {
            const space = this.spaceState(workspace.id);
            if (!space || space.relay !== url) continue; // gone meanwhile (a share ended, a workspace left)
            if (space.paused) {
              this.setStatus(workspace.id, { state: 'paused' });
              continue;
            }
            await this.serial(workspace.id, () => this.syncWorkspace(workspace.id, client, true)).catch((error) =>
              this.setStatus(workspace.id, { state: client.closed ? 'offline' : 'error', reason: errorOf(error) }),
            );
          }
          if (!client.closed) await Promise.race([closed, this.sleep(Number.POSITIVE_INFINITY)]);
        } catch (error) {
          failures++;
          for (const workspace of this.syncedSpaceIds().map((id) => ({ id }))) {
            if (this.space(workspace.id).relay === url && !this.space(workspace.id).paused) this.setStatus(workspace.id, { state: 'offline', reason: errorOf(error) });
          }
        }
        if (!this.running) break;
        for (const workspace of this.syncedSpaceIds().map((id) => ({ id }))) {
          if (this.space(workspace.id).relay === url && !this.space(workspace.id).paused && this.statuses.get(workspace.id)?.state === 'synced') {
            this.setStatus(workspace.id, { state: 'offline', reason: { code: 'UNAVAILABLE', message: `Lost the connection to ${url}; reconnecting.` } });
          }
        }
        const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(failures, 16));
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
    for (const pending of this.clients.values()) {
      const client = await pending.catch(() => undefined);
      client?.close();
    }
    this.clients.clear();
    await Promise.allSettled([...this.queues.values()]);
  }

  /** Stops live sync and detaches from the vault (before lock). */
  async close(): Promise<void> {
    this.presence_?.close();
    await this.stop();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  /** Stops exchanging changes for one workspace; local edits keep queueing in the outbox. */
  pause(workspaceIdOrName: string): void {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    this.putSpace(workspace.id, { ...this.space(workspace.id), paused: true });
    this.setStatus(workspace.id, { state: 'paused', reason: undefined });
  }

  resume(workspaceIdOrName: string): void {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const space = this.space(workspace.id);
    this.putSpace(workspace.id, { ...space, paused: false });
    this.setStatus(workspace.id, { state: 'offline', reason: undefined });
    if (!this.running) return;
    this.ensureRelayLoop(space.relay);
    void this.client(space.relay)
      .then((client) => this.serial(workspace.id, () => this.syncWorkspace(workspace.id, client, true)))
      .catch((error) => this.setStatus(workspace.id, { state: 'offline', reason: errorOf(error) }));
  }

  /**
   * The spaces to sync for a workspace named by the user: the team workspace itself and the
   * spaces of its documents shared selectively (or, for "Shared with me", of the documents in it).
   */
  private spacesFor(workspaceIdOrName: string): Array<{ id: string }> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    if (workspace.shareOf) return this.spaceState(workspace.id) ? [{ id: workspace.id }] : [];
    const ids = [...(this.spaceState(workspace.id) ? [workspace.id] : []), ...this.shareSpaceIds().filter((id) => this.shareOf(id)!.workspace === workspace.id)];
    if (ids.length === 0) throw new HearthError('BAD_REQUEST', `${workspace.name} is a personal workspace; it never leaves this device.`);
    return ids.map((id) => ({ id }));
  }

  status(workspaceIdOrName?: string): SyncStatus[] {
    const workspaces = workspaceIdOrName ? this.spacesFor(workspaceIdOrName) : this.syncedSpaceIds().map((id) => ({ id }));
    return workspaces.map((w) => this.statusOf(w.id));
  }

  private statusOf(workspaceId: string): SyncStatus {
    const known = this.statuses.get(workspaceId);
    const space = this.space(workspaceId);
    const pending = this.vault.syncState.outboxCount(workspaceId);
    const base: SyncStatus = known ?? { workspaceId, name: '', relay: space.relay, state: space.paused ? 'paused' : 'offline', pending: 0, quarantined: 0 };
    const state: SyncStateName = base.state === 'synced' && pending > 0 ? 'syncing' : base.state;
    return { ...base, name: this.spaceName(workspaceId), state, pending, quarantined: this.vault.syncState.quarantineCount(workspaceId) };
  }

  private setStatus(workspaceId: string, change: Partial<Pick<SyncStatus, 'state' | 'reason' | 'lastSyncedAt' | 'transfer' | 'progress'>>): void {
    if (!this.spaceState(workspaceId)) return;
    const previous = this.statuses.get(workspaceId) ?? this.statusOf(workspaceId);
    const next: SyncStatus = { ...previous, ...change };
    if (change.state === 'synced' || change.state === 'syncing' || change.state === 'paused') delete next.reason;
    if ('reason' in change && change.reason === undefined) delete next.reason;
    if ('transfer' in change && change.transfer === undefined) delete next.transfer;
    if (('progress' in change && change.progress === undefined) || (change.state !== undefined && change.state !== 'syncing')) delete next.progress;
    this.statuses.set(workspaceId, next);
    const status = this.statusOf(workspaceId);
    for (const listener of this.statusListeners) listener(status);
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onWarning(listener: (warning: SyncWarning) => void): () => void {
    this.warningListeners.add(listener);
    return () => this.warningListeners.delete(listener);
  }

  /**
   * Asks the relay for membership entries others made since the last look (a role change, a
   * removal) and for keys sealed to this vault since; the relay does not push either. A refusal
   * because this vault was removed shows as the workspace's error status.
   */
  async checkMembership(workspaceIdOrName: string): Promise<void> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const space = this.space(workspace.id);
    if (space.paused) return;
    const client = await this.client(space.relay);
    await this.serial(workspace.id, async () => {
      try {
        await this.refreshMembership(workspace.id, client);
      } catch (error) {
        if (!isHearthError(error, 'FORBIDDEN')) throw error;
        this.setStatus(workspace.id, { state: 'error', reason: { code: 'FORBIDDEN', message: `You were removed from ${workspace.name}; what is on this device stays readable, nothing new arrives.` } });
        return;
      }
      await this.refreshKeys(workspace.id, client);
      await this.accountDeletion.afterMembership(workspace.id, client);
    });
  }

  /** Called after each verified change from the relay is applied (the app tells its pages; comments have no vault listener for that). */
  onRemote(listener: (change: { workspaceId: string; documentId: string; kind: 'content' | 'comment' | 'snapshot' | 'index' }) => void): () => void {
    this.remoteListeners.add(listener);
    return () => this.remoteListeners.delete(listener);
  }

  /** Changes refused by verification in a workspace, newest last. */
  quarantined(workspaceIdOrName: string): Array<{ documentId: string; relaySeq: number; code: string; reason: string; at: number }> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    return this.vault.syncState.quarantined(workspace.id).map(({ documentId, relaySeq, code, reason, at }) => ({ documentId, relaySeq, code, reason, at }));
  }

  // ---------------------------------------------------------------- public links (main/sync/links.ts)

  private linkService: PublicLinks | undefined;

  // ---------------------------------------------------------------- presence (main/sync/presence.ts)

  private readonly presenceOptions: PresenceOptions;
  private presence_: PresenceHub | undefined;

  private get presenceHub(): PresenceHub {
    this.presence_ ??= new PresenceHub(
      {
        vault: this.vault,
        account: this.account,
        spaceOf: (space) => {
          const state = this.spaceState(space);
          return state ? { relay: state.relay, paused: state.paused } : undefined;
        },
        spacesOf: (documentId) => this.spacesOf(documentId),
        currentKey: (workspaceId) => {
          const epoch = this.view(workspaceId).currentEpoch;
          const key = this.space(workspaceId).epochKeys[epoch];
          return key ? { epoch, key: fromHex(key) } : undefined;
        },
        keyOf: (workspaceId, epoch) => {
          const key = this.spaceState(workspaceId)?.epochKeys[epoch];
          return key ? fromHex(key) : undefined;
        },
        isMember: (workspaceId, account) => this.view(workspaceId).role(account) !== undefined,
        profileOf: (space, account) => {
          try {
            return this.index(space).members?.[account];
          } catch {
            return undefined; // an index not synced yet: the account id stands in for the name
          }
        },
        learnMembership: (workspaceId) => void this.refresh(workspaceId).catch(() => undefined),
      },
      this.presenceOptions,
    );
    return this.presence_;
  }

  /** Shares where this vault is in a document (null = it left); sealed with the space key, relayed, never stored. */
  setPresence(documentId: string, selection: { from: number; to: number } | null): void {
    this.presenceHub.set(documentId, selection);
  }

  /** The other people in a document now, with their selections. */
  presence(documentId: string): PresenceEntry[] {
    return this.presenceHub.list(documentId);
  }

  onPresence(listener: (documentId: string, entries: PresenceEntry[]) => void): () => void {
    return this.presenceHub.onChange(listener);
  }

  // ---------------------------------------------------------------- account deletion (main/sync/account.ts)

  private accountService: AccountDeletion | undefined;

  private get accountDeletion(): AccountDeletion {
    this.accountService ??= new AccountDeletion({
      vault: this.vault,
      account: this.account,
      client: (url) => this.client(url),
      view: (workspaceId) => this.view(workspaceId),
      space: (workspaceId) => this.space(workspaceId),
      putSpace: (workspaceId, state) => this.putSpace(workspaceId, state),
      index: (workspaceId) => this.index(workspaceId),
      changeIndex: (workspaceId, fn) => this.changeIndex(workspaceId, fn),
      sealEnvelope: (space, epoch, key, recipient, boxKey) => this.sealEnvelope(space, epoch, key, recipient, boxKey),
      refreshKeys: (workspaceId, client) => this.refreshKeys(workspaceId, client),
      finalSync: (workspaceId, client) => this.serial(workspaceId, () => this.syncWorkspace(workspaceId, client, false)).then(() => undefined),
      teamWorkspaces: () => this.vault.syncState.spaceIds().flatMap((id) => {
        const state = this.spaceState(id);
        return state ? [{ id, relay: state.relay, paused: state.paused }] : [];
      }),
      stopLive: async () => {
        const was = this.running;
        await this.stop();
        return was;
      },
      startLive: () => this.start(),
    });
    return this.accountService;
  }

  /**
   * Deletes this vault's account on every relay it is registered on (see main/sync/account.ts).
   * Refuses, changing nothing, when a relay cannot be reached (unless `skipUnreachable`). The
   * caller wipes the vault afterwards; this engine is of no more use then.
   */
  deleteAccount(options?: AccountDeletionOptions): Promise<AccountDeletionResult> {
    return this.accountDeletion.deleteAccount(options);
  }

  private linkRevocations: Promise<void> = Promise.resolve();

  /**
   * A document was deleted (through the engine, the vault, or by a peer): its links this vault
   * created are marked pending revocation at once, sealed in the vault; while live they go to the
   * relay now, else on the next round (syncOnce or the live loop's reconnect).
   */
  private onDocumentGone(documentId: string): void {
    let marked = 0;
    try {
      marked = this.links.markDocumentDeleted(documentId);
    } catch {
      // Its workspace is going too (its records with it); a record left behind is found by the next round's sweep.
    }
    if (marked > 0 && this.running) void this.revokeDeletedLinks();
  }

  /** Revokes the pending links at their relays, one pass at a time; unreachable relays keep theirs pending. */
  private revokeDeletedLinks(onlyRelay?: string): Promise<void> {
    const run = this.linkRevocations.then(() => this.links.revokePending(onlyRelay)).then(
      () => undefined,
      () => undefined, // a locked or closed vault: the records stay pending for the next round
    );
    this.linkRevocations = run;
    return run;
  }

  private get links(): PublicLinks {
    this.linkService ??= new PublicLinks({
      vault: this.vault,
      spacesOf: (documentId) =>
        this.spacesOf(documentId).map((space) => ({
          space,
          relay: this.space(space).relay,
          name: this.shareOf(space) ? `the shared document ${this.vault.documents.summary(documentId).title}` : this.vault.workspaces.get(space).name,
        })),
      currentRole: async (space) => {
        await this.refresh(space);
        return this.view(space).role(this.account);
      },
      client: (url) => this.client(url),
    });
    return this.linkService;
  }

  /** Publishes a read-only copy of the document as it is now (Owner/Admin of its team workspace). */
  createLink(documentId: string, options?: { expiresInMs?: number; includeImages?: boolean }): Promise<LinkInfo> {
    return this.links.create(documentId, options);
  }

  /** Active links this vault created (local records). */
  listLinks(): Promise<LinkInfo[]> {
    return Promise.resolve(this.links.list());
  }

  revokeLink(linkId: string): Promise<void> {
    return this.links.revoke(linkId);
  }

  /** Links of deleted documents whose relay has not confirmed the revocation yet (it was out of reach). */
  pendingLinkRevocations(): Promise<PendingLinkRevocation[]> {
    return Promise.resolve(this.links.pendingRevocations());
  }

  /** Tells the relays about the pending revocations now (after any pass already under way); those still pending. */
  async retryLinkRevocations(): Promise<PendingLinkRevocation[]> {
    await this.revokeDeletedLinks();
    return this.links.pendingRevocations();
  }

  /**
   * Opens a Hearth link (fetches its copy from its relay, decrypts it with the key after '#').
   * S8: only from a relay this vault added; a link on another host is FORBIDDEN (nothing is
   * fetched) unless `otherHost` says the user agreed to fetch this one link from there.
   */
  async openLink(url: string, options: { otherHost?: boolean } = {}): Promise<OpenedLink> {
    if (!options.otherHost) assertLinkOnConfiguredRelay(url, this.relays().map((r) => r.url));
    return openPublicLink(url);
  }

  /** Resolves when every queued operation of every workspace has run (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.queues.values()];
      await Promise.allSettled(pending);
      const now = [...this.queues.values()];
      if (now.length === pending.length && now.every((q, i) => q === pending[i])) return;
    }
  }

  /** Runs `fn` after everything queued for the workspace, so pulls, pushes and live changes never interleave. */
  private serial<T>(workspaceId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(workspaceId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.queues.set(workspaceId, next);
    return next;
  }
}

/** Consecutive outbox entries of one document and kind, up to `maxBytes`; comments travel one by one. */
function takeGroup(entries: OutboxEntry[], maxBytes: number): OutboxEntry[] {
  const first = entries[0]!;
  if (first.kind === 'comment') return [first];
  const group = [first];
  let bytes = first.payload.length;
  for (const entry of entries.slice(1)) {
    if (entry.documentId !== first.documentId || entry.kind !== first.kind || bytes + entry.payload.length > maxBytes) break;
    group.push(entry);
    bytes += entry.payload.length;
  }
  return group;
}

/** What a change says about itself, before anyone checked its signature; undefined if it does not parse. */
function unverifiedMeta(bytes: Uint8Array): ParsedChange['meta'] | undefined {
  try {
    return parseChange(bytes).meta;
  } catch {
    return undefined;
  }
}

/** A change whose signature holds, or undefined. */
function ownChange(bytes: Uint8Array): ParsedChange | undefined {
  try {
    return verifyChange(bytes);
  } catch {
    return undefined;
  }
}

/** The changes of a whole-document snapshot, so they merge like any other changes. */
function snapshotChanges(bytes: Uint8Array): Uint8Array[] {
  try {
    return A.getAllChanges(A.load(bytes));
  } catch (cause) {
    throw new HearthError('BAD_REQUEST', 'a snapshot that is not a readable document', { cause });
  }
}

function capital(role: Role): string {
  return `${role[0]!.toUpperCase()}${role.slice(1)}`;
}

function article(role: Role): 'a' | 'an' {
  return role === 'admin' || role === 'editor' || role === 'owner' ? 'an' : 'a';
}
