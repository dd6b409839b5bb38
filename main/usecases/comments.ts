/**
 * Comments: add, resolve or reopen a thread, delete. The rules (common/roles.ts): commenting needs
 * Commenter or above; whoever may edit the document resolves any thread, a Commenter only the
 * threads they started, a Viewer none; a comment's author deletes it, as do Owners and Admins.
 */
import { HearthError } from '../../common/errors.ts';
import { canChangeComment } from '../../common/roles.ts';
import type { CommentRecord } from '../vault/comments.ts';
import { governingRole, type Unlocked } from './unlocked.ts';

export function addComment(u: Unlocked, documentId: string, input: { text: string; anchor?: { from: number; to: number }; replyTo?: string }): CommentRecord {
  u.engine.assertCan(u.vault.documents.workspaceOf(documentId), 'comment', documentId);
  return u.vault.comments.add(documentId, input);
}

/** Resolves (or with `resolved` false reopens) the thread that starts with comment `threadId`; returns the document's id. */
export function resolveThread(u: Unlocked, threadId: string, resolved: boolean): string {
  const first = u.vault.comments.get(threadId);
  if (first.threadId !== first.id)
    throw new HearthError('BAD_REQUEST', `${threadId} is a reply; resolve its thread through the thread's first comment, ${first.threadId}.`);
  const governing = governingRole(u, first.documentId);
  if (governing && !canChangeComment(governing.role, 'resolve', u.vault.isOwnUsername(first.author))) {
    const { role, standing } = governing;
    const why =
      role === 'viewer'
        ? 'a Viewer cannot resolve or reopen threads'
        : 'a Commenter resolves only the threads they started; ask an Editor, Admin or Owner to resolve this one';
    throw new HearthError('FORBIDDEN', `${standing}: ${why}.`);
  }
  u.vault.comments.resolve(threadId, resolved);
  return first.documentId;
}

/**
 * Deletes a comment; a thread's first comment takes the whole thread with it, so that needs the
 * right to delete every reply in it too. In a team workspace or a shared document the deletion
 * then goes out as a signed tombstone: the relay drops the comment, every member deletes it.
 * Returns the document's id.
 */
export function deleteComment(u: Unlocked, commentId: string): string {
  const comment = u.vault.comments.get(commentId);
  const governing = governingRole(u, comment.documentId);
  if (governing) {
    const { role, standing } = governing;
    if (!canChangeComment(role, 'delete', u.vault.isOwnUsername(comment.author)))
      throw new HearthError('FORBIDDEN', `${standing}: only the comment's author, an Owner or an Admin can delete it.`);
    const replies =
      comment.threadId === comment.id ? u.vault.comments.records(comment.documentId).filter((r) => r.threadId === comment.id && r.id !== comment.id) : [];
    if (replies.some((reply) => !canChangeComment(role, 'delete', u.vault.isOwnUsername(reply.author)))) {
      throw new HearthError('FORBIDDEN', `${standing}: deleting this thread would delete replies by others, which only an Owner or an Admin can delete.`);
    }
  }
  u.vault.comments.delete(commentId);
  return comment.documentId;
}
