/** Documents: create, change (title, tags, text as Markdown or as Automerge changes), delete. Writing needs a role that may edit. */
import * as A from '@automerge/automerge';
import { bodyAsMarkdown, setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { normaliseTags, type DocumentContent, type DocumentSummary, type HearthDoc } from '../vault/documents.ts';
import { carryLateEdits } from '../vault/generations.ts';
import type { Unlocked } from './unlocked.ts';

export function createDocument(u: Unlocked, workspaceId: string, input: { title: string; tags?: string[]; markdown?: string }): DocumentSummary {
  u.engine.assertCan(workspaceId, 'content');
  const { markdown } = input;
  return u.vault.documents.create(workspaceId, {
    title: input.title,
    ...(input.tags ? { tags: input.tags } : {}),
    ...(markdown ? { init: (doc: DocumentContent) => setBodyFromMarkdown(doc, markdown) } : {}),
  });
}

/** What `changeDocument` sets; what is left out stays as it is. The Markdown is merged in as character-level edits. */
export interface DocumentChange {
  title?: string;
  tags?: string[];
  markdown?: string;
  /** A paragraph added at the end of the body as it is when the change is made (under the write lock). */
  append?: string;
}

/** Changes a document; returns it as it is now, and what the change was (the changes, for pages with a replica of it). */
export function changeDocument(u: Unlocked, documentId: string, change: DocumentChange): { doc: HearthDoc; changes: Uint8Array[] } {
  u.engine.assertCan(u.vault.documents.workspaceOf(documentId), 'content', documentId);
  const before = A.getHeads(u.vault.documents.get(documentId));
  const after = u.vault.documents.change(documentId, (doc) => {
    if (change.markdown !== undefined) setBodyFromMarkdown(doc, change.markdown);
    // Computed from the document as it is under the write lock, so it adds to whatever anyone else wrote.
    if (change.append !== undefined) setBodyFromMarkdown(doc, `${bodyAsMarkdown(doc).trimEnd()}\n\n${change.append.trim()}\n`);
    if (change.title !== undefined) A.updateText(doc, ['title'], change.title.trim());
    if (change.tags !== undefined) doc.tags.splice(0, doc.tags.length, ...normaliseTags(change.tags));
  });
  return { doc: after, changes: A.getChanges(A.view(after, before), after) };
}

/** Applies Automerge changes a page made on its replica of the document. */
export function applyChanges(u: Unlocked, documentId: string, changes: Uint8Array[]): void {
  u.engine.assertCan(u.vault.documents.workspaceOf(documentId), 'content', documentId);
  // Made on a generation replaced a moment ago: carried onto the new one, announced to every page (the sender's new replica too).
  if (u.vault.withOrigin({ kind: 'local' }, () => carryLateEdits(u.vault, documentId, changes))) return;
  u.vault.documents.appendChanges(documentId, changes);
}

/**
 * Deletes a document here and, in a team workspace or a shared document's space, at the relay
 * and at every member (Owner and Admin only). With the relay out of reach it is deleted here now
 * and the relay is told at the next sync: `waitsForRelay` says so.
 */
export function deleteDocument(u: Unlocked, documentId: string): Promise<{ waitsForRelay: boolean }> {
  return u.engine.deleteDocument(documentId);
}
