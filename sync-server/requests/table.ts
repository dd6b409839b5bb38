/**
 * The relay's request table: every request type of the protocol (clientFrames in
 * common/protocol/messages.ts), the role check it declares, and its handler. handleRequest applies
 * the check before the handler runs, so no handler decides on its own who may call it; the
 * request-table test walks this table against common/roles.ts and DESIGN.md's role table.
 */
import type { ClientFrame, ClientFrameType } from '../../common/protocol/messages.ts';
import type { Connection } from '../connection.ts';
import { access, deleteAccount } from './account.ts';
import { getDevices, putDevices, revokeDevice } from './devices.ts';
import { deleteDoc, forgetHistory, presence, pull, push, putSnapshot, subscribe, unsubscribe } from './documents.ts';
import { fileBegin, fileChunk, fileDelete, fileGet, fileStatus } from './files.ts';
import { hello, lookup, register, signIn } from './handshake.ts';
import { setProfile } from './profile.ts';
import { pairAnswer, pairApprove, pairList, pairOffer, pairRead, pairReveal } from './pairing.ts';
import { getRecovery, putRecovery, recoveryAccount } from './recovery.ts';
import { linkCreate, linkRevoke } from './links.ts';
import { appendMembership, createSpace, deleteSpace, getEnvelopes, getMembership, getRemoval, putEnvelopes } from './membership.ts';
import { authorize, type CallerOf, type ChecksFor, type RelayContext, type Request, type RoleCheck, type Send } from './request.ts';

export interface RequestEntry<T extends ClientFrameType> {
  readonly check: RoleCheck;
  /** Completes "A viewer cannot … in this space" when a role check refuses. */
  readonly action: string;
  readonly handle: (request: Request<T>, caller: CallerOf<RoleCheck>) => Promise<void>;
}

function request<T extends ClientFrameType, C extends ChecksFor<T>>(
  check: C,
  handle: (request: Request<T>, caller: CallerOf<C>) => Promise<void>,
  action = '',
): RequestEntry<T> {
  // authorize() hands each handler the caller its own check establishes.
  return { check, action, handle: handle as RequestEntry<T>['handle'] };
}

export const requestTable: { readonly [T in ClientFrameType]: RequestEntry<T> } = {
  hello: request('none', hello),
  register: request('none', register),
  signIn: request('none', signIn),
  // A new device holds no key of the account yet: its pairing id (random, 128 bits) is what lets it in.
  pairOffer: request('none', pairOffer),
  pairRead: request('none', pairRead),
  pairReveal: request('none', pairReveal),
  // The account's own pairings only (the handlers check the pairing's account).
  pairList: request('signedIn', pairList),
  pairAnswer: request('signedIn', pairAnswer),
  pairApprove: request('signedIn', pairApprove),
  // A fresh machine holds only the username and the recovery key: the handler answers only for the account's active recovery key.
  recoveryAccount: request('none', recoveryAccount),
  // The account's own recovery key: the handlers check it is active in the caller's device log.
  putRecovery: request('signedIn', putRecovery),
  getRecovery: request('signedIn', getRecovery),
  lookup: request('signedIn', lookup),
  // The account's own log; every entry must pass common/devices/log.ts against the stored log.
  putDevices: request('signedIn', putDevices),
  // A device log is public to signed-in users, as a profile is: members verify and seal to each other's devices.
  getDevices: request('signedIn', getDevices),
  // The caller's own device, and its own device_revoked entry in each space (checked by the membership rules) with its epoch's keys.
  revokeDevice: request('signedIn', revokeDevice),
  // The space does not exist yet; the genesis entry must make the caller its Owner.
  createSpace: request('signedIn', createSpace),
  appendMembership: request('canSetRole(entry)', appendMembership),
  getMembership: request('canRead', getMembership, 'read'),
  // A former member, by definition no longer holding a role: the handler serves only the log up to its own removal.
  getRemoval: request('signedIn', getRemoval),
  putEnvelopes: request('canManageMembers', putEnvelopes, 'hand out keys'),
  getEnvelopes: request('canRead', getEnvelopes, 'read'),
  deleteSpace: request('canDeleteSpace', deleteSpace, 'delete the space'),
  push: request('canPush(change)', push, 'push'),
  pull: request('canRead', pull, 'read'),
  subscribe: request('canRead', subscribe, 'read'),
  // Stopping to follow a document needs no role: a removed member may do it too.
  unsubscribe: request('signedIn', unsubscribe),
  putSnapshot: request('canWriteContent', putSnapshot, 'write snapshots'),
  deleteDoc: request('canDeleteContent', deleteDoc, 'delete documents'),
  forgetHistory: request('canForgetHistory', forgetHistory, 'forget edit history'),
  fileBegin: request('canWriteContent', fileBegin, 'upload files'),
  fileChunk: request('canWriteContent', fileChunk, 'upload files'),
  fileStatus: request('canRead', fileStatus, 'read'),
  fileGet: request('canRead', fileGet, 'read'),
  fileDelete: request('canDeleteContent', fileDelete, 'delete files'),
  linkCreate: request('canManageLinks', linkCreate, 'create links'),
  linkRevoke: request('canManageLinks', linkRevoke, 'revoke links'),
  presence: request('canRead', presence, 'share presence'),
  access: request('signedIn', access),
  deleteAccount: request('signedIn', deleteAccount),
  // The caller's own profile only (the handler checks the update's account), signed by an active device of it.
  setProfile: request('signedIn', setProfile),
};

/** Runs one validated request: its declared check, then its handler. Refusals throw HearthError. */
export async function handleRequest(relay: RelayContext, connection: Connection, frame: ClientFrame, send: Send): Promise<void> {
  const now = Date.now();
  const entry = requestTable[frame.t] as RequestEntry<ClientFrameType>;
  const caller = await authorize(relay, connection, frame, entry.check, entry.action);
  await entry.handle({ relay, connection, frame, send, now }, caller);
}
