/**
 * What the API's methods resolve to and its events carry (common/api/contract.ts has the
 * methods, their argument schemas and the results each returns): plain records, the same in
 * main, the preload and the page.
 */
import type { ErrorCode } from '../errors.ts';
import type { Retention } from '../history/retention.ts';
import type { Role } from '../roles.ts';

export interface Profile {
  username: string;
  displayName: string;
  avatar?: string;
  /** Usernames this vault had before (its comments written under them are still its own), newest last. */
  formerUsernames?: string[];
}

export interface Settings {
  autoLockMinutes: number;
  theme: 'system' | 'light' | 'dark';
  /** Off by default; turning it on where there is no system keychain fails with UNAVAILABLE. */
  stayUnlocked?: boolean;
  /** Comments beside documents that have some; absent means yes. */
  showComments?: boolean;
}

export type VaultState = 'no-vault' | 'locked' | 'unlocked';

/** How a locked vault unlocks. */
export interface UnlockMethod {
  /** Set when the vault has a second factor: what navigator.credentials.get() needs (base64url). */
  securityKey: { prfSalt: string; credentialIds: string[] } | null;
  /** "Stay unlocked" is on and this device keeps its secret: the security key alone unlocks (no passphrase). */
  keyOnly: boolean;
}

export interface SecondFactorStatus {
  enrolledAt: number;
  credentials: Array<{ id: string; createdAt: number }>;
  recoveryCodesLeft: number;
  /** base64url; every credential of this vault is asked with it. */
  prfSalt: string;
}

/**
 * What a workspace is, as a page sees it: personal (never leaves this device), team (syncs
 * through its relay), or the one that holds the documents others shared with you alone.
 */
export type WorkspaceKind = 'personal' | 'team' | 'shared-with-me';

export interface Workspace {
  id: string;
  name: string;
  kind: WorkspaceKind;
  createdAt: number;
  /** Team workspaces: the relay they sync through; a personal one with "Sync between my devices" on: the relay it syncs through. */
  relay?: string;
  /** A personal workspace that syncs end-to-end encrypted between this account's devices (its only members). */
  syncsDevices?: true;
  /** Team workspaces: this user's role as of the last verified membership log (absent once removed). */
  role?: Role;
  /** Team workspaces this user was removed from: who removed them (display name, else username) and when, from the verified log. */
  removal?: { by: string; byUsername?: string; at: number };
}

/** Where a saved profile went: each relay the account is on, and the team workspaces whose directory a role there keeps it out of. */
export interface SavedProfile extends Profile {
  relays: Array<{ relay: string; state: 'updated' | 'waiting' | 'refused'; problem?: string }>;
  /** Team workspaces where this account is a Commenter or Viewer: their member directory keeps the old profile. */
  directoriesNotUpdated: string[];
}

export interface TeamMember {
  account: string;
  username?: string;
  displayName?: string;
  /** The member's avatar from the workspace's encrypted directory (a data URL). */
  avatar?: string;
  /** Usernames the member had before (comments written under them are theirs). */
  formerUsernames?: string[];
  role: Role;
  isMe: boolean;
}

export interface TeamInvitation {
  /** The space id; also the workspace's (or document's) id once accepted. */
  id: string;
  relay: string;
  /** The workspace's name, or the shared document's title. */
  name: string;
  role: Role;
  invitedBy?: string;
  /** A whole workspace, one shared document, or a personal workspace of yours that syncs between your devices (absent: a workspace). */
  kind?: 'workspace' | 'document' | 'personal';
  /** For a shared document: its title when it was shared. */
  documentTitle?: string;
}

export type SyncStateName = 'synced' | 'syncing' | 'offline' | 'error' | 'paused';

