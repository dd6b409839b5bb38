/**
 * The API's handlers for one connected page, over the session. Arguments arrive already checked
 * by the door's schemas; handlers throw HearthError and the door turns that into a Result.
 */
import * as A from '@automerge/automerge';
import type { ApiHandlers, AuditEntry, DocumentSummary, SearchHit, Workspace } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import { canComment, canDeleteContent, canWriteContent } from '../../common/roles.ts';
import type { Session } from '../app/session.ts';
import * as yourData from '../app/your-data.ts';
import type { SyncEngine } from '../sync/engine.ts';
import { normaliseTags, type DocumentContent } from '../vault/documents.ts';
import type { Vault } from '../vault/vault.ts';

function workspaceView(workspace: Workspace, engine?: SyncEngine): Workspace {
  const view: Workspace = { id: workspace.id, name: workspace.name, kind: workspace.kind, createdAt: workspace.createdAt };
  if (workspace.kind !== 'team') return view;
  if (workspace.relay) view.relay = workspace.relay;
  const role = engine?.roleIn(workspace.id);
  if (role) view.role = role;
  return view;
}

const roleName = (role: string) => `${role[0]!.toUpperCase()}${role.slice(1)}`;

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

  /** Tells the other pages; returns the summary the asking page gets too. */
  const documentChanged = (documentId: string, changes: Uint8Array[]): DocumentSummary => {
    const summary = documentView(vault().documents.summary(documentId));
    if (changes.length > 0) session.emit('documentChanged', { documentId, changes, summary }, connectionId);
    return summary;
  };
  const sync = () => session.requireSync();
  const view = (workspace: Workspace) => workspaceView(workspace, session.sync);
  /** Team workspaces: refuses, naming the role, what this user's role does not allow (the relay and peers refuse it anyway). */
  const allow = (workspaceId: string, kind: 'content' | 'comment' | 'delete') => {
    const engine = session.sync;
    if (!engine) return;
    if (kind !== 'delete') return engine.assertCan(workspaceId, kind);
    engine.assertCan(workspaceId, 'content');
    const role = engine.roleIn(workspaceId);
    if (role && !canDeleteContent(role)) {
      const name = vault().workspaces.get(workspaceId).name;
      throw new HearthError('FORBIDDEN', `You are an ${roleName(role)} in ${name}: only an Owner or Admin can delete there.`);
    }
  };
  /** The same for one document, which may also be a document shared with me alone (its share's role counts). */
  const allowDocument = (documentId: string, kind: 'content' | 'comment' | 'delete') => {
    const workspaceId = vault().documents.workspaceOf(documentId);
    allow(workspaceId, kind);
    const engine = session.sync;
    if (!engine) return;
    // For a team workspace's document this is the workspace role allow() checked; for a document
    // shared with me alone, the role it was shared with.
    const role = engine.documentRole(documentId);
    if (!role) return;
    const allowed = kind === 'content' ? canWriteContent(role) : kind === 'comment' ? canComment(role) : canDeleteContent(role);
    if (!allowed) {
      throw new HearthError('FORBIDDEN', `${vault().workspaces.get(workspaceId).kind === 'team' && engine.roleIn(workspaceId) ? `You are ${roleName(role)} in ${vault().workspaces.get(workspaceId).name}` : `This document was shared with you as ${roleName(role)}`}: ${kind === 'comment' ? 'a Viewer cannot comment' : kind === 'delete' ? 'only its Owner or an Admin can delete it' : `a ${roleName(role)} cannot change its text`}.`);
    }
  };
  const members = (workspaceId: string) => sync().members(workspaceId);
  const teamWorkspace = (workspaceId: string): Workspace => {
    const workspace = workspaceById(vault(), workspaceId);
    if (workspace.kind !== 'team') throw new HearthError('BAD_REQUEST', `${workspace.name} is a personal workspace: it has no members and never leaves this device.`);
    return workspace;
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

    listWorkspaces: () => vault().workspaces.list().map(view),
    createWorkspace: (name) => view(vault().workspaces.create({ name })),
    renameWorkspace: (id, name) => {
      const v = vault();
      workspaceById(v, id);
      return view(v.workspaces.rename(id, name));
    },
    deleteWorkspace: (id) => {
      const v = vault();
      const workspace = workspaceById(v, id);
      if (workspace.kind === 'team') throw new HearthError('BAD_REQUEST', `${workspace.name} is a team workspace: leave it, or as its Owner delete it for everyone.`);
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
      allow(workspaceId, 'content');
      return documentView(session.pageWrite(() => v.documents.create(workspaceId, { title: input.title, ...(input.tags ? { tags: input.tags } : {}) })));
    },
    openDocument: (id) => {
      const v = vault();
      return { summary: documentView(v.documents.summary(id)), bytes: v.documents.save(id) };
    },
    applyChanges: (id, changes) => {
      const v = vault();
      allowDocument(id, 'content');
      session.pageWrite(() => v.documents.appendChanges(id, changes));
      return documentChanged(id, changes);
    },
    updateDocument: (id, change) => {
      const v = vault();
      allowDocument(id, 'content');
      const before = A.getHeads(v.documents.get(id));
      const after = session.pageWrite(() =>
        v.documents.change(id, (doc: DocumentContent) => {
          if (change.title !== undefined) A.updateText(doc, ['title'], change.title.trim());
          if (change.tags !== undefined) {
            const tags = normaliseTags(change.tags);
            doc.tags.splice(0, doc.tags.length, ...tags);
          }
        }),
      );
      // Main made this change, so the asking page's replica needs it too: later changes that build
      // on it (a peer's typing, another window's) could not be applied there without it.
      const made = A.getChanges(A.view(after, before), after);
      const summary = documentView(v.documents.summary(id));
      if (made.length > 0) session.emit('documentChanged', { documentId: id, changes: made, summary });
      return summary;
    },
    deleteDocument: (id) => {
      allowDocument(id, 'delete');
      vault().documents.delete(id);
      return null;
    },

    listComments: (documentId) => vault().comments.list(documentId),
    addComment: (documentId, input) => {
      const v = vault();
      allowDocument(documentId, 'comment');
      v.comments.add(documentId, input);
      return v.comments.list(documentId);
    },
    resolveComment: (threadId, resolved) => {
      const v = vault();
      const { documentId } = v.comments.get(threadId);
      allowDocument(documentId, 'comment');
      v.comments.resolve(threadId, resolved);
      return v.comments.list(documentId);
    },
    deleteComment: (commentId) => {
      const v = vault();
      const { documentId } = v.comments.get(commentId);
      allowDocument(documentId, 'comment');
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
      allow(workspaceId, 'content');
      return { uploadId: await session.beginUpload(connectionId, workspaceId, file) };
    },
    uploadChunk: async (uploadId, bytes) => ({ received: await session.uploadChunk(connectionId, uploadId, bytes) }),
    finishUpload: (uploadId) => session.finishUpload(connectionId, uploadId),
    readFile: (fileId, offset) => session.readFile(connectionId, fileId, offset),
    deleteFile: (id) => {
      allow(vault().files.info(id).workspaceId, 'delete');
      vault().files.delete(id);
      return null;
    },

    search: (query) =>
      vault()
        .search(query)
        .map(({ kind, id, documentId, workspaceId, title, snippet }): SearchHit => ({ kind, id, documentId, workspaceId, title, snippet })),
    auditLog: () => vault().audit.list().map(({ seq, at, actor, action, target }): AuditEntry => ({ seq, at, actor, action, ...(target === undefined ? {} : { target }) })),

    // Your data (main/app/your-data.ts)
    dataFolder: () => yourData.dataFolder(session),
    exportData: (input) => yourData.exportData(session, input),
    importData: (input) => yourData.importData(session, input),
    backup: (input) => yourData.backup(session, input),
    restore: (input) => yourData.restore(session, input),
    wipeDevice: (confirm) => yourData.wipeDevice(session, confirm),
    deleteAccount: (confirm) => yourData.deleteAccount(session, confirm),
    privacyReport: () => yourData.privacyReport(session),
    exportAuditLog: (input) => yourData.exportAuditLog(session, input),

    // Team
    listRelays: () => sync().relays(),
    registerAccount: (relayUrl) => sync().register(relayUrl),
    createTeamWorkspace: async (name, relayUrl) => {
      const workspace = view(await sync().createTeamWorkspace(name, relayUrl));
      session.emit('workspacesChanged', {}, connectionId);
      return workspace;
    },
    describeTeamConversion: (workspaceId) => {
      workspaceById(vault(), workspaceId);
      return sync().describeTeamConversion(workspaceId);
    },
    convertToTeam: async (workspaceId, relayUrl, confirmed) => {
      workspaceById(vault(), workspaceId);
      const workspace = view(await sync().convertToTeam(workspaceId, relayUrl, confirmed));
      session.emit('workspacesChanged', {}, connectionId);
      return workspace;
    },
    listMembers: (workspaceId) => {
      teamWorkspace(workspaceId);
      return members(workspaceId);
    },
    inviteMember: (workspaceId, username, role) => {
      teamWorkspace(workspaceId);
      return sync().invite(workspaceId, username, role);
    },
    setMemberRole: async (workspaceId, username, role) => {
      teamWorkspace(workspaceId);
      await sync().setRole(workspaceId, username, role);
      session.checkRoles();
      return members(workspaceId);
    },
    removeMember: async (workspaceId, username) => {
      teamWorkspace(workspaceId);
      await sync().removeMember(workspaceId, username);
      return members(workspaceId);
    },
    transferOwnership: async (workspaceId, username) => {
      teamWorkspace(workspaceId);
      await sync().transferOwnership(workspaceId, username);
      session.checkRoles();
      return members(workspaceId);
    },
    leaveWorkspace: async (workspaceId) => {
      teamWorkspace(workspaceId);
      await sync().leave(workspaceId);
      session.emit('workspacesChanged', {}, connectionId);
      return null;
    },
    deleteTeamWorkspace: async (workspaceId) => {
      teamWorkspace(workspaceId);
      await sync().deleteTeamWorkspace(workspaceId);
      session.emit('workspacesChanged', {}, connectionId);
      return null;
    },
    listInvitations: () => sync().invitations(),
    acceptInvitation: async (id) => {
      const workspace = view(await sync().acceptInvitation(id));
      session.emit('workspacesChanged', {}, connectionId);
      return workspace;
    },
    syncStatus: () => sync().status(),
    syncWarnings: () => {
      sync();
      return session.syncWarnings();
    },
    pauseSync: (workspaceId) => {
      teamWorkspace(workspaceId);
      sync().pause(workspaceId);
      return sync().status(workspaceId)[0]!;
    },
    resumeSync: (workspaceId) => {
      teamWorkspace(workspaceId);
      sync().resume(workspaceId);
      return sync().status(workspaceId)[0]!;
    },
    describeShare: (documentId, relay) => {
      vault().documents.summary(documentId);
      return sync().describeShare(documentId, relay);
    },
    shareDocument: (documentId, username, role, options) =>
      sync().shareDocument(documentId, username, role, { ...(options.confirmed ? { confirmed: true } : {}), ...(options.relay ? { relay: options.relay } : {}) }),
    unshareDocument: async (documentId, username) => {
      await sync().unshareDocument(documentId, username);
      return sync().documentShares(documentId);
    },
    documentShares: (documentId) => sync().documentShares(documentId),
    createLink: (documentId, options) => sync().createLink(documentId, options.expiresInMs === undefined ? {} : { expiresInMs: options.expiresInMs }),
    listLinks: () => sync().listLinks(),
    revokeLink: async (linkId) => {
      await sync().revokeLink(linkId);
      return null;
    },
    pendingLinkRevocations: () => sync().pendingLinkRevocations(),
    retryLinkRevocations: () => sync().retryLinkRevocations(),
    openLink: (url, options) => sync().openLink(url, options?.otherHost ? { otherHost: true } : {}),
    setPresence: (documentId, selection) => {
      vault().documents.summary(documentId);
      sync().setPresence(documentId, selection);
      return null;
    },
    presence: (documentId) => sync().presence(documentId),
    documentRole: (documentId) => {
      vault().documents.summary(documentId);
      return sync().documentRole(documentId) ?? null;
    },
  };
}
