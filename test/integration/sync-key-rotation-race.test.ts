/**
 * Two managers rotating keys at the same moment (S4). A removal's new key epoch travels in the
 * same frame as the removal entry and the relay stores both or neither; envelopes are never
 * replaced. So when an Owner and an Admin each remove someone at once, both removals land, each
 * in its own epoch, every remaining member ends with the same key for each epoch, what both write
 * afterwards reaches the others, and neither removed member can read it.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, randomKey, toHex } from '../../common/crypto/sodium.ts';
import { applyMembershipEntry, nextEntry, signMembershipEntry } from '../../common/membership/log.ts';
import { openEnvelope } from '../../common/protocol/envelope.ts';
import { openChange, parseChange } from '../../common/protocol/change.ts';
import { MembershipHistory } from '../../common/protocol/verify.ts';
import { MembershipView } from '../../main/sync/membership-view.ts';
import { changeMembership, createSpace, envelopeFor, outcome, register, startTestRelay, type Person, type TestRelay, type TestSpace } from './relay-fixture.ts';
import { bodyOf, closeAll, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(() => relay?.stop());

describe('the relay: a removal and its new key epoch are one step', () => {
  let owner: Person;
  let admin: Person;
  let kept: Person;
  let gone: Person;
  let space: TestSpace;

  beforeAll(async () => {
    owner = await register(relay.url, 'owner');
    admin = await register(relay.url, 'admin');
    kept = await register(relay.url, 'kept');
    gone = await register(relay.url, 'gone');
    space = await createSpace(owner);
    await changeMembership(space, owner, 'add', admin, 'admin');
    await changeMembership(space, owner, 'add', kept, 'editor');
    await changeMembership(space, owner, 'add', gone, 'editor');
  });

  function removal(actor: Person, subject: Person) {
    return signMembershipEntry(nextEntry(space.state, { actor: actor.id, action: 'remove', subject: subject.id, role: null }), actor.keys.signSecretKey);
  }

  /** The key `person` gets from the relay for `epoch` (any manager may have sealed it). */
  async function keyAt(person: Person, epoch: number): Promise<string> {
    const [envelope] = (await person.client.getEnvelopes(space.id)).filter((e) => e.epoch === epoch);
    const history = MembershipHistory.replay(space.id, await person.client.getMembership(space.id));
    return toHex(openEnvelope(envelope!.envelope, person.keys, { space: space.id, epoch }, history).key);
  }

  async function envelopesAt(epoch: number): Promise<number> {
    const [row] = await relay.store.driver.all('SELECT COUNT(*) AS n FROM envelopes WHERE space = ? AND epoch = ?', [space.id, epoch]);
    return Number(row!.n);
  }

  it('refuses a new epoch sealed to the member being removed, or missing a remaining one', async () => {
    const key = randomKey();
    const entry = removal(owner, gone);
    const toEveryone = [owner, admin, kept, gone].map((p) => envelopeFor(space, owner, p, 1, key));
    expect(await outcome(owner.client.appendMembership(entry, { epoch: 1, sealed: toEveryone }))).toBe('BAD_REQUEST');
    expect(await outcome(owner.client.appendMembership(entry, { epoch: 1, sealed: toEveryone.slice(0, 2) }))).toBe('BAD_REQUEST');
    // Another manager's envelopes, uploaded by the Owner, are refused too.
    const forged = [owner, admin, kept].map((p) => envelopeFor(space, admin, p, 1, key));
    expect(await outcome(owner.client.appendMembership(entry, { epoch: 1, sealed: forged }))).toBe('FORBIDDEN');
    expect(await envelopesAt(1)).toBe(0);
    expect((await owner.client.getMembership(space.id)).length).toBe(4);
  });

  it('stores the entry and its envelopes together; a removal built on an old head stores neither', async () => {
    const stale = removal(admin, kept); // built before the Owner's removal below
    const staleKey = randomKey();
    const ownerKey = randomKey();
    await owner.client.appendMembership(removal(owner, gone), { epoch: 1, sealed: [owner, admin, kept].map((p) => envelopeFor(space, owner, p, 1, ownerKey)) });
    space.state = applyMembershipEntry(space.state, (await owner.client.getMembership(space.id)).at(-1)!);
    expect(
      await outcome(admin.client.appendMembership(stale, { epoch: 1, sealed: [owner, admin].map((p) => envelopeFor(space, admin, p, 1, staleKey)) })),
    ).toBe('CONFLICT');
    // Everyone left holds the Owner's key for epoch 1; the refused frame changed nothing.
    expect(await envelopesAt(1)).toBe(3);
    for (const person of [owner, admin, kept]) expect(await keyAt(person, 1)).toBe(toHex(ownerKey));
  });

  it('never replaces an envelope: a later upload for the same epoch and member keeps the first', async () => {
    const other = randomKey();
    const before = await keyAt(kept, 1);
    await admin.client.putEnvelopes(space.id, 1, [envelopeFor(space, admin, kept, 1, other)]);
    expect(await keyAt(kept, 1)).toBe(before);
    expect(before).not.toBe(toHex(other));
  });
});

