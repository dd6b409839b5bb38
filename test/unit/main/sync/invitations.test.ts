// Invitations: a space where this vault is a member but has not accepted shows with its name and
// who invited, read from the log, the keys sealed to this vault and the index; accepting brings
// the workspace with its documents; an invitation whose key was not sealed yet says to wait.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

describe('Invitations', () => {
  it('lists an invitation by name and inviter, and accepting brings the workspace and its documents', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [], 'Launch');
    const doc = ann.vault.documents.create(ws, { title: 'Plan', init: (d) => A.updateText(d, ['body'], 'go') }).id;
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    await ann.sync.members.invite(ws, bob.name, 'editor');
    expect(await bob.sync.invitations.list()).toEqual([
      { id: ws, kind: 'workspace', relay: 'wss://relay.test/', role: 'editor', name: 'Launch', invitedBy: ann.name },
    ]);
    const workspace = await bob.sync.invitations.accept(ws);
    expect(workspace).toMatchObject({ id: ws, name: 'Launch', kind: 'team' });
    expect(bob.vault.documents.get(doc).body).toBe('go');
    expect(await bob.sync.invitations.list()).toEqual([]);
    await expect(bob.sync.invitations.accept('no-such-space')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('hearth invite list'),
    });
    await close(ann, bob);
  });

  it('says to wait while no key was sealed to this vault yet', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann);
    // Added to the log, but the envelopes were lost on the way (an inviter that crashed in between).
    await ann.sync.members.invite(ws, bob.name, 'viewer');
    relay.space(ws).envelopes.delete(bob.vault.devices.self.id);
    await expect(bob.sync.invitations.accept(ws)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('has not been sealed to you yet'),
    });
    expect(bob.vault.workspaces.list().map((w) => w.id)).not.toContain(ws);
    await close(ann, bob);
  });
});
