/** The unlocked app: sidebar, the workspace's documents or files, the open document, and dialogs. */
import { useEffect, useState } from 'react';
import { FolderPlus } from 'lucide-react';
import { DocumentList } from '../components/DocumentList.tsx';
import { DocumentPane, NoDocument } from '../components/DocumentPane.tsx';
import { FilesPanel } from '../components/FilesPanel.tsx';
import { NewWorkspaceDialog } from '../components/NameDialog.tsx';
import { SearchDialog } from '../components/SearchDialog.tsx';
import { SettingsDialog } from '../components/SettingsDialog.tsx';
import { Sidebar } from '../components/Sidebar.tsx';
import { useTeamEvents } from '../components/team/SidebarTeam.tsx';
import { isRemoved, RefusedBanner, RemovedBanner, useRefusal } from '../components/team/WorkspaceBanners.tsx';
import { useLibrary } from '../state/library.ts';
import { useUi } from '../state/ui.ts';

export function MainScreen() {
  const { workspaces, selectedWorkspaceId, openDocumentId, view, setView, loadWorkspaces } = useLibrary();
  const { dialog, openDialog } = useUi();
  const [creatingWorkspace, setCreatingWorkspace] = useState(false);
  const workspace = workspaces?.find((w) => w.id === selectedWorkspaceId);
  const refusal = useRefusal();
  useTeamEvents();

  useEffect(() => {
    void loadWorkspaces();
  }, [loadWorkspaces]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        openDialog('search');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openDialog]);

  return (
    <div className="app-shell">
      <Sidebar />
      {workspace ? (
        <main className={isRemoved(workspace) || refusal ? 'workspace with-banner' : 'workspace'}>
          {isRemoved(workspace) ? <RemovedBanner workspace={workspace} /> : null}
          {refusal && !isRemoved(workspace) ? <RefusedBanner {...refusal} /> : null}
          <div className="workspace-column">
            <h1 className="workspace-title truncate">{workspace.name}</h1>
            <div className="segmented" role="group" aria-label="Show">
              <button type="button" aria-pressed={view === 'documents'} onClick={() => setView('documents')}>
                Documents
              </button>
              <button type="button" aria-pressed={view === 'files'} onClick={() => setView('files')}>
                Files
              </button>
            </div>
            {view === 'documents' ? <DocumentList /> : <FilesPanel />}
          </div>
          {openDocumentId ? <DocumentPane key={openDocumentId} documentId={openDocumentId} /> : <NoDocument />}
        </main>
      ) : (
        <main className="workspace workspace-empty">
          {workspaces === null ? (
            <p className="muted">Loading…</p>
          ) : (
            <div className="empty-state">
              <FolderPlus aria-hidden size={40} />
              <h1>Make your first workspace</h1>
              <p className="muted">A workspace holds documents and files. Personal workspaces never leave this device.</p>
              <button type="button" className="button button-primary" onClick={() => setCreatingWorkspace(true)}>
                Create a workspace
              </button>
            </div>
          )}
        </main>
      )}
      {creatingWorkspace ? <NewWorkspaceDialog onClose={() => setCreatingWorkspace(false)} /> : null}
      {dialog === 'search' ? <SearchDialog onClose={() => openDialog(null)} /> : null}
      {dialog === 'settings' ? <SettingsDialog onClose={() => openDialog(null)} /> : null}
    </div>
  );
}
