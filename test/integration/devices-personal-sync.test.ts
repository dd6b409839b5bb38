// "Sync between my devices" (issue 12, item 2; DESIGN.md S2 restated) through a real relay: Ada's
// laptop and desktop, linked by pairing; she turns sync on for personal workspace A on the laptop.
// The desktop lists A as personal and reads its documents, comments and files; an edit on the
// desktop reaches the laptop; workspace B (switch off) never leaves the laptop — its markers are
// nowhere in the relay's keeping, not even opened with every key either device holds. Adding Bob
// to A is refused by the client and, when forced onto the wire, by the relay. A phone linked later
// gets A with the account; revoked, it gets no key of A's next epoch.
import * as A from '@automerge/automerge';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../common/crypto/sodium.ts';
import { nextEntry, replayMembership, signMembershipEntry } from '../../common/membership/log.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { relayPlaces } from '../support/erasure-scan.ts';
import { createTestVault, tempDir } from '../support/vault.ts';
import { connect, outcome, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, deviceOf, makePeer, type Peer } from './sync-fixture.ts';
import { routeThrough, startHostileProxy } from './sync-proxy.ts';

const MARK_A = `ALPHA-${process.pid}-travels`;
const MARK_B = `BRAVO-${process.pid}-stays`;
const wait = { pollMs: 30, timeoutMs: 20_000 };

let relay: TestRelay;
let laptop: Peer;
let desktop: Peer;
let bob: Peer;
let phone: Peer | undefined;
let journal: string;
let diary: string;
let journalDoc: string;

/** A new vault of Ada's linked to her laptop's account by pairing (as devices-pairing.test.ts does). */
async function linkDevice(name: string): Promise<Peer> {
  const dir = join(tempDir('hearth-devsync-'), 'vault');
  const vault = await createTestVault({ dir, profile: { username: `${name}-${process.pid}`, displayName: name } });
  const peer: Peer = { name, vault, engine: new SyncEngine(vault, { backoff: { initialMs: 50, maxMs: 500 } }), dir };
  let shown!: (code: string) => void;
  const code = new Promise<string>((resolve) => (shown = resolve));
  const linking = peer.engine.pairing.link(relay.url, laptop.vault.profile.username, shown, wait);
  linking.catch(() => undefined);
  await laptop.engine.pairing.answer(undefined, wait);
  await laptop.engine.pairing.approve(await code);
  await linking;
  await peer.engine.close();
  peer.engine = new SyncEngine(vault, { backoff: { initialMs: 50, maxMs: 500 } });
  await peer.engine.pairing.joinLinked();
  return peer;
}

/** Every key either device holds: each space's epoch keys, and B's own workspace key (what B would be sealed under if it leaked). */
function everyKey(): Uint8Array[] {
  const keys: Uint8Array[] = [laptop.vault.workspaces.keyOf(diary)];
  for (const peer of [laptop, desktop])
    for (const id of peer.vault.syncState.spaceIds()) for (const hex of Object.values(peer.vault.syncState.space(id)!.epochKeys)) keys.push(fromHex(hex));
  return keys;
}

beforeAll(async () => {
  relay = await startTestRelay();
  laptop = await makePeer(relay.url, 'ada');
  bob = await makePeer(relay.url, 'bob');
  desktop = await linkDevice('desk');
  journal = laptop.vault.workspaces.create({ name: 'Journal' }).id;
  diary = laptop.vault.workspaces.create({ name: 'Diary' }).id;
  laptop.vault.workspaces.setRetention(journal, '90d');
  journalDoc = laptop.vault.documents.create(journal, { title: `Plans ${MARK_A}`, init: (d) => A.updateText(d, ['body'], `from the laptop ${MARK_A}`) }).id;
  laptop.vault.comments.add(journalDoc, { text: `note ${MARK_A}` });
  await laptop.vault.files.add(journal, { name: `photo-${MARK_A}.txt`, source: [Buffer.from(`bytes ${MARK_A}`)] });
  const secret = laptop.vault.documents.create(diary, { title: `Secret ${MARK_B}`, init: (d) => A.updateText(d, ['body'], `private ${MARK_B}`) }).id;
  laptop.vault.comments.add(secret, { text: `aside ${MARK_B}` });
  await laptop.vault.files.add(diary, { name: `scan-${MARK_B}.txt`, source: [Buffer.from(`bytes ${MARK_B}`)] });
}, 60_000);
afterAll(() => closeAll([laptop, desktop, bob, phone], { relay }));

