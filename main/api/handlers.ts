/**
 * The API's handlers for one connected page, over the session. Arguments arrive already checked
 * by the door's schemas; handlers throw HearthError and the door turns that into a Result. Every
 * change goes through the use cases (main/usecases/), the same ones the CLI calls; what is left
 * here is the page's side of it: workspaces named by id only, views of what the page may see,
 * and telling the other pages.
 */
import type { ApiHandlers, AuditEntry, DocumentSummary, SearchHit, Workspace } from '../../common/api/contract.ts';
import { describeAuditTarget } from '../../common/audit-target.ts';
import { HearthError } from '../../common/errors.ts';
import type { Session } from '../app/session.ts';
import * as recovery from '../app/recovery.ts';
import * as secondFactor from '../app/second-factor.ts';
import { linkThisDevice } from '../app/device-link.ts';
import * as yourData from '../app/your-data.ts';
import type { SyncEngine } from '../sync/engine.ts';
import * as account from '../usecases/account.ts';
import * as comments from '../usecases/comments.ts';
import * as devices from '../usecases/devices.ts';
import * as documents from '../usecases/documents.ts';
import * as files from '../usecases/files.ts';
import * as history from '../usecases/history.ts';
import * as deviceSync from '../usecases/device-sync.ts';
import * as members from '../usecases/members.ts';
import * as syncing from '../usecases/sync.ts';
import { teamWorkspace, type Unlocked } from '../usecases/unlocked.ts';
import * as workspaces from '../usecases/workspaces.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace as VaultWorkspace } from '../vault/workspaces.ts';

function workspaceView(workspace: VaultWorkspace, engine?: SyncEngine): Workspace {
  // A shared document's hidden space record is never listed: to a page it is as unknown as a missing one.
  if (workspace.kind === 'share-space') throw new HearthError('NOT_FOUND', `No workspace ${workspace.id}.`);
  const view: Workspace = { id: workspace.id, name: workspace.name, kind: workspace.kind, createdAt: workspace.createdAt };
  if (workspace.kind === 'personal' && workspace.relay) return { ...view, relay: workspace.relay, syncsDevices: true };
  if (workspace.kind !== 'team') return view;
  if (workspace.relay) view.relay = workspace.relay;
  const role = engine?.roleIn(workspace.id);
  if (role) view.role = role;
  const removal = role || !engine ? undefined : engine.removal(workspace.id);
  if (removal)
    view.removal = {
      by: removal.displayName ?? removal.username ?? `${removal.account.slice(0, 8)}…`,
      ...(removal.username ? { byUsername: removal.username } : {}),
      at: removal.at,
    };
  return view;
}

function documentView(summary: DocumentSummary): DocumentSummary {
  return {
    id: summary.id,
    workspaceId: summary.workspaceId,
    title: summary.title,
    tags: [...summary.tags],
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
  };
}

/** A document's title, or undefined when it is not on this device (any more). */
function documentTitle(vault: Vault, id: string): string | undefined {
  try {
    return vault.documents.summary(id).title;
  } catch {
    return undefined;
  }
}

/** Ids only: the vault also resolves workspaces by name, which the page has no business doing. */
function workspaceById(vault: Vault, id: string): VaultWorkspace {
  const workspace = vault.workspaces.list().find((w) => w.id === id);
  if (!workspace) throw new HearthError('NOT_FOUND', `No workspace ${id}. It may have been deleted; pick one from the sidebar.`);
  return workspace;
}

