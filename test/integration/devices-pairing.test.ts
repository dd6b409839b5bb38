// Linking a new device through a real relay (issue 12, item 1): the new device offers its keys,
// a device of the account answers, both show the same 6-digit code, and only when the person
// types the matching code does the account reach the new device, sealed to it; it then joins the
// account's team workspace and edits travel between both devices and the other member. A wrong
// code declines the pairing and stores nothing: not in the device log, not in either vault, not
// on the relay.
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { randomBytes, toBase64Url } from '../../common/crypto/sodium.ts';
import { pairingCommit } from '../../common/devices/pairing.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { connect, outcome, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, makePeer, type Peer, newComputer as makeComputer } from './sync-fixture.ts';
import { routeThrough, startHostileProxy } from './sync-proxy.ts';

let relay: TestRelay;
let ada: Peer;
let bob: Peer;
const fresh: Peer[] = [];
const wait = { pollMs: 30, timeoutMs: 20_000 };

beforeAll(async () => {
  relay = await startTestRelay();
  ada = await makePeer(relay.url, 'ada');
  bob = await makePeer(relay.url, 'bob');
});
afterAll(() => closeAll([ada, bob, ...fresh], { relay }));

/** A new computer's vault, closed after the tests. */
async function newComputer(name: string): Promise<Peer> {
  const peer = await makeComputer(name, 'hearth-pair-');
  fresh.push(peer);
  return peer;
}

/** The new device's link, with the code it shows once the other device answered. */
function startLink(peer: Peer): { linking: Promise<Awaited<ReturnType<SyncEngine['pairing']['link']>>>; code: Promise<string> } {
  let shown!: (code: string) => void;
  const code = new Promise<string>((resolve) => (shown = resolve));
  const linking = peer.engine.pairing.link(relay.url, ada.vault.profile.username, shown, wait);
  linking.catch(() => undefined);
  return { linking, code };
}

