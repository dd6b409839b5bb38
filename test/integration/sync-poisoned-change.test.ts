/**
 * One byte flipped in a change the relay stores (issue 16, item 6), with a real relay, real
 * engines over real sockets, and `hearth sync` as a real process: the altered change is refused
 * alone; the author's later changes, which build on it, wait (and say so), while a member's change
 * that does not build on it applies; `hearth sync` fails while changes wait, naming them; the
 * document comes whole once the relay serves a good copy, or once its author — asked through the
 * encrypted index — sends it again.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../main/sync/engine.ts';
import { Vault } from '../../main/vault/vault.ts';
import { PASSPHRASE } from '../support/vault.ts';
import { runHearth } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let cat: Peer;
let workspaceId: string;
let docId: string;

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
  cat = await makePeer(relay.url, 'cat');
  workspaceId = (await ann.engine.createTeamWorkspace('Minutes room', relay.url)).id;
  docId = ann.vault.documents.create(workspaceId, { title: 'Minutes', init: (d) => A.updateText(d, ['body'], 'genuine') }).id;
  for (const peer of [bob, cat]) await ann.engine.invite(workspaceId, peer.vault.profile.username, 'editor');
  for (const peer of [bob, cat]) await peer.engine.acceptInvitation(workspaceId);
});
afterAll(() => closeAll([ann, bob, cat], { relay }));

/** The relay's stored copy of the newest change of the document, as bytes. */
async function lastStored(): Promise<{ seq: number; bytes: Uint8Array }> {
  const [row] = await relay.store.driver.all('SELECT seq, bytes FROM changes WHERE space = ? AND doc = ? ORDER BY seq DESC LIMIT 1', [workspaceId, docId]);
  return { seq: Number(row!.seq), bytes: new Uint8Array(row!.bytes as Buffer) };
}

async function store(seq: number, bytes: Uint8Array): Promise<void> {
  await relay.store.driver.run('UPDATE changes SET bytes = ? WHERE space = ? AND doc = ? AND seq = ?', [Buffer.from(bytes), workspaceId, docId, seq]);
}

async function append(peer: Peer, text: string, at: 'start' | 'end' = 'end'): Promise<void> {
  peer.vault.documents.change(docId, (d: { body: string }) => A.splice(d, ['body'], at === 'start' ? 0 : d.body.length, 0, text));
  await peer.engine.syncOnce(workspaceId);
}

/** Ann writes `first`; the relay's copy of it gets one byte flipped; Ann writes `later` on top of it. Returns the good copy. */
async function poison(first: string, later: string[]): Promise<{ seq: number; bytes: Uint8Array }> {
  await append(ann, first);
  const good = await lastStored();
  const bad = good.bytes.slice();
  bad[bad.length - 80]! ^= 1;
  await store(good.seq, bad);
  for (const text of later) await append(ann, text);
  return good;
}

/** `hearth sync` as Bob, in a process of its own, with Bob's engine closed meanwhile. */
async function bobSyncsWithTheCli(): Promise<{ code: number; stdout: string; stderr: string }> {
  await closePeer(bob);
  const run = await runHearth(['sync'], { ...process.env, HEARTH_VAULT: bob.dir, HEARTH_PASSPHRASE: PASSPHRASE });
  bob.vault = await Vault.unlock(bob.dir, PASSPHRASE);
  bob.engine = new SyncEngine(bob.vault, { backoff: { initialMs: 50, maxMs: 500 } });
  return run;
}

describe('a change the relay altered as it stored it', { timeout: 120_000 }, () => {
  it("is refused alone: the author's later changes wait and say why, a change that does not build on it applies, and `hearth sync` fails while they wait", async () => {
    await ann.engine.syncOnce();
    for (const peer of [bob, cat]) await peer.engine.syncOnce();
    await poison(' one', [' two', ' three']);
    // Cat never had " one": Cat's edit builds on what Cat has, and reaches Bob.
    await cat.engine.syncOnce(workspaceId);
    await append(cat, 'CAT ', 'start');

    const run = await bobSyncsWithTheCli();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Minutes room: synced, 3 change\(s\) kept aside \(2 wait for a change the relay altered or withheld\)/);
    expect(run.stderr).toMatch(/Minutes room: 2 change\(s\) wait for a change the relay altered or withheld\. They apply once the relay serves a good copy/);
    expect(bodyOf(bob, docId)).toBe('CAT genuine');
    const kept = bob.engine.quarantined(workspaceId);
    expect(kept.map((q) => [q.documentId, q.code, q.waiting])).toEqual([
      [docId, 'RECORD_TAMPERED', false],
      [docId, 'RECORD_TAMPERED', true],
      [docId, 'RECORD_TAMPERED', true],
    ]);
    expect(kept[0]!.reason).toMatch(/^a change that is not genuine/);
    expect(kept[1]!.reason).toBe('a change whose earlier history the relay has not delivered');
    expect(bob.engine.status(workspaceId)[0]).toMatchObject({ quarantined: 3, waiting: 2 });
  });

  it('comes whole once the relay serves a good copy again, and `hearth sync` succeeds', async () => {
    const [refused] = bob.engine.quarantined(workspaceId);
    const { bytes } = (
      await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? AND seq = ?', [workspaceId, docId, refused!.relaySeq])
    ).map((r) => ({ bytes: new Uint8Array(r.bytes as Buffer) }))[0]!;
    const repaired = bytes.slice();
    repaired[repaired.length - 80]! ^= 1; // flipped back: the good copy
    await store(refused!.relaySeq, repaired);
    const run = await bobSyncsWithTheCli();
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/kept aside/);
    expect(bodyOf(bob, docId)).toBe('CAT genuine one two three');
    expect(bob.engine.quarantined(workspaceId)).toEqual([]);
    // Cat, who lacked it too, gets the good copy as well (and clears what it asked for in the index).
    expect((await cat.engine.syncOnce(workspaceId)).waiting).toBe(0);
    expect(bodyOf(cat, docId)).toBe('CAT genuine one two three');
  });

  it('comes whole once its author, asked through the encrypted index, sends it again', async () => {
    await poison(' four', [' five']);
    const first = await bob.engine.syncOnce(workspaceId);
    expect(first).toMatchObject({ refused: 1, waiting: 1 });
    expect(bodyOf(bob, docId)).toBe('CAT genuine one two three');
    // Ann's next round reads Bob's request in the index and sends " four" again; Bob's next round applies it and " five".
    await ann.engine.syncOnce(workspaceId);
    const second = await bob.engine.syncOnce(workspaceId);
    expect(second.waiting).toBe(0);
    expect(bodyOf(bob, docId)).toBe('CAT genuine one two three four five');
    expect(bob.engine.quarantined(workspaceId).filter((q) => q.waiting)).toEqual([]);
    // The altered copy stays refused at the relay, named in the quarantine; nothing waits on it any more.
    expect(bob.engine.status(workspaceId)[0]).not.toHaveProperty('waiting');
    // Cat, who asked too, gets the same copy without Ann sending it a third time.
    await cat.engine.syncOnce(workspaceId);
    expect(bodyOf(cat, docId)).toBe('CAT genuine one two three four five');
  });
});
