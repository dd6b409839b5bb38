// S4 and S5 through the sync engine over real sockets: a removed member holding every key it
// ever had cannot read what is written after its removal; a hostile relay that forges, replays,
// reorders, tampers with changes, or relays a change from a role that may not write it is refused
// by the client, which keeps the change aside and warns naming the workspace.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { lastDepartureIndex } from '../../common/membership/log.ts';
import { fromHex, newId, toBase64Url } from '../../common/crypto/sodium.ts';
import { openChange, parseChange, sealChange } from '../../common/protocol/change.ts';
import type { RelayFrame } from '../../common/protocol/messages.ts';
import { MembershipView } from '../../main/sync/membership-view.ts';
import { encodeChanges } from '../../main/sync/payload.ts';
import type { SyncWarning } from '../../main/sync/engine.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, makePeer, type Peer } from './sync-fixture.ts';
import { routeThrough, startHostileProxy, type HostileProxy } from './sync-proxy.ts';

let relay: TestRelay;
let proxy: HostileProxy;
let ann: Peer; // owner
let bob: Peer; // editor, behind the hostile proxy
let vic: Peer; // viewer
let eve: Peer; // editor, removed later
let workspaceId: string;
let docId: string;
const warnings: SyncWarning[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
  proxy = await startHostileProxy(relay.url);
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
  vic = await makePeer(relay.url, 'vic');
  eve = await makePeer(relay.url, 'eve');
  // Bob's engine believes it talks to the relay; every frame actually passes through the proxy.
  await routeThrough(bob, proxy);
  bob.engine.onWarning((w) => warnings.push(w));
  const workspace = await ann.engine.createTeamWorkspace('Board room', relay.url);
  workspaceId = workspace.id;
  docId = ann.vault.documents.create(workspaceId, { title: 'Minutes', init: (d) => A.updateText(d, ['body'], 'genuine') }).id;
  await ann.engine.invite(workspaceId, bob.vault.profile.username, 'editor');
  await ann.engine.invite(workspaceId, vic.vault.profile.username, 'viewer');
  await ann.engine.invite(workspaceId, eve.vault.profile.username, 'editor');
  for (const peer of [bob, vic, eve]) await peer.engine.acceptInvitation(workspaceId);
});
afterAll(() => closeAll([ann, bob, vic, eve], { proxy, relay }));

/** The blobs the relay stores for the document, in order. */
async function storedChanges(): Promise<Uint8Array[]> {
  const rows = await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? ORDER BY seq', [workspaceId, docId]);
  return rows.map((r) => new Uint8Array(r.bytes as Buffer));
}

/** A change as `peer` would seal it now: its membership head, the epoch there, its key. */
function changeBy(peer: Peer, text: string, options: { keys?: ReturnType<typeof generateIdentityKeys>; id?: string; doc?: string } = {}): Uint8Array {
  const target = options.doc ?? docId;
  const space = peer.vault.syncState.space(workspaceId)!;
  // A removed member's copy of the log ends with its removal (getRemoval); what it signs still
  // names the state before it, the last one it was a member in.
  const removal = lastDepartureIndex(space.membership, toBase64Url(peer.vault.identityKeys().signPublicKey));
  const view = MembershipView.replay(workspaceId, removal >= 0 ? space.membership.slice(0, removal) : space.membership);
  const keys = options.keys ?? peer.vault.identityKeys();
  let doc = A.load<{ body: string }>(ann.vault.documents.save(target));
  doc = A.change(doc, (d) => A.splice(d, ['body'], 0, 0, text));
  return sealChange(
    {
      space: workspaceId,
      doc: target,
      kind: 'content',
      epoch: view.currentEpoch,
      head: view.head,
      author: toBase64Url(keys.signPublicKey),
      id: options.id ?? newId(),
      at: Date.now(),
    },
    encodeChanges([A.getLastLocalChange(doc)!]),
    fromHex(space.epochKeys[view.currentEpoch]!),
    keys.signSecretKey,
  );
}

/** Ann writes `text`; the proxy swaps what the relay hands Bob for it with `attack`'s bytes. */
async function attack(text: string, forge: (genuine: Uint8Array) => Uint8Array, target = docId): Promise<{ code: string; reason: string }> {
  ann.vault.documents.change(target, (d) => A.splice(d, ['body'], d.body.length, 0, ` ${text}`));
  await ann.engine.syncOnce(workspaceId);
  const before = bob.engine.quarantined(workspaceId).length;
  proxy.rewrite = (frame: RelayFrame) => {
    if (frame.t !== 'changes' || frame.doc !== target || frame.parts.length === 0) return frame;
    const parts = frame.parts.slice();
    parts[parts.length - 1] = forge(parts[parts.length - 1]!);
    return { ...frame, parts };
  };
  try {
    await bob.engine.syncOnce(workspaceId);
  } finally {
    proxy.rewrite = (frame) => frame;
  }
  const refused = bob.engine.quarantined(workspaceId).slice(before);
  expect(refused).toHaveLength(1);
  return refused[0]!;
}

