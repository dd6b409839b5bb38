/** setProfile: an account's signed profile update (common/protocol/profile.ts) replaces what this relay publishes about it. */
import { HearthError } from '../../common/errors.ts';
import { avatarHash, verifyProfileUpdate } from '../../common/protocol/profile.ts';
import { forbid, limitError } from '../refusals.ts';
import { ok, type Request, type SignedIn } from './request.ts';

/**
 * Checks the update is the caller's own, signed by the device it names (the store checks that
 * device is active in the account's device log, in the same transaction as the write), and that
 * the part is the avatar it names; answers with the version the relay keeps.
 */
export async function setProfile({ relay, frame, send }: Request<'setProfile'>, { account }: SignedIn): Promise<void> {
  const { update } = frame;
  if (update.account !== account) forbid(`A profile update changes only your own account's profile; this one is for another account.`);
  if (!verifyProfileUpdate(update)) throw new HearthError('UNAUTHENTICATED', 'The profile update is not signed by the device it names; sign it again.');
  const avatar = frame.parts[0] ?? null;
  if (avatar && avatar.length > relay.limits.maxAvatarBytes)
    throw limitError('TOO_LARGE', 'maxAvatarBytes', `An avatar is at most ${relay.limits.maxAvatarBytes} bytes; pick a smaller picture.`);
  if ((avatar ? avatarHash(avatar) : null) !== update.avatar)
    throw new HearthError('BAD_REQUEST', 'The avatar sent is not the one the signed update names; send the update with its own avatar.');
  const kept = await relay.store.setProfile(update, avatar ? avatar.slice() : null);
  relay.log.write('info', 'profile_changed', { caller: relay.log.pseudonym(account) });
  send(ok(frame.rid, { seq: kept }));
}
