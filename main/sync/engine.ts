/**
 * The sync engine of one unlocked vault: accounts on relays, team workspaces (create, invite,
 * accept, roles, removal with key rotation), selective sharing, public links, presence, and the
 * exchange of encrypted, signed changes. This class is the one door to it that the app, the API
 * handlers and the CLI use; the work is done by the modules assembly.ts builds and wires:
 *
 *   spaces.ts        space registry: SpaceState/view/index caches, the share lookups, kinds
 *   status.ts        status board and warnings (tells listeners only when a status changes)
 *   permissions.ts   this account's role per workspace or document, decided once per check
 *   connections.ts   relay clients, register/sign-in, reachability, close notices
 *   queues.ts        one serial queue per space (pulls, pushes, live changes never interleave)
 *   membership.ts    membership log and key epochs: refresh, append, envelopes, founding a space
 *   members.ts       invite, change role, remove (new key epoch), transfer ownership, list
 *   team-workspaces.ts  create, convert, leave, delete a team workspace
 *   device-sync.ts   "Sync between my devices" for a personal workspace (its space's only member: this account)
 *   outbox.ts        capture local changes, push, forward between spaces, snapshots
 *   verify.ts        checks a change against the verified membership (pure)
 *   inbound.ts       pull, verify, quarantine; holds a change whose history is missing until it arrives
 *   apply.ts         applies a verified change to the vault (content, snapshot, comment, index)
 *   history-requests.ts  asks members, through the encrypted index, for changes a device lacks; answers
 *   file-sync.ts     attachments through the relay (files.ts: chunk sealing)
 *   deletion.ts      deleting documents here and everywhere, reconciling deletions
 *   sharing.ts       one document shared with people outside its workspace
 *   invitations.ts   listing, peeking and accepting invitations
 *   rounds.ts        a space's full exchange, syncOnce, the live loop with backoff, following
 *   generations.ts   erasing a document's edit history: new generations, carrying offline edits, retention
 *   links.ts, presence.ts, account.ts   public links, presence, account deletion (devices: devices.ts, device-changes.ts, pairing.ts)
 *
 * Local edits are captured into the vault's sealed outbox in the same tick they are persisted, so
 * an edit made offline or just before a SIGKILL still goes out on the next connection. Remote
 * changes are applied only after client-side verification (S5); what fails is kept aside in the
 * quarantine table and reported with the workspace's name.
 */
import type { ProfilePublisher } from './profile.ts';
import { MIN_TLS_VERSION } from '../../common/transport.ts';
import WebSocket from 'ws';
import type { SharePlan, SyncStatus, SyncWarning, TeamMember as Member } from '../../common/api/contract.ts';
import type { WebSocketLike } from '../../common/protocol/client.ts';
import type { AccessReport } from '../../common/protocol/messages.ts';
import type { Role } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import type { AccountDeletionOptions, AccountDeletionResult } from './account.ts';
import type { DeviceChanges } from './device-changes.ts';
import type { DevicePairing } from './pairing.ts';
import type { DeviceSync } from './device-sync.ts';
import type { AccountRecovery } from './recovery.ts';
import { assembleSync, type SyncEngineOptions, type SyncModules } from './assembly.ts';
import type { Generations } from './generations.ts';
import type { RemoteChange } from './inbound.ts';
import type { ShareOptions } from './sharing.ts';
import type { Invitation } from './invitations.ts';
import { assertLinkOnConfiguredRelay, openPublicLink, type LinkInfo, type OpenedLink, type PendingLinkRevocation } from './links.ts';
import type { EditKind } from './permissions.ts';
import type { PresenceEntry } from './presence.ts';
import type { SyncReport } from './rounds.ts';
import type { TeamConversionPlan } from './team-workspaces.ts';

export type { SharePlan, SyncStateName, SyncWarning, TeamMember as Member } from '../../common/api/contract.ts';
export type { RemoteChange } from './inbound.ts';
export type { Invitation } from './invitations.ts';
export type { LinkInfo, OpenedLink } from './links.ts';
export type { PresenceEntry, PresenceOptions } from './presence.ts';
export type { SyncReport } from './rounds.ts';
export type { SyncEngineOptions } from './assembly.ts';
export { SHARED_WITH_ME } from './sharing.ts';