describe('two managers removing members at the same moment, through the app engine', () => {
  let ann: Peer; // Owner
  let ada: Peer; // Admin
  let zed: Peer; // stays
  let xan: Peer; // removed by Ann
  let yul: Peer; // removed by Ada
  let workspaceId: string;
  let docId: string;

  beforeAll(async () => {
    ann = await makePeer(relay.url, 'ann');
    ada = await makePeer(relay.url, 'ada');
    zed = await makePeer(relay.url, 'zed');
    xan = await makePeer(relay.url, 'xan');
    yul = await makePeer(relay.url, 'yul');
    workspaceId = (await ann.engine.createTeamWorkspace('Race', relay.url)).id;
    docId = ann.vault.documents.create(workspaceId, { title: 'Plan', init: (d) => A.splice(d, ['body'], 0, 0, 'start') }).id;
    await ann.engine.invite(workspaceId, ada.vault.profile.username, 'admin');
    for (const peer of [zed, xan, yul]) await ann.engine.invite(workspaceId, peer.vault.profile.username, 'editor');
    for (const peer of [ada, zed, xan, yul]) await peer.engine.acceptInvitation(workspaceId);
    for (const peer of [ann, ada, zed, xan, yul]) await peer.engine.syncOnce(workspaceId);
  });
  afterAll(() => closeAll([ann, ada, zed, xan, yul], {}));

  const epochKeysOf = (peer: Peer) => peer.vault.syncState.space(workspaceId)!.epochKeys;

  it('both removals land, each in its own epoch, with one key per epoch that every remaining member holds', async () => {
    await Promise.all([ann.engine.removeMember(workspaceId, xan.vault.profile.username), ada.engine.removeMember(workspaceId, yul.vault.profile.username)]);
    for (const peer of [ann, ada, zed]) await peer.engine.syncOnce(workspaceId);
    const view = MembershipView.replay(workspaceId, ann.vault.syncState.space(workspaceId)!.membership);
    expect(view.currentEpoch).toBe(2);
    expect([...view.current.members.keys()].sort()).toEqual([ann, ada, zed].map((p) => p.engine.account).sort());
    for (const epoch of [1, 2]) {
      const keys = new Set([ann, ada, zed].map((peer) => epochKeysOf(peer)[epoch]));
      expect(keys.size).toBe(1);
      expect([...keys][0]).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('what both managers write next reaches the member who stayed, and neither removed member can read it', async () => {
    ann.vault.documents.change(docId, (d) => A.splice(d, ['body'], d.body.length, 0, ' FROM-ANN'));
    await ann.engine.syncOnce(workspaceId);
    await ada.engine.syncOnce(workspaceId);
    ada.vault.documents.change(docId, (d) => A.splice(d, ['body'], d.body.length, 0, ' FROM-ADA'));
    await ada.engine.syncOnce(workspaceId);
    await zed.engine.syncOnce(workspaceId);
    expect(bodyOf(zed, docId)).toContain('FROM-ANN');
    expect(bodyOf(zed, docId)).toContain('FROM-ADA');
    expect(zed.engine.quarantined(workspaceId)).toEqual([]);

    const rows = await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? ORDER BY seq DESC LIMIT 2', [workspaceId, docId]);
    for (const removed of [xan, yul]) {
      await removed.engine.syncOnce(workspaceId).catch(() => undefined);
      const held = Object.values(epochKeysOf(removed) ?? {}).map(fromHex);
      for (const row of rows) {
        const change = parseChange(new Uint8Array(row.bytes as Buffer));
        expect(change.meta.epoch).toBe(2);
        for (const key of held) expect(openChange(change, key)).toBeUndefined();
      }
    }
  });
});
