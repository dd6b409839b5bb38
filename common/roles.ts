/**
 * The role rules from DESIGN.md as pure functions. The relay enforces them on every request and
 * every client re-checks them against what the relay hands out, so this is the only copy.
 */
import { z } from 'zod';

export const Roles = ['owner', 'admin', 'editor', 'commenter', 'viewer'] as const;
export type Role = (typeof Roles)[number];
export const RoleSchema = z.enum(Roles);

/** What a change blob carries: document content, a comment, or a snapshot of the content. */
export const ChangeKinds = ['content', 'comment', 'snapshot'] as const;
export type ChangeKind = (typeof ChangeKinds)[number];

export function canRead(_role: Role): boolean {
  return true;
}

export function canWriteContent(role: Role): boolean {
  return role === 'owner' || role === 'admin' || role === 'editor';
}

export function canDeleteContent(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/**
 * Whether `role` may forget a document's edit history (make a new generation of it that holds
 * only its state): a deletion of content, so Owners and Admins. In a personal workspace, its person.
 */
export function canForgetHistory(role: Role): boolean {
  return canDeleteContent(role);
}

export function canComment(role: Role): boolean {
  return role !== 'viewer';
}

export function canManageMembers(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

export function canManageLinks(role: Role): boolean {
  return canManageMembers(role);
}

export function canTransferOwnership(role: Role): boolean {
  return role === 'owner';
}

export function canDeleteSpace(role: Role): boolean {
  return role === 'owner';
}

/** What a comment change does: write a comment (new, or its author's edit), resolve or reopen a thread, delete a comment. */
export const CommentOps = ['write', 'resolve', 'delete'] as const;
export type CommentOp = (typeof CommentOps)[number];

/**
 * Whether `role` may author a change of `kind`: content and snapshots need Editor, comments
 * Commenter; deleting a comment is open to any member, who may still delete only what
 * canChangeComment allows (their own words, after a demotion too).
 */
export function canPush(role: Role, kind: ChangeKind, op?: CommentOp): boolean {
  if (kind !== 'comment') return canWriteContent(role);
  return op === 'delete' || canComment(role);
}

/**
 * Whether an actor may move a member from `from` to `to` (undefined = not a member).
 * Admins manage everyone except Owners, and cannot make anyone an Owner.
 */
export function canSetRole(actor: Role, from: Role | undefined, to: Role | undefined): boolean {
  if (!canManageMembers(actor)) return false;
  if (actor === 'owner') return true;
  return from !== 'owner' && to !== 'owner';
}

/** Roles an actor may give someone (new or existing, not an Owner already): the canSetRole rule, as a list for pickers. */
export function assignableRoles(actor: Role | undefined | null): Role[] {
  if (!actor) return [];
  return Roles.filter((to) => canSetRole(actor, undefined, to));
}

/**
 * Whether `role` may resolve or reopen a comment thread. Whoever may edit the document (Owner,
 * Admin, Editor) resolves any thread; a Commenter only a thread they started; a Viewer none.
 */
export function canResolveThread(role: Role, startedIt: boolean): boolean {
  if (canWriteContent(role)) return true;
  return role === 'commenter' && startedIt;
}

/** Whether `role` may delete a comment: its author always, an Owner or Admin anyone's. */
export function canDeleteComment(role: Role, wroteIt: boolean): boolean {
  return wroteIt || canDeleteContent(role);
}

/**
 * The comment rule the relay, every client's verification, the API and the CLI apply to one
 * comment change: `wroteIt` says whether the actor wrote that comment (for a resolve: started the
 * thread). A comment is written only by its author (who must be allowed to comment), a thread
 * resolved as canResolveThread says, a comment deleted as canDeleteComment says.
 */
export function canChangeComment(role: Role, op: CommentOp, wroteIt: boolean): boolean {
  if (op === 'write') return wroteIt && canComment(role);
  if (op === 'resolve') return canResolveThread(role, wroteIt);
  return canDeleteComment(role, wroteIt);
}

/** A role as people read it: "Owner", "Commenter". */
export const roleLabels: Readonly<Record<Role, string>> = { owner: 'Owner', admin: 'Admin', editor: 'Editor', commenter: 'Commenter', viewer: 'Viewer' };

/** A role with its article, for sentences: "an Owner", "a Viewer". */
export function roleWithArticle(role: Role): string {
  return `${role === 'owner' || role === 'admin' || role === 'editor' ? 'an' : 'a'} ${roleLabels[role]}`;
}

/** What each role may do, in a few words (member pickers, share dialogs). */
export const roleSummaries: Readonly<Record<Role, string>> = {
  owner: 'everything, including deleting the workspace',
  admin: 'manages members (not Owners) and content',
  editor: 'writes and comments, cannot delete',
  commenter: 'reads and comments',
  viewer: 'reads only',
};

/** What a role allows, as the UI and the use cases ask it; a missing role (removed from the workspace) allows nothing. */
export interface Permissions {
  role: Role | null;
  /** Create and edit documents, upload files. */
  write: boolean;
  comment: boolean;
  /** Delete documents and files. */
  delete: boolean;
  /** Invite, change roles, remove (Owner and Admin). */
  manage: boolean;
  /** Transfer ownership, delete the workspace for everyone. */
  owner: boolean;
}

export function permissionsOfRole(role: Role | undefined | null): Permissions {
  if (!role) return { role: null, write: false, comment: false, delete: false, manage: false, owner: false };
  return {
    role,
    write: canWriteContent(role),
    comment: canComment(role),
    delete: canDeleteContent(role),
    manage: canManageMembers(role),
    owner: canDeleteSpace(role),
  };
}

export function countOwners(members: ReadonlyMap<string, Role>): number {
  let owners = 0;
  for (const role of members.values()) if (role === 'owner') owners++;
  return owners;
}

/** A word with its indefinite article, for a role named in lower case mid-sentence: "an editor", "a viewer". */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}
