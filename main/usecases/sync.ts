/** Sync of one team workspace, or of a personal one synced between devices: pause (nothing is sent or received; edits wait in the outbox) and resume. Kept in the vault, so it holds for the app and the CLI alike. */
import type { SyncStatus } from '../../common/api/contract.ts';
import type { Workspace } from '../vault/workspaces.ts';
import { teamWorkspace, type Unlocked } from './unlocked.ts';

/** The workspace if it syncs: a team one, or a personal one with "Sync between my devices" on. */
function syncedWorkspace(u: Unlocked, workspaceId: string): Workspace {
  if (u.engine.deviceSync.isOn(workspaceId)) return u.vault.workspaces.get(workspaceId);
  return teamWorkspace(u, workspaceId);
}

export function pauseSync(u: Unlocked, workspaceId: string): SyncStatus {
  const { id } = syncedWorkspace(u, workspaceId);
  u.engine.pause(id);
  return u.engine.status(id)[0]!;
}

export function resumeSync(u: Unlocked, workspaceId: string): SyncStatus {
  const { id } = syncedWorkspace(u, workspaceId);
  u.engine.resume(id);
  return u.engine.status(id)[0]!;
}
