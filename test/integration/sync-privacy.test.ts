// S1 extended, S2 and S8 for team sync. A recorder wraps every way Node opens a connection or
// resolves a name: personal use (with the sync engine running) opens none; a personal workspace
// with "Sync between my devices" on reaches only the configured relay, and one with it off sends
// nothing; team use opens connections only to the configured relay. Every frame both ways is
// recorded, and after a session of team use the relay's storage, its log and those frames hold
// none of the markers.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../common/crypto/sodium.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { relayPlaces } from '../support/erasure-scan.ts';
import { recordConnections } from '../support/connection-recorder.ts';
import { createTestVault, findInFiles } from '../support/vault.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, eventually, frameRecorder, makePeer, type Peer } from './sync-fixture.ts';

const MARK = `m${process.pid}x${Date.now().toString(36)}`;
const markers = {
  workspace: `WSNAME-${MARK}`,
  title: `TITLE-${MARK}`,
  body: `BODY-${MARK}`,
  tag: `tag-${MARK}`.toLowerCase(),
  comment: `COMMENT-${MARK}`,
  reply: `REPLY-${MARK}`,
};

/** Every frame a client sends or receives, as the bytes on the wire. */
const { frames, createSocket: recordingSocket } = frameRecorder();

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(() => relay?.stop());

