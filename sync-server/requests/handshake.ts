/** The handshake and the directory: hello, register, signIn, lookup. */
import { randomBytes } from 'node:crypto';
import { HearthError } from '../../common/errors.ts';
import { fromBase64Url } from '../../common/crypto/sodium.ts';
import { replayDeviceLog, type DeviceLogState } from '../../common/devices/log.ts';
import { deviceRows } from '../storage/device-logs.ts';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../common/protocol/messages.ts';
import { limitError } from '../refusals.ts';
import type { Request } from './request.ts';

const BAD_SIGNATURE = 'The signature does not match this key, nonce and relay; sign the nonce from this relay with your own key.';

export async function hello({ relay, connection, frame, send, now }: Request<'hello'>): Promise<void> {
  if (frame.protocol < MIN_PROTOCOL_VERSION || frame.protocol > PROTOCOL_VERSION) {
    throw new HearthError(
      'BAD_REQUEST',
      `This relay speaks protocol ${MIN_PROTOCOL_VERSION}–${PROTOCOL_VERSION}, not ${frame.protocol}; update Hearth or the relay.`,
    );
  }
  connection.protocol = frame.protocol;
  const nonce = randomBytes(32).toString('base64url');
  connection.nonce = { value: nonce, expiresAt: now + relay.nonceTtlMs };
  send({ t: 'challenge', rid: frame.rid, protocol: frame.protocol, relayId: relay.relayId, nonce, parts: [] });
}

/** The device log a registration carries, replayed from the account id; the registering device must be an active device of it. */
function registeredDevices(frame: Request<'register'>['frame']): DeviceLogState | undefined {
  if (frame.device === undefined && frame.devices === undefined) return undefined;
  if (frame.device === undefined || frame.devices === undefined)
    throw new HearthError('BAD_REQUEST', `A registration by a device carries both the device and the account's device log.`);
  const log = replayDeviceLog(frame.account, frame.devices);
  const record = log.devices.get(frame.device);
  if (!record || record.kind !== 'device' || record.revokedAt !== undefined)
    throw new HearthError(
      'UNAUTHENTICATED',
      `The registering device is not an active device of this account's device log; register from a device the log names.`,
    );
  return log;
}

export async function register({ relay, connection, frame, send, now }: Request<'register'>): Promise<void> {
  const { hub, limits, store } = relay;
  hub.takeNonce(connection, frame.nonce);
  const devices = registeredDevices(frame);
  if (!(await relay.verifier.verifyAuth('register', relay.relayId, frame.nonce, frame.account, frame.signature, frame.device)))
    throw new HearthError('UNAUTHENTICATED', BAD_SIGNATURE);
  const avatar = frame.parts[0];
  if (avatar && avatar.length > limits.maxAvatarBytes)
    throw limitError('TOO_LARGE', 'maxAvatarBytes', `An avatar is at most ${limits.maxAvatarBytes} bytes; pick a smaller picture.`);
  if (fromBase64Url(frame.boxPublicKey).length !== 32) throw new HearthError('BAD_REQUEST', 'boxPublicKey must be a 32-byte X25519 key.');
  await store.createAccount(
    {
      account: frame.account,
      username: frame.username,
      displayName: frame.displayName,
      boxPublicKey: frame.boxPublicKey,
      avatar: avatar ? avatar.slice() : null,
      createdAt: now,
    },
    devices && deviceRows(frame.devices!, devices),
  );
  relay.log.write('info', 'registered', { caller: relay.log.pseudonym(frame.account) });
  return hub.establish(connection, frame.account, frame.rid, send, frame.device);
}

/**
 * The proof is checked first (on a verification thread, with the device's key when one is named);
 * the account's existence and the device being active are checked by the transaction that opens
 * the session.
 */
export async function signIn({ relay, connection, frame, send }: Request<'signIn'>): Promise<void> {
  relay.hub.takeNonce(connection, frame.nonce);
  if (!(await relay.verifier.verifyAuth('signIn', relay.relayId, frame.nonce, frame.account, frame.signature, frame.device)))
    throw new HearthError('UNAUTHENTICATED', BAD_SIGNATURE);
  await relay.hub.establish(connection, frame.account, frame.rid, send, frame.device);
  relay.log.write('info', 'signed_in', { caller: relay.log.pseudonym(frame.account) });
}

export async function lookup({ relay, frame, send }: Request<'lookup'>): Promise<void> {
  const found = await relay.store.findByUsername(frame.username);
  if (!found) throw new HearthError('NOT_FOUND', `No user is called ${frame.username} on this relay; check the spelling.`);
  send({
    t: 'profile',
    rid: frame.rid,
    account: found.account,
    username: found.username,
    displayName: found.displayName,
    boxPublicKey: found.boxPublicKey,
    parts: found.avatar ? [found.avatar] : [],
  });
}
