/** Device logs: putDevices (the signed-in account's own log grows) and getDevices (anyone's log, to verify and seal to its devices). */
import { HearthError } from '../../common/errors.ts';
import { emptyDeviceLog, extendDeviceLog, replayDeviceLog } from '../../common/devices/log.ts';
import { deviceRows } from '../storage/device-logs.ts';
import { ok, type Request, type SignedIn } from './request.ts';

/**
 * Appends entries to the caller's device log after checking them against the whole stored log
 * (the first upload of an account registered before devices existed starts at its create entry).
 * Revoking a device of an account that is a member of any space goes through revokeDevice, which
 * starts the spaces' new key epochs in the same step.
 */
export async function putDevices({ relay, connection, frame, send }: Request<'putDevices'>, { account }: SignedIn): Promise<void> {
  const { store, hub } = relay;
  const stored = await store.getDeviceLog(account);
  const before = stored.length > 0 ? replayDeviceLog(account, stored) : emptyDeviceLog(account);
  const after = extendDeviceLog(before, frame.entries);
  const revoked = frame.entries.filter((e) => e.action === 'revoke').map((e) => e.device);
  if (revoked.length > 0 && (await store.accessReport(account))?.spaces.length) {
    throw new HearthError('BAD_REQUEST', 'This account is a member of spaces here: revoke the device with revokeDevice, which starts their new key epochs in the same step.');
  }
  await store.appendDevices(account, before.nextSeq, deviceRows(frame.entries, after));
  relay.log.write('info', 'devices', { connection: connection.id, added: frame.entries.length - revoked.length, revoked: revoked.length });
  send(ok(frame.rid, { seq: after.nextSeq - 1 }));
  hub.closeDevices(account, revoked);
}

export async function getDevices({ relay, frame, send }: Request<'getDevices'>): Promise<void> {
  const entries = await relay.store.getDeviceLog(frame.account, frame.since);
  send({ t: 'devices', rid: frame.rid, account: frame.account, entries, parts: [] });
}
