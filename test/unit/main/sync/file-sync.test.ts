// Attachments through the relay: a file added in a team workspace goes up sealed chunk by chunk
// and is listed in the index; a member's device brings it down and checks every chunk; a chunk
// the relay altered is refused with a warning and nothing is kept; a file deleted here without the
// engine is deleted at the relay where this role may, else fetched again; Editors cannot delete.
import { describe, expect, it } from 'vitest';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

describe('FileSync', () => {
  it('uploads sealed, lists the file in the index, and a member downloads and checks it', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'editor']]);
    const file = await ann.vault.files.add(ws, { name: 'plan.txt', type: 'text/plain', source: [Buffer.from('the secret plan')] });
    await ann.sync.files.sync(ws, await clientOf(ann));
    await ann.sync.outbox.push(ws, await clientOf(ann));
    const stored = relay.space(ws).files.get(file.id)!;
    expect(Buffer.concat([...stored.chunks.values()]).toString('utf8')).not.toContain('secret');
    expect(ann.sync.spaces.index(ws).files?.[file.id]).toMatchObject({ name: 'plan.txt', size: 15, epoch: 0 });
    await bob.sync.rounds.syncSpace(ws, await clientOf(bob), false);
    expect(await readAll(bob.vault.files.read(file.id))).toBe('the secret plan');
    expect(bob.statuses.some((s) => s.transfer?.direction === 'down' && s.transfer.name === 'plan.txt')).toBe(true);
    expect(bob.sync.status.get(ws).transfer).toBeUndefined();
    await close(ann, bob);
  });

  it('refuses a chunk the relay altered and keeps nothing of the file', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann, [[bob, 'viewer']]);
    const file = await ann.vault.files.add(ws, { name: 'plan.txt', source: [Buffer.from('the secret plan')] });
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    const chunk = relay.space(ws).files.get(file.id)!.chunks.get(0)!;
    chunk[chunk.length - 1]! ^= 1;
    await bob.sync.rounds.syncSpace(ws, await clientOf(bob), false);
    expect(bob.vault.files.has(file.id)).toBe(false);
    expect(bob.warnings.at(-1)).toMatchObject({
      code: 'RECORD_TAMPERED',
      message: expect.stringMatching(/does not decrypt in its place.*\("plan\.txt"\); it was not kept/),
    });
    await close(ann, bob);
  });

  it('deletes at the relay a file deleted here where this role may, and fetches it again where it may not', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ed = await device(relay, 'ed');
    const ws = await team(ann, [[ed, 'editor']]);
    const file = await ann.vault.files.add(ws, { name: 'a.txt', source: [Buffer.from('a')] });
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    await ed.sync.rounds.syncSpace(ws, await clientOf(ed), false);
    expect(ed.vault.files.has(file.id)).toBe(true);
    // The Editor's vault deletes it without the engine: it comes back, with a warning naming the role.
    ed.vault.files.delete(file.id);
    await ed.sync.rounds.syncSpace(ws, await clientOf(ed), false);
    expect(ed.vault.files.has(file.id)).toBe(true);
    expect(ed.warnings.at(-1)?.message).toMatch(/fetched again: as an editor you cannot delete files/);
    await expect(ed.sync.files.delete(file.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // The Owner's deletion goes to the relay and to the Editor's device.
    expect(await ann.sync.files.delete(file.id)).toEqual({ waitsForRelay: false });
    expect(relay.space(ws).files.has(file.id)).toBe(false);
    await ed.sync.rounds.syncSpace(ws, await clientOf(ed), false);
    expect(ed.vault.files.has(file.id)).toBe(false);
    await close(ann, ed);
  });

  it('deletes offline here at once and tells the relay on the next round', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const ws = await team(ann);
    const file = await ann.vault.files.add(ws, { name: 'a.txt', source: [Buffer.from('a')] });
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    await ann.sync.connections.closeAll();
    relay.down = true;
    expect(await ann.sync.files.delete(file.id)).toEqual({ waitsForRelay: true });
    expect(ann.vault.files.has(file.id)).toBe(false);
    relay.down = false;
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    expect(relay.space(ws).files.has(file.id)).toBe(false);
    await close(ann);
  });
});
