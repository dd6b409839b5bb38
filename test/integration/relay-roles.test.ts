// S5 at the relay: each of the five roles tries every operation; only what DESIGN.md's role
// table allows passes. The expectations are written out here, not derived from common/roles.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, randomBytes } from '../../common/crypto/sodium.ts';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { toBase64Url } from '../../common/crypto/sodium.ts';
import type { Role } from '../../common/roles.ts';
import {
  changeMembership,
  createSpace,
  envelopeFor,
  outcome,
  register,
  sealedChange,
  spaceWithRole,
  startTestRelay,
  type Person,
  type TestRelay,
  type TestSpace,
} from './relay-fixture.ts';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(() => relay.stop());

type Operation = (ctx: { space: TestSpace; me: Person; owner: Person; bystander: Person }) => Promise<unknown>;

const operations: Record<string, Operation> = {
  'pull a document': ({ space, me }) => me.client.pull(space.id, 'doc', 0),
  'read membership': ({ space, me }) => me.client.getMembership(space.id),
  subscribe: ({ space, me }) => me.client.subscribe(space.id, 'doc', () => undefined),
  'download a file': ({ space, me }) => me.client.fileGet(space.id, 'file0', 0),
  'push content': ({ space, me }) => me.client.push(space.id, 'doc', sealedChange(space, me, 'doc', 'edit')),
  'upload a file': ({ space, me }) => me.client.fileBegin(space.id, newId(), 2048, 1024),
  'write a snapshot': async ({ space, me }) => me.client.putSnapshot(space.id, 'doc', 1, sealedChange(space, me, 'doc', 'snap', 'snapshot')),
  'push a comment': ({ space, me }) => me.client.push(space.id, 'doc', sealedChange(space, me, 'doc', 'comment', 'comment')),
  'delete a document': ({ space, me }) => me.client.deleteDoc(space.id, 'doc-to-delete'),
  'delete a file': ({ space, me }) => me.client.fileDelete(space.id, 'file0'),
  'add a member': async ({ space, me }) => {
    const stranger = generateIdentityKeys();
    await changeMembership(space, me, 'add', toBase64Url(stranger.signPublicKey), 'viewer');
  },
  'change an editor to viewer': ({ space, me, bystander }) => changeMembership(space, me, 'change_role', bystander, 'viewer'),
  'hand out key envelopes': ({ space, me }) => me.client.putEnvelopes(space.id, 1, [envelopeFor(space, me, me, 1)]),
  'create a link': ({ space, me }) => me.client.linkCreate(space.id, newId(), randomBytes(64)),
  'demote an Owner': ({ space, me, owner }) => changeMembership(space, me, 'change_role', owner, 'admin'),
  'transfer ownership': ({ space, me, bystander }) => changeMembership(space, me, 'transfer', bystander, 'owner'),
  'delete the space': ({ space, me }) => me.client.deleteSpace(space.id),
};

// DESIGN.md's table, operation by operation.
const allowed: Record<string, Role[]> = {
  'pull a document': ['owner', 'admin', 'editor', 'commenter', 'viewer'],
  'read membership': ['owner', 'admin', 'editor', 'commenter', 'viewer'],
  subscribe: ['owner', 'admin', 'editor', 'commenter', 'viewer'],
  'download a file': ['owner', 'admin', 'editor', 'commenter', 'viewer'],
  'push content': ['owner', 'admin', 'editor'],
  'upload a file': ['owner', 'admin', 'editor'],
  'write a snapshot': ['owner', 'admin', 'editor'],
  'push a comment': ['owner', 'admin', 'editor', 'commenter'],
  'delete a document': ['owner', 'admin'],
  'delete a file': ['owner', 'admin'],
  'add a member': ['owner', 'admin'],
  'change an editor to viewer': ['owner', 'admin'],
  'hand out key envelopes': ['owner', 'admin'],
  'create a link': ['owner', 'admin'],
  'demote an Owner': ['owner'],
  'transfer ownership': ['owner'],
  'delete the space': ['owner'],
};

