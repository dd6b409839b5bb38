/**
 * The recovery key's requests (common/devices/recovery-key.ts): a fresh machine that knows only a
 * username and the recovery key asks which account it is (recoveryAccount, no session: the answer
 * comes only for the account's active recovery key, and says no more than pairOffer does), signs
 * in as the recovery key, and fetches the account material sealed to it (getRecovery). A device of
 * the account stores that material when it makes the recovery key (putRecovery). The relay holds
 * ciphertext only.
 */
import { HearthError } from '../../common/errors.ts';
import { forbid } from '../refusals.ts';
import { ok, type Request, type SignedIn } from './request.ts';

/** The sealed account material: keys, profile, device log, and the key of every epoch of a few hundred spaces (as a pairing's). */
const MAX_MATERIAL_BYTES = 512 * 1024;

const NOT_THIS_KEY =
  'That recovery key is not the active recovery key of this account; nothing was stored. Check the username, or the key (it may have been replaced).';

export async function recoveryAccount({ relay, frame, send }: Request<'recoveryAccount'>): Promise<void> {
  const found = await relay.store.findByUsername(frame.username);
  if (!found || !(await relay.store.isActiveRecovery(found.account, frame.device))) throw new HearthError('WRONG_RECOVERY_KEY', NOT_THIS_KEY);
  send({ t: 'recovery', rid: frame.rid, account: found.account, parts: [] });
}

export async function putRecovery({ relay, frame, send, now }: Request<'putRecovery'>, { account, device }: SignedIn): Promise<void> {
  if (device === undefined || device === frame.device) forbid('A device of the account stores the material for its recovery key; sign in as one.');
  const material = frame.parts[0]!;
  if (material.length > MAX_MATERIAL_BYTES) throw new HearthError('TOO_LARGE', `The sealed account is at most ${MAX_MATERIAL_BYTES} bytes.`);
  await relay.store.putRecoveryMaterial(account, frame.device, material.slice(), now);
  relay.log.write('info', 'recovery_key_stored', {});
  send(ok(frame.rid));
}

export async function getRecovery({ relay, frame, send }: Request<'getRecovery'>, { account, device }: SignedIn): Promise<void> {
  if (device === undefined) forbid('Only the recovery key itself fetches what is sealed to it; sign in with it.');
  const material = await relay.store.getRecoveryMaterial(account, device);
  if (!material) throw new HearthError('NOT_FOUND', 'This relay holds no account material for this recovery key; try another relay the account is on.');
  relay.log.write('info', 'recovery_key_used', {});
  send({ t: 'recovery', rid: frame.rid, account, parts: [material] });
}
