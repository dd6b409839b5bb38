/**
 * Whether a change blob from the relay may be applied, judged against the membership log this
 * device verified (S5): a genuine signature, the space and document it is filed under, a
 * membership state the space really had, a signer whose role there allows that kind of change
 * (and still does, or did when it was signed), and the key epoch of that state. Pure: no vault,
 * no relay.
 */
import { HearthError } from '../../common/errors.ts';
import { parseChange, verifyChange, type ParsedChange } from '../../common/protocol/change.ts';
import { canPush } from '../../common/roles.ts';
import type { MembershipView } from './membership-view.ts';
import { reasonOf } from './status.ts';

/** The verified change; RECORD_TAMPERED or FORBIDDEN saying what is wrong with it otherwise. */
export function verifyAgainst(view: MembershipView, space: string, doc: string, bytes: Uint8Array): ParsedChange {
  let change: ParsedChange;
  try {
    change = verifyChange(bytes);
  } catch (error) {
    throw new HearthError('RECORD_TAMPERED', `a change that is not genuine (${reasonOf(error).message})`);
  }
  const { meta } = change;
  if (meta.space !== space || meta.doc !== doc) throw new HearthError('RECORD_TAMPERED', 'a change that belongs to another document or workspace');
  if (!view.hasHead(meta.head)) throw new HearthError('RECORD_TAMPERED', 'a change naming a membership state this workspace never had');
  const op = meta.comment?.op;
  const role = view.roleAt(meta.head, meta.author);
  if (!role || !canPush(role, meta.kind, op))
    throw new HearthError('FORBIDDEN', `a ${meta.kind} change by ${role ? `a ${role}, who may not write it` : 'someone who was not a member'}`);
  const now = view.role(meta.author);
  if (!now || !canPush(now, meta.kind, op)) {
    // What a member wrote while allowed stays after they lose the right (demoted, removed, or their
    // account deleted): a later joiner gets the same history as everyone else. What they signed
    // after the entry that took the right is refused. (The relay refuses such pushes as well; only
    // a relay colluding with that member could offer one backdated, which this cannot tell.)
    const lostAt = view.lostAt(meta.author, (r) => r !== undefined && canPush(r, meta.kind, op));
    if (lostAt === undefined || meta.at > lostAt) {
      throw new HearthError('FORBIDDEN', `a ${meta.kind} change by someone who ${now ? `is now a ${now}` : 'has been removed'} and may no longer write it`);
    }
  }
  if (meta.epoch !== view.epochAt(meta.head))
    throw new HearthError('RECORD_TAMPERED', `a change sealed under key epoch ${meta.epoch}, not the epoch of the membership state it names`);
  return change;
}

/** What a change says about itself, before anyone checked its signature; undefined if it does not parse. */
export function unverifiedMeta(bytes: Uint8Array): ParsedChange['meta'] | undefined {
  try {
    return parseChange(bytes).meta;
  } catch {
    return undefined;
  }
}

/** A change whose signature holds, or undefined. */
export function signedChange(bytes: Uint8Array): ParsedChange | undefined {
  try {
    return verifyChange(bytes);
  } catch {
    return undefined;
  }
}

/** Whether a genuine change names a membership head or key epoch this device does not know yet (so it should catch up first). */
export function aheadOf(view: MembershipView, epochKeys: Record<string, string>, bytes: Uint8Array): boolean {
  // The common case (nothing new) costs no signature check; a claim of something new is checked
  // before it may trigger a catch-up, and verifyAgainst checks the change again when it is applied.
  const meta = unverifiedMeta(bytes);
  if (!meta || (view.hasHead(meta.head) && epochKeys[meta.epoch])) return false;
  return signedChange(bytes) !== undefined;
}
