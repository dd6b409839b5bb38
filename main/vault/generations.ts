/**
 * Forgetting a document's edit history in this vault: the document is replaced by a new
 * generation that holds only its state (common/history/generation.ts), its comments are anchored
 * again at the same text, every chunk of the old generation is deleted (secure_delete zeroes the
 * pages) and the WAL is truncated, so the old edits are in no byte of the vault file.
 */
import * as A from '@automerge/automerge';
import { buildGeneration, buildGenerationAt, carriedState, reanchor, writeState } from '../../common/history/generation.ts';
import { stateAt } from '../../common/history/versions.ts';
import type { CommentRecord, CommentStore } from './comments.ts';
import type { DocumentStore, HearthDoc } from './documents.ts';

/**
 * Comments of `documentId` anchored in `next` where their text is in both (the old document is
 * `old`), each marked as changed at `at` so members take the new anchor; the others lose their anchor.
 */
export function reanchoredComments(comments: readonly CommentRecord[], old: A.Doc<unknown>, next: A.Doc<unknown>, at: number): CommentRecord[] {
  return comments.map((record) => {
    if (!record.anchor) return record;
    const { anchor: _old, ...rest } = record;
    const anchor = reanchor(old, next, record.anchor);
    return { ...rest, ...(anchor ? { anchor } : {}), updatedAt: Math.max(at, record.updatedAt + 1) };
  });
}

type Content = HearthDoc extends A.Doc<infer T> ? T : never;

/**
 * The new generation of a document as this vault would make it: its state now and nothing before;
 * or, with `horizon`, its state then and the versions after it (undefined: nothing before it to forget).
 */
export function nextGeneration(
  documents: DocumentStore,
  documentId: string,
  at = Date.now(),
  horizon?: number,
): { old: HearthDoc; next: HearthDoc; generation: number } | undefined {
  const old = documents.get(documentId);
  const options = { actor: documents.newActor(), at };
  const next =
    horizon === undefined ? buildGeneration<Content>(stateAt(old), old.createdAt, options) : buildGenerationAt<Content>(old, horizon, old.createdAt, options);
  return next && { old, next, generation: documents.generationOf(documentId) + 1 };
}

/**
 * Puts generation `generation` (`next`, whose comments are `comments`) in place of the document,
 * in the caller's transaction if it has one; the caller runs documents.scrub() once that commits.
 */
export function installGeneration(
  stores: { documents: DocumentStore; comments: CommentStore },
  documentId: string,
  next: HearthDoc,
  generation: number,
  comments: readonly CommentRecord[],
): void {
  stores.documents.replaceGeneration(documentId, next, generation, () => {
    for (const record of comments) if (!stores.comments.adopt(record)) stores.comments.replace(record);
  });
}

/**
 * Forgets a document's history in this vault alone (a personal workspace), all of it or what was
 * written before `horizon`. Returns the new generation, or undefined when there was nothing to forget.
 */
export function forgetHere(stores: { documents: DocumentStore; comments: CommentStore }, documentId: string, horizon?: number): number | undefined {
  const made = nextGeneration(stores.documents, documentId, Date.now(), horizon);
  if (!made) return undefined;
  const { old, next, generation } = made;
  installGeneration(stores, documentId, next, generation, reanchoredComments(stores.comments.records(documentId), old, next, Date.now()));
  // The old chunks' pages were zeroed (secure_delete); this takes their last copies out of the WAL.
  stores.documents.scrub();
  return generation;
}

/**
 * Changes a page made on the previous generation of a document replaced a moment ago (they were
 * on their way when it was replaced): their edits are written again on the new generation, as
 * offline edits are carried, and none of their history is kept. False for any other changes.
 */
export function carryLateEdits(stores: { documents: DocumentStore }, documentId: string, changes: readonly Uint8Array[]): boolean {
  const previous = stores.documents.previousGeneration(documentId);
  if (!previous || changes.length === 0) return false;
  let deps: string[];
  try {
    deps = A.decodeChange(changes[0]!).deps;
  } catch {
    return false;
  }
  const current = stores.documents.get(documentId);
  if (A.hasHeads(current, deps) || !A.hasHeads(previous, deps)) return false;
  let edited: HearthDoc;
  try {
    [edited] = A.applyChanges(A.clone(previous), [...changes]);
  } catch {
    return false;
  }
  const target = carriedState(stateAt(previous), stateAt(edited), stateAt(current));
  stores.documents.keepPrevious(documentId, edited);
  stores.documents.change(documentId, (doc) => writeState(doc, target));
  return true;
}