describe('sync and the network', () => {
  it('S2: personal use with the sync engine running opens no connection and looks up no name', async () => {
    const recorder = recordConnections();
    try {
      const vault = await createTestVault();
      const engine = new SyncEngine(vault);
      engine.start();
      const personal = vault.workspaces.list()[0]!;
      const doc = vault.documents.create(personal.id, { title: markers.title, tags: [markers.tag], init: (d) => A.updateText(d, ['body'], markers.body) });
      vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'more '));
      vault.comments.add(doc.id, { text: markers.comment });
      expect(await engine.syncOnce()).toEqual({ workspaces: 0, pushed: 0, applied: 0, refused: 0, waiting: 0 });
      await expect(engine.syncOnce(personal.id)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      expect(vault.syncState.outboxCount(personal.id)).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await engine.close();
      vault.lock();
    } finally {
      recorder.stop();
    }
    expect(recorder.attempts.map((a) => a.target)).toEqual([]);
  });

  it('S2 with "Sync between my devices" on for A: only the configured relay is reached, and B (off) never leaves', { timeout: 60_000 }, async () => {
    const relayHost = `127.0.0.1:${new URL(relay.url).port}`;
    const own = frameRecorder();
    const mine = { a: `SYNCED-A-${MARK}`, b: `LOCAL-B-${MARK}` };
    const recorder = recordConnections();
    let ada: Peer | undefined;
    let keys: Uint8Array[] = [];
    try {
      ada = await makePeer(relay.url, 'ada', { createSocket: own.createSocket });
      const a = ada.vault.workspaces.create({ name: `Journal ${mine.a}` });
      const b = ada.vault.workspaces.create({ name: `Diary ${mine.b}` });
      const inA = ada.vault.documents.create(a.id, { title: mine.a, init: (d) => A.updateText(d, ['body'], mine.a) });
      const inB = ada.vault.documents.create(b.id, { title: mine.b, init: (d) => A.updateText(d, ['body'], mine.b) });
      ada.vault.comments.add(inB.id, { text: mine.b });
      await ada.vault.files.add(b.id, { name: `${mine.b}.txt`, source: [Buffer.from(mine.b)] });
      await ada.engine.deviceSync.turnOn(a.id, relay.url, true);
      ada.engine.start();
      ada.vault.documents.change(inA.id, (d) => A.splice(d, ['body'], 0, 0, 'more '));
      ada.vault.documents.change(inB.id, (d) => A.splice(d, ['body'], 0, 0, `${mine.b} again `));
      await eventually(() => ada!.vault.syncState.outboxCount(a.id) === 0, 'A pushed');
      await ada.engine.syncOnce();
      expect(ada.vault.syncState.space(b.id)).toBeUndefined();
      expect(ada.vault.syncState.outboxCount(b.id)).toBe(0);
      keys = [ada.vault.workspaces.keyOf(b.id), ...Object.values(ada.vault.syncState.space(a.id)!.epochKeys).map((hex) => fromHex(hex))];
    } finally {
      recorder.stop();
      if (ada) await closePeer(ada);
    }
    expect(new Set(recorder.attempts.map((a) => a.target))).toEqual(new Set([relayHost]));
    // A went (its markers are in the relay's rows once opened with its key: the control); B is nowhere, in frames or in what the relay keeps.
    expect(relayPlaces(relay.dataDir, relay.logLines, keys, mine.a)).not.toEqual([]);
    expect(relayPlaces(relay.dataDir, relay.logLines, keys, mine.b)).toEqual([]);
    expect(own.frames.some((frame) => Buffer.from(frame).includes(Buffer.from(mine.b)))).toBe(false);
  });

  it('S8 and S1: team use connects only to the configured relay, which stores and receives no content', { timeout: 60_000 }, async () => {
    const relayHost = `127.0.0.1:${new URL(relay.url).port}`;
    const recorder = recordConnections();
    let ann: Peer | undefined;
    let bob: Peer | undefined;
    let linkKey = '';
    try {
      ann = await makePeer(relay.url, 'ann', { createSocket: recordingSocket, snapshotEvery: 2 });
      bob = await makePeer(relay.url, 'bob', { createSocket: recordingSocket, snapshotEvery: 2 });
      const workspace = await ann.engine.createTeamWorkspace(markers.workspace, relay.url);
      const doc = ann.vault.documents.create(workspace.id, { title: markers.title, tags: [markers.tag], init: (d) => A.updateText(d, ['body'], markers.body) });
      const thread = ann.vault.comments.add(doc.id, { text: markers.comment });
      await ann.engine.invite(workspace.id, bob.vault.profile.username, 'editor');
      const [invitation] = await bob.engine.invitations();
      expect(invitation!.name).toBe(markers.workspace);
      await bob.engine.acceptInvitation(workspace.id);
      ann.engine.start();
      bob.engine.start();
      bob.vault.comments.add(doc.id, { text: markers.reply, replyTo: thread.id });
      bob.vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, `${markers.body}-again `));
      await eventually(
        () => ann!.vault.comments.list(doc.id)[0]?.comments.length === 2 && ann!.vault.documents.get(doc.id).body.includes('-again'),
        'live changes at ann',
      );
      // A public link (opened over HTTP from the same relay) and presence both ways.
      const link = await ann.engine.createLink(doc.id, { expiresInMs: 3600_000 });
      linkKey = new URL(link.url).hash.slice(1);
      expect((await bob.engine.openLink(link.url)).markdown).toContain(markers.body);
      ann.engine.setPresence(doc.id, { from: 1, to: 4 });
      bob.engine.setPresence(doc.id, { from: 2, to: 2 });
      await eventually(() => bob!.engine.presence(doc.id).length === 1 && ann!.engine.presence(doc.id).length === 1, 'presence both ways');
      await ann.engine.syncOnce();
      await bob.engine.syncOnce();
    } finally {
      recorder.stop();
      for (const peer of [ann, bob]) if (peer) await closePeer(peer);
    }
    // Snapshots (every 2 changes here) went through the relay too.
    const [snapshots] = await relay.store.driver.all('SELECT count(*) AS n FROM docs WHERE snapshot IS NOT NULL');
    expect(Number(snapshots!.n)).toBeGreaterThan(0);
    expect(recorder.attempts.map((a) => a.target).length).toBeGreaterThan(0);
    // Opening the link fetches /p/<id>/data from the same relay (never the key after '#').
    const hostOf = (target: string) => (target.startsWith('fetch:') ? new URL(target.slice('fetch:'.length)).host : target);
    expect(new Set(recorder.attempts.map((a) => hostOf(a.target)))).toEqual(new Set([relayHost]));
    expect(recorder.attempts.filter((a) => a.target.startsWith('fetch:')).map((a) => new URL(a.target.slice('fetch:'.length)).pathname)).toEqual([
      expect.stringMatching(/^\/p\/[A-Za-z0-9_-]+\/data$/),
    ]);
    expect(recorder.attempts.some((a) => a.target.includes(linkKey))).toBe(false);

    // The link's key (after '#') must never reach the relay either.
    expect(linkKey.length).toBeGreaterThan(20);
    const needles = [...Object.values(markers), linkKey];
    expect(findInFiles(relay.dataDir, needles)).toEqual([]);
    expect(relay.logLines.filter((line) => needles.some((n) => line.includes(n)))).toEqual([]);
    expect(frames.length).toBeGreaterThan(20);
    const leaks = needles.filter((needle) =>
      frames.some((frame) => Buffer.from(frame).includes(Buffer.from(needle)) || Buffer.from(frame).includes(Buffer.from(needle, 'utf16le'))),
    );
    expect(leaks).toEqual([]);
  });
});