const roleList: Role[] = ['owner', 'admin', 'editor', 'commenter', 'viewer'];

describe('role matrix at the relay', () => {
  for (const role of roleList) {
    it(`a ${role} can do exactly what the role table allows`, async () => {
      const results: Record<string, string> = {};
      for (const [name, run] of Object.entries(operations)) {
        // A fresh space per operation, so one operation's effect (a deletion, a transfer) cannot mask another.
        const { space, owner, me, coOwner, bystander } = await spaceWithRole(relay.url, role);
        await owner.client.push(space.id, 'doc-to-delete', sealedChange(space, owner, 'doc-to-delete', 'gone'));
        const target = role === 'owner' ? coOwner : owner;
        results[name] = await outcome(run({ space, me, owner: target, bystander }));
        for (const p of new Set([owner, me, bystander, coOwner])) p.client.close();
      }
      const expected = Object.fromEntries(Object.keys(operations).map((name) => [name, allowed[name]!.includes(role) ? 'ok' : 'FORBIDDEN']));
      expect(results).toEqual(expected);
    });
  }

  it('refuses everything to an account that is not a member, and to one that was removed', async () => {
    const owner = await register(relay.url, 'owner');
    const outsider = await register(relay.url, 'outsider');
    const space = await createSpace(owner);
    expect(await outcome(outsider.client.pull(space.id, 'doc', 0))).toBe('FORBIDDEN');
    expect(await outcome(outsider.client.push(space.id, 'doc', sealedChange(space, outsider, 'doc', 'x')))).toBe('FORBIDDEN');
    await changeMembership(space, owner, 'add', outsider, 'editor');
    expect(await outcome(outsider.client.push(space.id, 'doc', sealedChange(space, outsider, 'doc', 'x')))).toBe('ok');
    await changeMembership(space, owner, 'remove', outsider, null);
    expect(await outcome(outsider.client.push(space.id, 'doc', sealedChange(space, outsider, 'doc', 'y')))).toBe('FORBIDDEN');
    expect(await outcome(outsider.client.pull(space.id, 'doc', 0))).toBe('FORBIDDEN');
  });

  it('refuses a change or key envelope signed by one member and uploaded by another, and a change naming an unknown head', async () => {
    const owner = await register(relay.url, 'owner');
    const editor = await register(relay.url, 'editor');
    const space = await createSpace(owner);
    await changeMembership(space, owner, 'add', editor, 'editor');
    const ownersChange = sealedChange(space, owner, 'doc', 'mine');
    expect(await outcome(editor.client.push(space.id, 'doc', ownersChange))).toBe('FORBIDDEN');
    const staleHead = { ...space, state: { ...space.state, head: 'ee'.repeat(32) } };
    expect(await outcome(owner.client.push(space.id, 'doc', sealedChange(staleHead, owner, 'doc', 'x')))).toBe('BAD_REQUEST');
    expect(await outcome(owner.client.push(space.id, 'other-doc', ownersChange))).toBe('BAD_REQUEST');
    // Key envelopes: only ones the uploader signed, for this exact space, epoch and member.
    await changeMembership(space, owner, 'change_role', editor, 'admin');
    expect(await outcome(owner.client.putEnvelopes(space.id, 0, [envelopeFor(space, editor, owner)]))).toBe('FORBIDDEN');
    expect(await outcome(owner.client.putEnvelopes(space.id, 1, [envelopeFor(space, owner, editor, 0)]))).toBe('RECORD_TAMPERED');
    expect(await outcome(owner.client.putEnvelopes(space.id, 0, [{ recipient: editor.id, envelope: randomBytes(200) }]))).not.toBe('ok');
    expect(await outcome(owner.client.putEnvelopes(space.id, 0, [envelopeFor(space, owner, editor)]))).toBe('ok');
  });
});
