/** What the History panel and `hearth history` show: a document's versions, a preview of one, and what forgetting did. */
import type { TextSegment } from '../history/compare.ts';

export type { TextSegment };

export interface DocumentVersion {
  /** The hash of its last change; `hearth history` accepts its first 6+ characters. */
  id: string;
  /** When its first and last edits were made (ms). */
  from: number;
  to: number;
  changes: number;
  /** Who made it: "You", a member's display name, or "Someone" for an author this device cannot name. */
  author: { name: string; username?: string; you: boolean };
  /** The state a new generation started from: what was written before it, without its history. */
  base: boolean;
  /** The document as it is now. */
  current: boolean;
}

export interface DocumentHistory {
  documentId: string;
  /** Newest first. */
  versions: DocumentVersion[];
  /** How many times its history was forgotten (0: it has all of it). */
  generation: number;
}

export interface VersionPreview {
  version: DocumentVersion;
  title: string;
  tags: string[];
  /** The body at that version, as Markdown. */
  markdown: string;
  /** Its text compared with the document now: `removed` was there then and is gone, `added` came since. */
  changes: TextSegment[];
}

/** What erasing a document's edit history did. */
export interface ForgottenHistory {
  documentId: string;
  /** The document's new generation: it holds the state it had, and none of the edits before. */
  generation: number;
  /** How many versions there were before; now there is one, the state it started from. */
  versionsBefore: number;
}
