// The fallback of carrying offline edits onto a new generation, reached for real through a relay:
// Bob, offline, rewrites a sentence that Ann deletes before she erases the document's history.
// His words have no place left in the new generation, so they are kept, with every other edit he
// made, in a visible copy ("— your offline edits") that reaches Ann too; the document itself is
// Ann's new generation; and the sentence she deleted (a fresh marker in it) comes back nowhere:
// not in the copy, not in any member's vault or history, not at the relay opened with every key.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../common/crypto/sodium.ts';
import type { SyncWarning } from '../../main/sync/engine.ts';
import { forgetHistory } from '../../main/usecases/history.ts';
import { relayPlaces, vaultPlaces } from '../support/erasure-scan.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, teamOfTwo, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let workspace: string;
const bobWarnings: SyncWarning[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
  ({ ann, bob, workspace } = await teamOfTwo(relay.url, 'Drafts', { onBob: (peer) => peer.engine.onWarning((w) => bobWarnings.push(w)) }));
}, 60_000);
afterAll(() => closeAll([ann, bob], { relay }));

/** Every epoch key either member ever held. */
function everyKey(): Uint8Array[] {
  return [ann, bob].flatMap((p) => Object.values(p.vault.syncState.space(workspace)!.epochKeys).map((hex) => Buffer.from(hex, 'hex')));
}

it(
  "an offline rewrite of a sentence the forgetter deleted is kept as a visible copy with all of Bob's edits; the deleted sentence comes back nowhere",
  { timeout: 120_000 },
  async () => {
    const marker = `MARKER-${newId()}`;
    const secret = `The supplier quote is ${marker} per unit.`;
    const id = ann.vault.documents.create(workspace, {
      title: 'Pricing',
      init: (d) => A.splice(d, ['body'], 0, 0, `We sell at cost plus ten. ${secret} Shipping is free.`),
    }).id;
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(bob, id)).toContain(marker);

    // Bob, offline: rewrites a word inside the secret sentence and adds a sentence of his own at the end.
    bob.vault.documents.change(id, (d) => {
      const at = d.body.indexOf('supplier');
      A.splice(d, ['body'], at, 'supplier'.length, 'wholesale');
      A.splice(d, ['body'], d.body.length, 0, ' Bob: returns within 30 days.');
    });
    // Ann deletes the secret sentence and erases the document's history.
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.indexOf(secret), secret.length + 1, ''));
    expect(bodyOf(ann, id)).toBe('We sell at cost plus ten. Shipping is free.');
    await forgetHistory(ann, id);

    // The control: before Bob comes back, his vault still holds the marker (his copy of the old generation).
    expect(await vaultPlaces('bob', bob.vault, marker)).toContain("bob's document history");

    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();

    // The document is Ann's new generation at both; Bob's edits are all in a visible copy, which reaches Ann.
    for (const p of [ann, bob]) {
      expect(bodyOf(p, id)).toBe('We sell at cost plus ten. Shipping is free.');
      expect(p.vault.documents.generationOf(id)).toBe(1);
      const copies = p.vault.documents.list(workspace).filter((d) => d.title === 'Pricing — your offline edits');
      expect(copies, p.name).toHaveLength(1);
      const copy = bodyOf(p, copies[0]!.id);
      expect(copy).toContain('wholesale');
      expect(copy).toContain('Bob: returns within 30 days.');
      expect(copy).toContain('We sell at cost plus ten.');
      expect(copy).not.toContain(marker);
    }
    expect(bobWarnings.map((w) => w.message)).toContainEqual(expect.stringContaining('“Pricing — your offline edits”'));

    // The deleted sentence is nowhere: members' vaults (comments, every history, outbox, files as bytes, an export) and the relay.
    for (const p of [ann, bob]) expect(await vaultPlaces(p.name, p.vault, marker), p.name).toEqual([]);
    expect(relayPlaces(relay.dataDir, relay.logLines, everyKey(), marker)).toEqual([]);
  },
);
