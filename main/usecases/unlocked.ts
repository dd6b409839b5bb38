/**
 * The use cases: what a person can do with Hearth, with its checks, once for both doors. The
 * page's API handlers (main/api/handlers.ts) and the `hearth` CLI (main/cli/) make every change
 * through these, so both refuse the same things with the same codes; a parity suite
 * (test/integration/parity-*.test.ts) holds them to it. Where one public SyncEngine method already
 * is the whole use case, checks included (sharing one document, public links, invitations, a sync
 * round), both doors call that method. The doors keep what differs between them: how arguments
 * arrive (the page names a workspace by id, a script also by name), how results are shown, and
 * who hears about a change.
 */
import { HearthError } from '../../common/errors.ts';
import { roleWithArticle, type Role } from '../../common/roles.ts';
import type { SyncEngine } from '../sync/engine.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';

/** An unlocked vault with the sync engine over it: what every use case works on. */
export interface Unlocked {
  vault: Vault;
  engine: SyncEngine;
}

/** The team workspace `workspaceId`, or BAD_REQUEST for a personal one (it has no members and no relay). */
export function teamWorkspace(u: Unlocked, workspaceId: string): Workspace {
  const workspace = u.vault.workspaces.get(workspaceId);
  if (workspace.kind === 'shared-with-me')
    throw new HearthError('BAD_REQUEST', `${workspace.name} holds documents shared with you one by one; each has its own people (see the document's sharing).`);
  if (workspace.kind !== 'team')
    throw new HearthError(
      'BAD_REQUEST',
      workspace.relay
        ? `${workspace.name} is a personal workspace: it syncs only between your own devices and has no other members.`
        : `${workspace.name} is a personal workspace: it has no members and never leaves this device.`,
    );
  return workspace;
}

/** The vault if `confirm` is its username exactly as shown (same capitals); else BAD_REQUEST and nothing changes. */
export function checkUsername(vault: Vault, confirm: string, nothingWas: string): Vault {
  const username = vault.profile.username;
  if (confirm !== username) {
    throw new HearthError(
      'BAD_REQUEST',
      `"${confirm}" is not your username; nothing was ${nothingWas}. Type ${username} exactly as shown, with the same capitals.`,
    );
  }
  return vault;
}

/** Whose rules govern changes to a document: the role, and how to name where it holds ("You are a Viewer in Team"). */
export interface GoverningRole {
  role: Role;
  /** "You are an Editor in Team", or "This document was shared with you as a Commenter". */
  standing: string;
}

/**
 * The role that governs changes to a document: its team workspace's role, or the role it was
 * shared with this vault with; undefined where no role applies (a personal workspace, whose
 * owner may do anything). FORBIDDEN once the membership ended: the copy here is read-only.
 */
export function governingRole(u: Unlocked, documentId: string): GoverningRole | undefined {
  const workspace = u.vault.workspaces.get(u.vault.documents.workspaceOf(documentId));
  const role = u.engine.documentRole(documentId);
  const sharedAlone = workspace.kind === 'shared-with-me';
  if (role)
    return {
      role,
      standing: sharedAlone ? `This document was shared with you as ${roleWithArticle(role)}` : `You are ${roleWithArticle(role)} in ${workspace.name}`,
    };
  if (workspace.kind === 'personal') return undefined;
  throw new HearthError(
    'FORBIDDEN',
    sharedAlone
      ? 'This document is no longer shared with you; the copy here is read-only.'
      : `You are no longer a member of ${workspace.name}; its documents are read-only here.`,
  );
}
