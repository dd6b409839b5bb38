/**
 * Comment changes from the relay, checked against the comment rule of common/roles.ts
 * (canChangeComment) before they touch the vault (S5): a new comment is in its signer's name, what
 * a comment says changes only by its author, a thread is resolved or reopened by whoever may
 * resolve it, and a deletion is made by whoever may delete each comment it takes (a thread's first
 * comment takes the thread). An Owner or Admin passing comments on between a workspace and a
 * shared document's space vouches for them. A deleted comment stays deleted (S9): its id is kept
 * in the document's sync state, and no later copy — an older snapshot, a change another space
 * passes on — brings it back.
 */
import { HearthError } from '../../common/errors.ts';
import type { ParsedChange } from '../../common/protocol/change.ts';
import { canChangeComment, canManageMembers, withArticle, type Role } from '../../common/roles.ts';
import type { CommentRecord } from '../vault/comments.ts';
import type { Vault } from '../vault/vault.ts';
import { decodeComment, decodeTombstone } from './payload.ts';
import type { SpaceRegistry } from './spaces.ts';

export interface CommentChangesHost {
  readonly vault: Pick<Vault, 'documents' | 'comments'>;
  readonly spaces: Pick<SpaceRegistry, 'view' | 'index'>;
}

/** A document's comment bookkeeping while a change is applied: versions taken in, and comments deleted. */
export interface CommentLedger {
  comments: Record<string, number>;
  erased: Set<string>;
}

/** Who signed a change, as the rules need it: the role at the membership state it names, and the usernames the directory lists (the current one and those before a rename). */
interface Signer {
  role: Role;
  username: string | undefined;
  former?: readonly string[];
}

/** Whether `author` (a comment's username) is the signer, under their current or a former username. */
function wrote(signer: Signer, author: string): boolean {
  return signer.username !== undefined && (author === signer.username || (signer.former ?? []).includes(author));
}

export class CommentChanges {
  constructor(private readonly host: CommentChangesHost) {}

  /** Applies a verified comment change to the vault, inside the caller's transaction; returns the record taken in, if any. */
  apply(spaceId: string, documentId: string, change: ParsedChange, plaintext: Uint8Array, ledger: CommentLedger): CommentRecord | undefined {
    const { meta } = change;
    const role = this.host.spaces.view(spaceId).roleAt(meta.head, meta.author);
    if (!role) throw new HearthError('FORBIDDEN', 'a comment change by someone who was not a member');
    const entry = this.host.spaces.index(spaceId).members?.[meta.author];
    const signer: Signer = { role, username: entry?.username, ...(entry?.formerUsernames ? { former: [...entry.formerUsernames] } : {}) };
    if (meta.comment?.op === 'delete') {
      const tombstone = decodeTombstone(plaintext);
      if (tombstone.id !== meta.comment.id || tombstone.documentId !== documentId)
        throw new HearthError('RECORD_TAMPERED', 'a comment deletion that names another comment than it says it does');
      this.erase(documentId, tombstone.id, signer, ledger);
      return undefined;
    }
    const record = decodeComment(plaintext);
    if (meta.comment && (record.id !== meta.comment.id || record.threadId !== meta.comment.thread))
      throw new HearthError('RECORD_TAMPERED', 'a comment change that carries another comment than it says it does');
    const vouched = canManageMembers(role) && !wrote(signer, record.author);
    return this.take(documentId, record, vouched ? undefined : signer, ledger);
  }

  /** A comment an older snapshot carried: its signer vouched for it; taken in unless it was deleted. */
  fromSnapshot(documentId: string, record: CommentRecord, ledger: CommentLedger): CommentRecord | undefined {
    return this.take(documentId, record, undefined, ledger);
  }

  /** Stores a new or newer comment record (its document is here); `signer` undefined when someone who may vouch for it passed it on. */
  private take(documentId: string, record: CommentRecord, signer: Signer | undefined, ledger: CommentLedger): CommentRecord | undefined {
    const { comments } = this.host.vault;
    if (record.documentId !== documentId) throw new HearthError('RECORD_TAMPERED', 'a comment filed under another document');
    if (ledger.erased.has(record.id) || ledger.erased.has(record.threadId)) return undefined; // deleted for good
    const records = comments.records(documentId);
    const existing = records.find((r) => r.id === record.id);
    ledger.comments[record.id] = Math.max(ledger.comments[record.id] ?? 0, record.updatedAt);
    if (!existing) {
      // A new comment must be in its signer's own name.
      if (signer?.username && !wrote(signer, record.author))
        throw new HearthError('FORBIDDEN', `a comment signed by ${signer.username} but written in the name of ${record.author}`);
      comments.adopt(record);
      return record;
    }
    if (record.updatedAt <= existing.updatedAt) return undefined;
    if (signer) {
      // Someone else may resolve or reopen a thread, but only its author may change what it says.
      if (record.text !== existing.text && !wrote(signer, existing.author))
        throw new HearthError('FORBIDDEN', `an edit of ${existing.author}'s comment by someone else`);
      const starter = records.find((r) => r.id === existing.threadId)?.author ?? existing.author;
      if (record.resolved !== existing.resolved && !canChangeComment(signer.role, 'resolve', wrote(signer, starter))) {
        throw new HearthError('FORBIDDEN', `a resolve of ${starter}'s thread by ${withArticle(signer.role)}, who may resolve only the threads they started`);
      }
    }
    const next = { ...existing, text: record.text, resolved: record.resolved, updatedAt: record.updatedAt };
    comments.replace(next);
    return next;
  }

  /** A peer deleted a comment (a thread's first: the thread): it goes here too, if the signer may delete each comment it takes. */
  private erase(documentId: string, id: string, signer: Signer, ledger: CommentLedger): void {
    const { comments, documents } = this.host.vault;
    const records = documents.has(documentId) ? comments.records(documentId) : [];
    const target = records.find((r) => r.id === id);
    const doomed = target && target.threadId !== target.id ? [target] : records.filter((r) => r.threadId === id);
    for (const record of doomed) {
      if (!canChangeComment(signer.role, 'delete', wrote(signer, record.author))) {
        throw new HearthError('FORBIDDEN', `a deletion of ${record.author}'s comment by ${withArticle(signer.role)}, who may delete only their own`);
      }
    }
    if (target) comments.delete(id);
    else for (const record of doomed) comments.delete(record.id);
    for (const gone of [id, ...doomed.map((r) => r.id)]) {
      delete ledger.comments[gone];
      ledger.erased.add(gone);
    }
  }
}
