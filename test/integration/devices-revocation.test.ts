// Revoking a device (promise S10), end to end: two devices of one account and a second person on
// two real relays. An edit reaches the other device and the other person; after the laptop is
// revoked its next sign-in is refused on every relay, and its keys open nothing the relays hold
// from after the revocation (every envelope and every change in both relays' databases is tried).
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, openSealed, type IdentityKeys } from '../../common/crypto/identity.ts';
import { randomBytes, toBase64Url } from '../../common/crypto/sodium.ts';
import { openChange, parseChange, verifyChange } from '../../common/protocol/change.ts';
import type { DeviceSigner, RelayClient } from '../../common/protocol/client.ts';
import { openEnvelope } from '../../common/protocol/envelope.ts';
import { MembershipHistory } from '../../common/protocol/verify.ts';
import { connect, outcome, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { PASSPHRASE } from '../support/vault.ts';
import { bodyOf, closeAll, makePeer, type Peer } from './sync-fixture.ts';

let first: TestRelay;
let second: TestRelay;
let ada: Peer;
let bob: Peer;
let laptop: IdentityKeys;
let laptopId: string;

beforeAll(async () => {
  [first, second] = [await startTestRelay(), await startTestRelay()];
  laptop = generateIdentityKeys();
  laptopId = toBase64Url(laptop.signPublicKey);
  ada = await makePeer(first.url, 'ada');
  bob = await makePeer(first.url, 'bob');
});
afterAll(async () => {
  await closeAll([ada, bob], { relay: first });
  await second.stop();
});

const asLaptop = (): DeviceSigner => ({
  account: ada.engine.account,
  device: laptopId,
  signSecretKey: laptop.signSecretKey,
  boxPublicKey: laptop.boxPublicKey,
});

/** Every key the laptop can open from what a relay serves it now: each space's envelopes sealed to it. */
async function laptopKeys(client: RelayClient, space: string): Promise<Uint8Array[]> {
  const history = MembershipHistory.replay(space, await client.getMembership(space, 0));
  const keys: Uint8Array[] = [];
  for (const { epoch, envelope } of await client.getEnvelopes(space)) keys.push(openEnvelope(envelope, laptop, { space, epoch }, history).key);
  return keys;
}

/** Everything a relay's database holds that is sealed: envelopes (with their epoch) and changes and snapshots (with theirs). */
function sealedRows(relay: TestRelay): {
  envelopes: Array<{ space: string; epoch: number; recipient: string; sealed: Buffer }>;
  changes: Array<{ space: string; doc: string; seq: number; bytes: Buffer }>;
  snapshots: Buffer[];
  chunks: number;
} {
  const db = new BetterSqlite3(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
  try {
    return {
      envelopes: db.prepare('SELECT space, epoch, recipient, sealed FROM envelopes').all() as Array<{
        space: string;
        epoch: number;
        recipient: string;
        sealed: Buffer;
      }>,
      changes: db.prepare('SELECT space, doc, seq, bytes FROM changes').all() as Array<{ space: string; doc: string; seq: number; bytes: Buffer }>,
      snapshots: (db.prepare('SELECT snapshot FROM docs WHERE snapshot IS NOT NULL').all() as Array<{ snapshot: Buffer }>).map((r) => r.snapshot),
      chunks: (db.prepare('SELECT COUNT(*) AS n FROM file_chunks').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

describe('revoking a device', () => {
  it('an edit reaches the other device and the other person; once the laptop is revoked, no relay lets it in and its keys open nothing written afterwards', async () => {
    // Ada's second device, the laptop, joins her device log (signed by her first device); then she
    // registers on a second relay, which receives the whole log.
    expect(await ada.engine.devices.add({ id: laptopId, box: toBase64Url(laptop.boxPublicKey), name: 'Laptop' })).toEqual([first.url]);
    await ada.engine.register(second.url);
    const plans = await ada.engine.createTeamWorkspace('Plans', first.url);
    const notes = await ada.engine.createTeamWorkspace('Notes', second.url);
    const doc = ada.vault.documents.create(plans.id, { title: 'Launch', init: (d) => A.updateText(d, ['body'], 'from the desktop') });
    const solo = ada.vault.documents.create(notes.id, { title: 'Mine', init: (d) => A.updateText(d, ['body'], 'only ada') });
    await ada.engine.invite(plans.id, bob.vault.profile.username, 'editor');
    await ada.engine.syncOnce();
    await bob.engine.acceptInvitation(plans.id);
    expect(bodyOf(bob, doc.id)).toBe('from the desktop');

    // The laptop signs in with its own key on both relays and reads the edit with the key sealed to it.
    const onLaptop = await connect(first.url);
    await onLaptop.signIn(asLaptop());
    const [key0] = await laptopKeys(onLaptop, plans.id);
    const { changes } = await onLaptop.pullAll(plans.id, doc.id, 0);
    expect(changes.some(({ bytes }) => openChange(verifyChange(bytes), key0!) !== undefined)).toBe(true);
    const onSecond = await connect(second.url);
    await onSecond.signIn(asLaptop());
    const laptopHeld = [key0!, ...(await laptopKeys(onSecond, notes.id))];
    onSecond.close();
    const before = new Set([first, second].flatMap((relay) => sealedRows(relay).changes.map((c) => `${c.space}/${c.doc}/${c.seq}`)));

    // Revoked from the desktop: the laptop's open connection ends at once.
    const closed = new Promise<void>((resolve) => onLaptop.onClose(resolve));
    expect((await ada.engine.devices.revoke('Laptop')).relays.sort()).toEqual([first.url, second.url].sort());
    await closed;
    for (const relay of [first, second]) expect(await outcome((await connect(relay.url)).signIn(asLaptop())), relay.url).toBe('UNAUTHENTICATED');
    expect(ada.engine.devices.list().find((d) => d.id === laptopId)?.revokedAt).toBeDefined();
    expect(ada.vault.audit.list().map((e) => e.action)).toEqual(expect.arrayContaining(['device.added', 'device.revoked']));
    const { report } = await ada.engine.accessReport(first.url);
    expect(report.devices?.map((d) => [d.name, d.revokedAt !== null])).toEqual([
      [ada.vault.devices.self.name, false],
      ['Laptop', true],
    ]);

    // Written afterwards, on both relays, by Ada and by Bob: they read each other.
    ada.vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'after: '));
    ada.vault.documents.change(solo.id, (d) => A.splice(d, ['body'], 0, 0, 'after: '));
    bob.vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' (bob)'));
    await ada.engine.syncOnce();
    await bob.engine.syncOnce();
    await ada.engine.syncOnce();
    expect(bodyOf(bob, doc.id)).toBe('after: from the desktop (bob)');
    expect(bodyOf(ada, doc.id)).toBe('after: from the desktop (bob)');

    // Everything both relays hold: no envelope of a later epoch opens with the laptop's box key,
    // and no change stored after the revocation opens with any key the laptop ever held.
    let newer = 0;
    for (const relay of [first, second]) {
      const rows = sealedRows(relay);
      expect(rows.chunks).toBe(0);
      // Epoch 1 started with the revocation: sealed to Ada's desktop and Bob's device, never to the laptop.
      expect(
        rows.envelopes
          .filter((e) => e.epoch === 1)
          .map((e) => e.recipient)
          .sort(),
      ).toEqual((relay === first ? [ada.vault.devices.self.id, bob.vault.devices.self.id] : [ada.vault.devices.self.id]).sort());
      for (const envelope of rows.envelopes) {
        const opened = openSealed(envelope.sealed.subarray(97), laptop);
        expect(opened !== undefined, `${envelope.space} epoch ${envelope.epoch} to ${envelope.recipient}`).toBe(
          envelope.epoch === 0 && envelope.recipient === laptopId,
        );
      }
      for (const change of rows.changes) {
        if (before.has(`${change.space}/${change.doc}/${change.seq}`)) continue;
        newer++;
        const parsed = parseChange(change.bytes);
        expect(parsed.meta.epoch).toBe(1);
        for (const key of laptopHeld) expect(openChange(parsed, key)).toBeUndefined();
      }
      for (const snapshot of rows.snapshots) {
        const parsed = parseChange(snapshot);
        if (parsed.meta.epoch > 0) for (const key of laptopHeld) expect(openChange(parsed, key)).toBeUndefined();
      }
    }
    // Ada's two edits and Bob's, at least (the indexes may add more).
    expect(newer).toBeGreaterThanOrEqual(3);
  });

  it('an Editor revokes its own device, after its second factor: it seals the new epoch itself, and the Owner takes that key and writes under it', async () => {
    const plans = bob.vault.workspaces.list().find((w) => w.kind === 'team')!;
    const phone = generateIdentityKeys();
    await bob.engine.devices.add({ id: toBase64Url(phone.signPublicKey), box: toBase64Url(phone.boxPublicKey), name: 'Phone' });
    await ada.engine.syncOnce();
    // Bob's vault has a second factor: revoking asks for it, and without it nothing changes anywhere.
    const codes = bob.vault.secondFactor.enrol(PASSPHRASE, { credentialId: 'bob-key', prfSalt: toBase64Url(randomBytes(32)), prfOutput: randomBytes(32) });
    await expect(bob.engine.devices.revoke('Phone')).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' });
    expect(
      await outcome(
        (await connect(first.url)).signIn({
          account: bob.engine.account,
          device: toBase64Url(phone.signPublicKey),
          signSecretKey: phone.signSecretKey,
          boxPublicKey: phone.boxPublicKey,
        }),
      ),
    ).toBe('ok');
    await bob.engine.devices.revoke('Phone', { kind: 'recovery', code: codes[0]! });
    expect(bob.vault.audit.list().map((e) => e.action)).toEqual(expect.arrayContaining(['recovery_code.used', 'device.revoked']));
    const [summary] = bob.vault.documents.list(plans.id);
    bob.vault.documents.change(summary!.id, (d) => A.splice(d, ['body'], 0, 0, 'bob again: '));
    await bob.engine.syncOnce();
    await ada.engine.syncOnce();
    expect(bodyOf(ada, summary!.id)).toMatch(/^bob again: /);
    ada.vault.documents.change(summary!.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' (ada again)'));
    await ada.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(bob, summary!.id)).toMatch(/\(ada again\)$/);
    // Both wrote under epoch 2, whose key only Bob's revocation handed out (to Ada's and Bob's remaining devices).
    const epochs = sealedRows(first)
      .changes.filter((c) => c.doc === summary!.id)
      .map((c) => parseChange(c.bytes).meta.epoch);
    expect(Math.max(...epochs)).toBe(2);
    expect(
      sealedRows(first)
        .envelopes.filter((e) => e.space === plans.id && e.epoch === 2)
        .map((e) => e.recipient)
        .sort(),
    ).toEqual([ada.vault.devices.self.id, bob.vault.devices.self.id].sort());
  });
});
