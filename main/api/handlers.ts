/**
 * The API's handlers for one connected page, over the session. Arguments arrive already checked
 * by the door's schemas; handlers throw HearthError and the door turns that into a Result.
 */
import * as A from '@automerge/automerge';
import type { ApiHandlers, AuditEntry, DocumentSummary, SearchHit, Workspace } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import type { Session } from '../app/session.ts';
import { normaliseTags, type DocumentContent } from '../vault/documents.ts';
import type { Vault } from '../vault/vault.ts';

function workspaceView(workspace: Workspace): Workspace {
  return { id: workspace.id, name: workspace.name, kind: workspace.kind, createdAt: workspace.createdAt };
}

function documentView(summary: DocumentSummary): DocumentSummary {
  return { id: summary.id, workspaceId: summary.workspaceId, title: summary.title, tags: [...summary.tags], createdAt: summary.createdAt, updatedAt: summary.updatedAt };
}

/** Ids only: the vault also resolves workspaces by name, which the page has no business doing. */
function workspaceById(vault: Vault, id: string): Workspace {
  const workspace = vault.workspaces.list().find((w) => w.id === id);
  if (!workspace) throw new HearthError('NOT_FOUND', `No workspace ${id}. It may have been deleted; pick one from the sidebar.`);
  return workspace;
}

/** The handlers for the page connected as `connectionId`; its own changes are not echoed back to it. */
export function createApiHandlers(session: Session, connectionId: number): ApiHandlers {
  const vault = () => session.requireVault();

  const documentChanged = (documentId: string, changes: Uint8Array[]) => {
    if (changes.length > 0) session.emit('documentChanged', { documentId, changes }, connectionId);
  };

  return {
    status: () => ({ state: session.state, profile: session.profile }),
    createVault: (input) => session.createVault(input),
    unlock: (passphrase) => session.unlock(passphrase),
    lock: async () => {
      await session.lock('user');
      return null;
    },
    changePassphrase: async (current, next) => {
      await session.changePassphrase(current, next);
      return null;
    },
    updateProfile: (change) => {
      const { displayName, avatar } = change;
      return vault().updateProfile({
        ...(displayName === undefined ? {} : { displayName }),
        // null removes the avatar; undefined leaves it as it is.
        ...(avatar === undefined ? {} : { avatar: avatar ?? undefined }),
      });
    },
    getSettings: () => session.getSettings(),
    updateSettings: (change) => session.updateSettings(change),

    listWorkspaces: () => vault().workspaces.list().map(workspaceView),
    createWorkspace: (name) => workspaceView(vault().workspaces.create({ name })),
    renameWorkspace: (id, name) => {
      const v = vault();
      workspaceById(v, id);
      return workspaceView(v.workspaces.rename(id, name));
    },
    deleteWorkspace: (id) => {
      const v = vault();
      workspaceById(v, id);
      v.deleteWorkspace(id);
      return null;
    },

    listDocuments: (workspaceId) => {
      const v = vault();
      workspaceById(v, workspaceId);
      return v.documents.list(workspaceId).map(documentView);
    },
    createDocument: (workspaceId, input) => {
      const v = vault();
      workspaceById(v, workspaceId);
      return documentView(v.documents.create(workspaceId, { title: input.title, ...(input.tags ? { tags: input.tags } : {}) }));
    },
    openDocument: (id) => {
      const v = vault();
      return { summary: documentView(v.documents.summary(id)), bytes: v.documents.save(id) };
    },
    applyChanges: (id, changes) => {
      const v = vault();
      v.documents.appendChanges(id, changes);
      documentChanged(id, changes);
      return documentView(v.documents.summary(id));
    },
    updateDocument: (id, change) => {
      const v = vault();
      const before = A.getHeads(v.documents.get(id));
      const after = v.documents.change(id, (doc: DocumentContent) => {
        if (change.title !== undefined) A.updateText(doc, ['title'], change.title.trim());
        if (change.tags !== undefined) {
          const tags = normaliseTags(change.tags);
          doc.tags.splice(0, doc.tags.length, ...tags);
        }
      });
      documentChanged(id, A.getChanges(A.view(after, before), after));
      return documentView(v.documents.summary(id));
    },
    deleteDocument: (id) => {
      vault().documents.delete(id);
      return null;
    },

    listComments: (documentId) => vault().comments.list(documentId),
    addComment: (documentId, input) => {
      const v = vault();
      v.comments.add(documentId, input);
      return v.comments.list(documentId);
    },
    resolveComment: (threadId, resolved) => {
      const v = vault();
      const { documentId } = v.comments.get(threadId);
      v.comments.resolve(threadId, resolved);
      return v.comments.list(documentId);
    },
    deleteComment: (commentId) => {
      const v = vault();
      const { documentId } = v.comments.get(commentId);
      v.comments.delete(commentId);
      return v.comments.list(documentId);
    },

    listFiles: (workspaceId) => {
      const v = vault();
      workspaceById(v, workspaceId);
      return v.files.list(workspaceId);
    },
    beginUpload: async (workspaceId, file) => {
      workspaceById(vault(), workspaceId);
      return { uploadId: await session.beginUpload(connectionId, workspaceId, file) };
    },
    uploadChunk: async (uploadId, bytes) => ({ received: await session.uploadChunk(connectionId, uploadId, bytes) }),
    finishUpload: (uploadId) => session.finishUpload(connectionId, uploadId),
    readFile: (fileId, offset) => session.readFile(connectionId, fileId, offset),
    deleteFile: (id) => {
      vault().files.delete(id);
      return null;
    },

    search: (query) =>
      vault()
        .search(query)
        .map(({ kind, id, documentId, workspaceId, title, snippet }): SearchHit => ({ kind, id, documentId, workspaceId, title, snippet })),
    auditLog: () => vault().audit.list().map(({ seq, at, actor, action, target }): AuditEntry => ({ seq, at, actor, action, ...(target === undefined ? {} : { target }) })),
  };
}