export interface SyncStatus {
  workspaceId: string;
  name: string;
  relay: string;
  state: SyncStateName;
  /** Local changes waiting to be sent. */
  pending: number;
  /** Changes kept aside: refused by verification, or held (see `waiting`). */
  quarantined: number;
  /**
   * Genuine changes held because a change they build on is missing here (the relay altered or
   * withheld it); they apply once it arrives. Absent when nothing waits.
   */
  waiting?: number;
  reason?: { code: ErrorCode; message: string };
  lastSyncedAt?: number;
  /** A round going through many documents (a first sync after joining): documents done of all. */
  progress?: { done: number; total: number };
  /** A file going up or coming down right now: bytes done of its size. */
  transfer?: { fileId: string; name: string; direction: 'up' | 'down'; done: number; total: number };
}

export interface SyncWarning {
  workspaceId: string;
  workspaceName: string;
  documentId: string;
  code: ErrorCode;
  /** Names the workspace. */
  message: string;
  at: number;
}

/** What sharing a document would send, for the confirmation the user gives first. */
export interface SharePlan {
  documentId: string;
  title: string;
  relay: string;
  /** True when nothing of this document is on a relay yet: confirming uploads it. */
  leavesDevice: boolean;
  comments: number;
  message: string;
}

export interface LinkInfo {
  id: string;
  documentId: string;
  workspaceId: string;
  title: string;
  /** The whole link; the key is after '#', which browsers never send to the relay. */
  url: string;
  createdAt: number;
  expiresAt: number | null;
}

/** A link of a deleted document that its relay still serves until Hearth reaches it to revoke it. */
export interface PendingLinkRevocation {
  id: string;
  documentId: string;
  workspaceId: string;
  /** The workspace's name now; absent when it cannot be read. */
  workspaceName?: string;
  /** The document's title when the link was published. */
  title: string;
  /** The relay (ws:// or wss://) still holding the copy. */
  relay: string;
  createdAt: number;
  /** When this device saw the document deleted (and dropped the link's key). */
  deletedAt: number;
}

export interface OpenedLink {
  title: string;
  markdown: string;
  publishedAt: number;
  expiresAt: number | null;
}

export interface PresenceEntry {
  account: string;
  username: string;
  displayName: string;
  /** Their avatar from the workspace's encrypted member directory. */
  avatar?: string;
  /** Plain-text offsets in the document body, as comment anchors use; null = in the document without a selection. */
  selection: { from: number; to: number } | null;
  /** When this device last heard from that peer (its own clock). */
  at: number;
}

export interface TeamConversion {
  workspaceId: string;
  name: string;
  documents: number;
  comments: number;
  filesStayLocal: number;
  /** What will leave the device, in words for the confirmation. */
  message: string;
}

/** What turning "Sync between my devices" on would send, for the person's confirmation. */
export interface DeviceSyncPlan {
  workspaceId: string;
  name: string;
  /** The relay it would sync through ('' when none was named and this account is on none or several). */
  relay: string;
  documents: number;
  /** Bytes of the documents with their full history, before encryption. */
  documentBytes: number;
  comments: number;
  files: number;
  fileBytes: number;
  /** What will leave the device, in words for the confirmation. */
  message: string;
}

/** What turning it off did: whether the relay still holds the workspace for the other devices. */
export interface DeviceSyncStop {
  workspaceId: string;
  deletedFromRelay: boolean;
  message: string;
}

export interface DocumentSummary {
  id: string;
  workspaceId: string;
  title: string;
  tags: string[];
  createdAt: number;
  updatedAt: number;
}

export interface CommentThread {
  id: string;
  documentId: string;
  resolved: boolean;
  anchor: { from: number; to: number; quote: string } | null;
  comments: Array<{ id: string; author: string; text: string; createdAt: number }>;
}

export interface FileInfo {
  id: string;
  workspaceId: string;
  name: string;
  type: string;
  size: number;
  createdAt: number;
}

export interface SearchHit {
  kind: 'document' | 'comment';
  id: string;
  documentId: string;
  workspaceId: string;
  title: string;
  snippet: string;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target?: string;
  /** The target in words: names of workspaces and documents, @usernames (common/audit-target.ts). */
  about?: string;
}

// ---------------------------------------------------------------- your data

/** An export, backup or Markdown folder found in the data folder. */
export interface DataItem {
  name: string;
  path: string;
  kind: 'export' | 'backup' | 'markdown';
  format: 'folder' | 'zip' | 'file';
  bytes: number;
  modifiedAt: number;
}

