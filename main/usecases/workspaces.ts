/** Workspaces: create (personal, or team on a relay), rename, delete, leave. */
import { HearthError } from '../../common/errors.ts';
import { canDeleteSpace, roleWithArticle } from '../../common/roles.ts';
import type { Workspace } from '../vault/workspaces.ts';
import { teamWorkspace, type Unlocked } from './unlocked.ts';

/** A personal workspace, or with `relay` a team workspace there (registering this vault's account first if needed). */
export async function createWorkspace(u: Unlocked, name: string, relay?: string): Promise<Workspace> {
  if (relay) return u.engine.createTeamWorkspace(name, relay);
  return u.vault.workspaces.create({ name });
}

export function renameWorkspace(u: Unlocked, workspaceId: string, name: string): Workspace {
  return u.vault.workspaces.rename(workspaceId, name);
}

/** What deleting a workspace did: a personal one is gone from this device, a team one from the relay and every member. */
export type WorkspaceDeletion = 'this-device' | 'everyone';

/**
 * Deletes a workspace. A personal one goes from this device. A team one goes for everyone: from
 * the relay, with its keys, and from here. Only its Owner may do that; anyone else is refused and
 * told to leave it instead, which takes it off their device and ends their membership at the
 * relay (deleting only the local copy would stay a member there, holding its keys). A team
 * workspace this vault is no longer a member of is only a read-only copy here, so deleting it
 * deletes that copy.
 */
export async function deleteWorkspace(u: Unlocked, workspaceId: string): Promise<WorkspaceDeletion> {
  const workspace = u.vault.workspaces.get(workspaceId);
  if (workspace.kind !== 'team') {
    // Synced between devices: it stops syncing here first; the relay keeps it for the other devices.
    if (u.engine.deviceSync.isOn(workspace.id)) await u.engine.deviceSync.turnOff(workspace.id);
    u.vault.deleteWorkspace(workspace.id);
    return 'this-device';
  }
  const role = u.engine.roleIn(workspace.id);
  if (!role) {
    u.vault.deleteWorkspace(workspace.id);
    return 'this-device';
  }
  if (!canDeleteSpace(role)) {
    throw new HearthError(
      'FORBIDDEN',
      `You are ${roleWithArticle(role)} in ${workspace.name}: only an Owner can delete it for everyone. To take it off this device, leave it instead; it stays with the others.`,
    );
  }
  await u.engine.deleteTeamWorkspace(workspace.id);
  return 'everyone';
}

/** Leaves a team workspace: this account leaves its members at the relay, and the copy here is deleted with its keys. */
export async function leaveWorkspace(u: Unlocked, workspaceId: string): Promise<void> {
  const workspace = teamWorkspace(u, workspaceId);
  await u.engine.leave(workspace.id);
}