describe('S5: a hostile relay is caught by the client', () => {
  it('applies what is genuine', async () => {
    await bob.engine.syncOnce(workspaceId);
    expect(bodyOf(bob, docId)).toBe('genuine');
    expect(bob.engine.quarantined(workspaceId)).toEqual([]);
  });

  it('refuses tampered bytes', async () => {
    const refused = await attack('t1', (genuine) => {
      const bytes = genuine.slice();
      bytes[bytes.length - 80]! ^= 1;
      return bytes;
    });
    expect(refused.code).toBe('RECORD_TAMPERED');
    expect(refused.reason).toMatch(/not genuine/);
  });

  it('refuses a change forged under a key that is no member', async () => {
    const stranger = generateIdentityKeys();
    const refused = await attack('t2', () => changeBy(ann, 'FORGED ', { keys: stranger }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.reason).toMatch(/not a member/);
  });

  it("refuses a Viewer's content change that the relay lets through", async () => {
    const refused = await attack('t3', () => changeBy(vic, 'VIEWER WROTE THIS '));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.reason).toMatch(/a viewer, who may not write it/);
  });

  it('refuses a replayed change (an old genuine change delivered again)', async () => {
    const old = (await storedChanges()).find((bytes) => parseChange(bytes).meta.author !== bob.engine.account)!;
    const refused = await attack('t4', () => old);
    expect(refused.code).toBe('RECORD_TAMPERED');
    expect(refused.reason).toMatch(/replay/);
  });

  it('refuses changes delivered out of order', async () => {
    ann.vault.documents.change(docId, (d) => A.splice(d, ['body'], d.body.length, 0, ' r1'));
    await ann.engine.syncOnce(workspaceId);
    ann.vault.documents.change(docId, (d) => A.splice(d, ['body'], d.body.length, 0, ' r2'));
    await ann.engine.syncOnce(workspaceId);
    const before = bob.engine.quarantined(workspaceId).length;
    proxy.rewrite = (frame) => {
      if (frame.t !== 'changes' || frame.doc !== docId || frame.seqs.length < 2) return frame;
      return { ...frame, seqs: frame.seqs.slice().reverse(), parts: frame.parts.slice().reverse() };
    };
    try {
      await bob.engine.syncOnce(workspaceId);
    } finally {
      proxy.rewrite = (frame) => frame;
    }
    const refused = bob.engine.quarantined(workspaceId).slice(before);
    // The later change comes first, without its history; then the earlier one, out of order.
    expect(refused.map((r) => r.code)).toEqual(['RECORD_TAMPERED', 'RECORD_TAMPERED']);
    expect(refused[0]!.reason).toMatch(/earlier history/);
    expect(refused[1]!.reason).toMatch(/out of order/);
  });

  it('reports every refusal as a warning naming the workspace, and nothing forged reached the document', () => {
    expect(warnings.length).toBeGreaterThanOrEqual(5);
    for (const warning of warnings) {
      expect(warning.workspaceName).toBe('Board room');
      expect(warning.message).toMatch(/^Board room: /);
    }
    expect(bodyOf(bob, docId)).not.toMatch(/FORGED|VIEWER WROTE/);
    expect(bob.engine.status(workspaceId)[0]!.quarantined).toBe(bob.engine.quarantined(workspaceId).length);
  });
});

describe('S4: removal rotates the key', () => {
  it('a removed member, holding every key it ever had, cannot decrypt a change written after its removal', async () => {
    await eve.engine.syncOnce(workspaceId);
    const eveKeys = Object.values(eve.vault.syncState.space(workspaceId)!.epochKeys).map(fromHex);
    expect(eveKeys.length).toBeGreaterThan(0);
    await ann.engine.removeMember(workspaceId, eve.vault.profile.username);
    expect((await ann.engine.members(workspaceId)).map((m) => m.username)).not.toContain(eve.vault.profile.username);
    ann.vault.documents.change(docId, (d) => A.splice(d, ['body'], d.body.length, 0, ' AFTER-REMOVAL-SECRET'));
    await ann.engine.syncOnce(workspaceId);

    const latest = parseChange((await storedChanges()).at(-1)!);
    expect(latest.meta.epoch).toBe(1);
    for (const key of eveKeys) expect(openChange(latest, key)).toBeUndefined();
    // The remaining members received the new epoch's key and read on. (Vic, not Bob: the hostile
    // proxy above withheld genuine changes from Bob, so his copy rightly waits for them.)
    await vic.engine.syncOnce(workspaceId);
    expect(bodyOf(vic, docId)).toContain('AFTER-REMOVAL-SECRET');
    expect(vic.engine.quarantined(workspaceId)).toEqual([]);
    // Eve's own engine learns it was removed and gets nothing new.
    await expect(eve.engine.syncOnce(workspaceId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(bodyOf(eve, docId)).not.toContain('AFTER-REMOVAL-SECRET');
    expect(ann.vault.audit.list().map((e) => e.action)).toContain('member.removed');
  });

  it('a change the removed member signs afterwards, naming an old membership state, is refused', async () => {
    // A fresh document: Bob's copy of the first one lacks the changes the proxy withheld above.
    const fresh = ann.vault.documents.create(workspaceId, { title: 'After', init: (d) => A.updateText(d, ['body'], 'clean') }).id;
    await ann.engine.syncOnce(workspaceId);
    await bob.engine.syncOnce(workspaceId);
    expect(bodyOf(bob, fresh)).toBe('clean');
    const refused = await attack('t5', () => changeBy(eve, 'EVE AFTER REMOVAL ', { doc: fresh }), fresh);
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.reason).toMatch(/removed/);
  });
});
