// Who removed an account, and how far a former member may read the log: MembershipView.removal
// (what the removed member's client shows) and lastDepartureIndex (where the relay's getRemoval
// stops), on real signed entries.
import { beforeAll, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, newId, toBase64Url } from '../../../common/crypto/sodium.ts';
import {
  applyMembershipEntry,
  emptyMembership,
  lastDepartureIndex,
  nextEntry,
  signMembershipEntry,
  type MembershipAction,
  type MembershipEntry,
  type MembershipState,
} from '../../../common/membership/log.ts';
import type { Role } from '../../../common/roles.ts';
import { MembershipView } from '../../../main/sync/membership-view.ts';

let people: Record<'ann' | 'bob' | 'cat', IdentityKeys>;
const id = (name: keyof typeof people) => toBase64Url(people[name].signPublicKey);

beforeAll(async () => {
  await loadSodium();
  people = { ann: generateIdentityKeys(), bob: generateIdentityKeys(), cat: generateIdentityKeys() };
});

function logOf(steps: Array<[actor: keyof typeof people, action: MembershipAction, subject: keyof typeof people, role: Role | null]>): MembershipEntry[] {
  let state: MembershipState = emptyMembership(newId());
  return steps.map(([actor, action, subject, role]) => {
    const entry = signMembershipEntry(nextEntry(state, { actor: id(actor), action, subject: id(subject), role }), people[actor].signSecretKey);
    state = applyMembershipEntry(state, entry);
    return entry;
  });
}

it('names who removed an account and when; nothing while it is a member, or when it left by itself', () => {
  const log = logOf([
    ['ann', 'create', 'ann', 'owner'],
    ['ann', 'add', 'bob', 'commenter'],
    ['ann', 'add', 'cat', 'editor'],
    ['ann', 'remove', 'bob', null],
    ['cat', 'remove', 'cat', null],
  ]);
  const view = MembershipView.replay(log[0]!.space, log);
  expect(view.removal(id('bob'))).toMatchObject({ actor: id('ann'), subject: id('bob'), action: 'remove', at: log[3]!.at });
  expect(view.removal(id('cat'))).toBeUndefined(); // left of its own accord
  expect(view.removal(id('ann'))).toBeUndefined(); // still a member
  expect(lastDepartureIndex(log, id('bob'))).toBe(3);
  expect(lastDepartureIndex(log, id('cat'))).toBe(4);
  expect(lastDepartureIndex(log, id('ann'))).toBe(-1);
});

it('after a removal and a re-invitation, the account is a member again: no removal to tell', () => {
  const log = logOf([
    ['ann', 'create', 'ann', 'owner'],
    ['ann', 'add', 'bob', 'editor'],
    ['ann', 'remove', 'bob', null],
    ['ann', 'add', 'bob', 'viewer'],
    ['ann', 'change_role', 'bob', 'commenter'],
  ]);
  expect(MembershipView.replay(log[0]!.space, log).removal(id('bob'))).toBeUndefined();
});
