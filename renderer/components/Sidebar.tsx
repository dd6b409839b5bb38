/** The sidebar: workspaces (create, rename, delete), search, settings, lock. */
import { useState } from 'react';
import { Folder, FolderPlus, Link2, Lock, Search, Settings, Users } from 'lucide-react';
import type { Workspace } from '../../common/api/contract.ts';
import { useLibrary } from '../state/library.ts';
import { useSession } from '../state/session.ts';
import { useUi } from '../state/ui.ts';
import { Avatar } from './Avatar.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { ItemMenu } from './ItemMenu.tsx';
import { NameDialog, NewWorkspaceDialog } from './NameDialog.tsx';
import { shortcutLabel } from '../editor/commands.ts';
import { call, hearth } from '../state/api.ts';
import { isSharedHolder, permissionsOf, useTeam } from '../state/team.ts';
import { MembersDialog } from './team/MembersDialog.tsx';
import { InvitationsSection, TeamStatusLine, WarningsButton } from './team/SidebarTeam.tsx';
import { ConvertToTeamDialog, CreateTeamWorkspaceDialog } from './team/TeamDialogs.tsx';
import { DeviceSyncOffDialog, DeviceSyncOnDialog } from './team/DeviceSyncDialogs.tsx';
import { isRemoved, RemoveCopyDialog } from './team/WorkspaceBanners.tsx';
import { OpenLinkDialog } from './team/OpenLinkDialog.tsx';
import { RecoveryKeyPrompt } from './settings/RecoveryKey.tsx';

type Editing =
  | { kind: 'create' | 'create-team' | 'open-link' }
  | { kind: 'rename' | 'delete' | 'convert' | 'members' | 'leave' | 'delete-team' | 'remove-copy' | 'sync-on' | 'sync-off'; workspace: Workspace }
  | null;

