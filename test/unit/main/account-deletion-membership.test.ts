// The membership rules of account deletion (common/membership/log.ts, main/sync/membership-view.ts):
// only the account itself can say it was deleted, never as the last Owner; the entry starts a new
// key epoch; the view knows who was deleted and when, and that the newest epoch's key was sealed
// by no one beforehand.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, newId, toBase64Url } from '../../../common/crypto/sodium.ts';
import {
  applyMembershipEntry,
  emptyMembership,
  nextEntry,
  signMembershipEntry,
  type MembershipAction,
  type MembershipEntry,
  type MembershipState,
} from '../../../common/membership/log.ts';
import type { Role } from '../../../common/roles.ts';
import { MembershipView } from '../../../main/sync/membership-view.ts';

beforeAll(() => loadSodium());

describe('account_deleted membership entries', () => {
  const people: Record<string, IdentityKeys> = {};
  const id = (name: string) => toBase64Url(people[name]!.signPublicKey);
  let state: MembershipState;
  let entries: MembershipEntry[];

  function entry(actor: string, action: MembershipAction, subject: string, role: Role | null, at?: number): MembershipEntry {
    return signMembershipEntry(
      nextEntry(state, { actor: id(actor), action, subject: id(subject), role, ...(at === undefined ? {} : { at }) }),
      people[actor]!.signSecretKey,
    );
  }
  function append(actor: string, action: MembershipAction, subject: string, role: Role | null, at?: number): void {
    const e = entry(actor, action, subject, role, at);
    state = applyMembershipEntry(state, e);
    entries.push(e);
  }

  beforeAll(() => {
    for (const name of ['owner', 'editor', 'viewer', 'admin']) people[name] = generateIdentityKeys();
    state = emptyMembership(newId());
    entries = [];
    append('owner', 'create', 'owner', 'owner');
    append('owner', 'add', 'editor', 'editor');
    append('owner', 'add', 'viewer', 'viewer');
    append('owner', 'add', 'admin', 'admin');
  });

  it('is refused for someone else, with a role, or for the last Owner; accepted for oneself', () => {
    expect(() => applyMembershipEntry(state, entry('owner', 'account_deleted', 'editor', null))).toThrow(/Only the account itself/);
    expect(() => applyMembershipEntry(state, entry('editor', 'account_deleted', 'editor', 'viewer'))).toThrow(/carries no role/);
    expect(() => applyMembershipEntry(state, entry('owner', 'account_deleted', 'owner', null))).toThrow(/at least one Owner/);
    const before = new Map(state.members);
    append('editor', 'account_deleted', 'editor', null, 5000);
    expect(state.members.has(id('editor'))).toBe(false);
    expect(state.members.size).toBe(before.size - 1);
    // Gone is gone: a second deletion entry (or any entry by it) is refused.
    expect(() => applyMembershipEntry(state, entry('editor', 'account_deleted', 'editor', null))).toThrow(/Only members/);
  });

  it('starts a new key epoch in the view, which knows who was deleted and when', () => {
    const view = MembershipView.replay(state.space, entries);
    expect(view.currentEpoch).toBe(1);
    expect(view.epochStartedByDeletion()).toBe(true);
    expect([...view.deletedAccounts()]).toEqual([[id('editor'), 5000]]);
    expect(view.departedAt(id('editor'))).toBe(5000);
    expect(view.departedAt(id('viewer'))).toBeUndefined(); // still a member
    // The change it made at the state before its deletion names epoch 0 there.
    expect(view.epochAt(MembershipView.replay(state.space, entries.slice(0, 4)).head)).toBe(0);
  });

  it('a removal by an Owner afterwards is a rotation its remover sealed, not one started by a deletion', () => {
    append('owner', 'remove', 'viewer', null);
    const view = MembershipView.replay(state.space, entries);
    expect(view.currentEpoch).toBe(2);
    expect(view.epochStartedByDeletion()).toBe(false);
    expect(view.departedAt(id('viewer'))).toBeUndefined(); // removed by someone else: not a departure of its own
    // Leaving of one's own accord does not start an epoch.
    append('admin', 'remove', 'admin', null, 7000);
    const after = MembershipView.replay(state.space, entries);
    expect(after.currentEpoch).toBe(2);
    expect(after.departedAt(id('admin'))).toBe(7000);
    expect(after.deletedAccounts().has(id('admin'))).toBe(false);
  });
});