export class SyncEngine {
  private readonly sync: SyncModules;
  // Modules used as they are: this account's devices (device-changes.ts) and linking one (pairing.ts), the recovery key
  // (recovery.ts), erasing edit history (generations.ts), "Sync between my devices" (device-sync.ts), profile changes (profile.ts).
  readonly devices: DeviceChanges;
  readonly pairing: DevicePairing;
  readonly recovery: AccountRecovery;
  readonly generations: Generations;
  readonly deviceSync: DeviceSync;
  readonly profile: ProfilePublisher;

  constructor(
    private readonly vault: Vault,
    options: SyncEngineOptions = {},
  ) {
    this.sync = assembleSync(vault, {
      // wss:// insists on TLS 1.3: a relay offering less is refused during the handshake.
      createSocket: options.createSocket ?? ((url) => new WebSocket(url, { minVersion: MIN_TLS_VERSION }) as unknown as WebSocketLike),
      backoff: options.backoff ?? { initialMs: 250, maxMs: 30_000 },
      maxBlobBytes: options.maxBlobBytes ?? 256 * 1024,
      snapshotEvery: options.snapshotEvery ?? 1000,
      presence: options.presence ?? {},
    });
    ({
      deviceChanges: this.devices,
      pairing: this.pairing,
      recovery: this.recovery,
      generations: this.generations,
      deviceSync: this.deviceSync,
      profile: this.profile,
    } = this.sync);
  }

  /** This vault's account id on every relay: the base64url of its Ed25519 public key. */
  get account(): string {
    return this.sync.account;
  }

  // ---------------------------------------------------------------- relays and accounts

  /** Remembers a relay address (ws:// or wss://) without connecting. */
  addRelay(url: string): void {
    this.sync.connections.addRelay(url);
  }

  relays(): Array<{ url: string; account?: string; registeredAt?: number }> {
    return this.sync.connections.relays();
  }

  /** What the relay holds about this account: its right-of-access report (the `access` frame). */
  async accessReport(url: string): Promise<{ report: AccessReport; avatar: Uint8Array | undefined }> {
    return (await this.sync.connections.client(url)).access();
  }

  /** Creates this vault's account on the relay, publishing its username, display name and avatar (nothing else); again: signs in. */
  register(url: string): Promise<{ relay: string; account: string; username: string }> {
    return this.sync.connections.register(url);
  }

  // ---------------------------------------------------------------- roles, team workspaces, members, sharing, deletion

  /** This vault's role in a team workspace as of the last verified membership log; undefined if not a member. */
  roleIn(workspaceIdOrName: string): Role | undefined {
    return this.sync.permissions.roleIn(workspaceIdOrName);
  }

  /** Who removed this vault's account from a team workspace (or a shared document), and when; undefined while a member or if it left. */
  removal(workspaceIdOrName: string): { account: string; username?: string; displayName?: string; at: number } | undefined {
    return this.sync.members.removal(workspaceIdOrName);
  }

  /**
   * This vault's role for one document: its team workspace's role, or the role a document shared with this vault was shared
   * with; undefined for a personal document (no restriction) or when the membership ended.
   */
  documentRole(documentId: string): Role | undefined {
    return this.sync.permissions.documentRole(documentId);
  }

  /** Creates a team workspace on a relay: the space, its genesis entry, the epoch-0 key sealed to this vault. */
  createTeamWorkspace(name: string, relayUrl: string): Promise<Workspace> {
    return this.sync.teams.create(name, relayUrl);
  }

  /**
   * What turning a personal workspace into a team one would send to the relay, for the
   * confirmation the user must give: every document and comment, encrypted; files stay here.
   */
  describeTeamConversion(workspaceIdOrName: string): TeamConversionPlan {
    return this.sync.teams.describeConversion(workspaceIdOrName);
  }

  /** Turns a personal workspace into a team one on `relayUrl`; `confirmed` must echo the user's explicit yes. */
  convertToTeam(workspaceIdOrName: string, relayUrl: string, confirmed: boolean): Promise<Workspace> {
    return this.sync.teams.convert(workspaceIdOrName, relayUrl, confirmed);
  }

  /** The members of a team workspace with their published names (refreshed from the relay when reachable). */
  members(workspaceIdOrName: string): Promise<Member[]> {
    return this.sync.members.list(workspaceIdOrName);
  }

  /** Adds a registered user as a member with `role` and gives them every key epoch this vault holds. */
  invite(workspaceIdOrName: string, username: string, role: Role): Promise<Member> {
    return this.sync.members.invite(workspaceIdOrName, username, role);
  }

  setRole(workspaceIdOrName: string, username: string, role: Role): Promise<void> {
    return this.sync.members.setRole(workspaceIdOrName, username, role);
  }

