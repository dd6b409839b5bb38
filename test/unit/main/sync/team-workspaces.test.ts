// A team workspace's life: converting a personal one says what would leave the device and sends
// nothing until confirmed, then uploads its documents and keeps its files here; leaving removes
// this account and the local copy; deleting is for the Owner.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { INDEX_DOC } from '../../../../main/sync/workspace-index.ts';
import { FakeRelay } from './fake-relay.ts';
import { close, device, RELAY, team } from './harness.ts';

describe('TeamWorkspaces', () => {
  it('describes a conversion, sends nothing unconfirmed, then uploads documents and keeps older files here', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const personal = ann.vault.workspaces.list()[0]!;
    const doc = ann.vault.documents.create(personal.id, { title: 'Notes', init: (d) => A.updateText(d, ['body'], 'mine') });
    ann.vault.comments.add(doc.id, { text: 'a thought' });
    await ann.vault.files.add(personal.id, { name: 'old.txt', source: [Buffer.from('old')] });
    const plan = ann.sync.teams.describeConversion(personal.id);
    expect(plan).toMatchObject({ documents: 1, comments: 1, filesStayLocal: 1 });
    expect(plan.message).toMatch(/^1 document with its full history and 1 comment will be encrypted.*1 attached file stays on this device\.$/);
    const calls = relay.calls.length;
    await expect(ann.sync.teams.convert(personal.id, RELAY, false)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^Nothing was sent\./),
    });
    expect(relay.calls.length).toBe(calls);
    await ann.sync.teams.convert(personal.id, RELAY, true);
    expect(ann.vault.workspaces.get(personal.id).kind).toBe('team');
    expect(relay.stored(personal.id, doc.id).length).toBeGreaterThan(0);
    expect(relay.stored(personal.id, INDEX_DOC).length).toBeGreaterThan(0);
    expect(relay.space(personal.id).files.size).toBe(0);
    expect(() => ann.sync.teams.describeConversion(personal.id)).toThrow(/already a team workspace/);
    await close(ann);
  });

  it('leaves (this account out at the relay, the copy gone here) and lets only the Owner delete', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'admin']]);
    await expect(bob.sync.teams.delete(ws)).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'You are an Admin in Team; only an Owner can delete it.' });
    await bob.sync.teams.leave(ws);
    expect(relay.role(ws, bob.account)).toBeUndefined();
    expect(bob.vault.workspaces.list().map((w) => w.id)).not.toContain(ws);
    await ann.sync.teams.delete(ws);
    expect(relay.spaces.has(ws)).toBe(false);
    expect(ann.vault.workspaces.list().map((w) => w.id)).not.toContain(ws);
    await close(ann, bob);
  });
});