describe('Sync between my devices', () => {
  it('names what will leave, and sends nothing until the person confirms', async () => {
    const plan = laptop.engine.deviceSync.describe(journal, relay.url);
    expect(plan).toMatchObject({ name: 'Journal', relay: relay.url, documents: 1, comments: 1, files: 1, fileBytes: Buffer.byteLength(`bytes ${MARK_A}`) });
    expect(plan.documentBytes).toBeGreaterThan(0);
    expect(plan.message).toContain('1 document');
    expect(plan.message).toContain('1 comment');
    expect(plan.message).toContain('1 file');
    expect(plan.message).toContain(relay.url);
    expect(plan.message).toContain('encrypted end-to-end; the relay sees sizes and times');
    await expect(laptop.engine.deviceSync.turnOn(journal, relay.url, false)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await laptop.engine.accessReport(relay.url)).report.spaces).toEqual([]);
  });

  it('turned on for A, the desktop lists A as personal and reads it; an edit on the desktop reaches the laptop', async () => {
    const on = await laptop.engine.deviceSync.turnOn(journal, relay.url, true);
    expect(on).toMatchObject({ kind: 'personal', relay: relay.url });
    expect(laptop.vault.audit.list().map((e) => e.action)).toContain('workspace.device_sync_on');

    const offered = await desktop.engine.invitations();
    expect(offered).toEqual([expect.objectContaining({ id: journal, kind: 'personal', name: 'Journal', role: 'owner' })]);
    await desktop.engine.acceptInvitation(journal);
    const listed = desktop.vault.workspaces.list().find((w) => w.id === journal);
    expect(listed).toMatchObject({ kind: 'personal', name: 'Journal', relay: relay.url });
    expect(bodyOf(desktop, journalDoc)).toBe(`from the laptop ${MARK_A}`);
    expect(desktop.vault.comments.list(journalDoc)[0]!.comments[0]!.text).toBe(`note ${MARK_A}`);
    expect(desktop.vault.files.list(journal).map((f) => f.name)).toEqual([`photo-${MARK_A}.txt`]);
    // Its retention travels with it, so every device keeps edit history as long as the person chose.
    expect(desktop.engine.generations.retention(journal)).toBe('90d');
    expect(laptop.engine.generations.retention(journal)).toBe('90d');
    // Its people: this account alone, on every device.
    expect((await desktop.engine.members(journal)).map((m) => m.account)).toEqual([laptop.engine.account]);
    // B is not offered to the desktop: it never reached the relay.
    expect(desktop.vault.workspaces.list().some((w) => w.id === diary)).toBe(false);

    desktop.vault.documents.change(journalDoc, (d) => A.splice(d, ['body'], 0, 0, 'desk: '));
    await desktop.engine.syncOnce();
    await laptop.engine.syncOnce();
    expect(bodyOf(laptop, journalDoc)).toBe(`desk: from the laptop ${MARK_A}`);
  });

  it('B, with the switch off, never leaves: none of its markers anywhere in the relay’s keeping, opened with every key (A’s are: the control)', async () => {
    await laptop.engine.syncOnce();
    const keys = everyKey();
    expect(relayPlaces(relay.dataDir, relay.logLines, keys, MARK_A).length).toBeGreaterThan(0);
    expect(relayPlaces(relay.dataDir, relay.logLines, keys, MARK_B)).toEqual([]);
    const { report } = await laptop.engine.accessReport(relay.url);
    expect(report.spaces.map((s) => s.space)).toEqual([journal]);
    expect(report.spaces[0]!.kind).toBe('personal');
  });

  it('adding Bob to A is refused by the client, and by the relay when a signed entry is sent anyway', async () => {
    const bobName = bob.vault.profile.username;
    await expect(laptop.engine.invite(journal, bobName, 'editor')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(desktop.engine.invite(journal, bobName, 'viewer')).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const direct = await connect(relay.url);
    await direct.signIn(deviceOf(laptop));
    const state = replayMembership(journal, await direct.getMembership(journal, 0));
    const add = signMembershipEntry(
      nextEntry(state, { actor: laptop.engine.account, action: 'add', subject: bob.engine.account, role: 'editor' }),
      laptop.vault.identityKeys().signSecretKey,
    );
    expect(await outcome(direct.appendMembership(add))).toBe('FORBIDDEN');
    const transfer = signMembershipEntry(
      nextEntry(state, { actor: laptop.engine.account, action: 'change_role', subject: laptop.engine.account, role: 'admin' }),
      laptop.vault.identityKeys().signSecretKey,
    );
    expect(await outcome(direct.appendMembership(transfer))).toBe('FORBIDDEN');
    direct.close();
    expect((await laptop.engine.members(journal)).map((m) => m.account)).toEqual([laptop.engine.account]);
    expect((await bob.engine.invitations()).map((i) => i.id)).not.toContain(journal);
  });

  it('revoking a device that synced A starts a new key epoch there: its keys open nothing written in A afterwards, and its sign-in is refused', async () => {
    // Linked after A synced, the phone gets A with the account (as a team workspace would come).
    phone = await linkDevice('phone');
    expect(phone.vault.workspaces.get(journal)).toMatchObject({ kind: 'personal', relay: relay.url });
    expect(bodyOf(phone, journalDoc)).toBe(`desk: from the laptop ${MARK_A}`);
    const phoneKeys = Object.values(phone.vault.syncState.space(journal)!.epochKeys).map((hex) => fromHex(hex));
    await laptop.engine.devices.revoke(phone.vault.devices.self.id);
    const after = `AFTER-REVOCATION-${process.pid}`;
    laptop.vault.documents.change(journalDoc, (d) => A.splice(d, ['body'], d.body.length, 0, ` ${after}`));
    await laptop.engine.syncOnce();
    const laptopKeys = Object.values(laptop.vault.syncState.space(journal)!.epochKeys).map((hex) => fromHex(hex));
    expect(laptopKeys.length).toBe(phoneKeys.length + 1);
    expect(relayPlaces(relay.dataDir, relay.logLines, laptopKeys, after).length).toBeGreaterThan(0);
    expect(relayPlaces(relay.dataDir, relay.logLines, phoneKeys, after)).toEqual([]);
    expect(await outcome((await connect(relay.url)).signIn(deviceOf(phone)))).toBe('UNAUTHENTICATED');
    await desktop.engine.syncOnce();
    expect(bodyOf(desktop, journalDoc)).toBe(`desk: from the laptop ${MARK_A} ${after}`);
  });

  it('turned off on the desktop: it keeps A and stops syncing while the relay keeps it for the laptop; turned on again, both sides’ edits meet', async () => {
    const off = await desktop.engine.deviceSync.turnOff(journal);
    expect(off.deletedFromRelay).toBe(false);
    expect(off.message).toContain('still holds its encrypted copy');
    expect(desktop.vault.workspaces.get(journal)).toMatchObject({ kind: 'personal' });
    expect(desktop.vault.workspaces.get(journal).relay).toBeUndefined();
    expect(desktop.vault.syncState.space(journal)).toBeUndefined();
    expect((await laptop.engine.accessReport(relay.url)).report.spaces.map((s) => s.space)).toEqual([journal]);

    const before = bodyOf(desktop, journalDoc);
    laptop.vault.documents.change(journalDoc, (d) => A.splice(d, ['body'], d.body.length, 0, ' +laptop'));
    await laptop.engine.syncOnce();
    desktop.vault.documents.change(journalDoc, (d) => A.splice(d, ['body'], 0, 0, 'offline desk: '));
    await desktop.engine.syncOnce();
    expect(bodyOf(desktop, journalDoc)).toBe(`offline desk: ${before}`);

    await desktop.engine.deviceSync.turnOn(journal, relay.url, true);
    expect(desktop.vault.workspaces.get(journal)).toMatchObject({ kind: 'personal', relay: relay.url });
    await laptop.engine.syncOnce();
    expect(bodyOf(desktop, journalDoc)).toBe(`offline desk: ${before} +laptop`);
    expect(bodyOf(laptop, journalDoc)).toBe(`offline desk: ${before} +laptop`);
  });

  it('turned off on the laptop and deleted from the relay: the laptop keeps A; the desktop, still syncing it, keeps its copy and stops', async () => {
    const kept = bodyOf(desktop, journalDoc);
    const gone = await laptop.engine.deviceSync.turnOff(journal, { deleteFromRelay: true });
    expect(gone.deletedFromRelay).toBe(true);
    expect(gone.message).toContain('your other devices keep their copies and stop syncing it');
    expect((await laptop.engine.accessReport(relay.url)).report.spaces).toEqual([]);
    expect(laptop.vault.workspaces.get(journal)).toMatchObject({ kind: 'personal', name: 'Journal' });
    expect(laptop.vault.workspaces.get(journal).relay).toBeUndefined();
    expect(laptop.vault.syncState.space(journal)).toBeUndefined();
    expect(bodyOf(laptop, journalDoc)).toBe(kept);
    expect(laptop.vault.audit.list().map((e) => e.action)).toContain('workspace.device_sync_off');

    await desktop.engine.syncOnce();
    expect(desktop.vault.syncState.space(journal)).toBeUndefined();
    expect(desktop.vault.workspaces.get(journal)).toMatchObject({ kind: 'personal', name: 'Journal' });
    expect(desktop.vault.workspaces.get(journal).relay).toBeUndefined();
    expect(bodyOf(desktop, journalDoc)).toBe(kept);
    expect(desktop.vault.files.list(journal)).toHaveLength(1);
    expect(desktop.vault.workspaces.get(journal).retention).toBe('90d');
    expect(laptop.engine.generations.retention(journal)).toBe('90d');
  });

  it('a relay that calls a team workspace personal is not believed: the signed index decides, and it comes in as a team workspace', async () => {
    const bakery = await bob.engine.createTeamWorkspace('Bakery', relay.url);
    await bob.engine.invite(bakery.id, laptop.vault.profile.username, 'editor');
    const proxy = await startHostileProxy(relay.url);
    proxy.rewrite = (frame) =>
      frame.t === 'access' ? { ...frame, report: { ...frame.report, spaces: frame.report.spaces.map((sp) => ({ ...sp, kind: 'personal' as const })) } } : frame;
    try {
      await routeThrough(desktop, proxy);
      const offered = await desktop.engine.invitations();
      expect(offered.find((i) => i.id === bakery.id)).toMatchObject({ kind: 'workspace', name: 'Bakery' });
      await desktop.engine.acceptInvitation(bakery.id);
      expect(desktop.vault.workspaces.get(bakery.id)).toMatchObject({ kind: 'team' });
    } finally {
      await proxy.close();
    }
  });
});
