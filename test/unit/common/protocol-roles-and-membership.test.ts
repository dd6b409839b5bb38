// The role table from DESIGN.md, checked cell by cell against an independent copy of the table,
// and the membership log that clients replay to hold the relay to those rules.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, toBase64Url } from '../../../common/crypto/sodium.ts';
import { isHearthError } from '../../../common/errors.ts';
import {
  applyMembershipEntry,
  assertPersonalSpaceEntry,
  emptyMembership,
  nextEntry,
  replayMembership,
  signMembershipEntry,
  type MembershipAction,
  type MembershipEntry,
  type MembershipState,
} from '../../../common/membership/log.ts';
import * as roles from '../../../common/roles.ts';
import type { Role } from '../../../common/roles.ts';

beforeAll(loadSodium);

// DESIGN.md, "Roles": read, write, delete content, comment, manage, transfer/delete.
const table: Record<Role, [boolean, boolean, boolean, boolean, boolean, boolean]> = {
  owner: [true, true, true, true, true, true],
  admin: [true, true, true, true, true, false],
  editor: [true, true, false, true, false, false],
  commenter: [true, false, false, true, false, false],
  viewer: [true, false, false, false, false, false],
};

describe('roles', () => {
  it.each(roles.Roles)('%s has exactly the rights in DESIGN.md', (role) => {
    const [read, write, del, comment, manage, transfer] = table[role];
    expect(roles.canRead(role)).toBe(read);
    expect(roles.canWriteContent(role)).toBe(write);
    expect(roles.canPush(role, 'content')).toBe(write);
    expect(roles.canPush(role, 'snapshot')).toBe(write);
    expect(roles.canDeleteContent(role)).toBe(del);
    expect(roles.canComment(role)).toBe(comment);
    expect(roles.canPush(role, 'comment')).toBe(comment);
    expect(roles.canManageMembers(role)).toBe(manage);
    expect(roles.canManageLinks(role)).toBe(manage);
    expect(roles.canTransferOwnership(role)).toBe(transfer);
    expect(roles.canDeleteSpace(role)).toBe(transfer);
  });

  it('lets Admins manage everyone but Owners, and never make an Owner', () => {
    expect(roles.canSetRole('admin', 'editor', 'viewer')).toBe(true);
    expect(roles.canSetRole('admin', undefined, 'admin')).toBe(true);
    expect(roles.canSetRole('admin', 'owner', 'admin')).toBe(false);
    expect(roles.canSetRole('admin', 'owner', undefined)).toBe(false);
    expect(roles.canSetRole('admin', 'editor', 'owner')).toBe(false);
    expect(roles.canSetRole('owner', 'owner', 'viewer')).toBe(true);
    expect(roles.canSetRole('editor', 'viewer', 'commenter')).toBe(false);
  });
});

interface Person {
  keys: IdentityKeys;
  id: string;
}
const person = (): Person => {
  const keys = generateIdentityKeys();
  return { keys, id: toBase64Url(keys.signPublicKey) };
};

function entry(state: MembershipState, actor: Person, action: MembershipAction, subject: Person, role: Role | null): MembershipEntry {
  return signMembershipEntry(nextEntry(state, { actor: actor.id, action, subject: subject.id, role }), actor.keys.signSecretKey);
}

function refusal(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    return isHearthError(error) ? error.code : 'crash';
  }
}

