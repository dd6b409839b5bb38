/**
 * The one storage suite every relay backend must pass (SQLite and PostgreSQL), in the way
 * automerge-repo tests its storage adapters: same calls, same answers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, newId, randomBytes, toBase64Url } from '../../../common/crypto/sodium.ts';
import { applyDeviceEntry, emptyDeviceLog, nextDeviceEntry, signDeviceEntry, type DeviceLogState } from '../../../common/devices/log.ts';
import { applyMembershipEntry, emptyMembership, nextEntry, signMembershipEntry, type MembershipState } from '../../../common/membership/log.ts';
import { deviceRows } from '../../../sync-server/storage/device-logs.ts';
import type { CommentOp, Role } from '../../../common/roles.ts';
import { migrate } from '../../../sync-server/storage/migrations.ts';
import { RelayStore } from '../../../sync-server/storage/relay-store.ts';
import type { SqlDriver } from '../../../sync-server/storage/sql-driver.ts';

const QUOTA = 1_000_000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

interface Member {
  keys: IdentityKeys;
  id: string;
}
const member = (): Member => {
  const keys = generateIdentityKeys();
  return { keys, id: toBase64Url(keys.signPublicKey) };
};

/** `freshDatabase()` returns a way to open drivers on one new, empty database. */
export function relayStoreContract(backend: string, freshDatabase: () => Promise<() => SqlDriver>): void {
  describe(`relay storage contract: ${backend}`, () => {
    beforeAll(loadSodium);

    async function openStore(): Promise<{ store: RelayStore; reopen: () => Promise<RelayStore> }> {
      const open = await freshDatabase();
      return { store: await RelayStore.open(open()), reopen: () => RelayStore.open(open()) };
    }

    async function spaceOf(store: RelayStore, owner: Member, id = newId()): Promise<{ id: string; state: MembershipState }> {
      const genesis = signMembershipEntry(
        nextEntry(emptyMembership(id), { actor: owner.id, action: 'create', subject: owner.id, role: 'owner' }),
        owner.keys.signSecretKey,
      );
      const state = applyMembershipEntry(emptyMembership(id), genesis);
      await store.createSpace(id, 'workspace', genesis, state, Date.now());
      return { id, state };
    }

    async function add(store: RelayStore, space: { state: MembershipState }, actor: Member, subject: Member, role: Role): Promise<void> {
      const entry = signMembershipEntry(nextEntry(space.state, { actor: actor.id, action: 'add', subject: subject.id, role }), actor.keys.signSecretKey);
      const after = applyMembershipEntry(space.state, entry);
      await store.appendMembership(space.state, entry, after);
      space.state = after;
    }

    it('migrates forward from the previous version, keeps its relay id across reopening, and migrates only once', async () => {
      const open = await freshDatabase();
      const driver = open();
      expect(await migrate(driver, 0)).toBe(0);
      expect(await codeOf(driver.all('SELECT * FROM accounts'))).not.toBe('ok');
      expect(await migrate(driver, 1)).toBe(1);
      // A link stored by a version-1 relay (which did not keep the document) reads back after version 2.
      await driver.run(`INSERT INTO spaces (space, kind, created_at, next_membership_seq, head, bytes_used) VALUES ('s1', 'workspace', 1, 1, 'h', 3)`);
      await driver.run(`INSERT INTO links (link, space, created_by, ciphertext, created_at, expires_at, revoked) VALUES ('old', 's1', NULL, ?, 1, NULL, 0)`, [
        new Uint8Array([1, 2, 3]),
      ]);
      expect(await migrate(driver, 2)).toBe(2);
      expect(await codeOf(driver.all('SELECT * FROM sessions'))).not.toBe('ok');
      // Version 3 adds the sessions every instance counts; a version-2 database keeps its rows.
      expect(await migrate(driver, 3)).toBe(3);
      expect(await codeOf(driver.all('SELECT * FROM device_log'))).not.toBe('ok');
      // Version 4 adds device logs; an account from before has none (its account key signs in).
      expect(await migrate(driver, 4)).toBe(4);
      expect(await driver.all('SELECT * FROM devices')).toEqual([]);
      expect(await codeOf(driver.all('SELECT * FROM pairings'))).not.toBe('ok');
      // Version 5 adds the pairings of new devices, none open.
      expect(await migrate(driver, 5)).toBe(5);
      expect(await driver.all('SELECT * FROM pairings')).toEqual([]);
      await driver.run(`INSERT INTO docs (space, doc, last_seq) VALUES ('s1', 'd1', 1)`);
      await driver.run(`INSERT INTO changes (space, doc, seq, change_id, author, bytes) VALUES ('s1', 'd1', 1, 'c1', NULL, ?)`, [new Uint8Array([4])]);
      expect(await codeOf(driver.all('SELECT * FROM comments'))).not.toBe('ok');
      // Version 6 knows comments by id; a change stored before names none.
      expect(await migrate(driver, 6)).toBe(6);
      expect(await driver.all(`SELECT comment FROM changes WHERE space = 's1'`)).toEqual([{ comment: null }]);
      // Version 7 adds each document's generation: what a version-6 relay held has all its history (0).
      expect(await migrate(driver, 7)).toBe(7);
      expect(await driver.all(`SELECT doc, last_seq, gen FROM docs`)).toEqual([{ doc: 'd1', last_seq: 1, gen: 0 }]);
      expect(await codeOf(driver.all('SELECT * FROM recovery_material'))).not.toBe('ok');
      // Version 8 keeps the account material sealed to recovery keys: none made before.
      expect(await migrate(driver, 8)).toBe(8);
      expect(await driver.all('SELECT * FROM recovery_material')).toEqual([]);
      await driver.run(`INSERT INTO accounts (account, username, display_name, box_public_key, avatar, created_at) VALUES ('a1', 'before', 'B', 'k', NULL, 1)`);
      // Version 9 keeps which signed profile update each account is at: an account from before is at its registration (0).
      expect(await migrate(driver)).toBe(9);
      const [before] = (await driver.all(`SELECT username, profile_version FROM accounts WHERE account = 'a1'`)) as Array<{
        username: string;
        profile_version: number | string;
      }>;
      expect([before?.username, Number(before?.profile_version)]).toEqual(['before', 0]);
      const store = await RelayStore.open(driver);
      expect(await store.getLink('old')).toMatchObject({ space: 's1', doc: null, revoked: false });
      expect(await driver.all('SELECT * FROM sessions')).toEqual([]);
      await store.createAccount({ account: member().id, username: 'migrated', displayName: 'M', boxPublicKey: member().id, avatar: null, createdAt: 1 });
      await store.close();
      const again = await RelayStore.open(open());
      expect(again.relayId).toBe(store.relayId);
      expect(await again.findByUsername('migrated')).toBeDefined();
      await again.close();
    });

    it('appends device-log entries one at a time (a concurrent second append is a CONFLICT), and signs in only an active device', async () => {
      const { store } = await openStore();
      const owner = member();
      const [laptop, desktop, phone] = [member(), member(), member()];
      const entry = (state: DeviceLogState, action: 'create' | 'add' | 'revoke', device: Member, signer: Member) =>
        signDeviceEntry(
          nextDeviceEntry(state, {
            action,
            device: device.id,
            by: signer.id,
            ...(action === 'revoke' ? {} : { box: device.id, kind: 'device' as const, name: 'D' }),
          }),
          signer.keys.signSecretKey,
        );
      let state = emptyDeviceLog(owner.id);
      const first = entry(state, 'create', laptop, owner);
      state = applyDeviceEntry(state, first);
      await store.createAccount(
        { account: owner.id, username: 'devices', displayName: 'D', boxPublicKey: laptop.id, avatar: null, createdAt: 1 },
        deviceRows([first], state),
      );
      const [addDesktop, addPhone] = [entry(state, 'add', desktop, laptop), entry(state, 'add', phone, laptop)];
      const results = await Promise.all([
        codeOf(store.appendDevices(owner.id, 1, deviceRows([addDesktop], applyDeviceEntry(state, addDesktop)))),
        codeOf(store.appendDevices(owner.id, 1, deviceRows([addPhone], applyDeviceEntry(state, addPhone)))),
      ]);
      expect(results.sort()).toEqual(['CONFLICT', 'ok']);
      const log = await store.getDeviceLog(owner.id);
      expect(log).toHaveLength(2);
      state = applyDeviceEntry(state, log[1]);
      const other = log[1]!.device === desktop.id ? phone : desktop;
      const session = (device?: Member) => codeOf(store.openSession({ instance: 'i', connection: 1 }, owner.id, 10, 2, device?.id));
      expect(await session(laptop)).toBe('ok');
      expect(await session(other)).toBe('UNAUTHENTICATED');
      expect(await session()).toBe('UNAUTHENTICATED');
      const revoke = entry(state, 'revoke', laptop, log[1]!.device === desktop.id ? desktop : phone);
      await store.appendDevices(owner.id, 2, deviceRows([revoke], applyDeviceEntry(state, revoke)));
      expect(await session(laptop)).toBe('UNAUTHENTICATED');
      expect((await store.accessReport(owner.id))!.devices.map((d) => d.revokedAt)).toEqual([revoke.at, null]);
      // In a space someone else owns, a key sealed to the account's device: its right-of-access answer lists it, and deletion takes it.
      const host = member();
      const shared = await spaceOf(store, host);
      await add(store, shared, host, owner, 'editor');
      await store.putEnvelopes(shared.id, 0, [{ recipient: laptop.id, sealed: randomBytes(80) }]);
      expect((await store.accessReport(owner.id))!.envelopes).toEqual([{ space: shared.id, epoch: 0 }]);
      await store.driver.transaction((tx) => tx.run(`DELETE FROM members WHERE space = ? AND account = ?`, [shared.id, owner.id]));
      await store.markAccountDeleted(owner.id, 3);
      await store.purgeDeleted(3);
      expect(await store.driver.all(`SELECT * FROM envelopes WHERE recipient = ?`, [laptop.id])).toEqual([]);
      expect(await store.driver.all(`SELECT * FROM device_log WHERE account = ?`, [owner.id])).toEqual([]);
      expect(await store.driver.all(`SELECT * FROM devices WHERE account = ?`, [owner.id])).toEqual([]);
      await store.close();
    });

    it('keeps accounts unique by key and by username', async () => {
      const { store } = await openStore();
      const a = member();
      const record = { account: a.id, username: 'ann', displayName: 'Ann', boxPublicKey: a.id, avatar: randomBytes(10), createdAt: 5 };
      await store.createAccount(record);
      expect(await codeOf(store.createAccount({ ...record, username: 'other' }))).toBe('ALREADY_EXISTS');
      expect(await codeOf(store.createAccount({ ...record, account: member().id }))).toBe('ALREADY_EXISTS');
      const found = await store.findByUsername('ann');
      expect(found).toMatchObject({ account: a.id, displayName: 'Ann', createdAt: 5, deletedAt: null });
      expect(Buffer.from(found!.avatar!).equals(Buffer.from(record.avatar))).toBe(true);
      await store.markAccountDeleted(a.id, 10);
      expect(await store.getAccount(a.id)).toBeUndefined();
      expect(await store.findByUsername('ann')).toBeUndefined();
      await store.close();
    });

    it('appends membership entries one at a time: a concurrent second append is a CONFLICT, not a fork', async () => {
      const { store } = await openStore();
      const [owner, b, c] = [member(), member(), member()];
      const space = await spaceOf(store, owner);
      expect(await codeOf(spaceOf(store, member(), space.id))).toBe('ALREADY_EXISTS');
      const before = space.state;
      const entryB = signMembershipEntry(nextEntry(before, { actor: owner.id, action: 'add', subject: b.id, role: 'editor' }), owner.keys.signSecretKey);
      const entryC = signMembershipEntry(nextEntry(before, { actor: owner.id, action: 'add', subject: c.id, role: 'viewer' }), owner.keys.signSecretKey);
      const results = await Promise.all([
        codeOf(store.appendMembership(before, entryB, applyMembershipEntry(before, entryB))),
        codeOf(store.appendMembership(before, entryC, applyMembershipEntry(before, entryC))),
      ]);
      expect(results.sort()).toEqual(['CONFLICT', 'ok']);
      const log = await store.getMembershipLog(space.id, 0);
      expect(log.map((e) => e.seq)).toEqual([0, 1]);
      const state = await store.getMembershipState(space.id);
      expect(state!.members.size).toBe(2);
      expect(await store.hasMembershipHead(space.id, state!.head!)).toBe(true);
      expect(await store.hasMembershipHead(space.id, 'ab'.repeat(32))).toBe(false);
      await store.close();
    });

    it('stores a removal and its key epoch together: of two concurrent removals one lands with its envelopes, the other stores nothing', async () => {
      const { store } = await openStore();
      const [owner, admin, x, y] = [member(), member(), member(), member()];
      const space = await spaceOf(store, owner);
      await add(store, space, owner, admin, 'admin');
      await add(store, space, owner, x, 'editor');
      await add(store, space, owner, y, 'editor');
      const before = space.state;
      const removal = (actor: Member, subject: Member, keep: Member[]) => {
        const entry = signMembershipEntry(nextEntry(before, { actor: actor.id, action: 'remove', subject: subject.id, role: null }), actor.keys.signSecretKey);
        const sealed = randomBytes(48);
        return {
          sealed,
          run: () =>
            store.appendMembership(before, entry, applyMembershipEntry(before, entry), { epoch: 1, items: keep.map((m) => ({ recipient: m.id, sealed })) }),
        };
      };
      const byOwner = removal(owner, x, [owner, admin, y]);
      const byAdmin = removal(admin, y, [owner, admin, x]);
      const results = await Promise.all([codeOf(byOwner.run()), codeOf(byAdmin.run())]);
      const winner = results[0] === 'ok' ? byOwner : byAdmin;
      expect([...results].sort()).toEqual(['CONFLICT', 'ok']);
      const rows = await store.driver.all(`SELECT recipient, sealed FROM envelopes WHERE space = ? AND epoch = 1`, [space.id]);
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(Buffer.from(row.sealed as Uint8Array).equals(Buffer.from(winner.sealed))).toBe(true);
      // An epoch that has its key already is never handed out again, and an envelope is never replaced.
      const state = (await store.getMembershipState(space.id))!;
      const late = signMembershipEntry(nextEntry(state, { actor: owner.id, action: 'remove', subject: admin.id, role: null }), owner.keys.signSecretKey);
      expect(
        await codeOf(
          store.appendMembership(state, late, applyMembershipEntry(state, late), { epoch: 1, items: [{ recipient: owner.id, sealed: randomBytes(48) }] }),
        ),
      ).toBe('CONFLICT');
      expect((await store.getMembershipLog(space.id, 0)).length).toBe(5);
      await store.putEnvelopes(space.id, 1, [{ recipient: owner.id, sealed: randomBytes(48) }]);
      const [mine] = (await store.getEnvelopes(space.id, owner.id)).filter((e) => e.epoch === 1);
      expect(Buffer.from(mine!.sealed).equals(Buffer.from(winner.sealed))).toBe(true);
      await store.close();
    });

    it('assigns dense, unique sequence numbers to concurrent appends, and recognises a retried change', async () => {
      const { store } = await openStore();
      const owner = member();
      const space = await spaceOf(store, owner);
      const ids = Array.from({ length: 40 }, () => newId());
      const results = await Promise.all(ids.map((id) => store.appendChange(space.id, 'doc', id, owner.id, randomBytes(100), QUOTA)));
      expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await store.appendChange(space.id, 'doc', ids[7]!, owner.id, randomBytes(100), QUOTA)).toEqual({ seq: results[7]!.seq, duplicate: true });
      const page = await store.getChanges(space.id, 'doc', 10, 5);
      expect(page.changes.map((c) => c.seq)).toEqual([11, 12, 13, 14, 15]);
      expect(page.latest).toBe(40);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(4000);
      await store.close();
    });

    it('checks the writer inside the write: a member removed or demoted before it commits is refused, and nothing is stored', async () => {
      const { store } = await openStore();
      const [owner, editor, viewer, stranger] = [member(), member(), member(), member()];
      const space = await spaceOf(store, owner);
      await add(store, space, owner, editor, 'editor');
      await add(store, space, owner, viewer, 'viewer');
      const writers: Role[] = ['owner', 'admin', 'editor'];
      const as = (m: Member, roles: Role[] = writers) => ({ account: m.id, roles });
      expect((await store.appendChange(space.id, 'doc', 'e1', editor.id, randomBytes(10), QUOTA, as(editor))).seq).toBe(1);
      expect(await codeOf(store.appendChange(space.id, 'doc', 'v1', viewer.id, randomBytes(10), QUOTA, as(viewer)))).toBe('FORBIDDEN');
      expect(await codeOf(store.appendChange(space.id, 'doc', 's1', stranger.id, randomBytes(10), QUOTA, as(stranger)))).toBe('FORBIDDEN');
      expect(await codeOf(store.appendChange('no-such-space', 'doc', 'x', editor.id, randomBytes(10), QUOTA, as(editor)))).toBe('NOT_FOUND');
      // Demoted, then removed: each write after the change commits is refused, a retried one too.
      const demote = signMembershipEntry(
        nextEntry(space.state, { actor: owner.id, action: 'change_role', subject: editor.id, role: 'commenter' }),
        owner.keys.signSecretKey,
      );
      await store.appendMembership(space.state, demote, (space.state = applyMembershipEntry(space.state, demote)));
      expect(await codeOf(store.appendChange(space.id, 'doc', 'e2', editor.id, randomBytes(10), QUOTA, as(editor)))).toBe('FORBIDDEN');
      expect(
        (await store.appendChange(space.id, 'doc', 'c1', editor.id, randomBytes(10), QUOTA, as(editor, ['owner', 'admin', 'editor', 'commenter']))).seq,
      ).toBe(2);
      const remove = signMembershipEntry(
        nextEntry(space.state, { actor: owner.id, action: 'remove', subject: editor.id, role: null }),
        owner.keys.signSecretKey,
      );
      await store.appendMembership(space.state, remove, (space.state = applyMembershipEntry(space.state, remove)));
      expect(await codeOf(store.appendChange(space.id, 'doc', 'e1', editor.id, randomBytes(10), QUOTA, as(editor)))).toBe('FORBIDDEN');
      expect(await codeOf(store.putSnapshot(space.id, 'doc', 1, randomBytes(10), QUOTA, as(editor)))).toBe('FORBIDDEN');
      expect(await codeOf(store.beginFile(space.id, 'f', 10, 1024, editor.id, QUOTA, 1, as(editor)))).toBe('FORBIDDEN');
      expect(await codeOf(store.putLink('l', space.id, editor.id, randomBytes(10), null, QUOTA, 1, 'doc', as(editor)))).toBe('FORBIDDEN');
      expect(await codeOf(store.deleteDoc(space.id, 'doc', as(editor)))).toBe('FORBIDDEN');
      // The viewer and the owner, whose rows the removal left alone, are unaffected.
      expect((await store.appendChange(space.id, 'doc', 'o1', owner.id, randomBytes(10), QUOTA, as(owner))).seq).toBe(3);
      expect((await store.getChanges(space.id, 'doc', 0, 10)).changes.map((c) => c.seq)).toEqual([1, 2, 3]);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(30);
      // Reads with a reader check it in the same query: the removed member reads nothing more.
      expect((await store.getChanges(space.id, 'doc', 0, 10, viewer.id)).latest).toBe(3);
      expect((await store.getChanges(space.id, 'other-doc', 0, 10, viewer.id)).latest).toBe(0);
      expect(await codeOf(store.getChanges(space.id, 'doc', 0, 10, editor.id))).toBe('FORBIDDEN');
      expect(await codeOf(store.getChanges('no-such-space', 'doc', 0, 10, editor.id))).toBe('NOT_FOUND');
      await store.close();
    });

    it('deletes a document while changes are pushed into it without a failed write, and keeps the quota equal to what is stored', async () => {
      const { store } = await openStore();
      const owner = member();
      const space = await spaceOf(store, owner);
      const writer = { account: owner.id, roles: ['owner'] as Role[] };
      for (let round = 0; round < 5; round++) {
        const pushes = Array.from({ length: 20 }, (_, i) =>
          codeOf(store.appendChange(space.id, 'doc', `r${round}-${i}`, owner.id, randomBytes(10), QUOTA, writer)),
        );
        const deletion = codeOf(store.deleteDoc(space.id, 'doc', writer));
        expect(new Set([...(await Promise.all(pushes)), await deletion])).toEqual(new Set(['ok']));
      }
      const { changes } = await store.getChanges(space.id, 'doc', 0, 1000);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(changes.length * 10);
      await store.close();
    });

    it("counts an account's connections on every instance, frees one when it closes, and forgets an instance that stopped beating", async () => {
      const { store, reopen } = await openStore();
      const other = await reopen(); // a second instance on the same database
      const [ann, gone] = [member(), member()];
      for (const [m, name] of [
        [ann, 'ann'],
        [gone, 'gone'],
      ] as const) {
        await store.createAccount({ account: m.id, username: name, displayName: name, boxPublicKey: m.id, avatar: null, createdAt: 1 });
      }
      await store.heartbeat('i1', 1000, 0);
      await other.heartbeat('i2', 1000, 0);
      await store.openSession({ instance: 'i1', connection: 1 }, ann.id, 2, 10);
      await other.openSession({ instance: 'i2', connection: 1 }, ann.id, 2, 11);
      expect(await codeOf(other.openSession({ instance: 'i2', connection: 2 }, ann.id, 2, 12))).toBe('LIMIT_EXCEEDED');
      expect(await other.openSession({ instance: 'i2', connection: 2 }, ann.id, 2, 12).catch((e: { limit?: string }) => e.limit)).toBe('connectionsPerAccount');
      await store.openSession({ instance: 'i1', connection: 1 }, ann.id, 2, 13); // the same connection again counts once
      expect((await store.getAccount(ann.id))!.lastSignInAt).toBe(13);
      await store.closeSession({ instance: 'i1', connection: 1 });
      await other.openSession({ instance: 'i2', connection: 2 }, ann.id, 2, 14);
      // i2 stops beating; a live instance's heartbeat forgets its sessions.
      await store.heartbeat('i1', 100_000, 50_000);
      await store.openSession({ instance: 'i1', connection: 5 }, ann.id, 2, 15);
      await store.openSession({ instance: 'i1', connection: 6 }, ann.id, 2, 16);
      expect(await codeOf(store.openSession({ instance: 'i1', connection: 7 }, member().id, 2, 17))).toBe('UNAUTHENTICATED');
      await store.markAccountDeleted(gone.id, 20);
      expect(await codeOf(store.openSession({ instance: 'i1', connection: 8 }, gone.id, 2, 21))).toBe('UNAUTHENTICATED');
      await store.endInstance('i1');
      expect(await store.driver.all(`SELECT * FROM sessions`)).toEqual([]);
      await other.close();
      await store.close();
    });

    it('counts every stored byte against the space quota and gives it back on deletion', async () => {
      const { store } = await openStore();
      const owner = member();
      const space = await spaceOf(store, owner);
      await store.appendChange(space.id, 'doc', 'a', owner.id, randomBytes(600), 1000);
      expect(await codeOf(store.appendChange(space.id, 'doc', 'b', owner.id, randomBytes(600), 1000))).toBe('LIMIT_EXCEEDED');
      expect(await codeOf(store.beginFile(space.id, 'f', 500, 1024, owner.id, 1000, 1))).toBe('LIMIT_EXCEEDED');
      await store.deleteDoc(space.id, 'doc');
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(0);
      await store.beginFile(space.id, 'f', 500, 1024, owner.id, 1000, 1);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(500);
      await store.deleteFile(space.id, 'f');
      await store.putLink('l1', space.id, owner.id, randomBytes(300), null, 1000, 1);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(300);
      expect(await store.revokeLink(space.id, 'l1')).toBe(true);
      expect(await store.getLink('l1')).toMatchObject({ revoked: true, ciphertext: null });
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(0);
      expect(await codeOf(store.appendChange('no-such-space', 'doc', 'x', owner.id, randomBytes(1), 1000))).toBe('NOT_FOUND');
      await store.close();
    });

    it('deleting a document revokes its links, whoever created them: copies dropped, quota given back, other links kept', async () => {
      const { store } = await openStore();
      const [owner, admin] = [member(), member()];
      const space = await spaceOf(store, owner);
      await add(store, space, owner, admin, 'admin');
      await store.appendChange(space.id, 'doc', 'c', owner.id, randomBytes(100), QUOTA);
      await store.putLink('mine', space.id, owner.id, randomBytes(300), null, QUOTA, 1, 'doc');
      await store.putLink('theirs', space.id, admin.id, randomBytes(200), null, QUOTA, 1, 'doc');
      await store.putLink('other-doc', space.id, admin.id, randomBytes(50), null, QUOTA, 1, 'doc2');
      await store.putLink('no-doc', space.id, admin.id, randomBytes(25), null, QUOTA, 1);
      expect((await store.getLink('mine'))!.doc).toBe('doc');
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(675);
      await store.deleteDoc(space.id, 'doc');
      for (const link of ['mine', 'theirs']) expect(await store.getLink(link)).toMatchObject({ revoked: true, ciphertext: null });
      for (const link of ['other-doc', 'no-doc']) expect(await store.getLink(link)).toMatchObject({ revoked: false, ciphertext: expect.any(Uint8Array) });
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(75);
      expect(await store.revokeLink(space.id, 'mine')).toBe(false);
      await store.close();
    });

    it('a member who leaves or is removed takes the links they published in that space with them; others stay', async () => {
      const { store } = await openStore();
      const [owner, admin, other] = [member(), member(), member()];
      const space = await spaceOf(store, owner);
      const elsewhere = await spaceOf(store, admin);
      await add(store, space, owner, admin, 'admin');
      await add(store, space, owner, other, 'admin');
      const copy = randomBytes(100);
      await store.putLink('by-admin', space.id, admin.id, copy, null, QUOTA, Date.now(), 'doc1');
      await store.putLink('by-other', space.id, other.id, copy, null, QUOTA, Date.now(), 'doc1');
      await store.putLink('admin-elsewhere', elsewhere.id, admin.id, copy, null, QUOTA, Date.now(), 'doc2');
      const leaving = signMembershipEntry(
        nextEntry(space.state, { actor: admin.id, action: 'remove', subject: admin.id, role: null }),
        admin.keys.signSecretKey,
      );
      await store.appendMembership(space.state, leaving, applyMembershipEntry(space.state, leaving));
      expect(await store.getLink('by-admin')).toMatchObject({ revoked: true, ciphertext: null });
      expect(await store.getLink('by-other')).toMatchObject({ revoked: false });
      expect(await store.getLink('admin-elsewhere')).toMatchObject({ revoked: false });
      await store.close();
    });

    it('deleting an account revokes every link it created, also in spaces that outlive it', async () => {
      const { store } = await openStore();
      const [owner, admin] = [member(), member()];
      for (const [m, name] of [
        [owner, 'owner'],
        [admin, 'admin'],
      ] as const) {
        await store.createAccount({ account: m.id, username: name, displayName: name, boxPublicKey: m.id, avatar: null, createdAt: 1 });
      }
      const space = await spaceOf(store, owner);
      await add(store, space, owner, admin, 'admin');
      await store.putLink('by-admin', space.id, admin.id, randomBytes(300), null, QUOTA, 1, 'doc');
      await store.putLink('by-owner', space.id, owner.id, randomBytes(100), null, QUOTA, 1, 'doc');
      await store.markAccountDeleted(admin.id, 10);
      expect(await store.getLink('by-admin')).toMatchObject({ revoked: true, ciphertext: null });
      expect(await store.getLink('by-owner')).toMatchObject({ revoked: false, ciphertext: expect.any(Uint8Array) });
      expect(await store.driver.all(`SELECT link FROM links WHERE created_by = ?`, [admin.id])).toEqual([]);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(100);
      expect(await store.getSpace(space.id)).toBeDefined();
      await store.close();
    });

    it('replaces covered changes by a snapshot', async () => {
      const { store } = await openStore();
      const owner = member();
      const space = await spaceOf(store, owner);
      for (let i = 0; i < 6; i++) await store.appendChange(space.id, 'doc', `c${i}`, owner.id, randomBytes(100), QUOTA);
      await store.putSnapshot(space.id, 'doc', 4, randomBytes(50), QUOTA);
      const all = await store.getChanges(space.id, 'doc', 0, 100);
      expect(all.snapshot?.covers).toBe(4);
      expect(all.changes.map((c) => c.seq)).toEqual([5, 6]);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(250);
      expect(await codeOf(store.putSnapshot(space.id, 'doc', 3, randomBytes(50), QUOTA))).toBe('CONFLICT');
      await store.close();
    });

    it('applies the comment rules in the write and erases a deleted comment: every blob of it (of its thread) goes, the tombstone stays under a snapshot', async () => {
      const { store } = await openStore();
      const [owner, author, commenter] = [member(), member(), member()];
      const space = await spaceOf(store, owner);
      await add(store, space, owner, author, 'commenter');
      await add(store, space, owner, commenter, 'commenter');
      const comment = (account: Member, changeId: string, id: string, op: CommentOp, thread = id, bytes = randomBytes(40)) =>
        store.appendCommentChange({
          space: space.id,
          doc: 'doc',
          changeId,
          account: account.id,
          change: bytes,
          quota: QUOTA,
          comment: { id, thread, op },
          at: 5,
        });
      await store.appendChange(space.id, 'doc', 'content', owner.id, randomBytes(30), QUOTA);
      expect(await comment(author, 'w1', 't1', 'write')).toMatchObject({ seq: 2, duplicate: false, erased: 0 });
      expect(await comment(commenter, 'w2', 'r1', 'write', 't1')).toMatchObject({ seq: 3 });
      expect(await comment(author, 'w3', 't1', 'resolve')).toMatchObject({ seq: 4 });
      // Someone else's comment: neither edited, resolved nor deleted by a Commenter; a thread goes only with every reply.
      expect(await codeOf(comment(commenter, 'x1', 't1', 'write'))).toBe('FORBIDDEN');
      expect(await codeOf(comment(commenter, 'x2', 't1', 'resolve'))).toBe('FORBIDDEN');
      expect(await codeOf(comment(commenter, 'x3', 't1', 'delete'))).toBe('FORBIDDEN');
      expect(await codeOf(comment(author, 'x4', 't1', 'delete'))).toBe('FORBIDDEN');
      await store.putSnapshot(space.id, 'doc', 4, randomBytes(20), QUOTA);
      // The snapshot covers the content change; the comment changes under it stay and come with it.
      expect((await store.getChanges(space.id, 'doc', 0, 100)).changes.map((c) => c.seq)).toEqual([2, 3, 4]);
      const before = (await store.getSpace(space.id))!.bytesUsed;
      expect(await comment(owner, 'd1', 't1', 'delete', 't1', randomBytes(30))).toMatchObject({ seq: 5, duplicate: false, erased: 3 });
      // Only the tombstone is left, and the quota gave the 120 bytes back; a reply to the deleted thread is refused.
      expect((await store.getChanges(space.id, 'doc', 0, 100)).changes.map((c) => c.seq)).toEqual([5]);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(before - 120 + 30);
      expect(await codeOf(comment(commenter, 'w4', 'r2', 'write', 't1'))).toBe('NOT_FOUND');
      expect(await codeOf(comment(author, 'w5', 't1', 'resolve'))).toBe('NOT_FOUND');
      expect(await comment(owner, 'd2', 'r1', 'delete')).toMatchObject({ duplicate: true, erased: 0 });
      // An author deletes their own; a comment the relay never saw is an Owner's or Admin's to delete.
      await comment(commenter, 'w6', 't2', 'write');
      expect(await comment(commenter, 'd3', 't2', 'delete')).toMatchObject({ erased: 1 });
      expect(await codeOf(comment(commenter, 'd4', 'unknown', 'delete'))).toBe('FORBIDDEN');
      expect(await store.driver.all(`SELECT comment FROM changes WHERE space = ? ORDER BY seq`, [space.id])).toEqual([{ comment: 't1' }, { comment: 't2' }]);
      await store.close();
    });

    it("forgets a document's history: one snapshot of the new generation replaces the log and the old snapshot, if nothing arrived since; older generations are refused after", async () => {
      const { store } = await openStore();
      const [owner, editor] = [member(), member()];
      const space = await spaceOf(store, owner);
      await add(store, space, owner, editor, 'editor');
      const forgetters = (m: Member) => ({ account: m.id, roles: ['owner', 'admin'] as Role[] });
      for (let i = 0; i < 3; i++) await store.appendChange(space.id, 'doc', `c${i}`, owner.id, randomBytes(100), QUOTA);
      await store.putSnapshot(space.id, 'doc', 2, randomBytes(50), QUOTA);
      const fresh = randomBytes(70);
      expect(await codeOf(store.forgetHistory(space.id, 'doc', 1, 2, fresh, QUOTA, forgetters(owner)))).toBe('CONFLICT'); // change 3 came after what it saw
      expect(await codeOf(store.forgetHistory(space.id, 'doc', 2, 3, fresh, QUOTA, forgetters(owner)))).toBe('CONFLICT'); // the next generation is 1
      expect(await codeOf(store.forgetHistory(space.id, 'doc', 1, 3, fresh, QUOTA, forgetters(editor)))).toBe('FORBIDDEN');
      expect(await codeOf(store.forgetHistory(space.id, 'nothing', 1, 0, fresh, QUOTA, forgetters(owner)))).toBe('NOT_FOUND');
      expect(await store.forgetHistory(space.id, 'doc', 1, 3, fresh, QUOTA, forgetters(owner))).toEqual({ seq: 4 });
      const after = await store.getChanges(space.id, 'doc', 0, 100);
      expect({ ...after, snapshot: { covers: after.snapshot?.covers, bytes: Buffer.from(after.snapshot!.bytes) } }).toEqual({
        snapshot: { covers: 4, bytes: Buffer.from(fresh) },
        changes: [],
        latest: 4,
      });
      // Nothing of the old generation is left in the tables, and the quota holds only the snapshot.
      expect(await store.driver.all(`SELECT seq FROM changes WHERE space = ?`, [space.id])).toEqual([]);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(70);
      // A change or snapshot of the old generation is refused with its own code, and stores nothing.
      expect(await codeOf(store.appendChange(space.id, 'doc', 'late', editor.id, randomBytes(100), QUOTA))).toBe('STALE_GENERATION');
      expect(await codeOf(store.putSnapshot(space.id, 'doc', 4, randomBytes(50), QUOTA))).toBe('STALE_GENERATION');
      expect(await codeOf(store.appendChange(space.id, 'doc', 'ahead', editor.id, randomBytes(100), QUOTA, undefined, 2))).toBe('CONFLICT');
      expect((await store.appendChange(space.id, 'doc', 'new', editor.id, randomBytes(100), QUOTA, undefined, 1)).seq).toBe(5);
      expect((await store.getChanges(space.id, 'doc', 4, 100)).changes.map((c) => c.seq)).toEqual([5]);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(170);
      // A document new to the relay starts at the generation its first change names.
      expect((await store.appendChange(space.id, 'other', 'o1', owner.id, randomBytes(10), QUOTA, undefined, 3)).seq).toBe(1);
      expect(await codeOf(store.appendChange(space.id, 'other', 'o2', owner.id, randomBytes(10), QUOTA))).toBe('STALE_GENERATION');
      await store.close();
    });

    it("keeps a new generation's comments under its snapshot, each a blob of its own that the comment's deletion removes; a comment deleted already is not stored again", async () => {
      const { store } = await openStore();
      const [owner, author] = [member(), member()];
      const space = await spaceOf(store, owner);
      await add(store, space, owner, author, 'commenter');
      const forgetters = { account: owner.id, roles: ['owner', 'admin'] as Role[] };
      const write = (id: string, op: CommentOp) =>
        store.appendCommentChange({
          space: space.id,
          doc: 'doc',
          changeId: `${op}-${id}`,
          account: author.id,
          change: randomBytes(40),
          quota: QUOTA,
          comment: { id, thread: id, op },
          at: 5,
        });
      await store.appendChange(space.id, 'doc', 'content', owner.id, randomBytes(30), QUOTA);
      await write('kept', 'write');
      await write('gone', 'write');
      await write('gone', 'delete');
      const carried = (id: string) => ({ changeId: `carry-${id}`, account: owner.id, id, thread: id, bytes: randomBytes(60) });
      const [kept, gone, unseen] = [carried('kept'), carried('gone'), carried('unseen')];
      expect(await store.forgetHistory(space.id, 'doc', 1, 4, randomBytes(70), QUOTA, forgetters, [kept, gone, unseen])).toEqual({ seq: 7 });
      // The snapshot covers the carried comments, which come with it; the deleted one was not stored.
      const after = await store.getChanges(space.id, 'doc', 0, 100);
      expect(after.snapshot?.covers).toBe(7);
      expect(after.changes.map((c) => Buffer.from(c.bytes))).toEqual([Buffer.from(kept.bytes), Buffer.from(unseen.bytes)]);
      expect((await store.getSpace(space.id))!.bytesUsed).toBe(70 + 60 + 60);
      // A later snapshot keeps them; the author deletes hers and its carried blob goes; one the relay never saw is an Owner's to delete.
      await store.appendChange(space.id, 'doc', 'later', owner.id, randomBytes(30), QUOTA, undefined, 1);
      await store.putSnapshot(space.id, 'doc', 8, randomBytes(50), QUOTA, undefined, 1);
      expect(await write('kept', 'delete')).toMatchObject({ erased: 1 });
      expect(await codeOf(write('unseen', 'delete'))).toBe('FORBIDDEN');
      const rows = await store.driver.all<{ comment: string; change_id: string }>(`SELECT comment, change_id FROM changes WHERE space = ? ORDER BY seq`, [
        space.id,
      ]);
      expect(rows).toEqual([
        { comment: 'unseen', change_id: 'carry-unseen' },
        { comment: 'kept', change_id: 'delete-kept' },
      ]);
      await store.close();
    });

    it("forgets a document's history while changes are pushed into it: each push lands before (and the forget waits for the next try) or is refused after; the quota stays equal to what is stored", async () => {
      const { store } = await openStore();
      const owner = member();
      const space = await spaceOf(store, owner);
      const writer = { account: owner.id, roles: ['owner'] as Role[] };
      await store.appendChange(space.id, 'doc', 'first', owner.id, randomBytes(10), QUOTA, writer);
      for (let gen = 1; gen <= 4; gen++) {
        const covers = (await store.getChanges(space.id, 'doc', 0, 1)).latest;
        const pushes = Array.from({ length: 10 }, (_, i) =>
          codeOf(store.appendChange(space.id, 'doc', `g${gen}-${i}`, owner.id, randomBytes(10), QUOTA, writer, gen - 1)),
        );
        const forget = codeOf(store.forgetHistory(space.id, 'doc', gen, covers, randomBytes(20), QUOTA, writer));
        const outcomes = [...(await Promise.all(pushes)), await forget];
        expect(outcomes.every((code) => ['ok', 'STALE_GENERATION', 'CONFLICT'].includes(code))).toBe(true);
        if ((await forget) === 'CONFLICT') {
          // Someone's change got in first: the forgetter syncs and tries again with what it now has.
          expect(
            await store.forgetHistory(space.id, 'doc', gen, (await store.getChanges(space.id, 'doc', 0, 1)).latest, randomBytes(20), QUOTA, writer),
          ).toMatchObject({});
        }
        const stored = await store.getChanges(space.id, 'doc', 0, 1000);
        expect(stored.changes).toEqual([]);
        expect((await store.getSpace(space.id))!.bytesUsed).toBe(20);
      }
      await store.close();
    });

    it('resumes file uploads chunk by chunk', async () => {
      const { store } = await openStore();
      const owner = member();
      const space = await spaceOf(store, owner);
      const begun = await store.beginFile(space.id, 'f', 2500, 1024, owner.id, QUOTA, 1);
      expect(begun).toMatchObject({ chunkCount: 3, received: [], complete: false });
      await store.putChunk(space.id, 'f', 2, randomBytes(452));
      await store.putChunk(space.id, 'f', 0, randomBytes(1024));
      await store.putChunk(space.id, 'f', 0, randomBytes(1024));
      expect(await store.beginFile(space.id, 'f', 2500, 1024, owner.id, QUOTA, 2)).toMatchObject({ received: [0, 2], complete: false });
      expect(await codeOf(store.beginFile(space.id, 'f', 99, 1024, owner.id, QUOTA, 2))).toBe('CONFLICT');
      await store.putChunk(space.id, 'f', 1, randomBytes(1024));
      expect((await store.getFile(space.id, 'f'))!.complete).toBe(true);
      expect((await store.getChunk(space.id, 'f', 2))!.length).toBe(452);
      await store.close();
    });

    it('deletes every row of a deleted space', async () => {
      const { store } = await openStore();
      const [owner, other] = [member(), member()];
      const space = await spaceOf(store, owner);
      const kept = await spaceOf(store, owner);
      await add(store, space, owner, other, 'editor');
      for (const s of [space, kept]) {
        await store.appendChange(s.id, 'doc', 'c', owner.id, randomBytes(10), QUOTA);
        await store.putEnvelopes(s.id, 0, [{ recipient: other.id, sealed: randomBytes(80) }]);
        await store.beginFile(s.id, 'f', 10, 1024, owner.id, QUOTA, 1);
        await store.putChunk(s.id, 'f', 0, randomBytes(10));
        await store.putLink(newId(), s.id, owner.id, randomBytes(10), null, QUOTA, 1);
      }
      for (const s of [space, kept]) {
        await store.appendCommentChange({
          space: s.id,
          doc: 'doc',
          changeId: 'k',
          account: owner.id,
          change: randomBytes(10),
          quota: QUOTA,
          comment: { id: 'k', thread: 'k', op: 'write' },
          at: 1,
        });
      }
      await store.appendChange(space.id, 'doc2', 'c', owner.id, randomBytes(10), QUOTA);
      await store.putSnapshot(space.id, 'doc2', 1, randomBytes(10), QUOTA);
      await store.deleteSpace(space.id);
      const tables = ['spaces', 'members', 'membership_log', 'envelopes', 'docs', 'changes', 'comments', 'files', 'file_chunks', 'links'];
      for (const table of tables) {
        expect(Number((await store.driver.all(`SELECT COUNT(*) AS n FROM ${table} WHERE space = ?`, [space.id]))[0]!.n), table).toBe(0);
        expect(Number((await store.driver.all(`SELECT COUNT(*) AS n FROM ${table} WHERE space = ?`, [kept.id]))[0]!.n), table).toBeGreaterThan(0);
      }
      await store.close();
    });

    it('purges a deleted account: its sole-owner spaces go, shared spaces keep its content without its name', async () => {
      const { store } = await openStore();
      const [leaving, staying] = [member(), member()];
      for (const [m, name] of [
        [leaving, 'leaving'],
        [staying, 'staying'],
      ] as const) {
        await store.createAccount({ account: m.id, username: name, displayName: name, boxPublicKey: m.id, avatar: randomBytes(20), createdAt: 1 });
      }
      const own = await spaceOf(store, leaving);
      const shared = await spaceOf(store, staying);
      await add(store, shared, staying, leaving, 'editor');
      await store.appendChange(own.id, 'doc', 'o', leaving.id, randomBytes(10), QUOTA);
      await store.appendChange(shared.id, 'doc', 's', leaving.id, randomBytes(10), QUOTA);
      await store.appendCommentChange({
        space: shared.id,
        doc: 'doc2',
        changeId: 'k',
        account: leaving.id,
        change: randomBytes(10),
        quota: QUOTA,
        comment: { id: 'k', thread: 'k', op: 'write' },
        at: 1,
      });
      await store.putEnvelopes(shared.id, 0, [{ recipient: leaving.id, sealed: randomBytes(80) }]);
      const report = await store.accessReport(leaving.id);
      expect(report!.spaces.map((s) => [s.space, s.role, s.bytesAuthored]).sort()).toEqual(
        [
          [own.id, 'owner', 10],
          [shared.id, 'editor', 20],
        ].sort(),
      );
      expect(report!.envelopes).toEqual([{ space: shared.id, epoch: 0 }]);
      // The space it shares as an Editor outlives it (the relay makes it leave first); its own does not.
      expect(await store.spacesOutliving(leaving.id)).toEqual([shared.id]);
      expect(await store.spacesOutliving(staying.id)).toEqual([]);

      await store.markAccountDeleted(leaving.id, 100);
      expect(await store.purgeDeleted(50)).toEqual([]);
      expect(await store.purgeDeleted(100)).toEqual([own.id]);
      expect(await store.getSpace(own.id)).toBeUndefined();
      expect((await store.getChanges(shared.id, 'doc', 0, 10)).changes).toHaveLength(1);
      expect([...(await store.getMembers(shared.id)).keys()]).toEqual([staying.id]);
      expect(await store.driver.all(`SELECT * FROM accounts WHERE account = ?`, [leaving.id])).toEqual([]);
      expect(await store.driver.all(`SELECT * FROM changes WHERE author = ?`, [leaving.id])).toEqual([]);
      expect(await store.driver.all(`SELECT * FROM comments WHERE author = ?`, [leaving.id])).toEqual([]);
      expect(await store.driver.all(`SELECT * FROM envelopes WHERE recipient = ?`, [leaving.id])).toEqual([]);
      await store.close();
    });
  });
}
