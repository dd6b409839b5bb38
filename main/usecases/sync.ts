/** Sync of one team workspace: pause (nothing is sent or received; edits wait in the outbox) and resume. Kept in the vault, so it holds for the app and the CLI alike. */
import type { SyncStatus } from '../../common/api/contract.ts';
import { teamWorkspace, type Unlocked } from './unlocked.ts';

export function pauseSync(u: Unlocked, workspaceId: string): SyncStatus {
  const { id } = teamWorkspace(u, workspaceId);
  u.engine.pause(id);
  return u.engine.status(id)[0]!;
}

export function resumeSync(u: Unlocked, workspaceId: string): SyncStatus {
  const { id } = teamWorkspace(u, workspaceId);
  u.engine.resume(id);
  return u.engine.status(id)[0]!;
}
