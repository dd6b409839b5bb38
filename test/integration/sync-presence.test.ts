// Presence over a real relay: two members see each other's selection live; a non-member sees and
// sends nothing; the relay keeps none of it (database, WAL, log); garbled, forged, oversized and
// too-frequent presence is dropped or refused without breaking anyone; peers disappear when they
// leave, disconnect, or go quiet.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { openPresence, sealPresence } from '../../common/protocol/presence.ts';
import type { PresenceEntry } from '../../main/sync/presence.ts';
import { giveDeviceLog, outcome, register, startTestRelay, type Person, type TestRelay } from './relay-fixture.ts';
import { closePeer, eventually, makePeer, type Peer } from './sync-fixture.ts';

const MARKER = 'PRESENCEMARKER-5be0';
const fast = { presence: { heartbeatMs: 300, ttlMs: 2000, minIntervalMs: 10 } };

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let carl: Peer | undefined;
let rex: Person; // a member speaking the protocol directly, to send what a normal client never would
let eve: Person; // registered on the relay, member of nothing
let workspaceId: string;
let documentId: string;
let spaceKey: Uint8Array;
const rexReceived: Array<{ from: string; payload: Uint8Array | undefined }> = [];
const eveReceived: unknown[] = [];

function selectionOf(peer: Peer, account: string): PresenceEntry['selection'] | undefined {
  return peer.engine.presence(documentId).find((e) => e.account === account)?.selection;
}

function relayStorage(): Buffer {
  return Buffer.concat(readdirSync(relay.dataDir).map((f) => readFileSync(join(relay.dataDir, f))));
}

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann', fast);
  bob = await makePeer(relay.url, 'bob', fast);
  rex = await register(relay.url, 'rex');
  eve = await register(relay.url, 'eve');
  // Hearth invites only accounts with a signed device list; rex's session goes on with its account key.
  await giveDeviceLog(rex);
  workspaceId = (await ann.engine.createTeamWorkspace('Presence team', relay.url)).id;
  documentId = ann.vault.documents.create(workspaceId, { title: 'Shared notes', init: (d) => void (d.body = 'hello presence world') }).id;
  await ann.engine.syncOnce(workspaceId);
  await ann.engine.invite(workspaceId, bob.vault.profile.username, 'editor');
  await ann.engine.invite(workspaceId, rex.username, 'editor');
  await bob.engine.acceptInvitation(workspaceId);
  spaceKey = fromHex(ann.vault.syncState.space(workspaceId)!.epochKeys['0']!);
  for (const peer of [ann, bob]) {
    peer.engine.start();
    await eventually(() => peer.engine.status(workspaceId)[0]?.state === 'synced', `${peer.name} to follow the workspace`);
  }
  await rex.client.subscribe(workspaceId, documentId, () => undefined);
  rex.client.onPresence((p) => rexReceived.push({ from: p.from, payload: p.payload }));
  eve.client.onPresence((p) => eveReceived.push(p));
});

afterAll(async () => {
  for (const peer of [ann, bob, carl]) if (peer) await closePeer(peer);
  rex?.client.close();
  eve?.client.close();
  await relay?.stop();
});

