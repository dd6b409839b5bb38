/**
 * What the vault tells its listeners after a change, and where each change came from. Every
 * event carries its origin, so a listener tells a peer's change from a page's own or another
 * process's without asking anyone ("was that me?" flags).
 */
import type { FileInfo } from '../../common/api/contract.ts';

export type ChangeOrigin =
  /** A page of the app, through the API door, on the connection with this id. */
  | { kind: 'page'; connectionId: number }
  /** This process by itself: the CLI, a script, the sync engine's own work. */
  | { kind: 'local' }
  /** A peer's change that the sync engine verified and applied. */
  | { kind: 'remote' }
  /** An import of an export or of a Markdown folder. */
  | { kind: 'import' }
  /** Found in the file, written there by another process (the CLI while the app runs, a script). */
  | { kind: 'external' };

export const LOCAL: ChangeOrigin = { kind: 'local' };
export const EXTERNAL: ChangeOrigin = { kind: 'external' };

export interface DocumentChanged {
  documentId: string;
  workspaceId: string;
  /** The Automerge changes this copy gained; empty when the document was new or only its head moved. */
  changes: Uint8Array[];
  origin: ChangeOrigin;
}

/** A document's history was forgotten: it was replaced by a new generation (pages reopen it). */
export interface DocumentReplaced {
  documentId: string;
  workspaceId: string;
  generation: number;
  origin: ChangeOrigin;
}

export interface DocumentDeleted {
  documentId: string;
  workspaceId: string;
  origin: ChangeOrigin;
}

export interface CommentChanged {
  commentId: string;
  documentId: string;
  workspaceId: string;
  /** True when the comment is gone (deleted, or its thread was). */
  deleted: boolean;
  origin: ChangeOrigin;
}

export interface FileAdded {
  info: FileInfo;
  origin: ChangeOrigin;
}

export interface FileDeleted {
  fileId: string;
  workspaceId: string;
  origin: ChangeOrigin;
}

export interface WorkspacesChanged {
  origin: ChangeOrigin;
}
