/**
 * The one API between the page (renderer) and main. Every method's arguments have a zod schema
 * that main checks at its one door; results come back as `Result` (never a throw across the
 * bridge). The Electron preload and the browser-mode client both implement `HearthApi`, so the
 * renderer calls named methods and never sees a channel string.
 */
import { RETENTIONS } from '../history/retention.ts';
import { z } from 'zod';
import type { ErrorCode, Result } from '../errors.ts';
import { RoleSchema, type Role } from '../roles.ts';
import type { DocumentHistory, ForgottenHistory, VersionPreview } from './history.ts';
import { UsernameSchema } from '../username.ts';
import type {
  Profile,
  Settings,
  VaultState,
  UnlockMethod,
  SecondFactorStatus,
  Workspace,
  SavedProfile,
  TeamMember,
  TeamInvitation,
  SyncStatus,
  SyncWarning,
  SharePlan,
  LinkInfo,
  PendingLinkRevocation,
  OpenedLink,
  PresenceEntry,
  TeamConversion,
  DeviceSyncPlan,
  DeviceSyncStop,
  DocumentSummary,
  CommentThread,
  FileInfo,
  SearchHit,
  AuditEntry,
  DataItem,
  LocalCopy,
  ImportResult,
  PrivacyReport,
  DeviceInfo,
  PairingRequest,
} from './records.ts';

const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'an id is letters, digits, "-" or "_"');
// z.custom, not z.instanceof: the latter types as Uint8Array<ArrayBuffer>, which Automerge's changes (ArrayBufferLike) are not.
const Bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes (a Uint8Array)');
const Passphrase = z.string().min(1).max(1024);
const Title = z.string().max(500);
const Tags = z.array(z.string().min(1).max(50)).max(50);
/** A name in the data folder, or an absolute path the user typed. */
const DataPath = z.string().min(1).max(4096);
const RelayUrl = z
  .string()
  .max(2048)
  .regex(/^wss?:\/\/[^\s]+$/, 'a relay address starts with ws:// or wss://');
/** A version of a document: the hash of its last change, or the first 6+ of its hex characters. */
const VersionId = z.string().regex(/^[0-9a-f]{6,64}$/, 'a version id is 6 to 64 lowercase hex characters');
const Base64Url = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+$/, 'expected base64url');
/** 32 bytes, base64url without padding: a WebAuthn PRF output or salt. */
const Bytes32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes as base64url');
const SecurityKeyProof = z.strictObject({ kind: z.literal('key'), credentialId: Base64Url, prfOutput: Bytes32 });
/** The second factor: the enrolled security key's PRF output, or one unused recovery code. */
const SecondFactorProof = z.discriminatedUnion('kind', [SecurityKeyProof, z.strictObject({ kind: z.literal('recovery'), code: z.string().min(1).max(64) })]);
export type SecondFactorProofArg = z.infer<typeof SecondFactorProof>;

