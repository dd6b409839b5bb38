// The recovery key through a real relay (issue 12, item 3): Ada makes a recovery key; she has two
// team workspaces with Bob (one from before the key, whose keys travel in the material sealed to
// it, one Bob invites her to afterwards, whose keys are sealed to it as to any device); every
// device of hers is lost. On a fresh vault, her username and the key bring back the account and
// both workspaces, readable, and an edit from the recovered device reaches Bob. A mistyped key is
// caught before anything is sent, a well-formed wrong one is refused, and neither stores anything;
// the relay holds the account's secret keys only as ciphertext; a new key retires the old one.
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url, toHex } from '../../common/crypto/sodium.ts';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { sealMaterial, type AccountMaterial } from '../../common/devices/pairing.ts';
import { newRecoveryKey, parseRecoveryKey, recoveryDeviceKeys, recoveryMaterialLabel } from '../../common/devices/recovery-key.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { routeThrough, startHostileProxy } from './sync-proxy.ts';
import { bodyOf, closeAll, closePeer, makePeer, type Peer, newComputer as makeComputer } from './sync-fixture.ts';

let relay: TestRelay;
let ada: Peer;
let bob: Peer;
const fresh: Peer[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
  ada = await makePeer(relay.url, 'ada');
  bob = await makePeer(relay.url, 'bob');
});
afterAll(() => closeAll([ada, bob, ...fresh], { relay }));

/** A new computer's vault, closed after the tests. */
async function newComputer(name: string): Promise<Peer> {
  const peer = await makeComputer(name, 'hearth-recover-');
  fresh.push(peer);
  return peer;
}

function deviceLogLength(account: string): number {
  const db = new BetterSqlite3(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM device_log WHERE account = ?').get(account) as { n: number }).n;
  } finally {
    db.close();
  }
}

function recoveryMaterialBytes(account: string): number {
  const db = new BetterSqlite3(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT length(material) AS n FROM recovery_material WHERE account = ?').get(account) as { n: number } | undefined)?.n ?? 0;
  } finally {
    db.close();
  }
}

function recoveryMaterialDevices(account: string): string[] {
  const db = new BetterSqlite3(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT device FROM recovery_material WHERE account = ?').all(account) as Array<{ device: string }>).map((r) => r.device);
  } finally {
    db.close();
  }
}

