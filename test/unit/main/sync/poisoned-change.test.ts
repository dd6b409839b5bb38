// One change the relay altered is refused alone: the author's later changes, which build on it,
// are held (not refused) and say why; a change that does not build on it applies at once; the
// held ones apply as soon as the history arrives — the relay serving a good copy, or a member who
// has it sending it again when asked through the index — and nothing stays kept aside.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { INDEX_DOC } from '../../../../main/sync/workspace-index.ts';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team, type Device } from './harness.ts';

async function write(peer: Device, ws: string, doc: string, text: string, at: 'start' | 'end' = 'end'): Promise<void> {
  peer.vault.documents.change(doc, (d: { body: string }) => A.splice(d, ['body'], at === 'start' ? 0 : d.body.length, 0, text));
  await peer.sync.outbox.push(ws, await clientOf(peer));
}

const round = async (peer: Device, ws: string) => peer.sync.rounds.syncSpace(ws, await clientOf(peer), false);

/** Ann, Bob and Cat in a team with one document; the relay alters Ann's " one" as it stores it; Ann writes on. */
async function poisoned() {
  const relay = new FakeRelay();
  const ann = await device(relay, 'ann');
  const bob = await device(relay, 'bob');
  const cat = await device(relay, 'cat');
  const ws = await team(ann, [
    [bob, 'editor'],
    [cat, 'editor'],
  ]);
  const doc = ann.vault.documents.create(ws, { title: 'Minutes', init: (d) => A.updateText(d, ['body'], 'genuine') }).id;
  await round(ann, ws);
  for (const peer of [bob, cat]) await round(peer, ws);
  await write(ann, ws, doc, ' one');
  const [one] = A.getHeads(ann.vault.documents.get(doc));
  const stored = relay.stored(ws, doc).at(-1)!;
  const good = stored.bytes.slice();
  stored.bytes[stored.bytes.length - 80]! ^= 1;
  await write(ann, ws, doc, ' two');
  await write(ann, ws, doc, ' three');
  // Cat never had " one": what Cat writes does not build on it.
  await round(cat, ws);
  await write(cat, ws, doc, 'CAT ', 'start');
  return { relay, ann, bob, cat, ws, doc, stored, good, one };
}

describe('a poisoned change', () => {
  it('is refused alone: what builds on it waits (saying why), what does not applies', async () => {
    const { bob, ann, cat, ws, doc } = await poisoned();
    const result = await round(bob, ws);
    expect(result).toMatchObject({ refused: 1, waiting: 2 });
    expect(bob.vault.documents.get(doc).body).toBe('CAT genuine');
    const kept = bob.vault.syncState.quarantined(ws).map((q) => ({ code: q.code, waiting: q.waiting === true, reason: q.reason }));
    expect(kept).toEqual([
      { code: 'RECORD_TAMPERED', waiting: false, reason: expect.stringMatching(/^a change that is not genuine/) },
      { code: 'RECORD_TAMPERED', waiting: true, reason: 'a change whose earlier history the relay has not delivered' },
      { code: 'RECORD_TAMPERED', waiting: true, reason: 'a change whose earlier history the relay has not delivered' },
    ]);
    expect(bob.sync.status.get(ws)).toMatchObject({ quarantined: 3, waiting: 2 });
    expect(bob.warnings.at(-1)?.message).toMatch(/kept aside until that history arrives \(the relay serving it again, or a member who has it sending it\)/);
    await close(ann, bob, cat);
  });

  it('applies with everything that waited once the relay serves a good copy', async () => {
    const { bob, ann, cat, ws, doc, stored, good } = await poisoned();
    await round(bob, ws);
    stored.bytes = good;
    const result = await round(bob, ws);
    expect(result.waiting).toBe(0);
    expect(result.applied).toBeGreaterThanOrEqual(3);
    expect(bob.vault.documents.get(doc).body).toBe('CAT genuine one two three');
    expect(bob.vault.syncState.quarantined(ws)).toEqual([]);
    expect(bob.sync.status.get(ws)).not.toHaveProperty('waiting');
    await close(ann, bob, cat);
  });

  it('applies with everything that waited once a member who has it sends it again, asked through the index', async () => {
    const { relay, bob, ann, cat, ws, doc, one } = await poisoned();
    await round(bob, ws);
    // Bob asked, in the encrypted index, for the one change he lacks: Ann's " one".
    expect(bob.sync.spaces.index(ws).wanted?.[doc]?.[bob.account]).toEqual([one]);
    const pushesBefore = relay.stored(ws, doc).length;
    await round(ann, ws); // Ann sees the request and sends that change again
    expect(relay.stored(ws, doc).length).toBe(pushesBefore + 1);
    await round(bob, ws);
    expect(bob.vault.documents.get(doc).body).toBe('CAT genuine one two three');
    expect(bob.vault.syncState.quarantined(ws).filter((q) => q.waiting)).toEqual([]);
    // Nothing waits any more: Bob's request is gone from the index; Ann does not send it again (Cat asked too).
    expect(bob.sync.spaces.index(ws).wanted?.[doc]?.[bob.account]).toBeUndefined();
    expect(bob.sync.spaces.index(ws).wanted?.[doc]?.[cat.account]).toEqual([one]);
    await round(ann, ws);
    expect(relay.stored(ws, doc).length).toBe(pushesBefore + 1);
    expect(relay.stored(ws, INDEX_DOC).length).toBeGreaterThan(0);
    await close(ann, bob, cat);
  });

  it('is not asked for by a Viewer, who may not write the index', async () => {
    const { relay, bob, ann, cat, ws, doc } = await poisoned();
    await ann.sync.members.setRole(ws, bob.name, 'viewer');
    await round(bob, ws);
    expect(bob.sync.spaces.index(ws).wanted?.[doc]?.[bob.account]).toBeUndefined();
    expect(bob.vault.syncState.outboxCount(ws)).toBe(0);
    expect(bob.warnings.filter((w) => w.code === 'FORBIDDEN')).toEqual([]);
    expect(relay.calls.some((c) => c.startsWith(bob.account.slice(0, 6)) && c.includes(`push ${ws}/${INDEX_DOC}`))).toBe(false);
    await close(ann, bob, cat);
  });
});
