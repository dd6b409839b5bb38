/**
 * Members of a team workspace: list, invite, change a role, remove, hand over ownership. The
 * engine checks each against the shared role rules (and the relay and the other members check
 * them again); this layer adds that a personal workspace has no members at all.
 */
import { HearthError } from '../../common/errors.ts';
import type { Role } from '../../common/roles.ts';
import type { Member } from '../sync/engine.ts';
import { teamWorkspace, type Unlocked } from './unlocked.ts';

export function listMembers(u: Unlocked, workspaceId: string): Promise<Member[]> {
  return u.engine.members(teamWorkspace(u, workspaceId).id);
}

export function inviteMember(u: Unlocked, workspaceId: string, username: string, role: Role): Promise<Member> {
  return u.engine.invite(teamWorkspace(u, workspaceId).id, username, role);
}

/**
 * Gives a member another role. Not Owner: making a member the Owner is handing ownership over
 * (transferOwnership), as the app's "Make Owner" does, so that no door quietly adds a co-Owner.
 */
export async function setMemberRole(u: Unlocked, workspaceId: string, username: string, role: Role): Promise<void> {
  const workspace = teamWorkspace(u, workspaceId);
  if (role === 'owner') {
    throw new HearthError(
      'BAD_REQUEST',
      `To make ${username} the Owner of ${workspace.name}, transfer ownership to them (Make Owner, or \`hearth member transfer\`); you stay on as Admin. Nothing was changed.`,
    );
  }
  await u.engine.setRole(workspace.id, username, role);
}

/** Removes a member and starts a new key epoch in the same step, so they read nothing written afterwards. */
export async function removeMember(u: Unlocked, workspaceId: string, username: string): Promise<void> {
  await u.engine.removeMember(teamWorkspace(u, workspaceId).id, username);
}

/** Makes another member the Owner; this vault's account, the Owner until now, stays on as Admin. */
export async function transferOwnership(u: Unlocked, workspaceId: string, username: string): Promise<void> {
  await u.engine.transferOwnership(teamWorkspace(u, workspaceId).id, username);
}
