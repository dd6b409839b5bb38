/**
 * Forgetting a document's edit history in this vault: the document is replaced by a new
 * generation that holds only its state (common/history/generation.ts), its comments are anchored
 * again at the same text, every chunk of the old generation is deleted (secure_delete zeroes the
 * pages) and the WAL is truncated, so the old edits are in no byte of the vault file.
 */
import type * as A from '@automerge/automerge';
import { buildGeneration, reanchor } from '../../common/history/generation.ts';
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

/** The new generation of a document as this vault would make it: its state now, nothing before. */
export function nextGeneration(documents: DocumentStore, documentId: string, at = Date.now()): { old: HearthDoc; next: HearthDoc; generation: number } {
  const old = documents.get(documentId);
  const next = buildGeneration<HearthDoc extends A.Doc<infer T> ? T : never>(stateAt(old), old.createdAt, { actor: documents.newActor(), at });
  return { old, next, generation: documents.generationOf(documentId) + 1 };
}

/**
 * Puts generation `generation` (`next`, whose comments are `comments`) in place of the document,
 * in the caller's transaction if it has one; the caller runs documents.scrub() once that commits.
 */
export function installGeneration(stores: { documents: DocumentStore; comments: CommentStore }, documentId: string, next: HearthDoc, generation: number, comments: readonly CommentRecord[]): void {
  stores.documents.replaceGeneration(documentId, next, generation, () => {
    for (const record of comments) if (!stores.comments.adopt(record)) stores.comments.replace(record);
  });
}

/** Forgets a document's history in this vault alone (a personal workspace). Returns the new generation. */
export function forgetHere(stores: { documents: DocumentStore; comments: CommentStore }, documentId: string): number {
  const { old, next, generation } = nextGeneration(stores.documents, documentId);
  installGeneration(stores, documentId, next, generation, reanchoredComments(stores.comments.records(documentId), old, next, Date.now()));
  // The old chunks' pages were zeroed (secure_delete); this takes their last copies out of the WAL.
  stores.documents.scrub();
  return generation;
}
