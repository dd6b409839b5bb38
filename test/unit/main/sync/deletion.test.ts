// Deleting documents: the Owner's deletion leaves the index, the relay drops the document's
// changes and members' copies go; an Editor is refused; offline the document goes here at once
// and elsewhere on the next round; a document deleted with the vault alone is noticed, its
// deletion sent where the role may, else it is fetched again.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { FakeRelay } from './fake-relay.ts';
import { clientOf, close, device, team } from './harness.ts';

async function setUp() {
  const relay = new FakeRelay();
  const ann = await device(relay, 'ann');
  const ed = await device(relay, 'ed');
  const ws = await team(ann, [[ed, 'editor']]);
  const doc = ann.vault.documents.create(ws, { title: 'Old', init: (d) => A.updateText(d, ['body'], 'old text') }).id;
  await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
  await ed.sync.rounds.syncSpace(ws, await clientOf(ed), false);
  return { relay, ann, ed, ws, doc };
}

describe('Deletion', () => {
  it("deletes here, in the index and at the relay; a member's copy goes on their next round", async () => {
    const { relay, ann, ed, ws, doc } = await setUp();
    await expect(ed.sync.deletion.delete(doc)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/an editor cannot delete documents or files/),
    });
    expect(await ann.sync.deletion.delete(doc)).toEqual({ waitsForRelay: false });
    expect(ann.vault.documents.has(doc)).toBe(false);
    expect(relay.space(ws).docs.has(doc)).toBe(false);
    expect(ann.sync.spaces.indexedDocs(ws)).toEqual([]);
    await ed.sync.rounds.syncSpace(ws, await clientOf(ed), false);
    expect(ed.vault.documents.has(doc)).toBe(false);
    await close(ann, ed);
  });

  it('deletes offline here at once and tells the relay and the members on the next round', async () => {
    const { relay, ann, ed, ws, doc } = await setUp();
    await ann.sync.connections.closeAll();
    relay.down = true;
    expect(await ann.sync.deletion.delete(doc)).toEqual({ waitsForRelay: true });
    expect(ann.vault.documents.has(doc)).toBe(false);
    relay.down = false;
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    expect(relay.space(ws).docs.has(doc)).toBe(false);
    await ed.sync.rounds.syncSpace(ws, await clientOf(ed), false);
    expect(ed.vault.documents.has(doc)).toBe(false);
    await close(ann, ed);
  });

  it('deletes here and waits for the relay when the connection drops on the way (it looked open)', async () => {
    const { relay, ann, ed, ws, doc } = await setUp();
    relay.down = true; // the open client still looks open; the next request fails
    expect(await ann.sync.deletion.delete(doc)).toEqual({ waitsForRelay: true });
    expect(ann.vault.documents.has(doc)).toBe(false);
    relay.down = false;
    await ann.sync.connections.closeAll();
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    expect(relay.space(ws).docs.has(doc)).toBe(false);
    await close(ann, ed);
  });

  it('fetches again a document an Editor deleted with the vault alone, saying why', async () => {
    const { ann, ed, ws, doc } = await setUp();
    ed.vault.documents.delete(doc);
    await ed.sync.rounds.syncSpace(ws, await clientOf(ed), false);
    expect(ed.vault.documents.get(doc).body).toBe('old text');
    expect(ed.warnings.at(-1)?.message).toMatch(/a document deleted on this device is fetched again: as an editor you cannot delete documents/);
    await close(ann, ed);
  });

  it("takes a peer's deletion only from a role that may delete content", async () => {
    const { relay, ann, ed, ws, doc } = await setUp();
    // An Editor's index change that drops the document (as a modified client could send): refused.
    ed.sync.spaces.changeIndex(ws, (d) => {
      delete d.docs[doc];
    });
    await ed.sync.outbox.push(ws, await clientOf(ed));
    await ann.sync.rounds.syncSpace(ws, await clientOf(ann), false);
    expect(ann.vault.documents.has(doc)).toBe(true);
    expect(ann.vault.syncState.quarantined(ws).at(-1)).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'a deletion of 1 document and no files by an editor, who may not delete content',
    });
    expect(relay.space(ws).docs.has(doc)).toBe(true);
    await close(ann, ed);
  });
});
