/**
 * The preload: exposes the API contract to the page as `window.hearth`, and nothing else. Each
 * method is written out so `satisfies HearthApi` checks the whole contract at compile time; the
 * page never sees a channel name or ipcRenderer. Arguments cross by structured clone, and main
 * validates them at its door.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { ApiArgs, ApiEvent, ApiEvents, ApiMethod, ApiResults, HearthApi } from '../common/api/contract.ts';
import type { Result } from '../common/errors.ts';

// Literal copies of common/api/wire.ts's constants: a sandboxed preload is one file, and these
// two strings are the only thing it would import from there.
const IPC_CALL_CHANNEL = 'hearth:call';
const IPC_EVENT_CHANNEL = 'hearth:event';

const call = <M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<Result<ApiResults[M]>> =>
  (ipcRenderer.invoke(IPC_CALL_CHANNEL, method, args) as Promise<Result<ApiResults[M]>>).catch((error: unknown) => ({
    ok: false as const,
    error: {
      code: 'UNAVAILABLE' as const,
      message: `Hearth's main process did not answer (${error instanceof Error ? error.message : 'no reply'}). Restart Hearth.`,
    },
  }));

const listeners = new Map<ApiEvent, Set<(payload: unknown) => void>>();
ipcRenderer.on(IPC_EVENT_CHANNEL, (_event, name: ApiEvent, payload: unknown) => {
  for (const listener of listeners.get(name) ?? []) listener(payload);
});

const hearth = {
  status: (...args) => call('status', args),
  createVault: (...args) => call('createVault', args),
  unlock: (...args) => call('unlock', args),
  unlockMethod: (...args) => call('unlockMethod', args),
  unlockWithSecurityKey: (...args) => call('unlockWithSecurityKey', args),
  lock: (...args) => call('lock', args),
  changePassphrase: (...args) => call('changePassphrase', args),
  updateProfile: (...args) => call('updateProfile', args),
  profileDelivery: (...args) => call('profileDelivery', args),
  getSettings: (...args) => call('getSettings', args),
  updateSettings: (...args) => call('updateSettings', args),
  secondFactor: (...args) => call('secondFactor', args),
  secondFactorEnrolment: (...args) => call('secondFactorEnrolment', args),
  enrolSecondFactor: (...args) => call('enrolSecondFactor', args),
  removeSecondFactor: (...args) => call('removeSecondFactor', args),
  replaceRecoveryCodes: (...args) => call('replaceRecoveryCodes', args),
  listWorkspaces: (...args) => call('listWorkspaces', args),
  createWorkspace: (...args) => call('createWorkspace', args),
  renameWorkspace: (...args) => call('renameWorkspace', args),
  deleteWorkspace: (...args) => call('deleteWorkspace', args),
  listDocuments: (...args) => call('listDocuments', args),
  createDocument: (...args) => call('createDocument', args),
  openDocument: (...args) => call('openDocument', args),
  applyChanges: (...args) => call('applyChanges', args),
  updateDocument: (...args) => call('updateDocument', args),
  deleteDocument: (...args) => call('deleteDocument', args),
  documentHistory: (...args) => call('documentHistory', args),
  previewVersion: (...args) => call('previewVersion', args),
  restoreVersion: (...args) => call('restoreVersion', args),
  forgetHistory: (...args) => call('forgetHistory', args),
  setRetention: (...args) => call('setRetention', args),
  listComments: (...args) => call('listComments', args),
  addComment: (...args) => call('addComment', args),
  resolveComment: (...args) => call('resolveComment', args),
  deleteComment: (...args) => call('deleteComment', args),
  listFiles: (...args) => call('listFiles', args),
  beginUpload: (...args) => call('beginUpload', args),
  uploadChunk: (...args) => call('uploadChunk', args),
  finishUpload: (...args) => call('finishUpload', args),
  readFile: (...args) => call('readFile', args),
  deleteFile: (...args) => call('deleteFile', args),
  search: (...args) => call('search', args),
  auditLog: (...args) => call('auditLog', args),
  // Your data
  dataFolder: (...args) => call('dataFolder', args),
  exportData: (...args) => call('exportData', args),
  importData: (...args) => call('importData', args),
  backup: (...args) => call('backup', args),
  restore: (...args) => call('restore', args),
  restoreBeside: (...args) => call('restoreBeside', args),
  recoveryKeyState: (...args) => call('recoveryKeyState', args),
  makeRecoveryKey: (...args) => call('makeRecoveryKey', args),
  recoverAccount: (...args) => call('recoverAccount', args),
  localCopies: (...args) => call('localCopies', args),
  wipeDevice: (...args) => call('wipeDevice', args),
  describeAccountDeletion: (...args) => call('describeAccountDeletion', args),
  deleteAccount: (...args) => call('deleteAccount', args),
  privacyReport: (...args) => call('privacyReport', args),
  exportAuditLog: (...args) => call('exportAuditLog', args),
  // Team
  listRelays: (...args) => call('listRelays', args),
  registerAccount: (...args) => call('registerAccount', args),
  createTeamWorkspace: (...args) => call('createTeamWorkspace', args),
  describeTeamConversion: (...args) => call('describeTeamConversion', args),
  convertToTeam: (...args) => call('convertToTeam', args),
  listMembers: (...args) => call('listMembers', args),
  inviteMember: (...args) => call('inviteMember', args),
  setMemberRole: (...args) => call('setMemberRole', args),
  removeMember: (...args) => call('removeMember', args),
  transferOwnership: (...args) => call('transferOwnership', args),
  leaveWorkspace: (...args) => call('leaveWorkspace', args),
  deleteTeamWorkspace: (...args) => call('deleteTeamWorkspace', args),
  describeDeviceSync: (...args) => call('describeDeviceSync', args),
  turnDeviceSyncOn: (...args) => call('turnDeviceSyncOn', args),
  turnDeviceSyncOff: (...args) => call('turnDeviceSyncOff', args),
  listInvitations: (...args) => call('listInvitations', args),
  acceptInvitation: (...args) => call('acceptInvitation', args),
  syncStatus: (...args) => call('syncStatus', args),
  syncWarnings: (...args) => call('syncWarnings', args),
  pauseSync: (...args) => call('pauseSync', args),
  resumeSync: (...args) => call('resumeSync', args),
  describeShare: (...args) => call('describeShare', args),
  shareDocument: (...args) => call('shareDocument', args),
  unshareDocument: (...args) => call('unshareDocument', args),
  documentShares: (...args) => call('documentShares', args),
  createLink: (...args) => call('createLink', args),
  listLinks: (...args) => call('listLinks', args),
  revokeLink: (...args) => call('revokeLink', args),
  pendingLinkRevocations: (...args) => call('pendingLinkRevocations', args),
  retryLinkRevocations: (...args) => call('retryLinkRevocations', args),
  openLink: (...args) => call('openLink', args),
  setPresence: (...args) => call('setPresence', args),
  presence: (...args) => call('presence', args),
  documentRole: (...args) => call('documentRole', args),
  listDevices: (...args) => call('listDevices', args),
  answerDevice: (...args) => call('answerDevice', args),
  stopAnsweringDevice: (...args) => call('stopAnsweringDevice', args),
  approveDevice: (...args) => call('approveDevice', args),
  declineDevice: (...args) => call('declineDevice', args),
  revokeDevice: (...args) => call('revokeDevice', args),
  linkDevice: (...args) => call('linkDevice', args),
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    const wrapped = (payload: unknown) => listener(payload as ApiEvents[E]);
    set.add(wrapped);
    return () => void set.delete(wrapped);
  },
} satisfies HearthApi;

contextBridge.exposeInMainWorld('hearth', hearth);
