/**
 * What a client checks before it trusts anything a relay hands out (promise S5 against a hostile
 * relay): the membership log replays cleanly, and each change is signed by its author, belongs
 * where the relay says it does, was not delivered before, and was allowed for the author's role
 * at the membership head it names.
 */
import { HearthError } from '../errors.ts';
import { applyMembershipEntry, emptyMembership, type MembershipState } from '../membership/log.ts';
import { canPush, type Role } from '../roles.ts';
import { verifyChange, type ParsedChange } from './change.ts';

/** A replayed membership log that remembers who was a member with which role at every head. */
export class MembershipHistory {
  private constructor(
    readonly current: MembershipState,
    private readonly membersAt: Map<string, ReadonlyMap<string, Role>>,
  ) {}

  /** Replays the full log; throws RECORD_TAMPERED, CONFLICT or FORBIDDEN if any entry is not genuine. */
  static replay(space: string, entries: readonly unknown[]): MembershipHistory {
    let state = emptyMembership(space);
    const membersAt = new Map<string, ReadonlyMap<string, Role>>();
    for (const entry of entries) {
      state = applyMembershipEntry(state, entry);
      membersAt.set(state.head!, state.members);
    }
    if (state.nextSeq === 0) throw new HearthError('RECORD_TAMPERED', 'The relay returned an empty membership log; every space starts with its create entry.');
    return new MembershipHistory(state, membersAt);
  }

  /** Appends entries that follow the current head (e.g. fetched with getMembership(since)). */
  extend(entries: readonly unknown[]): MembershipHistory {
    let state = this.current;
    const membersAt = new Map(this.membersAt);
    for (const entry of entries) {
      state = applyMembershipEntry(state, entry);
      membersAt.set(state.head!, state.members);
    }
    return new MembershipHistory(state, membersAt);
  }

  hasHead(head: string): boolean {
    return this.membersAt.has(head);
  }

  roleAt(head: string, account: string): Role | undefined {
    return this.membersAt.get(head)?.get(account);
  }

  /** Whether `account` held a role satisfying `allowed` at any point of the log. */
  everHeld(account: string, allowed: (role: Role) => boolean): boolean {
    for (const members of this.membersAt.values()) {
      const role = members.get(account);
      if (role && allowed(role)) return true;
    }
    return false;
  }
}

/**
 * Checks one change received for (space, doc). `seenIds` (per document) catches a relay that
 * delivers the same change twice under different sequence numbers. Throws RECORD_TAMPERED or
 * FORBIDDEN; returns the verified change, still encrypted.
 */
export function checkIncomingChange(
  bytes: Uint8Array,
  history: MembershipHistory,
  expected: { space: string; doc: string },
  seenIds?: Set<string>,
): ParsedChange {
  let change: ParsedChange;
  try {
    change = verifyChange(bytes);
  } catch (error) {
    throw new HearthError('RECORD_TAMPERED', `The relay delivered a change that is not genuine: ${(error as Error).message}`);
  }
  const { meta } = change;
  if (meta.space !== expected.space || meta.doc !== expected.doc) {
    throw new HearthError('RECORD_TAMPERED', 'The relay delivered a change that belongs to another document.');
  }
  if (!history.hasHead(meta.head)) {
    throw new HearthError(
      'RECORD_TAMPERED',
      'The change names a membership head that is not in the verified log; refresh the membership log, and distrust the relay if it persists.',
    );
  }
  const role = history.roleAt(meta.head, meta.author);
  if (!role || !canPush(role, meta.kind, meta.comment?.op)) {
    throw new HearthError('FORBIDDEN', `The change's author was ${role ? `a ${role}` : 'not a member'} and could not write ${meta.kind}; it was refused.`);
  }
  if (seenIds) {
    if (seenIds.has(meta.id)) throw new HearthError('RECORD_TAMPERED', 'The relay delivered the same change twice.');
    seenIds.add(meta.id);
  }
  return change;
}