/** Every byte of the relay's files (database and WAL). */
function relayFiles(): Buffer {
  const base = join(relay.dataDir, 'relay.sqlite');
  return Buffer.concat([base, `${base}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
}

/** A typo: one character of the key changed to another of the alphabet. */
function typo(key: string): string {
  const at = key.indexOf('-') + 1;
  return key.slice(0, at) + (key[at] === 'A' ? 'B' : 'A') + key.slice(at + 1);
}

describe('the recovery key', () => {
  it('brings back the account and both its team workspaces on a fresh machine when every device is lost; an edit from it reaches Bob', async () => {
    const alpha = await ada.engine.createTeamWorkspace('Alpha', relay.url);
    const plan = ada.vault.documents.create(alpha.id, { title: 'Plan', init: (d) => A.updateText(d, ['body'], 'from before the key') });
    await ada.engine.invite(alpha.id, bob.vault.profile.username, 'editor');
    await ada.engine.syncOnce();
    await bob.engine.acceptInvitation(alpha.id);

    const { key, relays } = await ada.engine.recovery.make();
    expect(relays).toEqual([relay.url]);
    expect(key).toMatch(/^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
    expect(ada.engine.devices.list().map((d) => d.kind)).toEqual(['device', 'recovery']);
    expect(ada.vault.audit.list().map((e) => e.action)).toContain('recovery_key.made');

    // After the key: Bob's workspace, to which he invites Ada (its keys are sealed to her recovery key too).
    const beta = await bob.engine.createTeamWorkspace('Beta', relay.url);
    const notes = bob.vault.documents.create(beta.id, { title: 'Notes', init: (d) => A.updateText(d, ['body'], 'from bob') });
    await bob.engine.invite(beta.id, ada.vault.profile.username, 'editor');
    await bob.engine.syncOnce();
    await ada.engine.acceptInvitation(beta.id);
    await ada.engine.syncOnce();

    // Every device of Ada is lost.
    const account = ada.engine.account;
    const username = ada.vault.profile.username;
    const identity = ada.vault.identityKeys();
    await closePeer(ada);
    rmSync(ada.dir, { recursive: true, force: true });

    // The relay holds the account material only as ciphertext: the identity's secret keys appear nowhere in its files.
    const files = relayFiles();
    expect(recoveryMaterialBytes(account), 'the sealed material is there (control)').toBeGreaterThan(1000);
    for (const secret of [identity.signSecretKey.subarray(0, 32), identity.boxSecretKey]) {
      for (const spelling of [Buffer.from(secret), Buffer.from(toHex(secret)), Buffer.from(toBase64Url(secret))])
        expect(files.includes(spelling), 'a secret key of the account in the relay files').toBe(false);
    }

    const machine = await newComputer('new');
    const logBefore = deviceLogLength(account);
    await expect(machine.engine.recovery.recover(relay.url, username, typo(key))).rejects.toMatchObject({ code: 'BAD_RECOVERY_KEY' });
    await expect(machine.engine.recovery.recover(relay.url, username, newRecoveryKey())).rejects.toMatchObject({ code: 'WRONG_RECOVERY_KEY' });
    expect(machine.vault.syncState.relays()).toEqual([]);
    expect(machine.vault.devices.linkedSpaces()).toEqual([]);
    expect(machine.engine.account).not.toBe(account);
    expect(deviceLogLength(account)).toBe(logBefore);

    // The relay as a person might type it (no trailing slash), the key too: lower case, spaces instead of dashes.
    expect(relay.url.endsWith('/')).toBe(true);
    const recovered = await machine.engine.recovery.recover(relay.url.slice(0, -1), username, key.toLowerCase().replaceAll('-', ' '), 'New laptop');
    expect(recovered).toEqual({ account, username, workspaces: 2, relays: [relay.url] });
    await machine.engine.close();
    machine.engine = new SyncEngine(machine.vault, { backoff: { initialMs: 50, maxMs: 500 } });
    expect(await machine.engine.pairing.joinLinked()).toBe(2);
    expect(machine.engine.account).toBe(account);
    expect(bodyOf(machine, plan.id)).toBe('from before the key');
    expect(bodyOf(machine, notes.id)).toBe('from bob');
    expect(machine.vault.audit.list().map((e) => e.action)).toContain('recovery_key.used');
    // The lost device stays in the log until the person revokes it from here; the recovery key too.
    expect(machine.engine.devices.list().map((d) => [d.name, d.kind, d.revokedAt === undefined, d.isThis])).toEqual([
      [expect.any(String), 'device', true, false],
      ['Recovery key', 'recovery', true, false],
      ['New laptop', 'device', true, true],
    ]);

    machine.vault.documents.change(plan.id, (d) => A.splice(d, ['body'], 0, 0, 'recovered: '));
    await machine.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(bob, plan.id)).toBe('recovered: from before the key');
  });

  it('a relay that serves material of its own, sealed to the recovery key, is refused: nothing is stored', async () => {
    const machine = fresh[0]!;
    const username = machine.vault.profile.username;
    const { key } = await machine.engine.recovery.make();
    const paper = recoveryDeviceKeys(parseRecoveryKey(key));
    // All a relay knows: the account, and the recovery key's public keys from the device log. It seals its own account material to them.
    const intruder = generateIdentityKeys();
    const forged: AccountMaterial = {
      account: machine.engine.account,
      keys: {
        signPublicKey: toHex(intruder.signPublicKey),
        signSecretKey: toHex(intruder.signSecretKey),
        boxPublicKey: toHex(intruder.boxPublicKey),
        boxSecretKey: toHex(intruder.boxSecretKey),
      },
      profile: { username, displayName: 'Intruder' },
      devices: [],
      relays: [relay.url],
      spaces: [],
    };
    const sealed = sealMaterial(recoveryMaterialLabel(paper.id), forged, paper.box, {
      id: toBase64Url(intruder.signPublicKey),
      signSecretKey: intruder.signSecretKey,
    });
    const proxy = await startHostileProxy(relay.url);
    try {
      proxy.rewrite = (frame) => (frame.t === 'recovery' && frame.parts.length > 0 ? { ...frame, parts: [sealed] } : frame);
      const victim = await newComputer('victim');
      await routeThrough(victim, proxy);
      const logBefore = deviceLogLength(machine.engine.account);
      await expect(victim.engine.recovery.recover(relay.url, username, key)).rejects.toMatchObject({ code: 'RECORD_TAMPERED' });
      expect(victim.vault.syncState.relays()).toEqual([]);
      expect(victim.engine.account).not.toBe(machine.engine.account);
      expect(deviceLogLength(machine.engine.account)).toBe(logBefore);
    } finally {
      await proxy.close();
    }
  });

  it('a new recovery key retires the old one: the old key is refused and stores nothing; the relay drops the material with the account', async () => {
    const machine = fresh[0]!;
    const lost = machine.engine.devices.list().find((d) => d.kind === 'device' && !d.isThis)!;
    await machine.engine.devices.revoke(lost.id);
    const username = machine.vault.profile.username;
    const first = await machine.engine.recovery.make();
    const second = await machine.engine.recovery.make();
    expect(second.key).not.toBe(first.key);
    const kinds = machine.engine.devices.list().filter((d) => d.kind === 'recovery');
    expect(kinds.filter((d) => d.revokedAt === undefined)).toHaveLength(1);

    const other = await newComputer('other');
    await expect(other.engine.recovery.recover(relay.url, username, first.key)).rejects.toMatchObject({ code: 'WRONG_RECOVERY_KEY' });
    expect(other.vault.syncState.relays()).toEqual([]);
    // The relay holds the material for the active key only, and drops it with the account.
    const account = machine.engine.account;
    expect(recoveryMaterialDevices(account)).toEqual([kinds.find((d) => d.revokedAt === undefined)!.id]);
    await machine.engine.deleteAccount();
    expect(recoveryMaterialDevices(account)).toEqual([]);
  });
});
