/**
 * Team workspaces in the page: sync status per workspace, verification warnings, open
 * invitations, and what the user's role in a workspace allows (the UI shows only that; main, the
 * relay and the other members refuse the rest anyway). The role rules themselves are
 * common/roles.ts's, the same ones main and the relay apply.
 */
import { create } from 'zustand';
import type { PresenceEntry, SyncStatus, SyncWarning, TeamInvitation, Workspace } from '../../common/api/contract.ts';
import { permissionsOfRole, type Permissions } from '../../common/roles.ts';
import { call, hearth, messageOf } from './api.ts';
import { useUi } from './ui.ts';

interface TeamState {
  statuses: Record<string, SyncStatus>;
  warnings: SyncWarning[];
  invitations: TeamInvitation[];
  invitationsProblem: string | null;
  relays: string[];
  /** Who else is in each document now (from the presence event). */
  presence: Record<string, PresenceEntry[]>;
  load(): Promise<void>;
  presenceChanged(documentId: string, entries: PresenceEntry[]): void;
  loadInvitations(): Promise<void>;
  statusChanged(status: SyncStatus): void;
  /** Pauses or resumes a workspace's sync; a refusal becomes a notice naming the workspace. */
  setPaused(workspace: Workspace, paused: boolean): Promise<void>;
  warned(warning: SyncWarning): void;
  dismissWarnings(workspaceId: string): void;
  reset(): void;
}

export const useTeam = create<TeamState>()((set, get) => ({
  statuses: {},
  warnings: [],
  invitations: [],
  invitationsProblem: null,
  relays: [],
  presence: {},

  presenceChanged(documentId, entries) {
    set({ presence: { ...get().presence, [documentId]: entries } });
  },

  async load() {
    try {
      const [statuses, warnings, relays] = await Promise.all([call(hearth().syncStatus()), call(hearth().syncWarnings()), call(hearth().listRelays())]);
      set({ statuses: Object.fromEntries(statuses.map((s) => [s.workspaceId, s])), warnings, relays: relays.map((r) => r.url) });
    } catch {
      // Locked meanwhile; the next unlock loads again.
    }
    if (get().relays.length > 0) await get().loadInvitations();
  },

  async loadInvitations() {
    try {
      const [invitations, relays] = await Promise.all([call(hearth().listInvitations()), call(hearth().listRelays())]);
      set({ invitations, invitationsProblem: null, relays: relays.map((r) => r.url) });
    } catch (error) {
      set({ invitationsProblem: `Invitations could not be checked: ${messageOf(error)}` });
    }
  },

  statusChanged(status) {
    set({ statuses: { ...get().statuses, [status.workspaceId]: status } });
  },

  async setPaused(workspace, paused) {
    try {
      get().statusChanged(await call(paused ? hearth().pauseSync(workspace.id) : hearth().resumeSync(workspace.id)));
    } catch (error) {
      useUi.getState().notify(`Sync of ${workspace.name} could not be ${paused ? 'paused' : 'resumed'}: ${messageOf(error)}`);
    }
  },

  warned(warning) {
    set({ warnings: [...get().warnings, warning].slice(-100) });
  },

  dismissWarnings(workspaceId) {
    set({ warnings: get().warnings.filter((w) => w.workspaceId !== workspaceId) });
  },

  reset() {
    set({ statuses: {}, warnings: [], invitations: [], invitationsProblem: null, relays: [], presence: {} });
  },
}));

/** Everything in a personal workspace (it is the user's own; members and ownership do not apply there). */
const everything: Permissions = { role: null, write: true, comment: true, delete: true, manage: false, owner: false };

/** What the user may do in a workspace: everything in a personal one; by role in a team one (nothing once removed). */
export function permissionsOf(workspace: Workspace | undefined): Permissions {
  // "Shared with me": each document's own share role decides (documentRole); nothing new is made there.
  if (isSharedHolder(workspace)) return { ...permissionsOfRole(null), comment: true };
  if (!workspace || workspace.kind !== 'team') return everything;
  return permissionsOfRole(workspace.role);
}

/** The local workspace that holds documents shared with me alone ("Shared with me"). */
export function isSharedHolder(workspace: Workspace | undefined): boolean {
  return workspace?.kind === 'shared-with-me';
}

/** A sync status in a few words for the sidebar. */
export function statusText(status: SyncStatus | undefined): string {
  if (!status) return 'Not synced yet';
  switch (status.state) {
    case 'synced':
      return 'Synced';
    case 'syncing':
      if (status.progress) return `Syncing ${status.progress.done} of ${status.progress.total} documents`;
      if (status.transfer)
        return `${status.transfer.direction === 'up' ? 'Uploading' : 'Downloading'} ${status.transfer.name}: ${Math.floor((100 * status.transfer.done) / Math.max(1, status.transfer.total))}%`;
      return status.pending > 0 ? `Syncing ${status.pending} change${status.pending === 1 ? '' : 's'}` : 'Syncing';
    case 'offline':
      return 'Offline';
    case 'paused':
      return 'Paused';
    case 'error':
      return 'Sync error';
  }
}
