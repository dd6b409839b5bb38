// Three members replay the whole concurrent editing trace (26,078 transactions: two people typing into one document at the
// same time) through a real relay, and the Owner erases the history in the middle while the
// other two have edits the relay has not seen. Everyone converges to the same text, every edit
// typed survives the erasure, and the text deleted before it is in nobody's history.
import * as A from '@automerge/automerge';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, randomBytes, toHex } from '../../common/crypto/sodium.ts';
import { forgetHistory } from '../../main/usecases/history.ts';
import { ciphertextHolds, historyHolds, relayBlobs } from '../support/history-scan.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, makePeer, type Peer } from './sync-fixture.ts';

const TRACE = '../shared/data/editing-traces/friendsforever-concurrent.json.gz';
/** Each typist syncs after this many of the trace's transactions. */
const ROUND_EVERY = 1000;

type Patch = [number, number, string];

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let cat: Peer;
let workspace: string;

beforeAll(async () => {
  relay = await startTestRelay();
  [ann, bob, cat] = await Promise.all([makePeer(relay.url, 'ann'), makePeer(relay.url, 'bob'), makePeer(relay.url, 'cat')]);
  workspace = (await ann.engine.createTeamWorkspace('Trace', relay.url)).id;
  for (const peer of [bob, cat]) {
    await ann.engine.invite(workspace, peer.vault.profile.username, 'editor');
    await peer.engine.acceptInvitation(workspace);
  }
}, 60_000);
afterAll(() => closeAll([ann, bob, cat], { relay }));

/** Applies a trace transaction to a member's copy, its positions kept inside the text that member has. */
function type(peer: Peer, id: string, patches: Patch[]): void {
  peer.vault.documents.change(id, (d) => {
    for (const [pos, del, text] of patches) {
      const at = Math.min(pos, d.body.length);
      A.splice(d, ['body'], at, Math.min(del, d.body.length - at), text);
    }
  });
}

describe('erasing history in the middle of concurrent editing', () => {
  it('three members replaying the concurrent trace converge, keeping every edit and none of the erased text', { timeout: 240_000 }, async () => {
    const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as { txns: Array<{ agent: number; patches: Patch[] }> };
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    const id = ann.vault.documents.create(workspace, { title: 'Friends', init: (d) => A.splice(d, ['body'], 0, 0, marker) }).id;
    await ann.engine.syncOnce();
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, marker.length, ''));
    await ann.engine.syncOnce();
    for (const peer of [bob, cat]) await peer.engine.syncOnce();
    expect(historyHolds(bob.vault.documents.get(id), marker)).toBe(true);

    const typists = [bob, cat];
    const half = Math.floor(trace.txns.length / 2);
    for (const [i, txn] of trace.txns.entries()) {
      type(typists[txn.agent]!, id, txn.patches);
      if (i === half) {
        // Ann erases the history; Bob and Cat hold edits typed since their last round, these among them.
        for (const peer of typists) type(peer, id, [[0, 0, `[${peer.name} typed this offline]`]]);
        await ann.engine.syncOnce();
        await forgetHistory(ann, id);
      } else if (i % ROUND_EVERY === 0) {
        for (const peer of typists) await peer.engine.syncOnce();
      }
    }
    for (let round = 0; round < 2; round++) for (const peer of [bob, cat, ann]) await peer.engine.syncOnce();

    const text = bodyOf(ann, id);
    expect(text.length).toBeGreaterThan(1000);
    expect(bodyOf(bob, id)).toBe(text);
    expect(bodyOf(cat, id)).toBe(text);
    // What they typed where Ann could not see it when she erased the history came through.
    for (const peer of typists) expect(text).toContain(`[${peer.name} typed this offline]`);
    for (const peer of [ann, bob, cat]) {
      expect(peer.vault.documents.generationOf(id)).toBe(1);
      expect(historyHolds(peer.vault.documents.get(id), marker)).toBe(false);
      expect(peer.engine.status(workspace)[0]!.pending).toBe(0);
    }
    const keys = [...new Set([ann, bob, cat].flatMap((p) => Object.values(p.vault.syncState.space(workspace)?.epochKeys ?? {})))].map((hex) => fromHex(hex));
    const stored = ciphertextHolds(relayBlobs(relay.dataDir, workspace, id), keys, marker);
    expect(stored.opened).toBeGreaterThan(0);
    expect(stored.found).toBe(false);
  });
});