describe('membership log', () => {
  it('replays a history of add, change, transfer and remove to the same members', () => {
    const [ann, bob, cat] = [person(), person(), person()];
    const log: MembershipEntry[] = [];
    let state = emptyMembership('space1');
    const append = (e: MembershipEntry) => {
      state = applyMembershipEntry(state, e);
      log.push(e);
    };
    append(entry(state, ann, 'create', ann, 'owner'));
    append(entry(state, ann, 'add', bob, 'admin'));
    append(entry(state, bob, 'add', cat, 'editor'));
    append(entry(state, bob, 'change_role', cat, 'commenter'));
    append(entry(state, ann, 'transfer', cat, 'owner'));
    append(entry(state, cat, 'remove', bob, null));
    const replayed = replayMembership('space1', log);
    expect(Object.fromEntries(replayed.members)).toEqual({ [ann.id]: 'admin', [cat.id]: 'owner' });
    expect(replayed.head).toBe(state.head);
    expect(replayed.heads.size).toBe(6);
  });

  it('catches a forged, altered, reordered or dropped entry', () => {
    const [ann, bob, eve] = [person(), person(), person()];
    let state = emptyMembership('s');
    const genesis = entry(state, ann, 'create', ann, 'owner');
    state = applyMembershipEntry(state, genesis);
    const addBob = entry(state, ann, 'add', bob, 'viewer');
    const afterBob = applyMembershipEntry(state, addBob);
    const promote = entry(afterBob, ann, 'change_role', bob, 'editor');

    // A relay that rewrites a role inside a signed entry:
    expect(refusal(() => replayMembership('s', [genesis, { ...addBob, role: 'admin' }]))).toBe('RECORD_TAMPERED');
    // An entry signed by someone else than its actor:
    const forged = { ...signMembershipEntry(nextEntry(state, { actor: ann.id, action: 'add', subject: eve.id, role: 'owner' }), eve.keys.signSecretKey) };
    expect(refusal(() => replayMembership('s', [genesis, forged]))).toBe('RECORD_TAMPERED');
    // Dropping an entry breaks the chain:
    expect(refusal(() => replayMembership('s', [genesis, promote]))).toBe('CONFLICT');
    // Replaying an entry into another space:
    expect(refusal(() => replayMembership('other', [genesis]))).toBe('BAD_REQUEST');
    expect(refusal(() => replayMembership('s', []))).toBe('RECORD_TAMPERED');
  });

  it('enforces the role rules and keeps at least one Owner', () => {
    const [ann, adm, ed, out] = [person(), person(), person(), person()];
    let state = emptyMembership('s');
    state = applyMembershipEntry(state, entry(state, ann, 'create', ann, 'owner'));
    state = applyMembershipEntry(state, entry(state, ann, 'add', adm, 'admin'));
    state = applyMembershipEntry(state, entry(state, adm, 'add', ed, 'editor'));
    expect(refusal(() => applyMembershipEntry(state, entry(state, ed, 'add', out, 'viewer')))).toBe('FORBIDDEN');
    expect(refusal(() => applyMembershipEntry(state, entry(state, out, 'add', out, 'owner')))).toBe('FORBIDDEN');
    expect(refusal(() => applyMembershipEntry(state, entry(state, adm, 'remove', ann, null)))).toBe('FORBIDDEN');
    expect(refusal(() => applyMembershipEntry(state, entry(state, adm, 'change_role', ed, 'owner')))).toBe('FORBIDDEN');
    expect(refusal(() => applyMembershipEntry(state, entry(state, adm, 'transfer', ed, 'owner')))).toBe('FORBIDDEN');
    expect(refusal(() => applyMembershipEntry(state, entry(state, ann, 'remove', ann, null)))).toBe('FORBIDDEN'); // last Owner
    expect(refusal(() => applyMembershipEntry(state, entry(state, ann, 'change_role', ann, 'admin')))).toBe('FORBIDDEN');
    expect(refusal(() => applyMembershipEntry(state, entry(state, ann, 'add', ed, 'viewer')))).toBe('ALREADY_EXISTS');
    expect(refusal(() => applyMembershipEntry(state, entry(state, ed, 'remove', ed, null)))).toBe('accepted'); // anyone may leave
    expect(refusal(() => applyMembershipEntry(state, entry(state, adm, 'change_role', ed, 'viewer')))).toBe('accepted');
  });
});

describe('a personal workspace synced between one account’s devices', () => {
  it('takes only the account’s own steps: no one added, no role changed or handed over', () => {
    const [ada, bob] = [person(), person()];
    const state = applyMembershipEntry(emptyMembership('mine'), entry(emptyMembership('mine'), ada, 'create', ada, 'owner'));
    const check = (e: MembershipEntry) => refusal(() => assertPersonalSpaceEntry(e));
    expect(check(entry(emptyMembership('mine'), ada, 'create', ada, 'owner'))).toBe('accepted');
    expect(check(entry(state, ada, 'device_revoked', ada, null))).toBe('accepted');
    expect(check(entry(state, ada, 'remove', ada, null))).toBe('accepted');
    expect(check(entry(state, ada, 'account_deleted', ada, null))).toBe('accepted');
    // What the same log accepts in a team space, the rule refuses here.
    expect(refusal(() => applyMembershipEntry(state, entry(state, ada, 'add', bob, 'viewer')))).toBe('accepted');
    expect(check(entry(state, ada, 'add', bob, 'viewer'))).toBe('FORBIDDEN');
    expect(check(entry(state, ada, 'change_role', ada, 'admin'))).toBe('FORBIDDEN');
    expect(check(entry(state, ada, 'transfer', bob, 'owner'))).toBe('FORBIDDEN');
    expect(check(entry(state, ada, 'remove', bob, null))).toBe('FORBIDDEN');
  });
});
