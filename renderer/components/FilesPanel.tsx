/** The workspace's files: attach by picker or drag and drop (with progress), list, save a copy, delete. */
import { useEffect, useState, type DragEvent } from 'react';
import { Download, Paperclip, Trash2, Upload as UploadIcon } from 'lucide-react';
import type { FileInfo } from '../../common/api/contract.ts';
import { useFiles } from '../state/files.ts';
import { useLibrary } from '../state/library.ts';
import { messageOf } from '../state/api.ts';
import { permissionsOf } from '../state/team.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { formatExact, formatSize, formatWhen } from './format.ts';
import { FormError } from './Field.tsx';

export function FilesPanel() {
  const workspaceId = useLibrary((s) => s.selectedWorkspaceId);
  const { files, problem, uploads, load, upload, dismissUpload } = useFiles();
  const [dragging, setDragging] = useState(false);
  const [deleting, setDeleting] = useState<FileInfo | null>(null);
  const remove = useFiles((s) => s.remove);
  const permissions = permissionsOf(useLibrary((s) => s.workspaces?.find((w) => w.id === workspaceId)));

  useEffect(() => {
    if (workspaceId) void load(workspaceId);
  }, [workspaceId, load]);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = [...event.dataTransfer.files];
    if (dropped.length > 0) void upload(dropped);
  };

  return (
    <section
      className={dragging ? 'files-panel dragging' : 'files-panel'}
      aria-labelledby="files-heading"
      onDragOver={(e) => {
        if ([...e.dataTransfer.types].includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <div className="column-header">
        <h2 id="files-heading" className="visually-hidden">
          Files
        </h2>
        <label className="button button-primary">
          <Paperclip aria-hidden size={16} /> Attach files
          <input
            type="file"
            multiple
            className="visually-hidden"
            onChange={(e) => {
              const picked = [...(e.target.files ?? [])];
              e.target.value = '';
              if (picked.length > 0) void upload(picked);
            }}
          />
        </label>
      </div>
      <p className="drop-hint muted">
        <UploadIcon aria-hidden size={16} /> Or drop files here. They are encrypted before they are stored.
      </p>
      {uploads.length > 0 ? (
        <ul className="uploads" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.key} className="upload">
              <span className="truncate">{u.name}</span>
              {u.problem ? (
                <>
                  <span role="alert" className="form-error">
                    Not attached: {u.problem}
                  </span>
                  <button type="button" className="button button-quiet" onClick={() => dismissUpload(u.key)}>
                    Dismiss
                  </button>
                </>
              ) : (
                <progress max={Math.max(u.size, 1)} value={u.sent} aria-label={`Uploading ${u.name}`} />
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? (
        <p role="alert" className="form-error column-note">
          {problem}
        </p>
      ) : null}
      {files === null ? <p className="muted column-note">Loading files…</p> : null}
      {files?.length === 0 && uploads.length === 0 ? (
        <div className="empty-state">
          <Paperclip aria-hidden size={32} />
          <p>No files in this workspace yet.</p>
        </div>
      ) : null}
      <ul className="files" aria-label="Files">
        {files?.map((file) => (
          <FileRow key={file.id} file={file} onDelete={permissions.delete ? () => setDeleting(file) : null} />
        ))}
      </ul>
      {deleting ? (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          description="The file is erased from this device for good. This cannot be undone."
          confirmLabel="Delete file"
          onConfirm={() => remove(deleting.id)}
          onClose={() => setDeleting(null)}
        />
      ) : null}
    </section>
  );
}

function FileRow({ file, onDelete }: { file: FileInfo; onDelete: (() => void) | null }) {
  const read = useFiles((s) => s.read);
  const [received, setReceived] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const saveCopy = async () => {
    setProblem(null);
    setReceived(0);
    try {
      const blob = await read(file, setReceived);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = file.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      setProblem(`The copy was not saved: ${messageOf(error)}`);
    } finally {
      setReceived(null);
    }
  };
  return (
    <li className="file">
      <div className="file-main">
        <span className="file-name truncate">{file.name}</span>
        <span className="muted file-meta">
          {formatSize(file.size)} ·{' '}
          <time dateTime={new Date(file.createdAt).toISOString()} title={formatExact(file.createdAt)}>
            {formatWhen(file.createdAt)}
          </time>
        </span>
        {received !== null ? <progress max={Math.max(file.size, 1)} value={received} aria-label={`Reading ${file.name}`} /> : null}
        <FormError problem={problem} />
      </div>
      <button type="button" className="icon-button" aria-label={`Save a copy of ${file.name}`} onClick={() => void saveCopy()} disabled={received !== null}>
        <Download aria-hidden size={16} />
      </button>
      {onDelete ? (
        <button type="button" className="icon-button" aria-label={`Delete ${file.name}`} onClick={onDelete}>
          <Trash2 aria-hidden size={16} />
        </button>
      ) : null}
    </li>
  );
}
