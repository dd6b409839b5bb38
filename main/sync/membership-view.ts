/**
 * A space's membership log as this client verified it: every entry checked with the shared rules
 * (common/membership/log.ts), and for every head the members, their roles and the key epoch in
 * force there. The epoch is derived from the signed log itself (one more for each member removed
 * by someone else, for each member whose account was deleted, and for each device a member revoked), so a relay that withholds the newest key cannot make a client write under an
 * epoch the removed member still holds.
 */
import { applyMembershipEntry, emptyMembership, type MembershipEntry, type MembershipState } from '../../common/membership/log.ts';
import type { Role } from '../../common/roles.ts';
import { HearthError } from '../../common/errors.ts';

/** Whether an entry starts a new key epoch: someone removed by another, an account deleted, a device revoked. */
function startsEpoch(entry: MembershipEntry): boolean {
  return (entry.action === 'remove' && entry.actor !== entry.subject) || entry.action === 'account_deleted' || entry.action === 'device_revoked';
}

interface HeadInfo {
  members: ReadonlyMap<string, Role>;
  epoch: number;
}

export class MembershipView {
  private constructor(
    readonly entries: readonly MembershipEntry[],
    readonly current: MembershipState,
    readonly currentEpoch: number,
    private readonly heads: ReadonlyMap<string, HeadInfo>,
  ) {}

  /** Replays a whole log; throws RECORD_TAMPERED, CONFLICT, FORBIDDEN or BAD_REQUEST if any entry is not genuine. */
  static replay(space: string, entries: readonly MembershipEntry[]): MembershipView {
    const view = new MembershipView([], emptyMembership(space), 0, new Map()).extend(entries);
    if (view.current.nextSeq === 0)
      throw new HearthError('RECORD_TAMPERED', 'The membership log is empty; every space starts with its create entry. Distrust this relay.');
    return view;
  }

  /** The view after `more` entries that follow the current head. */
  extend(more: readonly MembershipEntry[]): MembershipView {
    if (more.length === 0) return this;
    let state = this.current;
    let epoch = this.currentEpoch;
    const heads = new Map(this.heads);
    for (const entry of more) {
      state = applyMembershipEntry(state, entry);
      if (startsEpoch(entry)) epoch++;
      heads.set(state.head!, { members: state.members, epoch });
    }
    return new MembershipView([...this.entries, ...more], state, epoch, heads);
  }

  get head(): string {
    return this.current.head!;
  }

  hasHead(head: string): boolean {
    return this.heads.has(head);
  }

  roleAt(head: string, account: string): Role | undefined {
    return this.heads.get(head)?.members.get(account);
  }

  epochAt(head: string): number | undefined {
    return this.heads.get(head)?.epoch;
  }

  role(account: string): Role | undefined {
    return this.current.members.get(account);
  }

  /**
   * When `account` lost a right it had (`has` says which roles carry it), as the signed time of the
   * membership entry that took it: undefined if it has the right now or never had it. What the
   * account signed before that time it was allowed to write; what it signed after, it was not.
   */
  lostAt(account: string, has: (role: Role | undefined) => boolean): number | undefined {
    let had = false;
    let lost: number | undefined;
    let index = 0;
    for (const info of this.heads.values()) {
      const entry = this.entries[index++]!;
      const holds = has(info.members.get(account));
      if (had && !holds) lost = entry.at;
      had = holds;
    }
    return had ? undefined : lost;
  }

  /** Accounts that left this space because they were deleted, with when they said so. */
  deletedAccounts(): Map<string, number> {
    const deleted = new Map<string, number>();
    for (const entry of this.entries) if (entry.action === 'account_deleted') deleted.set(entry.subject, entry.at);
    return deleted;
  }

  /**
   * When `account` last left of its own accord (left, or deleted its account), if it is not a
   * member now; undefined if it was removed by someone else or is still a member.
   */
  departedAt(account: string): number | undefined {
    if (this.current.members.has(account)) return undefined;
    const last = [...this.entries].reverse().find((e) => e.subject === account && e.action !== 'change_role');
    if (!last || last.actor !== account || (last.action !== 'remove' && last.action !== 'account_deleted')) return undefined;
    return last.at;
  }

  /** The entry by which someone else removed `account`, if that is how it last left and it has not come back. */
  removal(account: string): MembershipEntry | undefined {
    if (this.current.members.has(account)) return undefined;
    const last = this.entries.findLast((e) => e.subject === account && e.action !== 'change_role');
    return last?.action === 'remove' && last.actor !== account ? last : undefined;
  }

  /** Whether the newest key epoch was started by an account deletion (so no one sealed its key beforehand). */
  epochStartedByDeletion(): boolean {
    for (const entry of [...this.entries].reverse()) {
      if (entry.action === 'account_deleted') return true;
      if ((entry.action === 'remove' && entry.actor !== entry.subject) || entry.action === 'device_revoked') return false;
    }
    return false;
  }

  /**
   * The member who started key epoch `epoch` by revoking one of its own devices (it sealed that
   * epoch's key itself, in the same step), if a device_revoked entry started it.
   */
  epochRevoker(epoch: number): string | undefined {
    let current = 0;
    for (const entry of this.entries) {
      if (startsEpoch(entry) && ++current === epoch) return entry.action === 'device_revoked' ? entry.actor : undefined;
    }
    return undefined;
  }

  /** Who added `account` most recently (for an invitation's "from"). */
  addedBy(account: string): string | undefined {
    return [...this.entries].reverse().find((e) => e.action === 'add' && e.subject === account)?.actor;
  }
}