/** The handlers for the page connected as `connectionId`; its own changes are not echoed back to it. */
export function createApiHandlers(session: Session, connectionId: number): ApiHandlers {
  const vault = () => session.requireVault();
  /** Tells the other pages about a change this page made, with the summary the asking page gets too. */
  const documentChanged = (documentId: string, changes: Uint8Array[]): DocumentSummary => {
    const summary = documentView(vault().documents.summary(documentId));
    if (changes.length > 0) session.emit('documentChanged', { documentId, changes, summary }, connectionId);
    return summary;
  };
  const sync = () => session.requireSync();
  const unlocked = (): Unlocked => ({ vault: vault(), engine: sync() });
  /** The use cases' view, after checking that the page named an existing workspace by its id. */
  const inWorkspace = (workspaceId: string): Unlocked => {
    const u = unlocked();
    workspaceById(u.vault, workspaceId);
    return u;
  };
  const view = (workspace: VaultWorkspace) => workspaceView(workspace, session.sync);
  const workspacesChanged = () => session.emit('workspacesChanged', {}, connectionId);
  /** This page's wait for a new device (answerDevice), to stop when its dialog closes. */
  let answering: AbortController | undefined;

  return {
    status: () => ({ state: session.state, profile: session.profile }),
    createVault: (input) => session.createVault(input),
    unlock: (passphrase, proof) => session.unlock(passphrase, secondFactor.proofOf(proof)),
    unlockMethod: () => session.unlockMethod(),
    unlockWithSecurityKey: (proof) => session.unlockWithSecurityKey(secondFactor.proofOf(proof)),
    lock: async () => {
      await session.lock('user');
      return null;
    },
    changePassphrase: async (current, next) => {
      await session.changePassphrase(current, next);
      return null;
    },
    updateProfile: (change) => account.updateProfile(unlocked(), change),
    profileDelivery: () => account.profileDelivery(unlocked()),
    getSettings: () => session.getSettings(),
    updateSettings: (change) => session.updateSettings(change),
    secondFactor: () => secondFactor.secondFactorStatus(session),
    secondFactorEnrolment: () => secondFactor.secondFactorEnrolment(session),
    enrolSecondFactor: (input) => secondFactor.enrolSecondFactor(session, input),
    removeSecondFactor: (passphrase, proof) => secondFactor.removeSecondFactor(session, passphrase, proof),
    replaceRecoveryCodes: (passphrase, proof) => secondFactor.replaceRecoveryCodes(session, passphrase, proof),

    listWorkspaces: () => vault().workspaces.list().map(view),
    createWorkspace: async (name) => view(await workspaces.createWorkspace(unlocked(), name)),
    renameWorkspace: (id, name) => view(workspaces.renameWorkspace(inWorkspace(id), id, name)),
    deleteWorkspace: async (id) => {
      const workspace = workspaceById(vault(), id);
      // The page deletes a team workspace for everyone only through deleteTeamWorkspace, after saying so.
      if (workspace.kind === 'team')
        throw new HearthError('BAD_REQUEST', `${workspace.name} is a team workspace: leave it, or as its Owner delete it for everyone.`);
      if (workspace.kind === 'shared-with-me')
        throw new HearthError('BAD_REQUEST', `${workspace.name} holds documents others shared with you; each leaves it when its sharer ends the share.`);
      await workspaces.deleteWorkspace(unlocked(), id);
      return null;
    },

    listDocuments: (workspaceId) => {
      const v = vault();
      workspaceById(v, workspaceId);
      return v.documents.list(workspaceId).map(documentView);
    },
    createDocument: (workspaceId, input) => {
      const u = inWorkspace(workspaceId);
      return documentView(
        session.pageWrite(connectionId, () => documents.createDocument(u, workspaceId, { title: input.title, ...(input.tags ? { tags: input.tags } : {}) })),
      );
    },
    openDocument: (id) => {
      const v = vault();
      return { summary: documentView(v.documents.summary(id)), bytes: v.documents.save(id), actor: v.documents.newActor() };
    },
    applyChanges: (id, changes) => {
      session.pageWrite(connectionId, () => documents.applyChanges(unlocked(), id, changes));
      return documentChanged(id, changes);
    },
    updateDocument: (id, change) => {
      const u = unlocked();
      const made = session.pageWrite(connectionId, () => documents.changeDocument(u, id, change)).changes;
      // Main made this change, so the asking page's replica needs it too: later changes that build
      // on it (a peer's typing, another window's) could not be applied there without it.
      const summary = documentView(u.vault.documents.summary(id));
      if (made.length > 0) session.emit('documentChanged', { documentId: id, changes: made, summary });
      return summary;
    },
    deleteDocument: async (id) => {
      await documents.deleteDocument(unlocked(), id);
      return null;
    },

    documentHistory: (id) => history.documentHistory(unlocked(), id),
    previewVersion: (id, versionId) => history.previewVersion(unlocked(), id, versionId),
    restoreVersion: (id, versionId) => {
      const u = unlocked();
      const made = session.pageWrite(connectionId, () => history.restoreVersion(u, id, versionId)).changes;
      // As updateDocument: main made the change, so every page's replica needs it, the asking one too.
      const summary = documentView(u.vault.documents.summary(id));
      if (made.length > 0) session.emit('documentChanged', { documentId: id, changes: made, summary });
      return summary;
    },
    // Every page (this one too) hears documentReplaced from the vault's replaced event and reopens the document.
    forgetHistory: (id) => history.forgetHistory(unlocked(), id),

    listComments: (documentId) => vault().comments.list(documentId),
    addComment: (documentId, input) => {
      const u = unlocked();
      session.pageWrite(connectionId, () => comments.addComment(u, documentId, input));
      return u.vault.comments.list(documentId);
    },
    resolveComment: (threadId, resolved) => {
      const u = unlocked();
      return u.vault.comments.list(session.pageWrite(connectionId, () => comments.resolveThread(u, threadId, resolved)));
    },
    deleteComment: (commentId) => {
      const u = unlocked();
      return u.vault.comments.list(session.pageWrite(connectionId, () => comments.deleteComment(u, commentId)));
    },

    listFiles: (workspaceId) => {
      const v = vault();
      workspaceById(v, workspaceId);
      return v.files.list(workspaceId);
    },
    beginUpload: async (workspaceId, file) => {
      files.checkCanAttach(inWorkspace(workspaceId), workspaceId);
      return { uploadId: await session.beginUpload(connectionId, workspaceId, file) };
    },
    uploadChunk: async (uploadId, bytes) => ({ received: await session.uploadChunk(connectionId, uploadId, bytes) }),
    finishUpload: (uploadId) => session.finishUpload(connectionId, uploadId),
    readFile: (fileId, offset) => session.readFile(connectionId, fileId, offset),
    deleteFile: async (id) => {
      await files.deleteFile(unlocked(), id);
      return null;
    },

    search: (query) =>
      vault()
        .search(query)
        .map(({ kind, id, documentId, workspaceId, title, snippet }): SearchHit => ({ kind, id, documentId, workspaceId, title, snippet })),
    auditLog: () => {
      const v = vault();
      const spaces = yourData.spaceNames(v);
      const spaceName = (id: string) => {
        const space = spaces.get(id);
        return space && (space.document ? `“${space.name}”` : space.name);
      };
      const names = { workspace: spaceName, document: (id: string) => documentTitle(v, id) };
      return v.audit.list().map(({ seq, at, actor, action, target }): AuditEntry => {
        const about = describeAuditTarget(action, target, names);
        return { seq, at, actor, action, ...(target === undefined ? {} : { target }), ...(about === undefined ? {} : { about }) };
      });
    },

    // Your data (main/app/your-data.ts)
    dataFolder: () => yourData.dataFolder(session),
    exportData: (input) => yourData.exportData(session, input),
    importData: (input) => yourData.importData(session, input),
    backup: (input) => yourData.backup(session, input),
    restore: (input) => yourData.restore(session, input),
    restoreBeside: (input) => yourData.restoreBeside(session, input),
    recoveryKeyState: () => recovery.recoveryKeyState(unlocked()),
    makeRecoveryKey: (proof) => recovery.makeRecoveryKey(unlocked(), secondFactor.proofOf(proof)),
    recoverAccount: (input) => recovery.recoverOnFirstRun(session, input),
    localCopies: () => session.localCopies(),
    wipeDevice: (confirm, options) => yourData.wipeDevice(session, confirm, options?.eraseCopies),
    describeAccountDeletion: () => account.describeAccountDeletion(unlocked()),
    deleteAccount: (confirm, options) =>
      yourData.deleteAccount(session, confirm, {
        ...(options?.skipRelays ? { skipRelays: options.skipRelays } : {}),
        ...(options?.secondFactor ? { secondFactor: secondFactor.proofOf(options.secondFactor) } : {}),
        ...(options?.eraseCopies ? { eraseCopies: options.eraseCopies } : {}),
      }),
    privacyReport: () => yourData.privacyReport(session),
    setRetention: async (workspaceId, retention) => ({ forgotten: (await history.setRetention(inWorkspace(workspaceId), workspaceId, retention)).forgotten }),
    exportAuditLog: (input) => yourData.exportAuditLog(session, input),

    // Team
    listRelays: () => sync().relays(),
    registerAccount: (relayUrl) => account.registerAccount(unlocked(), relayUrl),
    createTeamWorkspace: async (name, relayUrl) => {
      const workspace = view(await workspaces.createWorkspace(unlocked(), name, relayUrl));
      workspacesChanged();
      return workspace;
    },
    describeTeamConversion: (workspaceId) => {
      workspaceById(vault(), workspaceId);
      return sync().describeTeamConversion(workspaceId);
    },
    convertToTeam: async (workspaceId, relayUrl, confirmed) => {
      workspaceById(vault(), workspaceId);
      const workspace = view(await sync().convertToTeam(workspaceId, relayUrl, confirmed));
      workspacesChanged();
      return workspace;
    },
    listMembers: (workspaceId) => members.listMembers(inWorkspace(workspaceId), workspaceId),
    inviteMember: (workspaceId, username, role) => members.inviteMember(inWorkspace(workspaceId), workspaceId, username, role),
    setMemberRole: async (workspaceId, username, role) => {
      const u = inWorkspace(workspaceId);
      await members.setMemberRole(u, workspaceId, username, role);
      session.checkRoles();
      return members.listMembers(u, workspaceId);
    },
    removeMember: async (workspaceId, username) => {
      const u = inWorkspace(workspaceId);
      await members.removeMember(u, workspaceId, username);
      return members.listMembers(u, workspaceId);
    },
    transferOwnership: async (workspaceId, username) => {
      const u = inWorkspace(workspaceId);
      await members.transferOwnership(u, workspaceId, username);
      session.checkRoles();
      return members.listMembers(u, workspaceId);
    },
    leaveWorkspace: async (workspaceId) => {
      await workspaces.leaveWorkspace(inWorkspace(workspaceId), workspaceId);
      workspacesChanged();
      return null;
    },
    describeDeviceSync: (workspaceId, relayUrl) => deviceSync.describeDeviceSync(inWorkspace(workspaceId), workspaceId, relayUrl ?? undefined),
    turnDeviceSyncOn: async (workspaceId, relayUrl, confirmed) => {
      const workspace = view(await deviceSync.turnDeviceSyncOn(inWorkspace(workspaceId), workspaceId, relayUrl, confirmed));
      workspacesChanged();
      return workspace;
    },
    turnDeviceSyncOff: async (workspaceId, { deleteFromRelay }) => {
      const stopped = await deviceSync.turnDeviceSyncOff(inWorkspace(workspaceId), workspaceId, deleteFromRelay);
      workspacesChanged();
      return stopped;
    },
    deleteTeamWorkspace: async (workspaceId) => {
      const u = inWorkspace(workspaceId);
      teamWorkspace(u, workspaceId);
      await workspaces.deleteWorkspace(u, workspaceId);
      workspacesChanged();
      return null;
    },
    listInvitations: () => sync().invitations(),
    acceptInvitation: async (id) => {
      const workspace = view(await sync().acceptInvitation(id));
      workspacesChanged();
      return workspace;
    },
    syncStatus: () => sync().status(),
    syncWarnings: () => {
      sync();
      return session.syncWarnings();
    },
    pauseSync: (workspaceId) => syncing.pauseSync(inWorkspace(workspaceId), workspaceId),
    resumeSync: (workspaceId) => syncing.resumeSync(inWorkspace(workspaceId), workspaceId),
    describeShare: (documentId, relay, keepHistory) => {
      vault().documents.summary(documentId);
      return sync().describeShare(documentId, relay ?? undefined, keepHistory === true);
    },
    shareDocument: (documentId, username, role, options) =>
      sync().shareDocument(documentId, username, role, {
        ...(options.confirmed ? { confirmed: true } : {}),
        ...(options.relay ? { relay: options.relay } : {}),
        ...(options.keepHistory ? { keepHistory: true } : {}),
      }),
    unshareDocument: async (documentId, username) => {
      await sync().unshareDocument(documentId, username);
      return sync().documentShares(documentId);
    },
    documentShares: (documentId) => sync().documentShares(documentId),
    createLink: (documentId, options) =>
      sync().createLink(documentId, {
        ...(options.expiresInMs === undefined ? {} : { expiresInMs: options.expiresInMs }),
        ...(options.includeImages ? { includeImages: true } : {}),
      }),
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

    // Devices: the same use cases as `hearth device …`.
    listDevices: () => devices.devicesLastSeen(unlocked()),
    answerDevice: (options) => {
      answering?.abort();
      answering = new AbortController();
      return devices.answerDevice(unlocked(), options.pairing, { signal: answering.signal });
    },
    stopAnsweringDevice: () => {
      answering?.abort();
      answering = undefined;
      return null;
    },
    approveDevice: (code, pairing) => devices.approveDevice(unlocked(), code, pairing),
    declineDevice: async (pairing) => {
      await devices.declineDevice(unlocked(), pairing);
      return null;
    },
    revokeDevice: (device, options) => devices.revokeDevice(unlocked(), device, secondFactor.proofOf(options.secondFactor)),
    linkDevice: async (request) => {
      const linked = await linkThisDevice(session, request, (code) => session.emit('deviceLinkCode', { code }));
      workspacesChanged();
      return linked;
    },
  };
}