/**
 * A copy of the vault's content this app wrote outside it, still on disk: a plain-text export
 * (folder or .zip), an encrypted backup, or an audit export. A wipe or an account deletion erases
 * it only when the person ticks it.
 */
export interface LocalCopy {
  path: string;
  kind: 'export' | 'backup' | 'audit';
  bytes: number;
  modifiedAt: number;
  /** Only in what a wipe left: why this copy, which the person chose to erase, could not be. */
  problem?: string;
}

export interface ImportResult {
  kind: 'hearth-export' | 'markdown-folder';
  /**
   * The export was this account's own (signed with this vault's key): ids kept, history merged.
   * Otherwise everything arrived as new documents under new ids.
   */
  fromThisAccount: boolean;
  workspaces: number;
  documentsCreated: number;
  /** Already present: their history merged in (this account's export), or already all here. */
  documentsMerged: number;
  /** In a team workspace or shared from here, which an import never changes: left as they are. */
  documentsSkipped: number;
  comments: number;
  files: number;
  /** Files already present, skipped. */
  filesSkipped: number;
  auditEntries: number;
}

export interface PrivacyMember {
  username: string;
  displayName?: string;
  role: string;
  isMe: boolean;
}

export interface PrivacyReport {
  /** What this device stores, per workspace (bytes as stored: encrypted). */
  device: {
    vaultDir: string;
    vaultBytes: number;
    dataDir: string;
    workspaces: Array<{
      id: string;
      name: string;
      kind: WorkspaceKind;
      documents: number;
      documentBytes: number;
      files: number;
      fileBytes: number;
      relay?: string;
      /** How long it keeps edit history, and whether this person may change that (common/history/retention.ts). */
      retention: Retention;
      canChangeRetention: boolean;
      /** About how many of its document bytes are edit history rather than the text itself. */
      historyBytes: number;
      /** Team workspaces: sync state; paused means nothing new leaves this device. */
      sync?: { state: string; paused: boolean; pending: number };
    }>;
  };
  /** false when team sync is not running in this session (the relay sections then say so). */
  syncAvailable: boolean;
  /** Every relay this app has been told about: the only network peers it contacts. */
  relays: Array<{
    url: string;
    account?: string;
    registeredAt?: number;
    lastContactAt?: number;
    /** From the relay's right-of-access report; absent with `problem` when it could not be asked. */
    holds?: {
      username: string;
      displayName: string;
      createdAt: number;
      lastSignInAt: number | null;
      bytesStored: number;
      avatarBytes: number;
      spaces: Array<{ space: string; name?: string; kind: string; role: string; bytesStored: number; bytesAuthored: number }>;
      keyEnvelopes: number;
      links: number;
      /** What the relay's log holds and how many days it keeps it, when the relay says. */
      logs?: { retentionDays: number; holds: string };
    };
    problem?: string;
  }>;
  /** Who can see each workspace. Personal ones: only you. */
  access: Array<{ workspaceId: string; name: string; kind: WorkspaceKind; members: PrivacyMember[]; problem?: string }>;
  /** Documents shared one by one (by you, or with you), and who can see each. */
  sharedDocuments: Array<{ documentId: string; title: string; received: boolean; members: PrivacyMember[]; problem?: string }>;
  /** Active public links; null when this version cannot list them. */
  links: Array<{ id: string; documentId: string; title: string; url: string; createdAt: number; expiresAt: number | null }> | null;
}

/** A device of this account as Settings → Devices lists it. */
export interface DeviceInfo {
  id: string;
  name: string;
  kind: 'device' | 'recovery';
  addedAt: number;
  revokedAt?: number;
  /** This device. */
  isThis: boolean;
  /** When each relay the account is on last saw it sign in (null: never), as that relay says. */
  lastSeen: Array<{ relay: string; at: number | null }>;
}

/** A new device asking to join this account, once it showed its code. */
export interface PairingRequest {
  relay: string;
  pairing: string;
  name: string;
  device: string;
  createdAt: number;
  code: string;
}

export type { Role };