function pairingRows(): number {
  const db = new BetterSqlite3(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM pairings').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('linking a new device', () => {
  it('after the person compares the codes, the new device becomes the account, joins its team workspace, and edits reach both devices and the other member', async () => {
    const plans = await ada.engine.createTeamWorkspace('Plans', relay.url);
    const doc = ada.vault.documents.create(plans.id, { title: 'Launch', init: (d) => A.updateText(d, ['body'], 'from the laptop') });
    await ada.engine.invite(plans.id, bob.vault.profile.username, 'editor');
    await ada.engine.syncOnce();
    await bob.engine.acceptInvitation(plans.id);

    const desktop = await newComputer('desk');
    const { linking, code } = startLink(desktop);
    const answered = await ada.engine.pairing.answer(undefined, wait);
    expect(answered.name).toBe(desktop.vault.devices.self.name);
    expect(await code).toBe(answered.code);
    const approved = await ada.engine.pairing.approve(await code);
    expect(approved.relays).toEqual([relay.url]);
    expect(await linking).toEqual({ account: ada.engine.account, username: ada.vault.profile.username, workspaces: 1 });
    // The engine is built for one account: the desktop opens a new one, which joins what Ada's laptop is in.
    await desktop.engine.close();
    desktop.engine = new SyncEngine(desktop.vault, { backoff: { initialMs: 50, maxMs: 500 } });
    expect(await desktop.engine.pairing.joinLinked()).toBe(1);
    expect(desktop.vault.devices.linkedSpaces()).toEqual([]);

    // The desktop is Ada now, with its own device key, and has the workspace and its document.
    expect(desktop.engine.account).toBe(ada.engine.account);
    expect(desktop.vault.devices.self.id).not.toBe(ada.vault.devices.self.id);
    expect(bodyOf(desktop, doc.id)).toBe('from the laptop');
    expect(ada.engine.devices.list().map((d) => d.name)).toEqual([ada.vault.devices.self.name, desktop.vault.devices.self.name]);
    expect(ada.vault.audit.list().map((e) => e.action)).toEqual(expect.arrayContaining(['device.added', 'device.approved']));
    expect(desktop.vault.audit.list().map((e) => e.action)).toContain('device.added');

    desktop.vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'desk: '));
    await desktop.engine.syncOnce();
    await ada.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(ada, doc.id)).toBe('desk: from the laptop');
    expect(bodyOf(bob, doc.id)).toBe('desk: from the laptop');
    bob.vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' +bob'));
    await bob.engine.syncOnce();
    await desktop.engine.syncOnce();
    expect(bodyOf(desktop, doc.id)).toBe('desk: from the laptop +bob');
    expect(pairingRows()).toBe(0);
  });

  it('a wrong confirmation code declines the pairing and stores nothing: no device entry, no account on the new computer, no row on the relay', async () => {
    const laptop = await newComputer('lap');
    const devicesBefore = ada.engine.devices.list().length;
    const ownAccount = laptop.engine.account;
    const { linking, code } = startLink(laptop);
    const answered = await ada.engine.pairing.answer(undefined, wait);
    expect(await code).toBe(answered.code);
    const wrong = String((Number(answered.code) + 1) % 1_000_000).padStart(6, '0');
    await expect(ada.engine.pairing.approve(wrong)).rejects.toMatchObject({ code: 'WRONG_CONFIRMATION_CODE' });
    await expect(linking).rejects.toMatchObject({ code: 'WRONG_CONFIRMATION_CODE' });
    expect(ada.engine.devices.list()).toHaveLength(devicesBefore);
    expect(laptop.engine.account).toBe(ownAccount);
    expect(laptop.vault.syncState.relays()).toEqual([]);
    expect(laptop.vault.workspaces.list().filter((w) => w.kind === 'team')).toEqual([]);
    expect(ada.vault.audit.list().map((e) => e.action)).toContain('device.declined');
    expect(pairingRows()).toBe(0);
    const asLaptop = {
      account: ada.engine.account,
      device: laptop.vault.devices.self.id,
      signSecretKey: laptop.vault.devices.keys().signSecretKey,
      boxPublicKey: laptop.vault.devices.keys().boxPublicKey,
    };
    expect(await outcome((await connect(relay.url)).signIn(asLaptop))).toBe('UNAUTHENTICATED');
  });

  it('a relay in the middle that swaps the new device for one of its own shows the person two different codes, and certifies nothing', async () => {
    // Ada's device talks to the relay through a hostile proxy that replaces the new device's keys,
    // commitment and secret with an intruder's in everything it is shown.
    const proxy = await startHostileProxy(relay.url);
    await routeThrough(ada, proxy);
    const intruder = generateIdentityKeys();
    const intruderSecret = toBase64Url(randomBytes(32));
    const swap = { device: toBase64Url(intruder.signPublicKey), box: toBase64Url(intruder.boxPublicKey), commit: pairingCommit(intruderSecret) };
    proxy.rewrite = (frame) =>
      frame.t === 'pairings'
        ? { ...frame, items: frame.items.map((item) => ({ ...item, offer: { ...item.offer, ...swap }, secret: item.secret && intruderSecret })) }
        : frame;
    try {
      const victim = await newComputer('mitm');
      const devicesBefore = ada.engine.devices.list().length;
      const { linking, code } = startLink(victim);
      const answered = await ada.engine.pairing.answer(undefined, wait);
      // The person compares: the codes differ, so they type the new device's code, which Ada's device refuses.
      expect(answered.code).not.toBe(await code);
      await expect(ada.engine.pairing.approve(await code)).rejects.toMatchObject({ code: 'WRONG_CONFIRMATION_CODE' });
      await expect(linking).rejects.toMatchObject({ code: 'WRONG_CONFIRMATION_CODE' });
      expect(ada.engine.devices.list()).toHaveLength(devicesBefore);
      const { report } = await ada.engine.accessReport(relay.url);
      expect(report.devices?.map((d) => d.device)).not.toContain(swap.device);
      expect(pairingRows()).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
