/**
 * Each team space has one index document on the relay, encrypted like any other: the workspace's
 * name, the ids of its documents, and a directory of members' public profiles. The relay has no
 * way to list a space's documents or to know its name; members learn both from here.
 */
import type { Retention } from '../../common/history/retention.ts';
import * as A from '@automerge/automerge';
import { fromBase64Url, toBase64Url } from '../../common/crypto/sodium.ts';
import type { SyncedFile } from './files.ts';

/** The index's document id on the relay; real document ids are random and never take this form. */
export const INDEX_DOC = 'workspace-index';

export interface DirectoryEntry {
  username: string;
  displayName: string;
  /** X25519 key (base64url) the member's key envelopes are sealed to. */
  boxPublicKey: string;
  /** The member's avatar (a small image data URL), encrypted with the index like everything in it; only the member itself sets it. */
  avatar?: string;
  /** Usernames the member had before (comments carry the username they were written under), newest last. */
  formerUsernames?: string[];
}

/** Whether two directory entries say the same about a member. */
export function sameDirectoryEntry(a: DirectoryEntry, b: DirectoryEntry): boolean {
  return (
    a.username === b.username &&
    a.displayName === b.displayName &&
    a.boxPublicKey === b.boxPublicKey &&
    a.avatar === b.avatar &&
    (a.formerUsernames ?? []).join() === (b.formerUsernames ?? []).join()
  );
}

export type WorkspaceIndex = {
  name: string;
  /** `gen`: the document's generation once its edit history was erased (set by an Owner or Admin), so a change of an older one is refused even by a member new to it. */
  docs: Record<string, { createdAt: number; gen?: number }>;
  /** Account id → the profile the member published. */
  members: Record<string, DirectoryEntry>;
  /** How long the workspace keeps edit history (common/history/retention.ts), set by an Owner or Admin; forever when unset. */
  retention?: Retention;
  /** File id → name, type, size, time and key epoch of an attachment synced through the relay. */
  files?: Record<string, SyncedFile>;
  /** Document id → account → the Automerge changes (hashes) that member lacks and asks the others to send again (history-requests.ts). */
  wanted?: Record<string, Record<string, string[]>>;
  /** How many times an Owner or Admin rebuilt the index without its history (rebuiltIndex); absent: never. */
  generation?: number;
};

export type IndexDoc = A.Doc<WorkspaceIndex>;

export function newIndex(name: string): IndexDoc {
  return A.from<WorkspaceIndex>({ name, docs: {}, members: {} });
}

export function emptyIndex(): IndexDoc {
  return A.init<WorkspaceIndex>();
}

export function loadIndex(encoded: string): IndexDoc {
  return encoded ? A.load<WorkspaceIndex>(fromBase64Url(encoded)) : emptyIndex();
}

export function saveIndex(doc: IndexDoc): string {
  return toBase64Url(A.save(doc));
}

export function generationOf(doc: IndexDoc): number {
  return typeof doc.generation === 'number' ? doc.generation : 0;
}

/**
 * The next generation of an index (issue 11, item 6): a new Automerge document holding only the
 * present state, without the directory entries of `forget`, so no history of it keeps a deleted
 * account's username, display name or key. Every member replaces its copy with it (apply.ts);
 * document generations (issue 11, item 2) may take this over.
 */
export function rebuiltIndex(current: IndexDoc, forget: readonly string[]): IndexDoc {
  const state = JSON.parse(JSON.stringify(A.toJS(current))) as WorkspaceIndex;
  for (const account of forget) delete state.members?.[account];
  return A.from<WorkspaceIndex>({ ...state, members: state.members ?? {}, generation: generationOf(current) + 1 });
}
