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

/** Whether `role` may author a change of `kind`: content and snapshots need Editor, comments Commenter. */
export function canPush(role: Role, kind: ChangeKind): boolean {
  return kind === 'comment' ? canComment(role) : canWriteContent(role);
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

export function countOwners(members: ReadonlyMap<string, Role>): number {
  let owners = 0;
  for (const role of members.values()) if (role === 'owner') owners++;
  return owners;
}

/** A role as people read it in a sentence's middle: "Owner", "Commenter". */
export function roleTitle(role: Role): string {
  return `${role[0]!.toUpperCase()}${role.slice(1)}`;
}

/** The word with its indefinite article: "an Editor", "a Viewer", "a commenter". */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}