/** Argument schemas, one tuple per method: the single source of truth for names and arguments. */
export const apiArgs = {
  // Session
  status: z.tuple([]),
  createVault: z.tuple([
    z.strictObject({
      passphrase: Passphrase,
      username: UsernameSchema,
      displayName: z.string().min(1).max(64),
      avatar: z
        .string()
        .max(256 * 1024)
        .optional(),
    }),
  ]),
  /** The second argument once the vault has a second factor (unlock says SECOND_FACTOR_REQUIRED without it). */
  unlock: z.tuple([Passphrase, SecondFactorProof.optional()]),
  /** How this locked vault unlocks: whether it needs a security key (and which), whether this device can skip the passphrase. */
  unlockMethod: z.tuple([]),
  /** "Stay unlocked" with a second factor: the keychain's device secret and the security key, no passphrase. */
  unlockWithSecurityKey: z.tuple([SecurityKeyProof]),
  lock: z.tuple([]),
  changePassphrase: z.tuple([Passphrase, Passphrase]),
  /** The profile here, then every relay and team directory (issue 12, item 5); a username must be free on every relay that answers. */
  updateProfile: z.tuple([
    z.strictObject({
      username: UsernameSchema.optional(),
      displayName: z.string().min(1).max(64).optional(),
      avatar: z
        .string()
        .max(256 * 1024)
        .nullable()
        .optional(),
    }),
  ]),
  /** Where this vault's latest profile change stands on each relay: sent, or waiting (offline). */
  profileDelivery: z.tuple([]),
  getSettings: z.tuple([]),
  /** Settings → Security: the enrolled second factor, or null. */
  secondFactor: z.tuple([]),
  /** What the page passes to navigator.credentials.create() to enrol a security key (the PRF salt, the user). */
  secondFactorEnrolment: z.tuple([]),
  enrolSecondFactor: z.tuple([z.strictObject({ passphrase: Passphrase, credentialId: Base64Url, prfSalt: Bytes32, prfOutput: Bytes32 })]),
  removeSecondFactor: z.tuple([Passphrase, SecondFactorProof]),
  replaceRecoveryCodes: z.tuple([Passphrase, SecondFactorProof]),
  updateSettings: z.tuple([
    z.strictObject({
      autoLockMinutes: z
        .number()
        .int()
        .min(0)
        .max(24 * 60)
        .optional(),
      theme: z.enum(['system', 'light', 'dark']).optional(),
      /** Keep the vault openable without the passphrase on this device (Electron's keychain only). */
      stayUnlocked: z.boolean().optional(),
      /** Show the comments beside a document that has some (a layout choice, remembered for this vault's person). */
      showComments: z.boolean().optional(),
    }),
  ]),

  // Workspaces
  listWorkspaces: z.tuple([]),
  createWorkspace: z.tuple([z.string().min(1).max(100)]),
  renameWorkspace: z.tuple([Id, z.string().min(1).max(100)]),
  deleteWorkspace: z.tuple([Id]),

  // Documents. The renderer keeps an Automerge replica: it opens the document's bytes, makes
  // changes locally, and sends them with applyChanges; main persists and relays them.
  listDocuments: z.tuple([Id]),
  createDocument: z.tuple([Id, z.strictObject({ title: Title, tags: Tags.optional() })]),
  openDocument: z.tuple([Id]),
  applyChanges: z.tuple([Id, z.array(Bytes).min(1).max(10_000)]),
  updateDocument: z.tuple([Id, z.strictObject({ title: Title.optional(), tags: Tags.optional() })]),
  deleteDocument: z.tuple([Id]),

  // History (common/api/history.ts): versions grouped by author and time, a preview, restore.
  documentHistory: z.tuple([Id]),
  /** A version by its id (the hash of its last change). */
  previewVersion: z.tuple([Id, VersionId]),
  /** One new change that makes the document say what it said at that version; every member receives it. */
  restoreVersion: z.tuple([Id, VersionId]),
  /** Erases the document's edit history: a new generation holding only its state, everywhere (Owner/Admin in a team). */
  forgetHistory: z.tuple([Id]),

  // Comments
  listComments: z.tuple([Id]),
  addComment: z.tuple([
    Id,
    z.strictObject({
      text: z.string().min(1).max(10_000),
      anchor: z.strictObject({ from: z.number().int().min(0), to: z.number().int().min(1) }).optional(),
      replyTo: Id.optional(),
    }),
  ]),
  resolveComment: z.tuple([Id, z.boolean()]),
  deleteComment: z.tuple([Id]),

  // Files: uploaded in chunks so a large file never crosses the bridge in one message.
  listFiles: z.tuple([Id]),
  beginUpload: z.tuple([Id, z.strictObject({ name: z.string().min(1).max(255), type: z.string().max(255), size: z.number().int().min(0) })]),
  uploadChunk: z.tuple([Id, Bytes.refine((b) => b.length <= 4 * 1024 * 1024, 'a chunk is at most 4 MiB')]),
  finishUpload: z.tuple([Id]),
  readFile: z.tuple([Id, z.number().int().min(0)]),
  deleteFile: z.tuple([Id]),

  // Search and audit
  search: z.tuple([z.string().max(500)]),
  auditLog: z.tuple([]),

  // Your data: export, import, backup, restore, wipe, account deletion, privacy dashboard.
  // The page never names where main writes: exports, backups and audit exports go into the data
  // folder main chooses (dataFolder shows it). Import and restore read an item of that folder by
  // name, or a path the user typed (main checks it; nothing is read outside what it names).
  dataFolder: z.tuple([]),
  /** `history`: 'none' writes each document without its edit history (default 'full'). */
  exportData: z.tuple([z.strictObject({ workspaceId: Id.optional(), format: z.enum(['folder', 'zip']), history: z.enum(['full', 'none']).optional() })]),
  importData: z.tuple([z.strictObject({ path: DataPath })]),
  backup: z.tuple([z.strictObject({ passphrase: Passphrase })]),
  /** Only with no vault on this device (first run, or after a wipe): the backup becomes this device's vault. */
  restore: z.tuple([z.strictObject({ path: DataPath, passphrase: Passphrase, newPassphrase: Passphrase.optional() })]),
  /** With a vault on this device: the backup becomes a second vault in a new folder next to it (never over it), opened with --vault. */
  restoreBeside: z.tuple([z.strictObject({ path: DataPath, passphrase: Passphrase, newPassphrase: Passphrase.optional() })]),
  // The recovery key (main/app/recovery.ts). recoverAccount: only with no vault on this device
  // (first run): a new vault with `passphrase` becomes the account the key brings back.
  recoveryKeyState: z.tuple([]),
  makeRecoveryKey: z.tuple([SecondFactorProof.optional()]),
  recoverAccount: z.tuple([z.strictObject({ relay: RelayUrl, username: UsernameSchema, recoveryKey: z.string().min(1).max(200), passphrase: Passphrase })]),
  /** The exports, backups and audit exports this app wrote that are still on disk: a wipe or an account deletion offers to erase them. */
  localCopies: z.tuple([]),
  /**
   * The username typed by the user; main compares it exactly (case-sensitive). `eraseCopies`: the
   * paths, each one localCopies listed, that the person ticked to erase too (none by default).
   */
  wipeDevice: z.tuple([z.string().max(64), z.strictObject({ eraseCopies: z.array(z.string().min(1).max(4096)).max(1000).optional() }).optional()]),
  /** Which relays this vault's account is on, and which answer now: the page names those that do not before offering to skip them. */
  describeAccountDeletion: z.tuple([]),
  /**
   * After the username: `skipRelays` names relays, each one the person confirmed is gone for good,
   * that the deletion may skip if they cannot be reached (what they hold stays there). Any other
   * relay that cannot be reached refuses the whole deletion. With a second factor enrolled,
   * `secondFactor` proves it (SECOND_FACTOR_REQUIRED otherwise).
   */
  deleteAccount: z.tuple([
    z.string().max(64),
    z
      .strictObject({
        skipRelays: z.array(RelayUrl).min(1).max(50).optional(),
        secondFactor: SecondFactorProof.optional(),
        eraseCopies: z.array(z.string().min(1).max(4096)).max(1000).optional(),
      })
      .optional(),
  ]),
  privacyReport: z.tuple([]),
  /** How long a workspace keeps edit history; older edits are erased at once. */
  setRetention: z.tuple([Id, z.enum(RETENTIONS)]),
  exportAuditLog: z.tuple([z.strictObject({ actions: z.array(z.string().min(1).max(64)).max(50).optional() })]),

  // Team: accounts on relays, team workspaces, members and roles, invitations, sync status.
  listRelays: z.tuple([]),
  registerAccount: z.tuple([RelayUrl]),
  createTeamWorkspace: z.tuple([z.string().min(1).max(100), RelayUrl]),
  /** What converting would send to the relay; the page shows it before asking for confirmation. */
  describeTeamConversion: z.tuple([Id]),
  /** The third argument must be `true`: the user's explicit yes to the description. */
  convertToTeam: z.tuple([Id, RelayUrl, z.literal(true)]),
  listMembers: z.tuple([Id]),
  inviteMember: z.tuple([Id, UsernameSchema, RoleSchema]),
  setMemberRole: z.tuple([Id, UsernameSchema, RoleSchema]),
  removeMember: z.tuple([Id, UsernameSchema]),
  transferOwnership: z.tuple([Id, UsernameSchema]),
  leaveWorkspace: z.tuple([Id]),
  deleteTeamWorkspace: z.tuple([Id]),
  // "Sync between my devices" for a personal workspace: what would leave (for the relay given, or
  // the only one this account is on), then on with the person's explicit yes, or off.
  describeDeviceSync: z.tuple([Id, RelayUrl.nullish()]),
  turnDeviceSyncOn: z.tuple([Id, RelayUrl, z.literal(true)]),
  turnDeviceSyncOff: z.tuple([Id, z.strictObject({ deleteFromRelay: z.boolean() })]),
  listInvitations: z.tuple([]),
  acceptInvitation: z.tuple([Id]),
  syncStatus: z.tuple([]),
  /** Verification warnings since unlock, newest last. */
  syncWarnings: z.tuple([]),
  pauseSync: z.tuple([Id]),
  resumeSync: z.tuple([Id]),
  /** What sharing a document would upload (a personal workspace's document leaves the device). */
  /** The relay may be null (the page's way of leaving it out) when `keepHistory` follows. */
  describeShare: z.tuple([Id, RelayUrl.nullish(), z.boolean().optional()]),
  /** `confirmed` must be true when describeShare said the document leaves the device; without `keepHistory` its edit history is erased first. */
  shareDocument: z.tuple([
    Id,
    UsernameSchema,
    RoleSchema,
    z.strictObject({ confirmed: z.literal(true).optional(), relay: RelayUrl.optional(), keepHistory: z.boolean().optional() }),
  ]),
  unshareDocument: z.tuple([Id, UsernameSchema]),
  documentShares: z.tuple([Id]),
  createLink: z.tuple([
    Id,
    z.strictObject({
      expiresInMs: z
        .number()
        .int()
        .min(60_000)
        .max(10 * 365 * 24 * 3600 * 1000)
        .optional(),
      includeImages: z.boolean().optional(),
    }),
  ]),
  listLinks: z.tuple([]),
  revokeLink: z.tuple([Id]),
  /** Links of deleted documents whose relay has not yet confirmed the revocation (it was out of reach). */
  pendingLinkRevocations: z.tuple([]),
  /** Tells their relays now about the pending revocations; resolves to those still pending (a relay still out of reach). */
  retryLinkRevocations: z.tuple([]),
  /**
   * Opens a public link from a relay this vault added (S8). A link on another host is FORBIDDEN,
   * nothing fetched; `{ otherHost: true }` is sent only after the user agreed to fetch that one link.
   */
  openLink: z.tuple([z.string().min(1).max(8192), z.strictObject({ otherHost: z.literal(true).optional() }).optional()]),
  /** Where this user is in a document (plain-text offsets, as comment anchors), or null on leaving it. */
  setPresence: z.tuple([Id, z.strictObject({ from: z.number().int().min(0), to: z.number().int().min(0) }).nullable()]),
  presence: z.tuple([Id]),
  /** My role for one document: its team workspace's, or the role it was shared with me with; null when neither applies (personal). */
  documentRole: z.tuple([Id]),

  // Devices (main/usecases/devices.ts, as `hearth device …`): this account's devices, linking a new one, revoking one.
  /** The account's devices, with when each relay last saw each sign in. */
  listDevices: z.tuple([]),
  /** On a device of the account: waits for a new device's request (the oldest, or `pairing`), answers it, resolves with the code to compare. */
  answerDevice: z.tuple([z.strictObject({ pairing: Id.optional() })]),
  /** Stops waiting for a new device (answerDevice ends with EXPIRED): a request that comes later is not answered until asked again. */
  stopAnsweringDevice: z.tuple([]),
  /** Adds the device of `pairing` if `code` is the one it shows; a wrong code declines it and stores nothing. */
  approveDevice: z.tuple([z.string().regex(/^\d{3} ?\d{3}$/, 'a confirmation code is 6 digits'), Id]),
  /** Says no to the device of `pairing`: nothing is stored, the new device hears it was declined. */
  declineDevice: z.tuple([Id]),
  /** Revokes another device of the account on every relay; with a second factor enrolled, `secondFactor` proves it. */
  revokeDevice: z.tuple([Base64Url, z.strictObject({ secondFactor: SecondFactorProof.optional() })]),
  /**
   * First run, "I already have an account": makes this device's vault with `passphrase` (or opens
   * the one an earlier attempt made) and links it to `username` on `relay`; the code to compare
   * arrives as the deviceLinkCode event. Resolves once approved and the account's workspaces joined.
   */
  linkDevice: z.tuple([
    z.strictObject({ passphrase: Passphrase, relay: RelayUrl, username: UsernameSchema, name: z.string().trim().min(1).max(64).optional() }),
  ]),
} as const;

