// Rounds: syncOnce exchanges everything and counts it, skips a paused space (saying so) and goes
// on past an unreachable relay; a removed member is told so; live sync follows documents and
// applies a peer's change as it is forwarded, and reports the relay lost and found again.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { FakeRelay } from './fake-relay.ts';
import { close, device, team } from './harness.ts';

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe('Rounds', () => {
  it('syncOnce counts what went out and came in, and skips a paused space', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'editor']]);
    ann.vault.documents.create(ws, { title: 'One' });
    // The new document's changes and the index entry listing it.
    expect(await ann.sync.rounds.syncOnce()).toMatchObject({ workspaces: 1, pushed: 2 });
    expect(await bob.sync.rounds.syncOnce()).toMatchObject({ workspaces: 1, applied: 2, refused: 0 });
    bob.sync.rounds.pause(ws);
    ann.vault.documents.create(ws, { title: 'Two' });
    await ann.sync.rounds.syncOnce();
    expect(await bob.sync.rounds.syncOnce()).toEqual({ workspaces: 0, pushed: 0, applied: 0, refused: 0, waiting: 0 });
    expect(bob.sync.status.get(ws).state).toBe('paused');
    await close(ann, bob);
  });

  it('tells a removed member it was removed, and an unreachable relay as offline', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const eve = await device(relay, 'eve');
    const ws = await team(ann, [[eve, 'editor']]);
    await ann.sync.members.remove(ws, eve.name);
    await expect(eve.sync.rounds.syncOnce(ws)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'You were removed from Team; what is on this device stays readable, nothing new arrives.',
    });
    // The relay still showed Eve the log up to her removal: her copy knows who removed her.
    expect(eve.sync.members.removal(ws)).toMatchObject({ account: ann.account, username: ann.name });
    expect(eve.sync.permissions.role(ws)).toBeUndefined();
    await ann.sync.connections.closeAll();
    relay.down = true;
    await expect(ann.sync.rounds.syncOnce()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(ann.sync.status.get(ws)).toMatchObject({ state: 'offline', reason: { code: 'UNAVAILABLE' } });
    await close(ann, eve);
  });

  it("live: follows the space's documents and applies a peer's change as the relay forwards it", async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'editor']]);
    const doc = ann.vault.documents.create(ws, { title: 'Live', init: (d) => A.updateText(d, ['body'], 'a') }).id;
    await ann.sync.rounds.syncOnce();
    ann.sync.rounds.start();
    bob.sync.rounds.start();
    await until(() => bob.sync.status.get(ws).state === 'synced' && bob.vault.documents.has(doc), 'bob synced');
    const pulls = relay.calls.filter((c) => c.includes(`pull ${ws}/${doc}`)).length;
    ann.vault.documents.change(doc, (d: { body: string }) => A.splice(d, ['body'], 1, 0, 'b'));
    await until(() => bob.vault.documents.get(doc).body === 'ab', "ann's edit at bob");
    // Forwarded and applied as it came: no pull of the document was needed.
    expect(relay.calls.filter((c) => c.includes(`pull ${ws}/${doc}`)).length).toBe(pulls);
    await ann.sync.rounds.stop();
    expect(ann.sync.rounds.live).toBe(false);
    await close(ann, bob);
  });

  it('live: reports the relay lost, and syncs again once it is back', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = await team(ann);
    ann.sync.rounds.start();
    await until(() => ann.sync.status.get(ws).state === 'synced', 'synced');
    relay.down = true;
    for (const client of ann.clients) client.close();
    await until(() => ann.sync.status.get(ws).state === 'offline', 'offline');
    relay.down = false;
    await until(() => ann.sync.status.get(ws).state === 'synced', 'synced again');
    await close(ann);
  });
});
