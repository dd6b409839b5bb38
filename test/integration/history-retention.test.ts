// "Keep edit history for …" per workspace: edits older than the horizon are forgotten (the state
// then becomes the new generation's base), later versions stay with their authors, and a marker
// typed and deleted before the horizon is in no history afterwards (each scan has its control).
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, randomBytes, toHex } from '../../common/crypto/sodium.ts';
import { actorPrefix, newActor } from '../../common/history/authors.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { keepRetention } from '../../main/app/retention-timer.ts';
import { documentHistory, retentionOf, setRetention } from '../../main/usecases/history.ts';
import { ciphertextHolds, historyHolds, relayBlobs } from '../support/history-scan.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, eventually, makePeer, type Peer } from './sync-fixture.ts';

const DAY = 24 * 60 * 60;

let relay: TestRelay;
let ann: Peer;
let bob: Peer;

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
}, 60_000);
afterAll(() => closeAll([ann, bob], { relay }));

/** A document written ten days ago (a marker typed and deleted then) and edited two days ago by `recent`. */
function oldDocument(peer: Peer, workspace: string, marker: string, recent: string): string {
  const now = Math.floor(Date.now() / 1000);
  const mine = newActor(peer.engine.account);
  let doc = A.change(A.init<DocumentContent>({ actor: mine }), { time: now - 10 * DAY }, (d) => {
    Object.assign(d, { title: 'Minutes', body: '', tags: [], createdAt: (now - 10 * DAY) * 1000 });
    A.splice(d, ['body'], 0, 0, `Agreed: budget. ${marker} `);
  });
  doc = A.change(doc, { time: now - 10 * DAY + 60 }, (d) => A.splice(d, ['body'], 'Agreed: budget. '.length, marker.length + 1, ''));
  const theirs = A.change(A.clone(doc, { actor: newActor(recent) }), { time: now - 2 * DAY }, (d) => A.splice(d, ['body'], d.body.length, 0, 'Later: hiring.'));
  doc = A.merge(doc, theirs);
  const id = `minutes${toHex(randomBytes(4))}`;
  peer.vault.documents.adoptLoaded(workspace, id, doc, { createdAt: (now - 10 * DAY) * 1000, updatedAt: (now - 2 * DAY) * 1000 });
  return id;
}

describe('keeping edit history for a while', { timeout: 60_000 }, () => {
  it('in a personal workspace: forgets what is older, keeps later versions and their authors', async () => {
    const workspace = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!.id;
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    const id = oldDocument(ann, workspace, marker, bob.engine.account);
    const text = bodyOf(ann, id);
    expect(historyHolds(ann.vault.documents.get(id), marker)).toBe(true);
    expect(retentionOf(ann, workspace)).toBe('forever');

    expect(await setRetention(ann, workspace, '7d')).toMatchObject({ retention: '7d', forgotten: [id] });
    expect(retentionOf(ann, workspace)).toBe('7d');
    expect(bodyOf(ann, id)).toBe(text);
    expect(historyHolds(ann.vault.documents.get(id), marker)).toBe(false);
    const versions = documentHistory(ann, id).versions;
    // Newest first: Bob's edit of two days ago (its author kept), then the state ten days ago.
    expect(versions.map((v) => v.base)).toEqual([false, true]);
    expect(A.getChangesMetaSince(ann.vault.documents.get(id), []).some((c) => c.actor.startsWith(actorPrefix(bob.engine.account)))).toBe(true);
    // Nothing older is left: applying it again forgets nothing.
    expect((await setRetention(ann, workspace, '7d')).forgotten).toEqual([]);
    // None: every version goes.
    expect((await setRetention(ann, workspace, 'none')).forgotten).toEqual([id]);
    expect(documentHistory(ann, id).versions.map((v) => v.base)).toEqual([true]);
    expect(bodyOf(ann, id)).toBe(text);
  });

  it('in a team workspace: only an Owner or Admin sets it, every member learns it, and the relay keeps no older edit', async () => {
    const workspace = (await ann.engine.createTeamWorkspace('Council', relay.url)).id;
    await ann.engine.invite(workspace, bob.vault.profile.username, 'editor');
    await bob.engine.acceptInvitation(workspace);
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    const id = oldDocument(ann, workspace, marker, bob.engine.account);
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    const keys = () => [...new Set([ann, bob].flatMap((p) => Object.values(p.vault.syncState.space(workspace)?.epochKeys ?? {})))].map((hex) => fromHex(hex));
    expect(historyHolds(bob.vault.documents.get(id), marker)).toBe(true);
    expect(ciphertextHolds(relayBlobs(relay.dataDir, workspace, id), keys(), marker).found).toBe(true);

    await expect(setRetention(bob, workspace, '30d')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await setRetention(ann, workspace, '7d')).toMatchObject({ forgotten: [id] });
    await bob.engine.syncOnce();
    expect(retentionOf(bob, workspace)).toBe('7d');
    expect(bodyOf(bob, id)).toBe(bodyOf(ann, id));
    for (const peer of [ann, bob]) {
      expect(historyHolds(peer.vault.documents.get(id), marker)).toBe(false);
      expect(documentHistory(peer, id).versions.map((v) => v.base)).toEqual([false, true]);
    }
    const stored = ciphertextHolds(relayBlobs(relay.dataDir, workspace, id), keys(), marker);
    expect(stored.opened).toBeGreaterThan(0);
    expect(stored.found).toBe(false);
  });

  it('expires on its own while the app runs: an old edit is forgotten without anyone asking', async () => {
    const workspace = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!.id;
    await setRetention(ann, workspace, '30d');
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    // Written ten days ago: within 30 days, kept.
    const id = oldDocument(ann, workspace, marker, bob.engine.account);
    const stop = keepRetention(ann.vault, ann.engine, { firstMs: 0, everyMs: 50 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(historyHolds(ann.vault.documents.get(id), marker)).toBe(true);
      // The setting shortens (as on another device, or in the file): the next run forgets it.
      ann.vault.workspaces.setRetention(workspace, '7d');
      await eventually(() => ann.vault.documents.generationOf(id) === 1, 'retention to expire the old edits');
      expect(historyHolds(ann.vault.documents.get(id), marker)).toBe(false);
    } finally {
      stop();
    }
  });
});
