/**
 * The sync engine of one unlocked vault: accounts on relays, team workspaces (create, invite,
 * accept, roles, removal with key rotation), and the exchange of encrypted, signed changes.
 *
 * Local edits are captured into the vault's sealed outbox in the same tick they are persisted
 * (and, after a crash, by comparing each document with the heads already handed over), so an
 * edit made offline or just before a SIGKILL still goes out on the next connection. Remote
 * changes are applied only after client-side verification (S5); what fails is kept aside in the
 * quarantine table and reported with the workspace's name.
 *
 * Layout (being split out of this file; each module has one reason to change, gets narrow
 * interfaces rather than the engine, imports only downwards, and has its own unit tests):
 *   spaces.ts        space registry: SpaceState/view/index caches, workspace kinds, share lookups
 *   status.ts        status board and warnings (emits only when a status changes)
 *   permissions.ts   this account's role per workspace or document, decided once per operation
 *   connections.ts   relay clients, register/sign-in, reachability, close notices
 *   queues.ts        one serial queue per space (pulls, pushes, live changes never interleave)
 *   membership.ts    membership log and key epochs: refresh, append, envelopes, founding a space
 *   members.ts       invite, change role, remove (new key epoch), transfer ownership, list
 *   outbox.ts        capture local changes, push, forward between spaces, snapshots
 *   verify.ts        checks a change against the verified membership (pure)
 *   inbound.ts       pull, verify, apply, quarantine
 *   file-sync.ts     attachments through the relay (files.ts: chunk sealing)
 *   deletion.ts      deleting documents here and everywhere, reconciling deletions
 *   sharing.ts       one document shared with people outside its workspace
 *   invitations.ts   listing, peeking and accepting invitations
 *   team-workspaces.ts  create, convert, leave, delete a team workspace
 *   rounds.ts        syncOnce, live loop with backoff, follow, pause/resume
 *   engine.ts        this facade: builds the modules, wires them, keeps the public API
 * (links.ts, presence.ts and account.ts were split out before, the same way.)
 */
