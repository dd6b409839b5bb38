/** The documents of the selected workspace: title, updated time, tags; create, rename, tag, delete. */
import { useEffect, useState } from 'react';
import { FilePlus, FileText } from 'lucide-react';
import type { DocumentSummary, WorkspaceKind } from '../../common/api/contract.ts';
import { countOf } from '../../common/wording.ts';
import { useLibrary } from '../state/library.ts';
import { useUi } from '../state/ui.ts';
import { call, hearth, messageOf } from '../state/api.ts';
import { permissionsOf } from '../state/team.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { formatExact, formatWhen } from './format.ts';
import { ItemMenu } from './ItemMenu.tsx';
import { NameDialog } from './NameDialog.tsx';
import { parseTags } from './TagEditor.tsx';

type Editing = { kind: 'rename' | 'tags' | 'delete'; document: DocumentSummary } | null;

export const untitled = 'Untitled';

/**
 * What deleting a document really does, for its confirmation: a team workspace's goes from every
 * member's device, one shared on its own from the devices of the people it is shared with (an open
 * app too); both end its public links. `others`: how many people besides me it is shared with.
 */
export function deletionWording(kind: WorkspaceKind | undefined, others: number): string {
  const links = ' Its public links stop working. This cannot be undone.';
  if (kind === 'team')
    return `The document and its comments are erased for good: from this device, from the relay, and from every member’s device as their app syncs.${links}`;
  if (others > 0)
    return `The document and its comments are erased for good: from this device, from the relay, and from the devices of the ${countOf(others, 'person', 'people')} you shared it with, as their app syncs.${links}`;
  return 'The document and its comments are erased from this device for good. This cannot be undone.';
}

/** The deletion's wording for one document, once who it is shared with is known. */
function useDeletionWording(document: DocumentSummary | null, kind: WorkspaceKind | undefined): string | null {
  const [others, setOthers] = useState<number | null>(null);
  useEffect(() => {
    setOthers(null);
    if (!document) return;
    let cancelled = false;
    call(hearth().documentShares(document.id)).then(
      (people) => !cancelled && setOthers(Math.max(0, people.length - 1)),
      () => !cancelled && setOthers(0),
    );
    return () => {
      cancelled = true;
    };
  }, [document]);
  return document && others !== null ? deletionWording(kind, others) : null;
}

export function DocumentList() {
  const {
    documents: all,
    documentsProblem,
    openDocumentId,
    openDocument,
    createDocument,
    updateDocument,
    deleteDocument,
    tagFilter,
    filterByTag,
  } = useLibrary();
  const documents = tagFilter && all ? all.filter((d) => d.tags.includes(tagFilter)) : all;
  const tags = [...new Set(all?.flatMap((d) => d.tags) ?? [])].sort((a, b) => a.localeCompare(b));
  const notify = useUi((s) => s.notify);
  const [editing, setEditing] = useState<Editing>(null);
  const [creating, setCreating] = useState(false);
  const workspace = useLibrary((s) => s.workspaces?.find((w) => w.id === s.selectedWorkspaceId));
  const permissions = permissionsOf(workspace);
  const deleting = useDeletionWording(editing?.kind === 'delete' ? editing.document : null, workspace?.kind);

  const create = async () => {
    setCreating(true);
    try {
      await createDocument('');
    } catch (error) {
      notify(`The document was not created: ${messageOf(error)}`);
    } finally {
      setCreating(false);
    }
  };

  return (
    <section className="document-list" aria-labelledby="documents-heading">
      <div className="column-header">
        <h2 id="documents-heading" className="visually-hidden">
          Documents
        </h2>
        {permissions.write ? (
          <button type="button" className="button button-primary" onClick={() => void create()} disabled={creating}>
            <FilePlus aria-hidden size={16} /> New document
          </button>
        ) : null}
      </div>
      {tags.length > 0 ? (
        <div className="tag-filters" role="group" aria-label="Show documents tagged">
          {tags.map((tag) => (
            <button
              key={tag}
              type="button"
              className="tag tag-filter"
              aria-pressed={tag === tagFilter}
              onClick={() => filterByTag(tag === tagFilter ? null : tag)}
            >
              {tag}
            </button>
          ))}
          {tagFilter ? (
            <button type="button" className="button button-quiet button-small" onClick={() => filterByTag(null)}>
              Show all
            </button>
          ) : null}
        </div>
      ) : null}
      {documentsProblem ? (
        <p role="alert" className="form-error column-note">
          {documentsProblem}
        </p>
      ) : null}
      {documents === null ? <p className="muted column-note">Loading documents…</p> : null}
      {tagFilter && documents?.length === 0 ? <p className="muted column-note">No document here is tagged “{tagFilter}”.</p> : null}
      {all?.length === 0 && !documentsProblem ? (
        <div className="empty-state">
          <FileText aria-hidden size={32} />
          <p>No documents here yet.</p>
          {permissions.write ? <p className="muted">Choose “New document” to start writing.</p> : null}
        </div>
      ) : null}
      <ul className="documents" aria-labelledby="documents-heading">
        {documents?.map((document) => (
          <li key={document.id} className={document.id === openDocumentId ? 'document-item selected' : 'document-item'}>
            <button
              type="button"
              className="document-button"
              aria-current={document.id === openDocumentId ? 'true' : undefined}
              onClick={() => openDocument(document.id)}
            >
              <span className={document.title ? 'document-title truncate' : 'document-title truncate muted'}>{document.title || untitled}</span>
              <span className="document-meta">
                <time dateTime={new Date(document.updatedAt).toISOString()} title={formatExact(document.updatedAt)}>
                  {formatWhen(document.updatedAt)}
                </time>
                {document.tags.length > 0 ? (
                  <span className="tags" aria-label="Tags">
                    {document.tags.map((tag) => (
                      <span key={tag} className="tag">
                        {tag}
                      </span>
                    ))}
                  </span>
                ) : null}
              </span>
            </button>
            {permissions.write ? (
              <ItemMenu
                label={`Actions for ${document.title || untitled}`}
                actions={[
                  { label: 'Rename…', onSelect: () => setEditing({ kind: 'rename', document }) },
                  { label: 'Edit tags…', onSelect: () => setEditing({ kind: 'tags', document }) },
                  ...(permissions.delete ? [{ label: 'Delete…', danger: true, onSelect: () => setEditing({ kind: 'delete', document }) }] : []),
                ]}
              />
            ) : null}
          </li>
        ))}
      </ul>

      {editing?.kind === 'rename' ? (
        <NameDialog
          title="Rename document"
          label="Title"
          initial={editing.document.title}
          maxLength={500}
          submitLabel="Rename"
          onSubmit={(title) => updateDocument(editing.document.id, { title })}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {editing?.kind === 'tags' ? (
        <NameDialog
          title="Edit tags"
          label="Tags, separated by commas"
          initial={editing.document.tags.join(', ')}
          submitLabel="Save tags"
          maxLength={2000}
          onSubmit={(text) => updateDocument(editing.document.id, { tags: parseTags(text) })}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {editing?.kind === 'delete' && deleting ? (
        <ConfirmDialog
          title={`Delete “${editing.document.title || untitled}”?`}
          description={deleting}
          confirmLabel="Delete document"
          onConfirm={() => deleteDocument(editing.document.id)}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </section>
  );
}