  /** Removes a member and starts a new key epoch in the same step (S4); see Members.remove. */
  removeMember(workspaceIdOrName: string, username: string): Promise<void> {
    return this.sync.members.remove(workspaceIdOrName, username);
  }

  /** Makes another member the Owner; this vault's account stays on as Admin (the shared role rules). */
  transferOwnership(workspaceIdOrName: string, username: string): Promise<void> {
    return this.sync.members.transferOwnership(workspaceIdOrName, username);
  }

  /** Leaves a team workspace: this account is removed from the space and the local copy is deleted with its key. */
  leave(workspaceIdOrName: string): Promise<void> {
    return this.sync.teams.leave(workspaceIdOrName);
  }

  /** Deletes a team workspace on the relay (Owner only) and then here. */
  deleteTeamWorkspace(workspaceIdOrName: string): Promise<void> {
    return this.sync.teams.delete(workspaceIdOrName);
  }

  /** Team workspaces on the relays this vault has accounts on, where it is a member but has not accepted yet. */
  invitations(): Promise<Invitation[]> {
    return this.sync.invitations.list();
  }

  /** Accepts an invitation: the workspace (or shared document), its keys and its documents come into this vault. */
  acceptInvitation(id: string): Promise<Workspace> {
    return this.sync.invitations.accept(id);
  }

  /** What sharing `documentId` would upload, in words the confirmation shows. */
  describeShare(documentId: string, relay?: string, keepHistory = false): SharePlan {
    return this.sync.sharing.describe(documentId, relay, keepHistory);
  }

  /** Shares one document with a registered user and a role, without giving them the workspace (sharing.ts). */
  shareDocument(documentId: string, username: string, role: Role, options: ShareOptions = {}): Promise<Member> {
    return this.sync.sharing.share(documentId, username, role, options);
  }

  /** Revokes a person's access to a shared document; its key rotates in the same step (S4). */
  unshareDocument(documentId: string, username: string): Promise<void> {
    return this.sync.sharing.unshare(documentId, username);
  }

  /** The people a document is shared with (this vault, its Owner, included), with their roles. */
  documentShares(documentId: string): Promise<Member[]> {
    return this.sync.sharing.sharedWith(documentId);
  }

  /**
   * Deletes a document here and, in a team workspace or a shared document's space, at the relay
   * and at every member; offline, here at once and elsewhere on the next round (see deletion.ts).
   */
  deleteDocument(documentId: string): Promise<{ waitsForRelay: boolean }> {
    return this.sync.deletion.delete(documentId);
  }

  /** Deletes an attachment here and, in a team workspace, at the relay and at every member (not for Editors). */
  deleteFile(fileId: string): Promise<{ waitsForRelay: boolean }> {
    return this.sync.files.delete(fileId);
  }

  /**
   * Throws FORBIDDEN, naming the role, when this vault may not make `kind` edits in the workspace
   * (or, with `documentId`, to that document: a document shared with this vault follows the role
   * it was shared with).
   */
  assertCan(workspaceIdOrName: string, kind: EditKind, documentId?: string): void {
    this.sync.permissions.assertCan(workspaceIdOrName, kind, documentId);
  }

  // ---------------------------------------------------------------- rounds, live sync, status

  /**
   * One round for every team workspace (or one): push and pull until nothing is left, then
   * return. What the CLI's `hearth sync` runs. Workspaces whose relay cannot be reached are
   * reported offline; the round goes on with the others.
   */
  syncOnce(workspaceIdOrName?: string): Promise<SyncReport> {
    return this.sync.rounds.syncOnce(workspaceIdOrName);
  }

  /** Live sync: connects to every relay with a team workspace, follows its documents, reconnects with backoff. */
  start(): void {
    this.sync.rounds.start();
    this.sync.profile.startRetrying();
  }

  /** Stops live sync and closes every connection; the outbox keeps what was not sent. */
  stop(): Promise<void> {
    this.sync.profile.stopRetrying();
    return this.sync.rounds.stop();
  }

  /** Stops exchanging changes for one workspace; local edits keep queueing in the outbox. */
  pause(workspaceIdOrName: string): void {
    this.sync.rounds.pause(workspaceIdOrName);
  }

  resume(workspaceIdOrName: string): void {
    this.sync.rounds.resume(workspaceIdOrName);
  }

  /**
   * Asks the relay for membership entries others made since the last look (a role change, a
   * removal) and for keys sealed to this vault since. A refusal because this vault was removed
   * shows as the workspace's error status.
   */
  checkMembership(workspaceIdOrName: string): Promise<void> {
    return this.sync.rounds.checkMembership(workspaceIdOrName);
  }

