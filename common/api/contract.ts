/**
 * The one API between the page (renderer) and main. Every method's arguments have a zod schema
 * that main checks at its one door; results come back as `Result` (never a throw across the
 * bridge). The Electron preload and the browser-mode client both implement `HearthApi`, so the
 * renderer calls named methods and never sees a channel string.
 */
import { z } from 'zod';
import type { ErrorCode, Result } from '../errors.ts';

const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'an id is letters, digits, "-" or "_"');
// z.custom, not z.instanceof: the latter types as Uint8Array<ArrayBuffer>, which Automerge's changes (ArrayBufferLike) are not.
const Bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes (a Uint8Array)');
const Passphrase = z.string().min(1).max(1024);
const Title = z.string().max(500);
const Tags = z.array(z.string().min(1).max(50)).max(50);

/** Argument schemas, one tuple per method: the single source of truth for names and arguments. */
export const apiArgs = {
  // Session
  status: z.tuple([]),
  createVault: z.tuple([
    z.strictObject({
      passphrase: Passphrase,
      username: z.string().min(2).max(32),
      displayName: z.string().min(1).max(64),
      avatar: z.string().max(256 * 1024).optional(),
    }),
  ]),
  unlock: z.tuple([Passphrase]),
  lock: z.tuple([]),
  changePassphrase: z.tuple([Passphrase, Passphrase]),
  updateProfile: z.tuple([z.strictObject({ displayName: z.string().min(1).max(64).optional(), avatar: z.string().max(256 * 1024).nullable().optional() })]),
  getSettings: z.tuple([]),
  updateSettings: z.tuple([
    z.strictObject({
      autoLockMinutes: z.number().int().min(0).max(24 * 60).optional(),
      theme: z.enum(['system', 'light', 'dark']).optional(),
      /** Keep the vault openable without the passphrase on this device (Electron's keychain only). */
      stayUnlocked: z.boolean().optional(),
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
} as const;

export type ApiMethod = keyof typeof apiArgs;
export type ApiArgs<M extends ApiMethod> = z.infer<(typeof apiArgs)[M]>;

export interface Profile {
  username: string;
  displayName: string;
  avatar?: string;
}

export interface Settings {
  autoLockMinutes: number;
  theme: 'system' | 'light' | 'dark';
  /** Off by default; turning it on where there is no system keychain fails with UNAVAILABLE. */
  stayUnlocked?: boolean;
}

export type VaultState = 'no-vault' | 'locked' | 'unlocked';

export interface Workspace {
  id: string;
  name: string;
  kind: 'personal' | 'team';
  createdAt: number;
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
}

/** What each method resolves to. */
export interface ApiResults {
  status: { state: VaultState; profile: Profile | null };
  createVault: Profile;
  unlock: Profile;
  lock: null;
  changePassphrase: null;
  updateProfile: Profile;
  getSettings: Settings;
  updateSettings: Settings;
  listWorkspaces: Workspace[];
  createWorkspace: Workspace;
  renameWorkspace: Workspace;
  deleteWorkspace: null;
  listDocuments: DocumentSummary[];
  createDocument: DocumentSummary;
  /** The whole document as Automerge bytes, for the renderer's replica. */
  openDocument: { summary: DocumentSummary; bytes: Uint8Array };
  applyChanges: DocumentSummary;
  updateDocument: DocumentSummary;
  deleteDocument: null;
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
}

/** Events main pushes to the page. */
export interface ApiEvents {
  /** A document changed outside this page (another window, the CLI, a peer). */
  documentChanged: { documentId: string; changes: Uint8Array[] };
  /** The vault locked itself (idle timeout, or from the menu). */
  locked: { reason: 'idle' | 'user' };
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
