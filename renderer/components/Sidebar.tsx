/** The sidebar: workspaces (create, rename, delete), search, settings, lock. */
import { useState } from 'react';
import { Folder, FolderPlus, Lock, Search, Settings } from 'lucide-react';
import type { Workspace } from '../../common/api/contract.ts';
import { useLibrary } from '../state/library.ts';
import { useSession } from '../state/session.ts';
import { useUi } from '../state/ui.ts';
import { Avatar } from './Avatar.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { ItemMenu } from './ItemMenu.tsx';
import { NameDialog } from './NameDialog.tsx';
import { shortcutLabel } from '../editor/commands.ts';

type Editing = { kind: 'create' } | { kind: 'rename'; workspace: Workspace } | { kind: 'delete'; workspace: Workspace } | null;

export function Sidebar() {
  const { workspaces, selectedWorkspaceId, selectWorkspace, createWorkspace, renameWorkspace, deleteWorkspace, workspacesProblem } = useLibrary();
  const profile = useSession((s) => s.profile);
  const lock = useSession((s) => s.lock);
  const openDialog = useUi((s) => s.openDialog);
  const notify = useUi((s) => s.notify);
  const [editing, setEditing] = useState<Editing>(null);

  return (
    <nav className="sidebar" aria-label="Workspaces and app">
      <div className="sidebar-top">
        <span className="brand">Hearth</span>
        <button type="button" className="search-button" onClick={() => openDialog('search')} aria-keyshortcuts="Control+K Meta+K">
          <Search aria-hidden size={16} />
          <span>Search</span>
          <kbd>{shortcutLabel('Mod-k')}</kbd>
        </button>
      </div>
      <div className="sidebar-section-header">
        <h2 id="workspaces-heading">Workspaces</h2>
        <button type="button" className="icon-button" aria-label="New workspace" onClick={() => setEditing({ kind: 'create' })}>
          <FolderPlus aria-hidden size={16} />
        </button>
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
              <Folder aria-hidden size={16} />
              <span className="truncate">{workspace.name}</span>
            </button>
            <ItemMenu
              label={`Actions for workspace ${workspace.name}`}
              actions={[
                { label: 'Rename…', onSelect: () => setEditing({ kind: 'rename', workspace }) },
                { label: 'Delete…', danger: true, onSelect: () => setEditing({ kind: 'delete', workspace }) },
              ]}
            />
          </li>
        ))}
      </ul>
      <div className="sidebar-bottom">
        {profile ? (
          <div className="sidebar-profile">
            <Avatar name={profile.displayName} src={profile.avatar} />
            <span className="truncate">{profile.displayName}</span>
          </div>
        ) : null}
        <button type="button" className="icon-button" aria-label="Settings" onClick={() => openDialog('settings')}>
          <Settings aria-hidden size={18} />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label="Lock Hearth"
          onClick={() => void lock().catch((error: unknown) => notify(`Hearth could not lock: ${String(error)}`))}
        >
          <Lock aria-hidden size={18} />
        </button>
      </div>

      {editing?.kind === 'create' ? (
        <NameDialog
          title="New workspace"
          label="Workspace name"
          submitLabel="Create workspace"
          onSubmit={async (name) => {
            await createWorkspace(name);
          }}
          onClose={() => setEditing(null)}
        />
      ) : null}
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
