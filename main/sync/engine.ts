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
import WebSocket from 'ws';
import type { SharePlan, SyncStatus, SyncWarning, TeamMember as Member } from '../../common/api/contract.ts';
import { fromHex, toBase64Url } from '../../common/crypto/sodium.ts';
import { RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import type { AccessReport } from '../../common/protocol/messages.ts';
import { type Role } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import { INDEX_DOC } from './workspace-index.ts';
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
import { Rounds, type SyncReport } from './rounds.ts';
import { Deletion } from './deletion.ts';
import { FileSync } from './file-sync.ts';
import { Invitations, type Invitation } from './invitations.ts';
import { Sharing } from './sharing.ts';
import { SpaceRegistry } from './spaces.ts';
import { StatusBoard } from './status.ts';

export type { PresenceEntry, PresenceOptions } from './presence.ts';

export type { SharePlan, SyncStateName, SyncWarning, TeamMember as Member } from '../../common/api/contract.ts';

export type { Invitation } from './invitations.ts';
export { SHARED_WITH_ME } from './sharing.ts';

export type { SyncReport } from './rounds.ts';

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
  private readonly files: FileSync;
  private readonly sharing: Sharing;
  private readonly invitationList: Invitations;
  private readonly deletion: Deletion;
  private readonly rounds: Rounds;
  private readonly remoteListeners = new Set<(change: { workspaceId: string; documentId: string; kind: 'content' | 'comment' | 'snapshot' | 'index' }) => void>();
  private readonly unsubscribers: Array<() => void> = [];

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
      isLive: () => this.rounds.live,
      openClient: (url) => this.connections.open(url),
      pushedNew: (spaceId, documentId, client) => this.rounds.pushedNew(spaceId, documentId, client),
    });
    this.inbound = new Inbound({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      afterRemoteComment: (spaceId, record, signer) => this.accountDeletion.afterRemoteComment(spaceId, record, signer),
      removed: (spaceId, documents, files) => {
        for (const doc of documents) this.deletion.deletedByPeer(spaceId, doc);
        this.files.removed(spaceId, files);
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
      syncSpace: (spaceId, client) => this.rounds.syncSpace(spaceId, client, false),
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
      isLive: () => this.rounds.live,
      push: (spaceId, client) => this.outbox.push(spaceId, client),
      syncSpace: (spaceId, client, follow) => this.rounds.syncSpace(spaceId, client, follow),
      ensureRelayLoop: (url) => this.rounds.ensureRelayLoop(url),
      endOwnShares: (documents) => this.sharing.endOwn(documents),
    });
    this.files = new FileSync({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      queues: this.queues,
      permissions: this.permissions,
      isLive: () => this.rounds.live,
      openClient: (url) => this.connections.open(url),
      refresh: (spaceId) => this.membership.refresh(spaceId),
      reachable: (spaces) => this.reachable(spaces),
      push: (spaceId, client) => this.outbox.push(spaceId, client),
    });
    this.sharing = new Sharing({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      queues: this.queues,
      permissions: this.permissions,
      connections: this.connections,
      membership: this.membership,
      members: this.memberList,
      client: (url) => this.connections.client(url),
      isLive: () => this.rounds.live,
      syncSpace: (spaceId, client, follow) => this.rounds.syncSpace(spaceId, client, follow),
      ensureRelayLoop: (url) => this.rounds.ensureRelayLoop(url),
    });
    this.invitationList = new Invitations({
      vault,
      account: this.account,
      spaces: this.spaces,
      queues: this.queues,
      membership: this.membership,
      client: (url) => this.connections.client(url),
      isLive: () => this.rounds.live,
      acceptShare: (invitation, peek, client) => this.sharing.accept(invitation, peek, client),
      syncSpace: (spaceId, client, follow) => this.rounds.syncSpace(spaceId, client, follow),
      ensureRelayLoop: (url) => this.rounds.ensureRelayLoop(url),
    });
    this.deletion = new Deletion({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      queues: this.queues,
      permissions: this.permissions,
      isLive: () => this.rounds.live,
      isApplyingRemote: () => this.inbound.applying,
      client: (url) => this.connections.client(url),
      openClient: (url) => this.connections.open(url),
      refresh: (spaceId) => this.membership.refresh(spaceId),
      reachable: (spaces) => this.reachable(spaces),
      push: (spaceId, client) => this.outbox.push(spaceId, client),
      pull: (spaceId, documentId, client) => this.inbound.pull(spaceId, documentId, client),
      syncFiles: (spaceId, client) => this.files.sync(spaceId, client),
      revokeDeletedLinks: () => this.revokeDeletedLinks(),
      endOrphanShares: () => this.sharing.endOrphans(),
      endOwnShares: (documents) => this.sharing.endOwn(documents),
    });
    this.rounds = new Rounds({
      vault,
      account: this.account,
      spaces: this.spaces,
      status: this.board,
      queues: this.queues,
      membership: this.membership,
      outbox: this.outbox,
      inbound: this.inbound,
      files: this.files,
      deletion: this.deletion,
      sharing: this.sharing,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      client: (url) => this.connections.client(url),
      whenClosed: (client) => this.connections.whenClosed(client),
      closeAll: () => this.connections.closeAll(),
      revokeDeletedLinks: (onlyRelay) => this.revokeDeletedLinks(onlyRelay),
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
      vault.files.subscribe((info) => this.files.added(info.workspaceId)),
      vault.documents.onDelete((_documentId, workspaceId) => this.deletion.deletedHere(workspaceId)),
      vault.documents.onDelete((documentId) => this.onDocumentGone(documentId)),
      vault.files.onDelete((info) => this.deletion.deletedHere(info.workspaceId)),
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

  /** Team workspaces on the relays this vault has accounts on, where it is a member but has not accepted yet. */
  invitations(): Promise<Invitation[]> {
    return this.invitationList.list();
  }

  /** Accepts an invitation: the workspace (or shared document), its keys and its documents come into this vault. */
  acceptInvitation(id: string): Promise<Workspace> {
    return this.invitationList.accept(id);
  }

  /** What sharing `documentId` would upload, in words the confirmation shows. */
  describeShare(documentId: string, relay?: string): SharePlan {
    return this.sharing.describe(documentId, relay);
  }

  /** Shares one document with a registered user and a role, without giving them the workspace (sharing.ts). */
  shareDocument(documentId: string, username: string, role: Role, options: { confirmed?: boolean; relay?: string } = {}): Promise<Member> {
    return this.sharing.share(documentId, username, role, options);
  }

  /** Revokes a person's access to a shared document; its key rotates in the same step (S4). */
  unshareDocument(documentId: string, username: string): Promise<void> {
    return this.sharing.unshare(documentId, username);
  }

  /** The people a document is shared with (this vault, its Owner, included), with their roles. */
  documentShares(documentId: string): Promise<Member[]> {
    return this.sharing.sharedWith(documentId);
  }

  /**
   * Deletes a document here and, in a team workspace or a shared document's space, at the relay
   * and at every member; offline, here at once and elsewhere on the next round (see deletion.ts).
   */
  deleteDocument(documentId: string): Promise<{ waitsForRelay: boolean }> {
    return this.deletion.delete(documentId);
  }

  /** Deletes an attachment here and, in a team workspace, at the relay and at every member (not for Editors). */
  deleteFile(fileId: string): Promise<{ waitsForRelay: boolean }> {
    return this.files.delete(fileId);
  }

  /** Whether every relay these spaces live on answers now (UNAVAILABLE: it cannot be reached). */
  private reachable(spaces: string[]): Promise<boolean> {
    return this.connections.reachable(spaces.map((space) => this.spaces.get(space).relay));
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

  // ---------------------------------------------------------------- rounds, live sync, status

  /**
   * One round for every team workspace (or one): push and pull until nothing is left, then
   * return. What the CLI's `hearth sync` runs. Workspaces whose relay cannot be reached are
   * reported offline; the round goes on with the others.
   */
  syncOnce(workspaceIdOrName?: string): Promise<SyncReport> {
    return this.rounds.syncOnce(workspaceIdOrName);
  }

  /** Live sync: connects to every relay with a team workspace, follows its documents, reconnects with backoff. */
  start(): void {
    this.rounds.start();
  }

  /** Stops live sync and closes every connection; the outbox keeps what was not sent. */
  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** Stops exchanging changes for one workspace; local edits keep queueing in the outbox. */
  pause(workspaceIdOrName: string): void {
    this.rounds.pause(workspaceIdOrName);
  }

  resume(workspaceIdOrName: string): void {
    this.rounds.resume(workspaceIdOrName);
  }

  /**
   * Asks the relay for membership entries others made since the last look (a role change, a
   * removal) and for keys sealed to this vault since. A refusal because this vault was removed
   * shows as the workspace's error status.
   */
  checkMembership(workspaceIdOrName: string): Promise<void> {
    return this.rounds.checkMembership(workspaceIdOrName);
  }

  /** Stops live sync and detaches from the vault (before lock). */
  async close(): Promise<void> {
    this.presence_?.close();
    await this.stop();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
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
      finalSync: (workspaceId, client) => this.queues.run(workspaceId, () => this.rounds.syncSpace(workspaceId, client, false)).then(() => undefined),
      teamWorkspaces: () => this.vault.syncState.spaceIds().flatMap((id) => {
        const state = this.spaces.state(id);
        return state ? [{ id, relay: state.relay, paused: state.paused }] : [];
      }),
      stopLive: async () => {
        const was = this.rounds.live;
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
    if (marked > 0 && this.rounds.live) void this.revokeDeletedLinks();
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
