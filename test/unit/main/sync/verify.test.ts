// What makes a change from the relay acceptable, judged against the verified membership only:
// a genuine signature, its own space and document, a membership state the space had, a signer
// whose role allows it (then and now, or when it was signed), the key epoch of that state.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../../common/crypto/identity.ts';
import { loadSodium, randomKey, toBase64Url } from '../../../../common/crypto/sodium.ts';
import {
  applyMembershipEntry,
  emptyMembership,
  nextEntry,
  signMembershipEntry,
  type MembershipEntry,
  type MembershipState,
} from '../../../../common/membership/log.ts';
import { sealChange } from '../../../../common/protocol/change.ts';
import type { Role } from '../../../../common/roles.ts';
import { MembershipView } from '../../../../main/sync/membership-view.ts';
import { aheadOf, signedChange, unverifiedMeta, verifyAgainst } from '../../../../main/sync/verify.ts';

const SPACE = 'space-1';
let owner: IdentityKeys;
let editor: IdentityKeys;
let viewer: IdentityKeys;
let view: MembershipView;
const key = () => randomKey();
const id = (k: IdentityKeys) => toBase64Url(k.signPublicKey);

beforeAll(async () => {
  await loadSodium();
  [owner, editor, viewer] = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
  let state: MembershipState = emptyMembership(SPACE);
  const entries: MembershipEntry[] = [];
  const add = (action: 'create' | 'add', subject: IdentityKeys, role: Role) => {
    const entry = signMembershipEntry(nextEntry(state, { actor: id(owner), action, subject: id(subject), role }), owner.signSecretKey);
    state = applyMembershipEntry(state, entry);
    entries.push(entry);
  };
  add('create', owner, 'owner');
  add('add', editor, 'editor');
  add('add', viewer, 'viewer');
  view = MembershipView.replay(SPACE, entries);
});

function change(by: IdentityKeys, fields: Partial<{ space: string; doc: string; kind: 'content' | 'comment'; head: string; epoch: number }> = {}): Uint8Array {
  return sealChange(
    {
      space: SPACE,
      doc: 'doc-1',
      kind: 'content',
      epoch: 0,
      head: view.head,
      author: id(by),
      id: `c${Math.random().toString(36).slice(2, 10)}`,
      at: Date.now(),
      ...fields,
    },
    new Uint8Array([1, 2, 3]),
    key(),
    by.signSecretKey,
  );
}

describe('verifyAgainst', () => {
  it("accepts an Editor's content change and a Viewer's nothing", () => {
    expect(verifyAgainst(view, SPACE, 'doc-1', change(editor)).meta.author).toBe(id(editor));
    expect(() => verifyAgainst(view, SPACE, 'doc-1', change(viewer))).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'a content change by a viewer, who may not write it' }),
    );
    expect(() => verifyAgainst(view, SPACE, 'doc-1', change(generateIdentityKeys()))).toThrow(/someone who was not a member/);
  });

  it('refuses altered bytes, a change filed elsewhere, an unknown membership state and a wrong epoch', () => {
    const bytes = change(editor);
    bytes[bytes.length - 80]! ^= 1;
    expect(() => verifyAgainst(view, SPACE, 'doc-1', bytes)).toThrow(
      expect.objectContaining({ code: 'RECORD_TAMPERED', message: expect.stringMatching(/^a change that is not genuine/) }),
    );
    expect(() => verifyAgainst(view, SPACE, 'doc-2', change(editor))).toThrow(/belongs to another document or workspace/);
    expect(() => verifyAgainst(view, SPACE, 'doc-1', change(editor, { head: 'f'.repeat(64) }))).toThrow(/a membership state this workspace never had/);
    expect(() => verifyAgainst(view, SPACE, 'doc-1', change(editor, { epoch: 3 }))).toThrow(/key epoch 3, not the epoch of the membership state/);
  });

  it('reads what a change claims without trusting it, and checks a signature on its own', () => {
    const bytes = change(editor);
    expect(unverifiedMeta(bytes)?.author).toBe(id(editor));
    expect(unverifiedMeta(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(signedChange(bytes)).toBeDefined();
    bytes[bytes.length - 80]! ^= 1;
    expect(signedChange(bytes)).toBeUndefined();
  });

  it('says to catch up only for a genuine change naming a state or epoch this device lacks', () => {
    const keys = { 0: 'ab' };
    expect(aheadOf(view, keys, change(editor))).toBe(false);
    expect(aheadOf(view, keys, change(editor, { head: 'e'.repeat(64) }))).toBe(true);
    expect(aheadOf(view, keys, change(editor, { epoch: 1 }))).toBe(true);
    const forged = change(editor, { epoch: 1 });
    forged[forged.length - 80]! ^= 1;
    expect(aheadOf(view, keys, forged)).toBe(false);
  });
});