export function Sidebar() {
  const { workspaces, selectedWorkspaceId, selectWorkspace, renameWorkspace, deleteWorkspace, workspacesProblem } = useLibrary();
  const profile = useSession((s) => s.profile);
  const lock = useSession((s) => s.lock);
  const openDialog = useUi((s) => s.openDialog);
  const notify = useUi((s) => s.notify);
  const [editing, setEditing] = useState<Editing>(null);
  const statuses = useTeam((s) => s.statuses);
  const setPaused = useTeam((s) => s.setPaused);
  const actionsFor = (workspace: Workspace) => {
    if (isSharedHolder(workspace)) return [{ label: 'Rename on this device…', onSelect: () => setEditing({ kind: 'rename', workspace }) }];
    if (workspace.kind !== 'team') {
      return [
        { label: 'Rename…', onSelect: () => setEditing({ kind: 'rename', workspace }) },
        workspace.syncsDevices
          ? { label: 'Stop syncing between my devices…', onSelect: () => setEditing({ kind: 'sync-off', workspace }) }
          : { label: 'Sync between my devices…', onSelect: () => setEditing({ kind: 'sync-on', workspace }) },
        ...(workspace.syncsDevices ? [] : [{ label: 'Share with a team…', onSelect: () => setEditing({ kind: 'convert', workspace }) }]),
        { label: 'Delete…', danger: true, onSelect: () => setEditing({ kind: 'delete', workspace }) },
      ];
    }
    // Removed: nothing is left to manage or sync, only the copy here.
    if (isRemoved(workspace)) {
      return [
        { label: 'Rename on this device…', onSelect: () => setEditing({ kind: 'rename', workspace }) },
        { label: 'Remove from this device…', danger: true, onSelect: () => setEditing({ kind: 'remove-copy', workspace }) },
      ];
    }
    const permissions = permissionsOf(workspace);
    const paused = statuses[workspace.id]?.state === 'paused';
    return [
      { label: 'Members…', onSelect: () => setEditing({ kind: 'members', workspace }) },
      paused
        ? { label: 'Resume sync', onSelect: () => void setPaused(workspace, false) }
        : { label: 'Pause sync', onSelect: () => void setPaused(workspace, true) },
      { label: 'Rename on this device…', onSelect: () => setEditing({ kind: 'rename', workspace }) },
      { label: 'Leave workspace…', danger: true, onSelect: () => setEditing({ kind: 'leave', workspace }) },
      ...(permissions.owner ? [{ label: 'Delete for everyone…', danger: true, onSelect: () => setEditing({ kind: 'delete-team', workspace }) }] : []),
    ];
  };

  return (
    <nav className="sidebar" aria-label="Workspaces and app">
      <div className="sidebar-top">
        <div className="sidebar-brand-row">
          <span className="brand">Hearth</span>
          <span className="sidebar-app-actions">
            <button
              type="button"
              className="icon-button"
              aria-label="Open a public link"
              title="Open a public link…"
              onClick={() => setEditing({ kind: 'open-link' })}
            >
              <Link2 aria-hidden size={18} />
            </button>
            <button type="button" className="icon-button" aria-label="Settings" title="Settings" onClick={() => openDialog('settings')}>
              <Settings aria-hidden size={18} />
            </button>
            <button
              type="button"
              className="icon-button"
              aria-label="Lock Hearth"
              title="Lock Hearth"
              onClick={() => void lock().catch((error: unknown) => notify(`Hearth could not lock: ${String(error)}`))}
            >
              <Lock aria-hidden size={18} />
            </button>
          </span>
        </div>
        <button type="button" className="search-button" onClick={() => openDialog('search')} aria-keyshortcuts="Control+K Meta+K">
          <Search aria-hidden size={16} />
          <span>Search</span>
          <kbd>{shortcutLabel('Mod-k')}</kbd>
        </button>
      </div>
      <div className="sidebar-section-header">
        <h2 id="workspaces-heading">Workspaces</h2>
        <span className="sidebar-header-actions">
          <button
            type="button"
            className="icon-button"
            aria-label="New team workspace"
            title="New team workspace"
            onClick={() => setEditing({ kind: 'create-team' })}
          >
            <Users aria-hidden size={16} />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label="New workspace"
            title="New personal workspace"
            onClick={() => setEditing({ kind: 'create' })}
          >
            <FolderPlus aria-hidden size={16} />
          </button>
        </span>
      </div>
      {workspacesProblem ? (
        <p role="alert" className="form-error sidebar-note">
          {workspacesProblem}
        </p>
      ) : null}
      {workspaces === null && !workspacesProblem ? <p className="muted sidebar-note">Loading workspaces…</p> : null}
      {workspaces?.length === 0 ? <p className="muted sidebar-note">No workspaces yet. Create one to start writing.</p> : null}
      <ul className="workspace-list" aria-labelledby="workspaces-heading">
        {workspaces?.map((workspace) => (
          <li key={workspace.id} className={workspace.id === selectedWorkspaceId ? 'workspace-item selected' : 'workspace-item'}>
            <button
              type="button"
              className="workspace-button"
              aria-current={workspace.id === selectedWorkspaceId ? 'true' : undefined}
              onClick={() => void selectWorkspace(workspace.id)}
            >
              {workspace.kind === 'personal' ? <Folder aria-hidden size={16} /> : <Users aria-hidden size={16} />}
              <span className="workspace-label">
                <span className="truncate">{workspace.name}</span>
                {workspace.kind === 'team' && !isSharedHolder(workspace) ? <TeamStatusLine workspace={workspace} /> : null}
                {isSharedHolder(workspace) ? <span className="workspace-sub">Documents shared with you</span> : null}
                {workspace.syncsDevices ? <span className="workspace-sub">Syncs between your devices</span> : null}
              </span>
            </button>
            {workspace.kind === 'team' ? <WarningsButton workspace={workspace} /> : null}
            <ItemMenu label={`Actions for workspace ${workspace.name}`} actions={actionsFor(workspace)} />
          </li>
        ))}
      </ul>
      <InvitationsSection />
      {/* The account reaches a relay with its first team workspace: then it is time to write down a recovery key. */}
      <RecoveryKeyPrompt watch={workspaces} />
      {/* The person's own name has the whole width: it is how they know whose Hearth this is. */}
      {profile ? (
        <div className="sidebar-bottom sidebar-profile">
          <Avatar name={profile.displayName} src={profile.avatar} />
          <span className="sidebar-profile-name">
            <span>{profile.displayName}</span>
            <span className="muted">@{profile.username}</span>
          </span>
        </div>
      ) : null}

      {editing?.kind === 'create' ? <NewWorkspaceDialog onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'rename' ? (
        <NameDialog
          title="Rename workspace"
          label="Workspace name"
          initial={editing.workspace.name}
          submitLabel="Rename"
          onSubmit={(name) => renameWorkspace(editing.workspace.id, name)}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {editing?.kind === 'create-team' ? <CreateTeamWorkspaceDialog onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'open-link' ? <OpenLinkDialog onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'convert' ? <ConvertToTeamDialog workspace={editing.workspace} onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'sync-on' ? <DeviceSyncOnDialog workspace={editing.workspace} onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'sync-off' ? <DeviceSyncOffDialog workspace={editing.workspace} onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'members' ? <MembersDialog workspace={editing.workspace} onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'remove-copy' ? <RemoveCopyDialog workspace={editing.workspace} onClose={() => setEditing(null)} /> : null}
      {editing?.kind === 'leave' ? (
        <ConfirmDialog
          title={`Leave “${editing.workspace.name}”?`}
          description="You stop being a member, and this workspace with its documents, comments and keys is erased from this device. The other members keep it. To come back, someone must invite you again."
          confirmLabel="Leave workspace"
          onConfirm={async () => {
            await call(hearth().leaveWorkspace(editing.workspace.id));
            await useLibrary.getState().loadWorkspaces();
          }}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {editing?.kind === 'delete-team' ? (
        <ConfirmDialog
          title={`Delete “${editing.workspace.name}” for everyone?`}
          description="The workspace is deleted on the relay and here; no member can sync it any more. Copies already on other members’ devices stay there. This cannot be undone."
          confirmLabel="Delete for everyone"
          onConfirm={async () => {
            await call(hearth().deleteTeamWorkspace(editing.workspace.id));
            await useLibrary.getState().loadWorkspaces();
          }}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {editing?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete “${editing.workspace.name}”?`}
          description="Every document, comment and file in this workspace is erased from this device for good. This cannot be undone."
          confirmLabel="Delete workspace"
          onConfirm={() => deleteWorkspace(editing.workspace.id)}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </nav>
  );
}