export type * from './records.ts';

export type ApiMethod = keyof typeof apiArgs;
export type ApiArgs<M extends ApiMethod> = z.infer<(typeof apiArgs)[M]>;

/** What each method resolves to. */
export interface ApiResults {
  status: { state: VaultState; profile: Profile | null };
  createVault: Profile;
  unlock: Profile;
  unlockMethod: UnlockMethod;
  unlockWithSecurityKey: Profile;
  lock: null;
  changePassphrase: null;
  updateProfile: SavedProfile;
  profileDelivery: SavedProfile['relays'];
  getSettings: Settings;
  updateSettings: Settings;
  secondFactor: SecondFactorStatus | null;
  secondFactorEnrolment: { prfSalt: string; user: { id: string; name: string; displayName: string } };
  /** The recovery codes, shown once. */
  enrolSecondFactor: { recoveryCodes: string[] };
  removeSecondFactor: null;
  replaceRecoveryCodes: { recoveryCodes: string[] };
  listWorkspaces: Workspace[];
  createWorkspace: Workspace;
  renameWorkspace: Workspace;
  deleteWorkspace: null;
  listDocuments: DocumentSummary[];
  createDocument: DocumentSummary;
  /** The whole document as Automerge bytes, for the renderer's replica, and the actor id that replica edits under. */
  openDocument: { summary: DocumentSummary; bytes: Uint8Array; actor: string };
  applyChanges: DocumentSummary;
  updateDocument: DocumentSummary;
  deleteDocument: null;
  documentHistory: DocumentHistory;
  previewVersion: VersionPreview;
  /** The document as it is after the restore. */
  restoreVersion: DocumentSummary;
  forgetHistory: ForgottenHistory;
  listComments: CommentThread[];
  addComment: CommentThread[];
  resolveComment: CommentThread[];
  deleteComment: CommentThread[];
  listFiles: FileInfo[];
  /** An upload id for uploadChunk/finishUpload. */
  beginUpload: { uploadId: string };
  uploadChunk: { received: number };
  finishUpload: FileInfo;
  /** One chunk of the file from `offset`; `done` when it is the last. */
  readFile: { bytes: Uint8Array; done: boolean };
  deleteFile: null;
  search: SearchHit[];
  auditLog: AuditEntry[];
  dataFolder: { dir: string; items: DataItem[] };
  exportData: { path: string; counts: { workspaces: number; documents: number; comments: number; files: number; auditEntries: number } };
  importData: ImportResult;
  backup: { path: string; bytes: number };
  restore: Profile;
  /** Where the second vault is (this one is unchanged), and whose it is. */
  restoreBeside: { vaultDir: string; profile: Profile };
  /** `registered`: the account is on a relay (a recovery key has something to bring back); `active`: it has one now. */
  recoveryKeyState: { registered: boolean; active: boolean; madeAt?: number };
  /** Shown once: kept nowhere, by main or the page. */
  makeRecoveryKey: { key: string; relays: string[] };
  recoverAccount: { profile: Profile; workspaces: number; relays: string[] };
  localCopies: LocalCopy[];
  /** What stays on this computer: the copies not ticked, and any that could not be erased. */
  wipeDevice: { copiesLeft: LocalCopy[] };
  describeAccountDeletion: { relays: Array<{ url: string; reachable: boolean; problem?: string }> };
  /** What happened at the relays; the page is wiped (and hears `wiped`) by the time this arrives. */
  deleteAccount: { relays: number; spacesDeleted: number; spacesKept: number; skipped: string[]; copiesLeft: LocalCopy[] };
  privacyReport: PrivacyReport;
  /** The documents whose older edits were erased. */
  setRetention: { forgotten: string[] };
  exportAuditLog: { path: string; entries: number };
  listRelays: Array<{ url: string; account?: string; registeredAt?: number }>;
  registerAccount: { relay: string; account: string; username: string };
  createTeamWorkspace: Workspace;
  describeTeamConversion: TeamConversion;
  convertToTeam: Workspace;
  listMembers: TeamMember[];
  inviteMember: TeamMember;
  setMemberRole: TeamMember[];
  removeMember: TeamMember[];
  transferOwnership: TeamMember[];
  leaveWorkspace: null;
  deleteTeamWorkspace: null;
  describeDeviceSync: DeviceSyncPlan;
  turnDeviceSyncOn: Workspace;
  turnDeviceSyncOff: DeviceSyncStop;
  listInvitations: TeamInvitation[];
  acceptInvitation: Workspace;
  syncStatus: SyncStatus[];
  syncWarnings: SyncWarning[];
  pauseSync: SyncStatus;
  resumeSync: SyncStatus;
  describeShare: SharePlan;
  shareDocument: TeamMember;
  unshareDocument: TeamMember[];
  documentShares: TeamMember[];
  createLink: LinkInfo;
  listLinks: LinkInfo[];
  revokeLink: null;
  pendingLinkRevocations: PendingLinkRevocation[];
  retryLinkRevocations: PendingLinkRevocation[];
  openLink: OpenedLink;
  setPresence: null;
  presence: PresenceEntry[];
  documentRole: Role | null;
  /** `unanswered`: relays that could not say when they last saw the devices. */
  listDevices: { devices: DeviceInfo[]; unanswered: Array<{ relay: string; problem: string }> };
  answerDevice: PairingRequest;
  stopAnsweringDevice: null;
  approveDevice: { device: string; name: string; relays: string[] };
  declineDevice: null;
  /** The relays that refuse the device from now on. */
  revokeDevice: { device: string; relays: string[] };
  /** The account this device now holds, and how many workspaces and shared documents it joined. */
  linkDevice: { profile: Profile; workspaces: number };
}

