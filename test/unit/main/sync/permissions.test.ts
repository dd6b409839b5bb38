// What this account may do, decided once from the verified membership: a team workspace's role,
// a shared document's role, no restriction for a personal document; every refusal names the role
// and what to do, and managing members follows the shared role rules.
import { describe, expect, it } from 'vitest';
import { FakeRelay } from './fake-relay.ts';
import { close, device, team } from './harness.ts';

describe('AccountPermissions', () => {
  it('decides each edit on the role in the team workspace and names it when it refuses', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const vic = await device(relay, 'vic');
    const cat = await device(relay, 'cat');
    const ws = await team(ann, [
      [vic, 'viewer'],
      [cat, 'commenter'],
    ]);
    expect(ann.sync.permissions.decide(ws, 'delete')).toEqual({ allowed: true, role: 'owner' });
    const viewer = vic.sync.permissions.decide(ws, 'content');
    expect(viewer).toMatchObject({ allowed: false, role: 'viewer' });
    expect(!viewer.allowed && viewer.refusal.message).toBe(
      'You are a Viewer in Team: a viewer cannot create or edit documents. Ask an Owner or Admin for another role.',
    );
    expect(cat.sync.permissions.decide(ws, 'comment').allowed).toBe(true);
    expect(() => cat.sync.permissions.assertCan(ws, 'delete')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: expect.stringMatching(/^You are a Commenter in Team: a commenter cannot delete/) }),
    );
    expect(vic.sync.permissions.roleIn(ws)).toBe('viewer');
    await close(ann, vic, cat);
  });

  it("follows a shared document's own role, and does not restrict a personal document", async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const personal = ann.vault.workspaces.list()[0]!;
    const doc = ann.vault.documents.create(personal.id, { title: 'Recipe' });
    expect(ann.sync.permissions.decide(personal.id, 'delete', doc.id)).toEqual({ allowed: true, role: undefined });
    expect(ann.sync.permissions.documentRole(doc.id)).toBeUndefined();
    await ann.sync.sharing.share(doc.id, bob.name, 'viewer', { confirmed: true });
    const holder = await bob.sync.invitations.accept(ann.sync.spaces.ownShareOf(doc.id)!);
    expect(bob.sync.permissions.documentRole(doc.id)).toBe('viewer');
    expect(bob.sync.permissions.roleIn(holder.id)).toBeUndefined();
    const refusal = bob.sync.permissions.decide(holder.id, 'content', doc.id);
    expect(!refusal.allowed && refusal.refusal.message).toBe(
      '"Recipe" was shared with you as a Viewer: a viewer cannot edit it. Ask the person who shared it for another role.',
    );
    await close(ann, bob);
  });

  it('lets only who may manage a member change them, naming the role', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ada = await device(relay, 'ada');
    const ed = await device(relay, 'ed');
    const ws = await team(ann, [
      [ada, 'admin'],
      [ed, 'editor'],
    ]);
    expect(ada.sync.permissions.assertManager(ws, 'editor', 'viewer')).toBe('admin');
    expect(() => ada.sync.permissions.assertManager(ws, 'owner', undefined)).toThrow('As an Admin you cannot remove an owner in this workspace; ask an Owner.');
    expect(() => ed.sync.permissions.assertManager(ws, undefined, 'viewer')).toThrow(/As an Editor you cannot add someone as viewer/);
    expect(() => ada.sync.permissions.assertOwner({ id: ws, name: 'Team' }, 'delete it')).toThrow('You are an Admin in Team; only an Owner can delete it.');
    await close(ann, ada, ed);
  });
});