  /** Stops live sync and detaches from the vault (before lock). */
  async close(): Promise<void> {
    this.sync.presence.close();
    await this.stop();
    this.sync.detach();
  }

  status(workspaceIdOrName?: string): SyncStatus[] {
    const ids = workspaceIdOrName ? this.sync.spaces.spacesFor(workspaceIdOrName) : this.sync.spaces.syncedSpaceIds();
    return ids.map((id) => this.sync.status.get(id));
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    return this.sync.status.statuses.on(listener);
  }

  /** Called when a space's verified membership moved (a role changed, someone joined or left, a space was joined or forgotten). */
  onMembershipChanged(listener: (workspaceId: string) => void): () => void {
    return this.sync.spaces.membershipChanged.on(listener);
  }

  onWarning(listener: (warning: SyncWarning) => void): () => void {
    return this.sync.status.warnings.on(listener);
  }

  /** Called after each verified change from the relay is applied (the app tells its pages; comments have no vault listener for that). */
  onRemote(listener: (change: RemoteChange) => void): () => void {
    return this.sync.inbound.remote.on(listener);
  }

  /**
   * Changes kept aside in a workspace, oldest first, each saying why: refused by verification, or
   * (`waiting`) genuine but held until the history it builds on arrives.
   */
  quarantined(workspaceIdOrName: string): Array<{ documentId: string; relaySeq: number; code: string; reason: string; at: number; waiting: boolean }> {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    const kept = this.vault.syncState.quarantined(workspace.id);
    return kept.map(({ documentId, relaySeq, code, reason, at, waiting }) => ({ documentId, relaySeq, code, reason, at, waiting: waiting === true }));
  }

  // ---------------------------------------------------------------- presence, account deletion, public links

  /** Shares where this vault is in a document (null = it left); sealed with the space key, relayed, never stored. */
  setPresence(documentId: string, selection: { from: number; to: number } | null): void {
    this.sync.presence.set(documentId, selection);
  }

  /** The other people in a document now, with their selections. */
  presence(documentId: string): PresenceEntry[] {
    return this.sync.presence.list(documentId);
  }

  onPresence(listener: (documentId: string, entries: PresenceEntry[]) => void): () => void {
    return this.sync.presence.onChange(listener);
  }

  /**
   * Deletes this vault's account on every relay it is registered on (see main/sync/account.ts).
   * Refuses, changing nothing, when a relay cannot be reached (unless `skipUnreachable`). The
   * caller wipes the vault afterwards; this engine is of no more use then.
   */
  deleteAccount(options?: AccountDeletionOptions): Promise<AccountDeletionResult> {
    return this.sync.accountDeletion.deleteAccount(options);
  }

  /** Publishes a read-only copy of the document as it is now (Owner/Admin of its team workspace). */
  createLink(documentId: string, options?: { expiresInMs?: number; includeImages?: boolean }): Promise<LinkInfo> {
    return this.sync.links.create(documentId, options);
  }

  /** Active links this vault created (local records). */
  listLinks(): Promise<LinkInfo[]> {
    return Promise.resolve(this.sync.links.list());
  }

  revokeLink(linkId: string): Promise<void> {
    return this.sync.links.revoke(linkId);
  }

  /** Links of deleted documents whose relay has not confirmed the revocation yet (it was out of reach). */
  pendingLinkRevocations(): Promise<PendingLinkRevocation[]> {
    return Promise.resolve(this.sync.links.pendingRevocations());
  }

  /** Tells the relays about the pending revocations now (after any pass already under way); those still pending. */
  async retryLinkRevocations(): Promise<PendingLinkRevocation[]> {
    await this.sync.links.revokeDeleted();
    return this.sync.links.pendingRevocations();
  }

  /**
   * Opens a Hearth link (fetches its copy from its relay, decrypts it with the key after '#').
   * S8: only from a relay this vault added; a link on another host is FORBIDDEN (nothing is
   * fetched) unless `otherHost` says the user agreed to fetch this one link from there.
   */
  async openLink(url: string, options: { otherHost?: boolean } = {}): Promise<OpenedLink> {
    const relays = this.relays().map((r) => r.url);
    if (!options.otherHost) assertLinkOnConfiguredRelay(url, relays);
    return openPublicLink(url);
  }

  /** Resolves when every queued operation of every workspace has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.sync.queues.idle();
  }
}