/** Events main pushes to the page. */
export interface ApiEvents {
  /**
   * A document changed outside this page (another window, the CLI, a peer): the changes for an
   * open editor, and the document's summary as it is now, so a list updates in place.
   */
  documentChanged: { documentId: string; changes: Uint8Array[]; summary: DocumentSummary };
  /** A document's edit history was erased (here or by a member): an open editor reopens it, its old replica is dropped. */
  documentReplaced: { documentId: string; summary: DocumentSummary };
  /** The vault locked itself (idle timeout, or from the menu). */
  locked: { reason: 'idle' | 'user' };
  /** Long work (export, import, backup, restore) moving on; `done`/`total` in items or bytes. */
  progress: { task: 'export' | 'import' | 'backup' | 'restore'; phase: string; done: number; total: number };
  /** The vault is gone from this device (wipe or account deletion): the page goes back to first run. */
  wiped: { reason: 'wipe' | 'account-deleted' };
  /** A team workspace's sync state moved (synced, syncing n, offline, error with reason, paused). */
  syncStatus: SyncStatus;
  /** A change from the relay failed verification; it was kept aside, not applied. */
  syncWarning: SyncWarning;
  /** Workspaces, roles or memberships changed (a peer changed my role, I was removed, one was accepted). */
  workspacesChanged: Record<string, never>;
  /** Who else is in a document now, with their selections (end-to-end encrypted, never stored by the relay). */
  presence: { documentId: string; entries: PresenceEntry[] };
  /** Linking this device (linkDevice): a device of the account answered; compare this code with the one it shows. */
  deviceLinkCode: { code: string };
}

export type ApiEvent = keyof ApiEvents;

/** The API as the renderer sees it: every method resolves to a Result, nothing throws. */
export type HearthApi = {
  [M in ApiMethod]: (...args: ApiArgs<M>) => Promise<Result<ApiResults[M]>>;
} & {
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
};

/** The handlers main implements: they may throw HearthError; the door turns that into a Result. */
export type ApiHandlers = {
  [M in ApiMethod]: (...args: ApiArgs<M>) => Promise<ApiResults[M]> | ApiResults[M];
};

export const apiMethods = Object.keys(apiArgs) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(apiArgs, name);
}

export function failure(code: ErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}
