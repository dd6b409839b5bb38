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

/**
 * Why a change of the member directory by `author` is refused, or undefined when it is not: a
 * member changes only their own entry (invitations add entries, removals drop them); a former
 * username is only one the entry really had; and nobody takes a username or former username that
 * another entry has. Comments are matched to their author by these names (comment-changes.ts).
 */
export function directoryRefusal(
  before: WorkspaceIndex['members'] | undefined,
  next: WorkspaceIndex['members'] | undefined,
  author: string,
): string | undefined {
  const old = before ?? {};
  const now = next ?? {};
  const changed = Object.keys(old).filter((account) => now[account] && !sameDirectoryEntry(old[account]!, now[account]!));
  if (changed.some((account) => account !== author))
    return `a change to the profile of another member in the member directory; only a member changes their own`;
  const mine = now[author];
  if (!mine || !changed.includes(author)) return undefined;
  const had = new Set([...(old[author]!.formerUsernames ?? []), old[author]!.username]);
  if ((mine.formerUsernames ?? []).some((name) => !had.has(name))) return `a former username the member never had, in the member directory`;
  const others = Object.entries(now).filter(([account]) => account !== author);
  const taken = new Set(others.flatMap(([, entry]) => [entry.username, ...(entry.formerUsernames ?? [])]));
  if ([mine.username, ...(mine.formerUsernames ?? [])].some((name) => taken.has(name))) return `a username another member has, in the member directory`;
  return undefined;
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
  /**
   * On a personal workspace synced between one account's devices: that account. Signed by it like
   * every index change, so a relay cannot present a team space as one; no one else is ever a member.
   */
  personalTo?: string;
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