describe('presence', () => {
  it('two members see each other in the document, with their selections, live', async () => {
    const seenByBob: PresenceEntry[][] = [];
    const stop = bob.engine.onPresence((doc, entries) => doc === documentId && seenByBob.push(entries));
    ann.engine.setPresence(documentId, { from: 2, to: 5 });
    bob.engine.setPresence(documentId, { from: 7, to: 7 });
    await eventually(() => selectionOf(bob, ann.engine.account)?.from === 2, 'bob to see ann');
    await eventually(() => selectionOf(ann, bob.engine.account)?.from === 7, 'ann to see bob');
    expect(bob.engine.presence(documentId)).toEqual([
      { account: ann.engine.account, username: ann.vault.profile.username, displayName: 'ann', selection: { from: 2, to: 5 }, at: expect.any(Number) },
    ]);
    expect(ann.engine.presence(documentId).map((e) => e.username)).toEqual([bob.vault.profile.username]);
    expect(seenByBob.at(-1)?.[0]?.selection).toEqual({ from: 2, to: 5 });

    ann.engine.setPresence(documentId, { from: 3, to: 9 });
    await eventually(() => selectionOf(bob, ann.engine.account)?.to === 9, 'bob to see ann move');
    stop();

    // What the third member's connection got is sealed: it opens only with the space key.
    await eventually(() => rexReceived.some((r) => r.from === ann.engine.account && r.payload), 'rex to get ann’s presence');
    const sealed = rexReceived.find((r) => r.from === ann.engine.account && r.payload)!.payload!;
    expect(openPresence(sealed, { space: workspaceId, doc: documentId, from: ann.engine.account }, () => spaceKey)?.account).toBe(ann.engine.account);
    expect(openPresence(sealed, { space: workspaceId, doc: documentId, from: ann.engine.account }, () => new Uint8Array(32))).toBeUndefined();
    expect(Buffer.from(sealed).includes('"selection"')).toBe(false);
  });

  it('a non-member can neither follow the document, nor send presence, nor receive any', async () => {
    expect(await outcome(eve.client.subscribe(workspaceId, documentId, () => undefined))).toBe('FORBIDDEN');
    const forged = sealPresence(
      { space: workspaceId, doc: documentId, epoch: 0 },
      { account: eve.id, selection: { from: 0, to: 1 }, at: Date.now() },
      spaceKey,
    );
    expect(await outcome(eve.client.sendPresence(workspaceId, documentId, forged))).toBe('FORBIDDEN');
    ann.engine.setPresence(documentId, { from: 4, to: 6 });
    await eventually(() => selectionOf(bob, ann.engine.account)?.from === 4, 'bob to see ann again');
    expect(eveReceived).toEqual([]);
    expect(bob.engine.presence(documentId).map((e) => e.account)).not.toContain(eve.id);
  });

  it('garbled, forged, oversized and flooding presence is dropped or refused; nobody crashes', async () => {
    await bob.engine.syncOnce(workspaceId); // bob learns that rex is a member
    const rexSays = (selection: { from: number; to: number }, account = rex.id) =>
      rex.client.sendPresence(
        workspaceId,
        documentId,
        sealPresence({ space: workspaceId, doc: documentId, epoch: 0 }, { account, selection, at: Date.now() }, spaceKey),
      );
    const before = selectionOf(bob, ann.engine.account);

    // Garbage under a valid header (with a marker in it): forwarded blind, dropped by the receivers.
    await rex.client.sendPresence(workspaceId, documentId, new Uint8Array([0, 0, 0, 0, ...utf8(`${MARKER} not sealed at all`)]));
    // A member posing as another member: the relay stamps rex as the sender, the payload says ann.
    await rexSays({ from: 90, to: 95 }, ann.engine.account);
    // Sealed under a key that is not the space's.
    await rex.client.sendPresence(
      workspaceId,
      documentId,
      sealPresence(
        { space: workspaceId, doc: documentId, epoch: 0 },
        { account: rex.id, selection: { from: 50, to: 50 }, at: Date.now() },
        new Uint8Array(32).fill(7),
      ),
    );
    // Then a genuine one; it arrives after the others on the same connection.
    await rexSays({ from: 1, to: 1 });
    await eventually(() => selectionOf(bob, rex.id)?.from === 1, 'bob to see rex');
    expect(selectionOf(bob, ann.engine.account)).toEqual(before);
    expect(
      bob.engine
        .presence(documentId)
        .map((e) => e.account)
        .sort(),
    ).toEqual([ann.engine.account, rex.id].sort());

    expect(await outcome(rex.client.sendPresence(workspaceId, documentId, new Uint8Array(4096)))).toBe('TOO_LARGE');
    const flood = await Promise.all(Array.from({ length: 80 }, (_, i) => outcome(rexSays({ from: i, to: i }))));
    expect(flood).toContain('RATE_LIMITED');
    expect(flood.filter((o) => o !== 'ok' && o !== 'RATE_LIMITED')).toEqual([]);

    // A frame that is not a frame: an error answer, and the relay goes on serving everyone.
    const raw = new WebSocket(relay.url);
    await new Promise((resolve) => raw.once('open', resolve));
    const answer = new Promise<Buffer>((resolve) => raw.once('message', (data: Buffer) => resolve(data)));
    raw.send(Buffer.concat([Buffer.from([0, 0, 0, 30]), Buffer.from(`{"t":"presence","rid":1,"space":1}`)]));
    expect((await answer).toString('latin1')).toContain('BAD_REQUEST');
    raw.close();
    ann.engine.setPresence(documentId, { from: 5, to: 8 });
    await eventually(() => selectionOf(bob, ann.engine.account)?.to === 8, 'presence to keep flowing');
  });

  it('the relay keeps no presence: not in its database, WAL or log', async () => {
    const payloads = rexReceived.map((r) => r.payload).filter((p): p is Uint8Array => p !== undefined);
    expect(payloads.length).toBeGreaterThan(3);
    const stored = relayStorage();
    const log = relay.logLines.join('\n');
    for (const payload of payloads) {
      const tail = Buffer.from(payload.subarray(payload.length - 24));
      expect(stored.includes(tail)).toBe(false);
      expect(log).not.toContain(toBase64Url(payload.subarray(payload.length - 24)));
    }
    expect(stored.includes(MARKER)).toBe(false);
    expect(log).not.toContain(MARKER);
    expect(log).not.toMatch(/presence/i);
  });

  it('a member who joins while the others are live shows up: they catch up with the membership log on their own', async () => {
    carl = await makePeer(relay.url, 'carl', fast);
    await ann.engine.invite(workspaceId, carl.vault.profile.username, 'commenter');
    await carl.engine.acceptInvitation(workspaceId);
    carl.engine.start();
    await eventually(() => carl!.engine.status(workspaceId)[0]?.state === 'synced', 'carl to follow the workspace');
    carl.engine.setPresence(documentId, { from: 6, to: 6 });
    // Bob's copy of the membership log predates carl: bob drops carl's first updates, catches up, then lists him.
    await eventually(() => selectionOf(bob, carl!.engine.account)?.from === 6, 'bob to see carl', 15_000);
    expect(bob.engine.presence(documentId).find((e) => e.account === carl!.engine.account)?.username).toBe(carl.vault.profile.username);
    await eventually(() => selectionOf(carl!, bob.engine.account)?.from === 7, 'carl to see bob');
    carl.engine.setPresence(documentId, null);
    await eventually(() => selectionOf(bob, carl!.engine.account) === undefined, 'carl to leave');
  });

  it('in a document shared one by one, the Owner and the person it is shared with see each other', async () => {
    const personal = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!;
    const shared = ann.vault.documents.create(personal.id, { title: 'Just for bob', init: (d) => void (d.body = 'a private note') }).id;
    await ann.engine.shareDocument(shared, bob.vault.profile.username, 'commenter', { confirmed: true });
    const invitation = (await bob.engine.invitations()).find((i) => i.kind === 'document')!;
    await bob.engine.acceptInvitation(invitation.id);
    await eventually(() => bob.vault.documents.allIds().some((d) => d.id === shared), 'the shared document at bob');
    const other = (peer: Peer) => peer.engine.presence(shared).map((e) => [e.username, e.selection?.from]);
    ann.engine.setPresence(shared, { from: 1, to: 2 });
    bob.engine.setPresence(shared, { from: 3, to: 3 });
    await eventually(() => other(bob).length === 1 && other(ann).length === 1, 'both to see each other in the shared document', 15_000);
    expect(other(bob)).toEqual([[ann.vault.profile.username, 1]]);
    expect(other(ann)).toEqual([[bob.vault.profile.username, 3]]);
    // Moving to the shared document left the workspace document.
    await eventually(() => selectionOf(bob, ann.engine.account) === undefined, 'ann to have left the workspace document');
    ann.engine.setPresence(documentId, { from: 5, to: 8 });
    bob.engine.setPresence(documentId, { from: 7, to: 7 });
    await eventually(() => other(bob).length === 0 && other(ann).length === 0, 'both to leave the shared document');
  });

  it('peers disappear when they leave, disconnect, or go quiet; a removed member can send no more', async () => {
    ann.engine.setPresence(documentId, null);
    await eventually(() => selectionOf(bob, ann.engine.account) === undefined, 'ann to leave');

    // Rex said something once and then nothing: gone after the ttl (2 s here), while bob's heartbeat keeps him.
    await rex.client.sendPresence(
      workspaceId,
      documentId,
      sealPresence({ space: workspaceId, doc: documentId, epoch: 0 }, { account: rex.id, selection: { from: 3, to: 3 }, at: Date.now() }, spaceKey),
    );
    await eventually(() => selectionOf(ann, rex.id)?.from === 3, 'ann to see rex');
    await eventually(() => selectionOf(ann, rex.id) === undefined, 'rex to go quiet and expire', 15_000);
    expect(selectionOf(ann, bob.engine.account)).toEqual({ from: 7, to: 7 });

    // Bob's connection goes: the relay tells the others at once.
    await bob.engine.stop();
    await eventually(() => selectionOf(ann, bob.engine.account) === undefined, 'bob to disappear on disconnect');

    await ann.engine.removeMember(workspaceId, rex.username);
    expect(await outcome(rex.client.sendPresence(workspaceId, documentId, new Uint8Array(40)))).toBe('FORBIDDEN');
  });

  it('refuses a selection that is not one', () => {
    expect(() => ann.engine.setPresence(documentId, { from: 5, to: 2 })).toThrow(/from ≤ to/);
    expect(() => ann.engine.setPresence(documentId, { from: -1, to: 2 })).toThrow(/whole offsets/);
  });
});
