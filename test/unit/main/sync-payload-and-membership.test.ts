// The sync engine's pure parts: the change payload codec and the membership view that derives
// roles and key epochs from the signed log.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, toBase64Url } from '../../../common/crypto/sodium.ts';
import {
  emptyMembership,
  nextEntry,
  signMembershipEntry,
  applyMembershipEntry,
  type MembershipEntry,
  type MembershipState,
} from '../../../common/membership/log.ts';
import type { Role } from '../../../common/roles.ts';
import { MembershipView } from '../../../main/sync/membership-view.ts';
import { decodeChanges, decodeComment, encodeChanges, encodeComment, joinChanges } from '../../../main/sync/payload.ts';

beforeAll(() => loadSodium());

describe('change payloads', () => {
  it('round-trips several Automerge changes, also after joining queued payloads', () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4]);
    const c = new Uint8Array(70_000).fill(7);
    expect(decodeChanges(encodeChanges([a, b]))).toEqual([a, b]);
    expect(decodeChanges(joinChanges([encodeChanges([a]), encodeChanges([b, c])]))).toEqual([a, b, c]);
  });

  it('refuses cut, empty or zero-length content', () => {
    const bytes = encodeChanges([new Uint8Array([1, 2, 3])]);
    expect(() => decodeChanges(bytes.subarray(0, bytes.length - 1))).toThrow(/bad length/);
    expect(() => decodeChanges(new Uint8Array(0))).toThrow(/no Automerge change/);
    expect(() => decodeChanges(new Uint8Array([0, 0, 0, 0]))).toThrow(/bad length/);
  });

  it('round-trips a comment and refuses what is not one', () => {
    const record = { id: 'c1', documentId: 'd1', threadId: 'c1', author: 'ann', text: 'hi', resolved: false, createdAt: 1, updatedAt: 2 };
    expect(decodeComment(encodeComment(record))).toEqual(record);
    expect(() => decodeComment(new TextEncoder().encode('{"id":1}'))).toThrow(/comment record/);
    expect(() => decodeComment(new TextEncoder().encode('not json'))).toThrow(/not JSON/);
  });
});

describe('membership view', () => {
  const people: Record<string, IdentityKeys> = {};
  const id = (name: string) => toBase64Url(people[name]!.signPublicKey);
  let state: MembershipState;
  const log: MembershipEntry[] = [];
  const append = (actor: string, action: 'create' | 'add' | 'change_role' | 'remove', subject: string, role: Role | null) => {
    const entry = signMembershipEntry(nextEntry(state, { actor: id(actor), action, subject: id(subject), role }), people[actor]!.signSecretKey);
    state = applyMembershipEntry(state, entry);
    log.push(entry);
    return state.head!;
  };

  it('knows roles and the key epoch at every head: removals by others start a new epoch, leaving does not', () => {
    for (const name of ['ann', 'bob', 'cat']) people[name] = generateIdentityKeys();
    state = emptyMembership('space1');
    const genesis = append('ann', 'create', 'ann', 'owner');
    const added = append('ann', 'add', 'bob', 'editor');
    append('ann', 'add', 'cat', 'viewer');
    const removed = append('ann', 'remove', 'bob', null);
    const left = append('cat', 'remove', 'cat', null);
    const view = MembershipView.replay('space1', log);
    expect(view.epochAt(genesis)).toBe(0);
    expect(view.epochAt(added)).toBe(0);
    expect(view.epochAt(removed)).toBe(1);
    expect(view.epochAt(left)).toBe(1);
    expect(view.currentEpoch).toBe(1);
    expect(view.roleAt(added, id('bob'))).toBe('editor');
    expect(view.role(id('bob'))).toBeUndefined();
    expect(view.addedBy(id('cat'))).toBe(id('ann'));
    expect(view.head).toBe(left);
  });

  it('refuses a log that was tampered with or starts anywhere but its genesis', () => {
    const promoted = log.map((e) => (e.subject === id('cat') && e.action === 'add' ? { ...e, role: 'owner' as const } : e));
    expect(() => MembershipView.replay('space1', promoted)).toThrow(/signature/);
    expect(() => MembershipView.replay('space1', log.slice(1))).toThrow();
    expect(() => MembershipView.replay('space1', [])).toThrow(/empty/);
  });
});