import * as A from '@automerge/automerge';
import WebSocket from 'ws';
import type { SharePlan, SyncStatus, SyncWarning, TeamInvitation, TeamMember as Member } from '../../common/api/contract.ts';
import { fromHex, newId, toBase64Url } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { openChange } from '../../common/protocol/change.ts';
import { RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import type { AccessReport } from '../../common/protocol/messages.ts';
import { canDeleteContent, canManageMembers, canWriteContent, Roles, withArticle, type Role } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import { downloadFile, uploadFile } from './files.ts';
import { MembershipView } from './membership-view.ts';
import { decodeChanges } from './payload.ts';
import { emptyIndex, INDEX_DOC, type IndexDoc } from './workspace-index.ts';
import { assertLinkOnConfiguredRelay, openPublicLink, PublicLinks, type LinkInfo, type OpenedLink, type PendingLinkRevocation } from './links.ts';
import { AccountDeletion, type AccountDeletionOptions, type AccountDeletionResult } from './account.ts';

export type { LinkInfo, OpenedLink } from './links.ts';
import { PresenceHub, type PresenceEntry, type PresenceOptions } from './presence.ts';
import { RelayConnections } from './connections.ts';
import { Permissions, type EditKind } from './permissions.ts';
import { SpaceQueues } from './queues.ts';
import { Members } from './members.ts';
import { Membership } from './membership.ts';
import { TeamWorkspaces, type TeamConversionPlan } from './team-workspaces.ts';
import { Inbound, type RemoteChange } from './inbound.ts';

export type { RemoteChange } from './inbound.ts';
import { Outbox } from './outbox.ts';
import { aheadOf, verifyAgainst } from './verify.ts';
import { SpaceRegistry } from './spaces.ts';
import { reasonOf, StatusBoard } from './status.ts';

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


export class SyncEngine {
  private readonly createSocket: (url: string) => WebSocketLike;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly spaces: SpaceRegistry;
  private readonly board: StatusBoard;
  private readonly connections: RelayConnections;
  private readonly queues = new SpaceQueues();
  private readonly permissions: Permissions;
  private readonly membership: Membership;
  private readonly memberList: Members;
  private readonly teams: TeamWorkspaces;
  private readonly outbox: Outbox;
  private readonly inbound: Inbound;
  private readonly subscribed = new WeakMap<RelayClient, Set<string>>();
  private readonly remoteListeners = new Set<(change: { workspaceId: string; documentId: string; kind: 'content' | 'comment' | 'snapshot' | 'index' }) => void>();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly sleepers = new Set<() => void>();
  private running = false;

  constructor(
    private readonly vault: Vault,
    options: SyncEngineOptions = {},
  ) {
    this.createSocket = options.createSocket ?? defaultSocket;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.presenceOptions = options.presence ?? {};
    this.spaces = new SpaceRegistry(vault);
    this.board = new StatusBoard({
      spaceOf: (spaceId) => this.spaces.state(spaceId),
      name: (spaceId) => this.spaces.name(spaceId),
      pending: (spaceId) => vault.syncState.outboxCount(spaceId),
      quarantined: (spaceId) => vault.syncState.quarantineCount(spaceId),
    });
    this.connections = new RelayConnections({ vault, connect: (url) => RelayClient.connect(url, this.createSocket) });
    this.permissions = new Permissions({ vault, account: this.account, spaces: this.spaces });
    this.membership = new Membership({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      queues: this.queues,
      client: (url) => this.connections.client(url),
      afterMembership: (spaceId, client) => this.accountDeletion.afterMembership(spaceId, client),
      pullIndex: (spaceId, client) => this.inbound.pull(spaceId, INDEX_DOC, client),
    });
    this.outbox = new Outbox({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      queues: this.queues,
      maxBlobBytes: options.maxBlobBytes ?? DEFAULT_MAX_BLOB,
      snapshotEvery: options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
      isLive: () => this.running,
      openClient: (url) => this.connections.open(url),
      pushedNew: async (spaceId, documentId, client) => {
        // A document this vault just created is not followed yet (the relay does not echo a push to
        // its sender's index subscription): follow it now, so peers' edits to it arrive live.
        if (this.running && !this.subscribed.get(client)?.has(`${spaceId}/${documentId}`)) {
          await this.follow(spaceId, documentId, client);
          await this.inbound.pull(spaceId, documentId, client);
        }
      },
    });
    this.inbound = new Inbound({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      afterRemoteComment: (spaceId, record, signer) => this.accountDeletion.afterRemoteComment(spaceId, record, signer),
      removed: (spaceId, documents, files) => {
        for (const doc of documents) this.deleteLocally(spaceId, doc);
        for (const file of files) {
          const local = vault.files.has(file) ? vault.files.info(file) : undefined;
          if (local?.workspaceId === spaceId) vault.files.delete(file);
          if (this.spaces.state(spaceId)) this.markFile(spaceId, file, false);
        }
      },
      forward: (spaceId, documentId) => this.outbox.forward(spaceId, documentId),
    });
    this.memberList = new Members({
      vault,
      account: this.account,
      spaces: this.spaces,
      permissions: this.permissions,
      membership: this.membership,
      queues: this.queues,
      push: (spaceId, client) => this.outbox.push(spaceId, client),
      syncSpace: (spaceId, client) => this.syncWorkspace(spaceId, client, false),
    });
    this.teams = new TeamWorkspaces({
      vault,
      account: this.account,
      spaces: this.spaces,
      connections: this.connections,
      membership: this.membership,
      permissions: this.permissions,
      status: this.board,
      queues: this.queues,
      client: (url) => this.connections.client(url),
      isLive: () => this.running,
      push: (spaceId, client) => this.outbox.push(spaceId, client),
      syncSpace: (spaceId, client, follow) => this.syncWorkspace(spaceId, client, follow),
      ensureRelayLoop: (url) => this.ensureRelayLoop(url),
      endOwnShares: (documents) => this.endOwnShares(documents),
    });
    this.unsubscribers.push(
      this.spaces.forgotten.on((spaceId) => this.board.forget(spaceId)),
      this.connections.connected.on(({ url, client }) => this.listen(url, client)),
      vault.documents.subscribe((documentId, changes) => {
        if (!this.inbound.applying) this.outbox.documentChanged(documentId, changes);
      }),
      vault.comments.subscribe((documentId) => {
        if (!this.inbound.applying) this.outbox.commentChanged(documentId);
      }),
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
    this.connections.addRelay(url);
  }

  relays(): Array<{ url: string; account?: string; registeredAt?: number }> {
    return this.connections.relays();
  }

  /** What the relay holds about this account: its right-of-access report (the `access` frame). */
  async accessReport(url: string): Promise<{ report: AccessReport; avatar: Uint8Array | undefined }> {
    return (await this.connections.client(url)).access();
  }

  /**
   * Creates this vault's account on the relay, publishing its username, display name and avatar
   * (nothing else). Registering again where the account already exists just signs in.
   */
  register(url: string): Promise<{ relay: string; account: string; username: string }> {
    return this.connections.register(url);
  }

  /** Hooks a new signed-in client up to presence and to the relay's membership hints. */
  private listen(url: string, client: RelayClient): void {
    this.presenceHub.attach(url, client);
    // The relay says a followed space's membership or keys changed: catch up now, through the same
    // serialised path as the app's poll (main/app/session.ts), which stays as the fallback.
    client.onMembershipChanged((space) => {
      if (this.spaces.state(space)) this.checkMembership(space).catch(() => undefined);
    });
  }

  /** This vault's role in a team workspace as of the last verified membership log; undefined if not a member. */
  roleIn(workspaceIdOrName: string): Role | undefined {
    return this.permissions.roleIn(workspaceIdOrName);
  }

  /**
   * This vault's role for one document: its team workspace's role, or for a document shared with
   * this vault the role it was shared with; undefined for a personal document (no restriction)
   * or when the membership ended.
   */
  documentRole(documentId: string): Role | undefined {
    return this.permissions.documentRole(documentId);
  }

  /** Creates a team workspace on a relay: the space, its genesis entry, the epoch-0 key sealed to this vault. */
  createTeamWorkspace(name: string, relayUrl: string): Promise<Workspace> {
    return this.teams.create(name, relayUrl);
  }

  /**
   * What turning a personal workspace into a team one would send to the relay, for the
   * confirmation the user must give: every document and comment, encrypted; files stay here.
   */
  describeTeamConversion(workspaceIdOrName: string): TeamConversionPlan {
    return this.teams.describeConversion(workspaceIdOrName);
  }

  /** Turns a personal workspace into a team one on `relayUrl`; `confirmed` must echo the user's explicit yes. */
  convertToTeam(workspaceIdOrName: string, relayUrl: string, confirmed: boolean): Promise<Workspace> {
    return this.teams.convert(workspaceIdOrName, relayUrl, confirmed);
  }

  /** The members of a team workspace with their published names (refreshed from the relay when reachable). */
  members(workspaceIdOrName: string): Promise<Member[]> {
    return this.memberList.list(workspaceIdOrName);
  }

  /** Adds a registered user as a member with `role` and gives them every key epoch this vault holds. */
  invite(workspaceIdOrName: string, username: string, role: Role): Promise<Member> {
    return this.memberList.invite(workspaceIdOrName, username, role);
  }

  setRole(workspaceIdOrName: string, username: string, role: Role): Promise<void> {
    return this.memberList.setRole(workspaceIdOrName, username, role);
  }

  /** Removes a member and starts a new key epoch in the same step (S4); see Members.remove. */
  removeMember(workspaceIdOrName: string, username: string): Promise<void> {
    return this.memberList.remove(workspaceIdOrName, username);
  }

  /** Makes another member the Owner; this vault's account stays on as Admin (the shared role rules). */
  transferOwnership(workspaceIdOrName: string, username: string): Promise<void> {
    return this.memberList.transferOwnership(workspaceIdOrName, username);
  }

  /** Leaves a team workspace: this account is removed from the space and the local copy is deleted with its key. */
  leave(workspaceIdOrName: string): Promise<void> {
    return this.teams.leave(workspaceIdOrName);
  }

  /** Deletes a team workspace on the relay (Owner only) and then here. */
  deleteTeamWorkspace(workspaceIdOrName: string): Promise<void> {
    return this.teams.delete(workspaceIdOrName);
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
      const state = this.spaces.state(row.id);
      const share = state?.share;
      if (!state || !share || (onlyRelay && state.relay !== onlyRelay)) continue;
      if (holders.has(share.workspace) && (share.received || docs.has(share.document))) continue;
      try {
        const client = await this.connections.client(state.relay);
        await this.queues.run(row.id, async () => {
          try {
            if (share.received) await this.membership.appendEntry(row.id, client, 'remove', this.account, null);
            else await client.deleteSpace(row.id);
          } catch (error) {
            // Already gone there, or this vault was removed meanwhile: nothing left to end.
            if (!isHearthError(error, 'NOT_FOUND') && !isHearthError(error, 'FORBIDDEN')) throw error;
          }
        });
        this.spaces.forget(row.id);
      } catch {
        // The relay is not reachable now; the next round ends it.
      }
    }
  }

  /** Deletes, at the relay and here, the share spaces this vault made for `documents` (the people they were shared with lose their copies on their next sync). */
  private async endOwnShares(documents: string[]): Promise<void> {
    for (const documentId of documents) {
      const space = this.spaces.ownShareOf(documentId);
      if (!space) continue;
      const client = await this.connections.client(this.spaces.get(space).relay);
      await this.queues.run(space, () => client.deleteSpace(space));
      this.spaces.forget(space);
    }
  }

  /** Team workspaces on the relays this vault has accounts on, where it is a member but has not accepted yet. */
  async invitations(): Promise<Invitation[]> {
    const found: Invitation[] = [];
    const local = new Set([...this.vault.workspaces.list().map((w) => w.id), ...this.vault.workspaces.shareSpaces().map((w) => w.id)]);
    for (const relay of this.vault.syncState.relays()) {
      if (!relay.account) continue;
      const client = await this.connections.client(relay.url);
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
      const key = this.membership.openEnvelope(view, epoch, envelope);
      if (key) epochKeys[epoch] = key;
    }
    let index = emptyIndex();
    const { changes } = await client.pullAll(space, INDEX_DOC, 0);
    for (const { bytes } of changes) {
      try {
        const change = verifyAgainst(view, space, INDEX_DOC, bytes);
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
    const client = await this.connections.client(invitation.relay);
    const peek = await this.peek(id, client);
    if (Object.keys(peek.epochKeys).length === 0) throw new HearthError('UNAVAILABLE', 'The workspace key has not been sealed to you yet; ask the person who invited you to sync, then accept again.');
    if (invitation.kind === 'document') return this.acceptShare(invitation, peek, client);
    const workspace: Workspace = { id, name: peek.name || 'Team workspace', kind: 'team', createdAt: Date.now(), relay: invitation.relay };
    this.vault.transaction(() => {
      this.vault.workspaces.adopt(workspace);
      this.spaces.register(id, { relay: invitation.relay, epochKeys: peek.epochKeys, membership: [...peek.view.entries], index: '', paused: false }, peek.view);
    });
    await this.queues.run(id, () => this.syncWorkspace(id, client, this.running));
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
      this.spaces.register(
        invitation.id,
        { relay: invitation.relay, epochKeys: peek.epochKeys, membership: [...peek.view.entries], index: '', paused: false, share: { document: documentId, workspace: holder, received: true } },
        peek.view,
      );
    });
    await this.queues.run(invitation.id, () => this.syncWorkspace(invitation.id, client, this.running));
    this.ensureRelayLoop(invitation.relay);
    return this.vault.workspaces.get(holder);
  }

  /** The local workspace for documents shared with this vault, made when first needed. */
  private sharedWithMe(): Workspace {
    for (const share of this.spaces.shares()) {
      if (share.received && !this.spaces.isTeam(share.workspace)) return this.vault.workspaces.get(share.workspace);
    }
    const existing = this.vault.workspaces.list().filter((w) => w.name === SHARED_WITH_ME && w.kind === 'team' && !this.spaces.state(w.id));
    return existing[0] ?? this.vault.workspaces.create({ name: SHARED_WITH_ME, kind: 'team' });
  }

  /** The relay a document's share space goes to: its team workspace's, else the one relay this vault has an account on. */
  private shareRelay(documentId: string, relay?: string): string {
    const holder = this.vault.documents.workspaceOf(documentId);
    if (this.spaces.isTeam(holder)) {
      const own = this.spaces.get(holder).relay;
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
    const url = this.spaces.ownShareOf(documentId) ? this.spaces.get(this.spaces.ownShareOf(documentId)!).relay : this.shareRelay(documentId, relay);
    const comments = this.vault.comments.records(documentId).length;
    const holder = this.vault.documents.workspaceOf(documentId);
    const leavesDevice = !this.spaces.isTeam(holder) && !this.spaces.ownShareOf(documentId);
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
    if (this.spaces.receivedShareOf(documentId) && !this.spaces.isTeam(holder)) {
      throw new HearthError('FORBIDDEN', 'This document was shared with you; only the person who shared it can share it further.');
    }
    if (this.spaces.isTeam(holder)) {
      const mine = this.spaces.view(holder).role(this.account);
      if (!mine || !canManageMembers(mine)) {
        throw new HearthError('FORBIDDEN', `As ${mine ? `${withArticle(mine)}` : 'a non-member'} in ${this.vault.workspaces.get(holder).name} you cannot share its documents; ask an Owner or Admin.`);
      }
    }
    let space = this.spaces.ownShareOf(documentId);
    if (!space) {
      const plan = this.describeShare(documentId, options.relay);
      if (plan.leavesDevice && !options.confirmed) throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Confirm to go ahead.`);
      space = await this.createShareSpace(documentId, plan.relay);
    }
    return this.memberList.invite(space, username, role);
  }

  private async createShareSpace(documentId: string, relayUrl: string): Promise<string> {
    if (!this.connections.hasAccount(relayUrl)) await this.register(relayUrl);
    const client = await this.connections.client(relayUrl);
    const id = newId();
    await this.membership.found(client, id, 'document', relayUrl, this.vault.documents.summary(documentId).title, () => {
      this.vault.workspaces.createShareSpace(id, relayUrl, documentId);
      this.vault.audit.record('document.shared', documentId);
      return { share: { document: documentId, workspace: this.vault.documents.workspaceOf(documentId), received: false } };
    });
    // The index lists the document and the whole document goes up before anyone is invited.
    await this.queues.run(id, () => this.syncWorkspace(id, client, this.running));
    this.ensureRelayLoop(relayUrl);
    return id;
  }

  /** The share space of a document this vault shared, or NOT_FOUND in words the user can act on. */
  private sharedSpace(documentId: string): string {
    this.vault.documents.summary(documentId);
    const space = this.spaces.ownShareOf(documentId);
    if (!space) throw new HearthError('NOT_FOUND', 'This document is not shared with anyone from this device; share it first.');
    return space;
  }

  /**
   * Revokes a person's access to a shared document: they are removed from the document's space
   * and its key rotates in the same step, so nothing written afterwards is readable to them (S4).
   */
  async unshareDocument(documentId: string, username: string): Promise<void> {
    await this.memberList.remove(this.sharedSpace(documentId), username);
    this.vault.audit.record('document.unshared', `${documentId}/${username}`);
  }

  /** The people a document is shared with (this vault, its Owner, included), with their roles. */
  async documentShares(documentId: string): Promise<Member[]> {
    this.vault.documents.summary(documentId);
    const space = this.spaces.ownShareOf(documentId) ?? this.spaces.sharesOf(documentId)[0]?.space;
    if (!space) return [];
    return this.memberList.list(space);
  }

  /** Forgets a share space here; with `deleteCopy`, also the received document (its sharer deleted it). */
  private dropShare(spaceId: string, deleteCopy: boolean): void {
    const share = this.spaces.shareOf(spaceId);
    if (share && deleteCopy && share.received && this.vault.documents.allIds().some((d) => d.id === share.document && d.workspaceId === share.workspace)) {
      this.board.warn(spaceId, share.document, 'NOT_FOUND', 'the person who shared this document deleted it; the copy on this device was removed too.');
      this.vault.documents.delete(share.document);
    }
    this.spaces.forget(spaceId);
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
    const reachable = await this.reachable(this.spaces.spacesOf(documentId));
    if (!reachable) {
      this.vault.documents.delete(documentId);
      await this.revokeDeletedLinks();
      return { waitsForRelay: true };
    }
    if (this.spaces.isTeam(holder)) {
      const client = await this.membership.refresh(holder);
      this.assertCan(holder, 'delete', documentId);
      await this.queues.run(holder, async () => {
        this.vault.syncState.forgetDocument(holder, documentId);
        this.spaces.changeIndex(holder, (d) => {
          if (d.docs?.[documentId]) delete d.docs[documentId];
        });
        await this.outbox.push(holder, client);
        await client.deleteDoc(holder, documentId);
      });
    }
    for (const { space, received } of this.spaces.sharesOf(documentId)) {
      if (received) {
        this.spaces.forget(space);
        continue;
      }
      const client = await this.connections.client(this.spaces.get(space).relay);
      await this.queues.run(space, () => client.deleteSpace(space));
      this.spaces.forget(space);
    }
    this.vault.documents.delete(documentId);
    await this.revokeDeletedLinks(); // its public links end with it (kept pending if a relay is out of reach)
    return { waitsForRelay: false };
  }

  /** Whether every relay these spaces live on answers now (UNAVAILABLE: it cannot be reached). */
  private reachable(spaces: string[]): Promise<boolean> {
    return this.connections.reachable(spaces.map((space) => this.spaces.get(space).relay));
  }

  // ---------------------------------------------------------------- files

  /**
   * A document or file was deleted with the vault directly (the engine's own deletions have
   * already gone out): while live, the next exchange carries it to the relay and the peers (or
   * fetches it back where this role may not delete), as a full round would.
   */
  private onLocalDeletion(workspaceId: string): void {
    if (this.inbound.applying || !this.running) return;
    void this.endOrphanShares().then(() => this.reconcileLive(workspaceId));
  }

  private reconcileLive(workspaceId: string): void {
    if (!this.vault.workspaces.list().some((w) => w.id === workspaceId)) return;
    const spaces = [...(this.spaces.isTeam(workspaceId) ? [workspaceId] : []), ...this.spaces.sharesHeldIn(workspaceId).map((s) => s.space)];
    for (const space of spaces) {
      if (this.spaces.get(space).paused) continue;
      void this.queues.run(space, async () => {
        if (!this.spaces.state(space)) return;
        const client = await this.connections.open(this.spaces.get(space).relay);
        if (!client) return; // the next round does it
        await this.reconcileLocalDeletions(space, client);
        await this.syncFiles(space, client);
        await this.outbox.push(space, client);
        for (const doc of this.spaces.indexedDocs(space)) if (!this.vault.documents.allIds().some((d) => d.id === doc)) await this.inbound.pull(space, doc, client);
      }).catch((error) => this.board.set(space, { state: 'error', reason: reasonOf(error) }));
    }
  }

  private onLocalFile(workspaceId: string): void {
    if (this.downloading || !this.running || !this.spaces.isTeam(workspaceId) || this.spaces.get(workspaceId).paused) return;
    void this.queues.run(workspaceId, async () => {
      const client = await this.connections.open(this.spaces.get(workspaceId).relay);
      if (!client) return; // the next round uploads it
      await this.syncFiles(workspaceId, client);
      await this.outbox.push(workspaceId, client);
    }).catch((error) => this.board.set(workspaceId, { state: 'error', reason: reasonOf(error) }));
  }

  private downloading = false;

  /**
   * Uploads the workspace's files the relay does not have (sealed chunk by chunk with the space
   * key, listed in the encrypted index) and downloads the ones listed there that are not here.
   */
  private async syncFiles(workspaceId: string, client: RelayClient): Promise<void> {
    if (this.spaces.shareOf(workspaceId)) return; // a shared document's space carries that document only
    const view = this.spaces.view(workspaceId);
    const role = view.role(this.account);
    const listed = () => this.spaces.index(workspaceId).files ?? {};
    // Files this device had (uploaded or downloaded) that are gone without the engine deleting them.
    for (const id of this.spaces.get(workspaceId).haveFiles ?? []) {
      if (this.vault.files.has(id)) continue;
      this.markFile(workspaceId, id, false);
      if (!listed()[id]) continue;
      if (role && canDeleteContent(role)) {
        this.spaces.changeIndex(workspaceId, (d) => {
          if (d.files?.[id]) delete d.files[id];
        });
        await client.fileDelete(workspaceId, id);
      } else {
        this.board.warn(workspaceId, INDEX_DOC, 'FORBIDDEN', `a file deleted on this device is fetched again: as ${role ? `${withArticle(role)}` : 'a non-member'} you cannot delete files in this workspace.`);
      }
    }
    if (role && canWriteContent(role)) {
      const keep = new Set(this.spaces.get(workspaceId).localFiles ?? []);
      for (const file of this.vault.files.list(workspaceId)) {
        if (listed()[file.id] || keep.has(file.id)) continue;
        const state = this.spaces.get(workspaceId);
        const epoch = state.uploads?.[file.id] ?? view.currentEpoch;
        const keyHex = state.epochKeys[epoch];
        if (!keyHex) throw new HearthError('UNAVAILABLE', `The key for epoch ${epoch} of this workspace has not reached this device yet; files wait until it does.`);
        if (state.uploads?.[file.id] === undefined) this.spaces.put(workspaceId, { ...state, uploads: { ...state.uploads, [file.id]: epoch } });
        const up = (done: number) => this.board.set(workspaceId, { transfer: { fileId: file.id, name: file.name, direction: 'up', done, total: file.size } });
        up(0);
        try {
          await uploadFile(client, workspaceId, file.id, file.size, fromHex(keyHex), this.vault.files.read(file.id), up);
        } finally {
          this.board.set(workspaceId, { transfer: undefined });
        }
        this.spaces.changeIndex(workspaceId, (d) => {
          if (!d.files) d.files = {};
          d.files[file.id] = { name: file.name, type: file.type, size: file.size, createdAt: file.createdAt, epoch };
        });
        const after = this.spaces.get(workspaceId);
        const uploads = { ...after.uploads };
        delete uploads[file.id];
        this.spaces.put(workspaceId, { ...after, uploads });
        this.markFile(workspaceId, file.id, true);
      }
    }
    for (const [id, meta] of Object.entries(listed())) {
      if (this.vault.files.has(id)) continue;
      const keyHex = this.spaces.get(workspaceId).epochKeys[meta.epoch];
      if (!keyHex) {
        this.board.warn(workspaceId, INDEX_DOC, 'RECORD_TAMPERED', `the file "${meta.name}" is sealed under key epoch ${meta.epoch}, whose key this device was never given; it was not downloaded.`);
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
        const down = (done: number) => this.board.set(workspaceId, { transfer: { fileId: id, name: meta.name, direction: 'down', done, total: meta.size } });
        down(0);
        await this.vault.files.add(workspaceId, { id, name: meta.name, type: meta.type, createdAt: meta.createdAt, source, onProgress: down });
        this.markFile(workspaceId, id, true);
      } catch (error) {
        if (isHearthError(error, 'RECORD_TAMPERED')) {
          this.board.warn(workspaceId, INDEX_DOC, 'RECORD_TAMPERED', `The relay delivered ${reasonOf(error).message} ("${meta.name}"); it was not kept.`);
          continue;
        }
        throw error;
      } finally {
        this.downloading = false;
        this.board.set(workspaceId, { transfer: undefined });
      }
    }
  }

  /** Records whether this device holds a synced file (so a deletion made without the engine is noticed). */
  private markFile(workspaceId: string, fileId: string, have: boolean): void {
    const state = this.spaces.get(workspaceId);
    const set = new Set(state.haveFiles ?? []);
    if (set.has(fileId) === have) return;
    if (have) set.add(fileId);
    else set.delete(fileId);
    this.spaces.put(workspaceId, { ...state, haveFiles: [...set] });
  }

  /**
   * Deletes an attachment here and, in a team workspace, at the relay and at every member (it
   * leaves the encrypted index; peers delete their copies when they see that). Not for Editors.
   * Offline, like a document: deleted here now, the relay and the members told on the next round.
   */
  async deleteFile(fileId: string): Promise<{ waitsForRelay: boolean }> {
    const { workspaceId } = this.vault.files.info(fileId);
    if (!this.spaces.isTeam(workspaceId)) {
      this.vault.files.delete(fileId);
      return { waitsForRelay: false };
    }
    this.assertCan(workspaceId, 'delete');
    if (!(await this.reachable([workspaceId]))) {
      this.vault.files.delete(fileId);
      return { waitsForRelay: true };
    }
    const client = await this.membership.refresh(workspaceId);
    this.assertCan(workspaceId, 'delete');
    await this.queues.run(workspaceId, async () => {
      this.spaces.changeIndex(workspaceId, (d) => {
        if (d.files?.[fileId]) delete d.files[fileId];
      });
      await this.outbox.push(workspaceId, client);
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
  assertCan(workspaceIdOrName: string, kind: EditKind, documentId?: string): void {
    this.permissions.assertCan(workspaceIdOrName, kind, documentId);
  }

  /**
   * Documents this device had (its heads were handed over or received) that are gone without the
   * engine having deleted them (the vault's own delete, e.g. from an older caller): where this
   * vault may delete content in a workspace, the deletion goes out now; otherwise (or in a shared
   * document's space) the document is fetched again, since deleting it is not this vault's to do.
   */
  private async reconcileLocalDeletions(spaceId: string, client: RelayClient): Promise<void> {
    const share = this.spaces.shareOf(spaceId);
    const here = new Set(this.vault.documents.allIds().map((d) => d.id));
    for (const doc of this.spaces.indexedDocs(spaceId)) {
      if (here.has(doc)) continue;
      const state = this.vault.syncState.document(spaceId, doc);
      if (!state || state.heads.length === 0) continue; // never here (not pulled yet, or refused)
      const role = this.spaces.view(spaceId).role(this.account);
      this.vault.syncState.forgetDocument(spaceId, doc);
      if (!share && role && canDeleteContent(role)) {
        this.spaces.changeIndex(spaceId, (d) => {
          if (d.docs?.[doc]) delete d.docs[doc];
        });
        await this.outbox.push(spaceId, client);
        await client.deleteDoc(spaceId, doc);
      } else if (!share) {
        this.board.warn(spaceId, doc, 'FORBIDDEN', `a document deleted on this device is fetched again: as ${role ? `${withArticle(role)}` : 'a non-member'} you cannot delete documents in this workspace.`);
      }
    }
  }

  /** A peer deleted the document: the local copy goes too, with what the space kept about it. */
  private deleteLocally(spaceId: string, documentId: string): void {
    this.vault.syncState.forgetDocument(spaceId, documentId);
    const here = this.vault.documents.allIds().find((d) => d.id === documentId);
    const share = this.spaces.shareOf(spaceId);
    if (!here || here.workspaceId !== (share ? share.workspace : spaceId)) return;
    for (const other of this.spaces.spacesOf(documentId)) if (other !== spaceId) this.vault.syncState.forgetDocument(other, documentId);
    const ownShare = this.spaces.ownShareOf(documentId);
    this.vault.documents.delete(documentId);
    // A document this vault shared and someone else deleted: its share space goes too, once this round is done.
    if (ownShare && ownShare !== spaceId) {
      void this.endOwnShares([documentId]).catch((error) => this.board.set(ownShare, { state: 'error', reason: reasonOf(error) }));
    }
  }

  // ---------------------------------------------------------------- rounds, live sync, status

  /** One full exchange for a workspace: capture, membership, keys, push, pull everything, push again. */
  private async syncWorkspace(workspaceId: string, client: RelayClient, live: boolean): Promise<{ pushed: number; applied: number; refused: number }> {
    const own = this.spaces.shareOf(workspaceId);
    if (own && !own.received && !this.vault.documents.allIds().some((d) => d.id === own.document)) {
      // The document this vault shared is gone from it: its space ends (endOrphanShares), nothing comes back.
      return { pushed: 0, applied: 0, refused: 0 };
    }
    this.board.set(workspaceId, { state: 'syncing' });
    this.outbox.captureAll(workspaceId);
    const removed = new HearthError('FORBIDDEN', `You were removed from ${this.spaces.name(workspaceId)}; what is on this device stays readable, nothing new arrives.`);
    try {
      await this.membership.refreshMembership(workspaceId, client);
    } catch (error) {
      if (this.spaces.shareOf(workspaceId) && isHearthError(error, 'NOT_FOUND')) {
        // The person who shared the document deleted it (and its space): the deletion reaches this copy too.
        this.dropShare(workspaceId, true);
        return { pushed: 0, applied: 0, refused: 0 };
      }
      // The relay no longer lets a non-member read the log it was removed by.
      throw isHearthError(error, 'FORBIDDEN') ? removed : error;
    }
    if (!this.spaces.view(workspaceId).role(this.account)) throw removed;
    await this.membership.refreshKeys(workspaceId, client);
    await this.accountDeletion.afterMembership(workspaceId, client);
    await this.reconcileLocalDeletions(workspaceId, client);
    let pushed = await this.outbox.push(workspaceId, client);
    let applied = 0;
    let refused = 0;
    const add = (r: { applied: number; refused: number }) => {
      applied += r.applied;
      refused += r.refused;
    };
    // Subscribe before pulling: a change pushed in between arrives live instead of being missed.
    const known = this.spaces.indexedDocs(workspaceId);
    if (live) for (const doc of [INDEX_DOC, ...known]) await this.follow(workspaceId, doc, client);
    add(await this.inbound.pull(workspaceId, INDEX_DOC, client));
    const docs = this.spaces.indexedDocs(workspaceId);
    // A long round (a first sync after joining) says how far it got, about fifty times.
    const step = docs.length >= PROGRESS_FROM_DOCS ? Math.ceil(docs.length / 50) : 0;
    for (const [done, doc] of docs.entries()) {
      if (step && done % step === 0) this.board.set(workspaceId, { progress: { done, total: docs.length } });
      if (live && !known.includes(doc)) await this.follow(workspaceId, doc, client);
      add(await this.inbound.pull(workspaceId, doc, client));
    }
    if (step) this.board.set(workspaceId, { progress: undefined });
    await this.syncFiles(workspaceId, client);
    pushed += await this.outbox.push(workspaceId, client);
    for (const doc of [INDEX_DOC, ...this.spaces.indexedDocs(workspaceId)]) await this.outbox.snapshotIfDue(workspaceId, doc, client);
    this.board.set(workspaceId, { state: 'synced', lastSyncedAt: Date.now() });
    return { pushed, applied, refused };
  }

  private async follow(workspaceId: string, documentId: string, client: RelayClient): Promise<void> {
    let set = this.subscribed.get(client);
    if (!set) this.subscribed.set(client, (set = new Set()));
    const key = `${workspaceId}/${documentId}`;
    if (set.has(key)) return;
    set.add(key);
    await client.subscribe(workspaceId, documentId, ({ seq, bytes }) => {
      void this.queues.run(workspaceId, async () => {
        if (!this.running || this.spaces.get(workspaceId).paused) return;
        const cursor = this.spaces.documentState(workspaceId, documentId).cursor;
        // A change made under a membership state or key epoch this device has not seen yet (a peer
        // removed someone, or an account was deleted and the key rotated): catch up before judging it.
        if (seq > cursor && aheadOf(this.spaces.view(workspaceId), this.spaces.get(workspaceId).epochKeys, bytes)) {
          await this.membership.refreshMembership(workspaceId, client);
          await this.membership.refreshKeys(workspaceId, client);
          await this.accountDeletion.afterMembership(workspaceId, client);
        }
        if (seq === cursor + 1) this.inbound.receive(workspaceId, documentId, seq, bytes);
        else if (seq > cursor) await this.inbound.pull(workspaceId, documentId, client);
        else return; // already here (pulled, or our own change)
        if (documentId === INDEX_DOC) for (const doc of this.spaces.indexedDocs(workspaceId)) {
          if (!set.has(`${workspaceId}/${doc}`)) {
            await this.follow(workspaceId, doc, client);
            await this.inbound.pull(workspaceId, doc, client);
          }
        }
        if (documentId === INDEX_DOC) {
          await this.syncFiles(workspaceId, client);
          await this.outbox.push(workspaceId, client);
        }
        this.board.set(workspaceId, { state: 'synced', lastSyncedAt: Date.now() });
      }).catch((error) => this.board.set(workspaceId, { state: 'error', reason: reasonOf(error) }));
    });
  }

  /**
   * One round for every team workspace (or one): push and pull until nothing is left, then
   * return. What the CLI's `hearth sync` runs. Workspaces whose relay cannot be reached are
   * reported offline; the round goes on with the others.
   */
  async syncOnce(workspaceIdOrName?: string): Promise<SyncReport> {
    await this.endOrphanShares();
    const targets = workspaceIdOrName ? this.spaces.spacesFor(workspaceIdOrName).map((id) => ({ id })) : this.spaces.syncedSpaceIds().map((id) => ({ id }));
    const report: SyncReport = { workspaces: 0, pushed: 0, applied: 0, refused: 0 };
    let firstError: unknown;
    for (const workspace of targets) {
      if (!this.spaces.state(workspace.id)) continue; // gone during this round (a share ended with its document)
      if (this.spaces.get(workspace.id).paused) {
        this.board.set(workspace.id, { state: 'paused' });
        continue;
      }
      try {
        const client = await this.connections.client(this.spaces.get(workspace.id).relay);
        const result = await this.queues.run(workspace.id, () => this.syncWorkspace(workspace.id, client, this.running));
        report.workspaces++;
        report.pushed += result.pushed;
        report.applied += result.applied;
        report.refused += result.refused;
      } catch (error) {
        firstError ??= error;
        this.board.set(workspace.id, isHearthError(error, 'UNAVAILABLE') ? { state: 'offline', reason: reasonOf(error) } : { state: 'error', reason: reasonOf(error) });
      }
    }
    // What arrived through one space and was passed on to another (a shared document's edits) goes out in this round too.
    for (const workspace of targets) {
      if (!this.spaces.state(workspace.id) || this.spaces.get(workspace.id).paused || this.vault.syncState.outboxCount(workspace.id) === 0) continue;
      try {
        const client = await this.connections.client(this.spaces.get(workspace.id).relay);
        report.pushed += await this.queues.run(workspace.id, () => this.outbox.push(workspace.id, client));
      } catch (error) {
        this.board.set(workspace.id, { state: 'error', reason: reasonOf(error) });
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
    for (const id of this.spaces.syncedSpaceIds()) this.board.set(id, { state: this.spaces.get(id).paused ? 'paused' : 'offline' });
    const relays = new Set(this.spaces.syncedSpaceIds().map((id) => this.spaces.get(id).relay));
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
        try {
          const client = await this.connections.client(url);
          failures = 0;
          await this.endOrphanShares(url);
          await this.revokeDeletedLinks(url);
          for (const workspace of this.spaces.syncedSpaceIds().map((id) => ({ id }))) {
            const space = this.spaces.state(workspace.id);
            if (!space || space.relay !== url) continue; // gone meanwhile (a share ended, a workspace left)
            if (space.paused) {
              this.board.set(workspace.id, { state: 'paused' });
              continue;
            }
            await this.queues.run(workspace.id, () => this.syncWorkspace(workspace.id, client, true)).catch((error) =>
              this.board.set(workspace.id, { state: client.closed ? 'offline' : 'error', reason: reasonOf(error) }),
            );
          }
          await Promise.race([this.connections.whenClosed(client), this.sleep(Number.POSITIVE_INFINITY)]);
        } catch (error) {
          failures++;
          for (const workspace of this.spaces.syncedSpaceIds().map((id) => ({ id }))) {
            if (this.spaces.get(workspace.id).relay === url && !this.spaces.get(workspace.id).paused) this.board.set(workspace.id, { state: 'offline', reason: reasonOf(error) });
          }
        }
        if (!this.running) break;
        for (const workspace of this.spaces.syncedSpaceIds().map((id) => ({ id }))) {
          if (this.spaces.get(workspace.id).relay === url && !this.spaces.get(workspace.id).paused && this.board.stateOf(workspace.id) === 'synced') {
            this.board.set(workspace.id, { state: 'offline', reason: { code: 'UNAVAILABLE', message: `Lost the connection to ${url}; reconnecting.` } });
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
    await this.connections.closeAll();
    await this.queues.settled();
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
    this.spaces.put(workspace.id, { ...this.spaces.get(workspace.id), paused: true });
    this.board.set(workspace.id, { state: 'paused', reason: undefined });
  }

  resume(workspaceIdOrName: string): void {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const space = this.spaces.get(workspace.id);
    this.spaces.put(workspace.id, { ...space, paused: false });
    this.board.set(workspace.id, { state: 'offline', reason: undefined });
    if (!this.running) return;
    this.ensureRelayLoop(space.relay);
    void this.connections.client(space.relay)
      .then((client) => this.queues.run(workspace.id, () => this.syncWorkspace(workspace.id, client, true)))
      .catch((error) => this.board.set(workspace.id, { state: 'offline', reason: reasonOf(error) }));
  }

  status(workspaceIdOrName?: string): SyncStatus[] {
    const workspaces = workspaceIdOrName ? this.spaces.spacesFor(workspaceIdOrName).map((id) => ({ id })) : this.spaces.syncedSpaceIds().map((id) => ({ id }));
    return workspaces.map((w) => this.board.get(w.id));
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    return this.board.statuses.on(listener);
  }

  onWarning(listener: (warning: SyncWarning) => void): () => void {
    return this.board.warnings.on(listener);
  }

  /**
   * Asks the relay for membership entries others made since the last look (a role change, a
   * removal) and for keys sealed to this vault since; the relay does not push either. A refusal
   * because this vault was removed shows as the workspace's error status.
   */
  async checkMembership(workspaceIdOrName: string): Promise<void> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const space = this.spaces.get(workspace.id);
    if (space.paused) return;
    const client = await this.connections.client(space.relay);
    await this.queues.run(workspace.id, async () => {
      try {
        await this.membership.refreshMembership(workspace.id, client);
      } catch (error) {
        if (!isHearthError(error, 'FORBIDDEN')) throw error;
        this.board.set(workspace.id, { state: 'error', reason: { code: 'FORBIDDEN', message: `You were removed from ${workspace.name}; what is on this device stays readable, nothing new arrives.` } });
        return;
      }
      await this.membership.refreshKeys(workspace.id, client);
      await this.accountDeletion.afterMembership(workspace.id, client);
    });
  }

  /** Called after each verified change from the relay is applied (the app tells its pages; comments have no vault listener for that). */
  onRemote(listener: (change: RemoteChange) => void): () => void {
    return this.inbound.remote.on(listener);
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
          const state = this.spaces.state(space);
          return state ? { relay: state.relay, paused: state.paused } : undefined;
        },
        spacesOf: (documentId) => this.spaces.spacesOf(documentId),
        currentKey: (workspaceId) => {
          const epoch = this.spaces.view(workspaceId).currentEpoch;
          const key = this.spaces.get(workspaceId).epochKeys[epoch];
          return key ? { epoch, key: fromHex(key) } : undefined;
        },
        keyOf: (workspaceId, epoch) => {
          const key = this.spaces.state(workspaceId)?.epochKeys[epoch];
          return key ? fromHex(key) : undefined;
        },
        isMember: (workspaceId, account) => this.spaces.view(workspaceId).role(account) !== undefined,
        profileOf: (space, account) => {
          try {
            return this.spaces.index(space).members?.[account];
          } catch {
            return undefined; // an index not synced yet: the account id stands in for the name
          }
        },
        learnMembership: (workspaceId) => void this.membership.refresh(workspaceId).catch(() => undefined),
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
      client: (url) => this.connections.client(url),
      view: (workspaceId) => this.spaces.view(workspaceId),
      space: (workspaceId) => this.spaces.get(workspaceId),
      putSpace: (workspaceId, state) => this.spaces.put(workspaceId, state),
      index: (workspaceId) => this.spaces.index(workspaceId),
      changeIndex: (workspaceId, fn) => this.spaces.changeIndex(workspaceId, fn),
      sealForMembers: (space, accounts, epoch, key, whenMissing) => this.membership.sealForMembers(space, accounts, epoch, key, whenMissing),
      refreshKeys: (workspaceId, client) => this.membership.refreshKeys(workspaceId, client),
      finalSync: (workspaceId, client) => this.queues.run(workspaceId, () => this.syncWorkspace(workspaceId, client, false)).then(() => undefined),
      teamWorkspaces: () => this.vault.syncState.spaceIds().flatMap((id) => {
        const state = this.spaces.state(id);
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
        this.spaces.spacesOf(documentId).map((space) => ({
          space,
          relay: this.spaces.get(space).relay,
          name: this.spaces.shareOf(space) ? `the shared document ${this.vault.documents.summary(documentId).title}` : this.vault.workspaces.get(space).name,
        })),
      currentRole: async (space) => {
        await this.membership.refresh(space);
        return this.spaces.view(space).role(this.account);
      },
      client: (url) => this.connections.client(url),
    });
    return this.linkService;
  }

  /** Publishes a read-only copy of the document as it is now (Owner/Admin of its team workspace). */
  createLink(documentId: string, options?: { expiresInMs?: number }): Promise<LinkInfo> {
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
  idle(): Promise<void> {
    return this.queues.idle();
  }
}
