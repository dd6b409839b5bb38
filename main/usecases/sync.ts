/** Sync of one team workspace, or of a personal one synced between devices: pause (nothing is sent or received; edits wait in the outbox) and resume. Kept in the vault, so it holds for the app and the CLI alike. */
import type { SyncStatus } from '../../common/api/contract.ts';
import type { SyncReport } from '../sync/engine.ts';
import type { Workspace } from '../vault/workspaces.ts';
import { applyRetention } from './history.ts';
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

/**
 * One sync round, as `hearth sync` runs it: every change sent and received (of one workspace, or
 * of all), then what the app also runs while it is open, each workspace's "Keep edit history"
 * applied, so edits older than it allows are erased here, at the relay and at every member.
 */
export async function syncRound(u: Unlocked, workspaceIdOrName?: string): Promise<SyncReport & { forgotten: string[] }> {
  const report = await u.engine.syncOnce(workspaceIdOrName);
  const workspaces = workspaceIdOrName === undefined ? undefined : [u.vault.workspaces.find(workspaceIdOrName).workspace.id];
  return { ...report, forgotten: await applyRetention(u, workspaces) };
}
