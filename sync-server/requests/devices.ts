/**
 * Device logs: putDevices (the signed-in account's own log grows), getDevices (anyone's log, to
 * verify and seal to its devices), and revokeDevice (a revocation with the new key epoch of every
 * space the account is in, stored in one step).
 */
import { HearthError } from '../../common/errors.ts';
import { emptyDeviceLog, extendDeviceLog, replayDeviceLog } from '../../common/devices/log.ts';
import { applyMembershipEntry } from '../../common/membership/log.ts';
import { forbid } from '../refusals.ts';
import { deviceRows } from '../storage/device-logs.ts';
import { checkRotation } from './membership.ts';
import { ok, type Request, type SignedIn } from './request.ts';

/**
 * Appends entries to the caller's device log after checking them against the whole stored log
 * (the first upload of an account registered before devices existed starts at its create entry).
 * Revoking a device of an account that is a member of any space goes through revokeDevice, which
 * starts the spaces' new key epochs in the same step.
 */
export async function putDevices({ relay, frame, send }: Request<'putDevices'>, { account }: SignedIn): Promise<void> {
  const { store, hub } = relay;
  const stored = await store.getDeviceLog(account);
  const before = stored.length > 0 ? replayDeviceLog(account, stored) : emptyDeviceLog(account);
  const after = extendDeviceLog(before, frame.entries);
  const revoked = frame.entries.filter((e) => e.action === 'revoke').map((e) => e.device);
  if (revoked.length > 0 && (await store.accessReport(account))?.spaces.length) {
    throw new HearthError(
      'BAD_REQUEST',
      'This account is a member of spaces here: revoke the device with revokeDevice, which starts their new key epochs in the same step.',
    );
  }
  await store.appendDevices(account, before.nextSeq, deviceRows(frame.entries, after));
  relay.log.write('info', 'devices', { added: frame.entries.length - revoked.length, revoked: revoked.length });
  send(ok(frame.rid, { seq: after.nextSeq - 1 }));
  hub.closeDevices(account, revoked);
}

export async function getDevices({ relay, frame, send }: Request<'getDevices'>): Promise<void> {
  const entries = await relay.store.getDeviceLog(frame.account, frame.since);
  send({ t: 'devices', rid: frame.rid, account: frame.account, entries, parts: [] });
}

/**
 * Revokes one of the caller's devices: the revoke entry must pass the device-log rules against the
 * stored log, and each space's device_revoked entry the membership rules, with its new key epoch
 * signed by the account; the store keeps all of it or nothing, and refuses a revocation that
 * leaves out a space the account is in, or a device of a member (CONFLICT). The revoked device's
 * connections close at once, on every instance.
 */
export async function revokeDevice({ relay, connection, frame, send }: Request<'revokeDevice'>, { account, device }: SignedIn): Promise<void> {
  const { store, hub } = relay;
  if (frame.entry.action !== 'revoke')
    throw new HearthError('BAD_REQUEST', 'revokeDevice carries a revoke entry of the device log; add devices with putDevices.');
  if (device === undefined) forbid('Only a device of the account can revoke another; sign in as one.');
  const stored = await store.getDeviceLog(account);
  if (stored.length === 0) throw new HearthError('NOT_FOUND', 'This account has no device log on this relay; there is no device to revoke.');
  const before = replayDeviceLog(account, stored);
  const after = extendDeviceLog(before, [frame.entry]);
  let part = 0;
  const rotations = [];
  for (const rotation of frame.spaces) {
    if (rotation.entry.space !== rotation.space) throw new HearthError('BAD_REQUEST', 'A device_revoked entry names another space than its rotation.');
    if (rotation.entry.action !== 'device_revoked' || rotation.entry.actor !== account)
      forbid('A revocation carries your own device_revoked entry for each space.');
    const state = await store.getMembershipState(rotation.space);
    if (!state) throw new HearthError('NOT_FOUND', `There is no space ${rotation.space} on this relay.`);
    const parts = frame.parts.slice(part, part + rotation.recipients.length);
    part += rotation.recipients.length;
    rotations.push({
      before: state,
      entry: rotation.entry,
      after: applyMembershipEntry(state, rotation.entry),
      rotation: checkRotation(rotation, parts, account),
    });
  }
  await store.revokeDevice(account, before.nextSeq, deviceRows([frame.entry], after), rotations);
  for (const { before: state } of rotations) hub.forgetSpace(state.space, false);
  for (const { before: state } of rotations) hub.notifyMembership(state.space, [], connection).catch(() => undefined);
  relay.log.write('info', 'device_revoked', { spaces: rotations.length });
  send(ok(frame.rid, { seq: after.nextSeq - 1 }));
  hub.closeDevices(account, [frame.entry.device]);
}
