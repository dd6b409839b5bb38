/**
 * Account deletion end to end (issue 6, S6), through the app's API over a real session, vault and
 * relay on 127.0.0.1: a wrong or differently-cased username changes nothing; the exact one deletes
 * the account on the relay and wipes the device. Afterwards a marker scan of the vault folder and
 * of the relay's storage (SQLite db + WAL + log) finds nothing of the account's own space; the
 * other member of a shared workspace still has everything (even what arrived only in the last
 * round), sees its author as a deleted user, rotates the key, and no key the deleted account
 * held opens what is written afterwards; the relay holds nothing about the account any more.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiEvents, HearthApi } from '../../common/api/contract.ts';
import { fromHex, newId, toBase64Url } from '../../common/crypto/sodium.ts';
import type { Result } from '../../common/errors.ts';
import { openChange, parseChange, sealChange } from '../../common/protocol/change.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session } from '../../main/app/session.ts';
import { DELETED_USER } from '../../main/sync/account.ts';
import { MembershipView } from '../../main/sync/membership-view.ts';
import { encodeChanges } from '../../main/sync/payload.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { fullHistory, readablePayload } from '../support/erasure-scan.ts';
import { filesUnder, findInFiles, tempDir } from '../support/vault.ts';
import { INDEX_DOC, loadIndex } from '../../main/sync/workspace-index.ts';
import { connect, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closePeer, eventually, makePeer, type Peer } from './sync-fixture.ts';

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Every byte the relay keeps: its database, WAL and log. */
function relayBytes(relay: TestRelay): Buffer {
  return Buffer.concat([...filesUnder(relay.dataDir).map((f) => readFileSync(f)), Buffer.from(relay.logLines.join('\n'))]);
}

/** The whole Automerge history of a peer's copy of a space's index, every change decoded. */
function indexHistory(peer: Peer, spaceId: string): string {
  return fullHistory(loadIndex(peer.vault.syncState.space(spaceId)!.index));
}

/** The index's changes and snapshot the relay keeps, opened with whichever key opens each, decoded. */
function relayIndexBlobs(changes: Array<Record<string, unknown>>, snapshots: Array<Record<string, unknown>>, keys: Uint8Array[]): string[] {
  const blobs = [...changes.map((r) => r.bytes), ...snapshots.map((r) => r.snapshot)].filter((b): b is Buffer => Buffer.isBuffer(b));
  return blobs.flatMap((bytes) => {
    const change = parseChange(new Uint8Array(bytes));
    const plaintext = keys.map((key) => openChange(change, key)).find((p) => p !== undefined);
    return plaintext ? [readablePayload(plaintext)] : [];
  });
}

/** A stretch of ciphertext that occurs nowhere else: if a scan finds it, those bytes survived. */
const fragment = (bytes: Uint8Array) => Buffer.from(bytes.subarray(bytes.length - 48, bytes.length - 16));

let relay: TestRelay;
let bob: Peer;
let cat: Peer;
let session: Session;
let api: HearthApi & { close(): void };
const wiped: Array<ApiEvents['wiped']> = [];

beforeAll(async () => {
  relay = await startTestRelay();
  bob = await makePeer(relay.url, 'bob');
  cat = await makePeer(relay.url, 'cat');
});
afterAll(async () => {
  api?.close();
  await session?.close();
  for (const peer of [bob, cat]) if (peer) await closePeer(peer);
  await relay?.stop();
});

describe('delete account', () => {
  test('relay deletion, then the wipe; the other member keeps the content, sees a deleted user and rotates the key', async () => {
    const mark = (what: string) => `MARKER-${what}-${newId()}`;
    const markers = {
      personal: mark('personal'),
      own: mark('own'),
      ownComment: mark('own-comment'),
      shared: mark('shared'),
      sharedComment: mark('shared-comment'),
      last: mark('last'),
    };
    const username = `ann-${process.pid}`.slice(0, 32);
    const displayName = mark('ann-name');
    const root = tempDir('hearth-account-');
    session = new Session({
      vaultDir: `${root}/vault`,
      dataDir: `${root}/data`,
      kdfCost: MIN_KDF_COST,
      sync: { backoff: { initialMs: 50, maxMs: 200 } },
      membershipPollMs: 0,
    });
    api = connectInProcess(session);
    api.on('wiped', (w) => wiped.push(w));
    ok(await api.createVault({ passphrase: 'ann passphrase here', username, displayName }));
    const vault = session.requireVault();
    const engine = session.sync!;
    await engine.register(relay.url);
    const annId = engine.account;
    const annKeys = vault.identityKeys();

    // A personal workspace (never leaves the device), a team workspace Ann alone owns (Bob is an
    // Editor in it), and Bob's workspace where Ann is an Editor.
    const [personal] = vault.workspaces.list();
    vault.documents.create(personal!.id, { title: 'Diary', init: (d) => A.updateText(d, ['body'], markers.personal) });
    const own = await engine.createTeamWorkspace('Ann alone', relay.url);
    const ownDoc = vault.documents.create(own.id, { title: 'Own', init: (d) => A.updateText(d, ['body'], markers.own) }).id;
    vault.comments.add(ownDoc, { text: markers.ownComment });
    await engine.invite(own.id, bob.vault.profile.username, 'editor');
    await engine.syncOnce(own.id);
    await bob.engine.acceptInvitation(own.id);

    const shared = await bob.engine.createTeamWorkspace('Shared', relay.url);
    const plan = bob.vault.documents.create(shared.id, { title: 'Plan', init: (d) => A.updateText(d, ['body'], 'bob starts.') }).id;
    await bob.engine.invite(shared.id, username, 'editor');
    await bob.engine.invite(shared.id, cat.vault.profile.username, 'editor');
    await bob.engine.syncOnce(shared.id);
    await engine.acceptInvitation(shared.id);
    await cat.engine.acceptInvitation(shared.id);
    vault.documents.change(plan, (d) => A.splice(d, ['body'], d.body.length, 0, ` ${markers.shared}`));
    vault.comments.add(plan, { text: markers.sharedComment });
    await engine.syncOnce(shared.id);
    await bob.engine.syncOnce(shared.id);
    expect(bob.vault.comments.list(plan)[0]!.comments[0]!.author).toBe(username);
    // Ann's last words go out only with the deletion's final round; Bob has not pulled them. Live
    // sync stops first: it would send them on its own, and a fast relay acknowledges them before
    // the checks below (the deletion stops it anyway).
    await engine.stop();
    vault.documents.change(plan, (d) => A.splice(d, ['body'], d.body.length, 0, ` ${markers.last}`));

    const ownBlobs = (await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ?', [own.id])).map((r) => new Uint8Array(r.bytes as Buffer));
    const ownEnvelopes = (await relay.store.driver.all('SELECT sealed FROM envelopes WHERE space = ?', [own.id])).map(
      (r) => new Uint8Array(r.sealed as Buffer),
    );
    expect(ownBlobs.length).toBeGreaterThan(0);
    const ownPieces = [...ownBlobs, ...ownEnvelopes].map(fragment);
    expect(ownPieces.filter((p) => relayBytes(relay).includes(p))).toHaveLength(ownPieces.length); // the scan sees them while they exist
    const annOldKeys = Object.values(vault.syncState.space(shared.id)!.epochKeys).map(fromHex);
    const annLastHead = MembershipView.replay(shared.id, vault.syncState.space(shared.id)!.membership).head;
    const annPlanCopy = vault.documents.save(plan);
    // The control: the index's history, decoded, holds Ann's directory entry while she is a member.
    expect(indexHistory(bob, shared.id)).toContain(displayName);
    const vaultMarkers = [...Object.values(markers), displayName, username];
    expect(findInFiles(session.vaultDir, [markers.personal]).length).toBe(0); // sealed at rest, but…
    expect(findInFiles(dirname(session.vaultDir), ['SQLite format 3']).length).toBeGreaterThan(0); // …the control: the scan sees the vault file

    // A wrong or differently-cased username: refused, nothing changes here or at the relay.
    for (const attempt of [username.toUpperCase(), `${username[0]!.toUpperCase()}${username.slice(1)}`, `${username} `, 'someone-else', '']) {
      const result = await api.deleteAccount(attempt);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('BAD_REQUEST');
    }
    expect(ok(await api.status()).state).toBe('unlocked');
    expect(await relay.store.getAccount(annId)).toBeDefined();
    expect((await relay.store.getMembers(shared.id)).get(annId)).toBe('editor');
    expect(await relay.store.getSpace(own.id)).toBeDefined();
    expect(vault.syncState.outboxCount(shared.id)).toBeGreaterThan(0);
    expect(wiped).toEqual([]);

    // The exact username: deleted on the relay, then wiped, back at first run.
    ok(await api.deleteAccount(username));
    expect(wiped).toEqual([{ reason: 'account-deleted' }]);
    expect(ok(await api.status())).toEqual({ state: 'no-vault', profile: null });
    expect(existsSync(session.vaultDir) ? readdirSync(session.vaultDir) : []).toEqual([]);

    // S6 on the device: nothing under the vault's parent folder holds a marker (or the vault file).
    expect(findInFiles(dirname(session.vaultDir), [...vaultMarkers, 'SQLite format 3'])).toEqual([]);

    // S6 at the relay: the own space's ciphertext and envelopes, the profile: none of it in db, WAL or log.
    const stored = relayBytes(relay);
    expect(ownPieces.filter((p) => stored.includes(p))).toHaveLength(0);
    expect(stored.includes(Buffer.from(username))).toBe(false);
    expect(stored.includes(Buffer.from(displayName))).toBe(false);
    expect(await relay.store.getSpace(own.id)).toBeUndefined();
    for (const [table, column] of [
      ['accounts', 'account'],
      ['members', 'account'],
      ['envelopes', 'recipient'],
      ['changes', 'author'],
      ['files', 'uploader'],
      ['links', 'created_by'],
    ]) {
      expect(await relay.store.driver.all(`SELECT 1 AS found FROM ${table} WHERE ${column} = ?`, [annId])).toEqual([]);
    }
    // The relay log says that an account was deleted and how many spaces went, without content or whose.
    const logged = relay.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'account_deleted');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.spacesDeleted).toBe(1);
    expect(JSON.stringify(logged[0])).not.toContain(annId);
    // Right of access afterwards: the relay has nothing to report; the key cannot even sign in.
    expect(await relay.store.accessReport(annId)).toBeUndefined();
    const again = await connect(relay.url);
    await expect(again.signIn(annKeys)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/no account/i) });
    again.close();
    expect(await relay.store.findByUsername(username)).toBeUndefined();

    // Bob: all of the shared content, including Ann's last round; her name gone, a deleted user instead.
    await bob.engine.syncOnce(shared.id);
    expect(bob.engine.quarantined(shared.id)).toEqual([]);
    expect(bodyOf(bob, plan)).toContain(markers.shared);
    expect(bodyOf(bob, plan)).toContain(markers.last);
    const comment = bob.vault.comments.list(plan)[0]!.comments[0]!;
    expect(comment.text).toBe(markers.sharedComment);
    expect(comment.author).toBe(DELETED_USER);
    expect((await bob.engine.members(shared.id)).map((m) => m.username).sort()).toEqual([bob.vault.profile.username, cat.vault.profile.username].sort());

    // The key rotated: what Bob writes now is under a new epoch none of Ann's keys open.
    bob.vault.documents.change(plan, (d) => A.splice(d, ['body'], d.body.length, 0, ' AFTER-DELETION-SECRET'));
    await bob.engine.syncOnce(shared.id);
    const rows = await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? ORDER BY seq', [shared.id, plan]);
    const latest = parseChange(new Uint8Array(rows.at(-1)!.bytes as Buffer));
    expect(latest.meta.author).toBe(toBase64Url(fromHex(bob.vault.publicKeys.signPublicKey)));
    expect(latest.meta.epoch).toBe(1);
    expect(annOldKeys.length).toBeGreaterThan(0);
    for (const key of annOldKeys) expect(openChange(latest, key)).toBeUndefined();
    expect(openChange(latest, fromHex(bob.vault.syncState.space(shared.id)!.epochKeys[1]!))).toBeDefined();
    // Cat, an Editor (no right to hand out keys), gets the new key from Bob and reads on; Ann's comment is a deleted user's for her too.
    await cat.engine.syncOnce(shared.id);
    expect(cat.engine.quarantined(shared.id)).toEqual([]);
    expect(bodyOf(cat, plan)).toContain('AFTER-DELETION-SECRET');
    expect(bodyOf(cat, plan)).toContain(markers.last);
    expect(cat.vault.comments.list(plan)[0]!.comments[0]!.author).toBe(DELETED_USER);
    // Her directory entry is gone from the index's whole Automerge history, decoded, at both
    // members and in every index blob the relay keeps (opened with every key any member held).
    const annTraces = [annId, username, displayName, toBase64Url(annKeys.boxPublicKey)];
    for (const peer of [bob, cat]) {
      const history = indexHistory(peer, shared.id);
      for (const trace of annTraces) expect(history.includes(trace), `${peer.name}'s index history holds ${trace}`).toBe(false);
    }
    const everyKey = [...annOldKeys, ...Object.values(bob.vault.syncState.space(shared.id)!.epochKeys).map(fromHex)];
    const atRelay = relayIndexBlobs(
      await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ?', [shared.id, INDEX_DOC]),
      await relay.store.driver.all('SELECT snapshot FROM docs WHERE space = ? AND doc = ?', [shared.id, INDEX_DOC]),
      everyKey,
    );
    expect(atRelay.length).toBeGreaterThan(0);
    for (const trace of annTraces)
      expect(
        atRelay.some((text) => text.includes(trace)),
        `the relay's index holds ${trace}`,
      ).toBe(false);
    cat.vault.documents.change(plan, (d) => A.splice(d, ['body'], d.body.length, 0, ' CAT-AFTER'));
    await cat.engine.syncOnce(shared.id);
    const catRows = await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? ORDER BY seq', [shared.id, plan]);
    const catLatest = parseChange(new Uint8Array(catRows.at(-1)!.bytes as Buffer));
    expect(catLatest.meta.epoch).toBe(1);
    for (const key of annOldKeys) expect(openChange(catLatest, key)).toBeUndefined();
    await bob.engine.syncOnce(shared.id);
    expect(bodyOf(bob, plan)).toContain('CAT-AFTER');
    // A change signed with Ann's keys but made after she said her account was deleted (someone who
    // kept a copy of her keys, slipped in by the relay under her last membership state): refused.
    let late = A.load<{ body: string }>(annPlanCopy);
    late = A.change(late, (d) => A.splice(d, ['body'], 0, 0, 'WRITTEN-AFTER-DELETION '));
    const forged = sealChange(
      { space: shared.id, doc: plan, kind: 'content', epoch: 0, head: annLastHead, author: annId, id: newId(), at: Date.now() + 1000 },
      encodeChanges([A.getLastLocalChange(late)!]),
      annOldKeys[0]!,
      annKeys.signSecretKey,
    );
    await relay.store.appendChange(shared.id, plan, newId(), annId, forged, 1e9);
    await bob.engine.syncOnce(shared.id);
    expect(bob.engine.quarantined(shared.id).map((q) => q.code)).toEqual(['FORBIDDEN']);
    expect(bodyOf(bob, plan)).not.toContain('WRITTEN-AFTER-DELETION');
    // The space Ann alone owned is gone at the relay; Bob's own copy of it stays on his device.
    expect(bob.vault.documents.get(ownDoc).body).toBe(markers.own);
  });

  test('live: the Owner rotates on its next membership check, and an Editor following the document takes the new key as changes arrive', async () => {
    const [dan, eve, fay] = [await makePeer(relay.url, 'dan'), await makePeer(relay.url, 'eve'), await makePeer(relay.url, 'fay')];
    try {
      const ws = await dan.engine.createTeamWorkspace('Live', relay.url);
      const doc = dan.vault.documents.create(ws.id, { title: 'Notes', init: (d) => A.updateText(d, ['body'], 'start') }).id;
      await dan.engine.invite(ws.id, eve.vault.profile.username, 'editor');
      await dan.engine.invite(ws.id, fay.vault.profile.username, 'editor');
      await eve.engine.acceptInvitation(ws.id);
      await fay.engine.acceptInvitation(ws.id);
      eve.vault.documents.change(doc, (d) => A.splice(d, ['body'], d.body.length, 0, ' eve-was-here'));
      const eveKeys = Object.values(eve.vault.syncState.space(ws.id)!.epochKeys).map(fromHex);
      for (const peer of [dan, fay]) peer.engine.start();
      await eventually(() => fay.engine.status(ws.id)[0]!.state === 'synced', 'fay following');

      const result = await eve.engine.deleteAccount();
      expect(result).toEqual({ relays: 1, spacesDeleted: 0, spacesKept: 1, skipped: [] });
      await eve.engine.close();
      eve.vault.wipe();

      await dan.engine.checkMembership(ws.id); // what the app's membership poll runs
      expect(dan.vault.syncState.space(ws.id)!.epochKeys[1]).toBeDefined();
      dan.vault.documents.change(doc, (d) => A.splice(d, ['body'], d.body.length, 0, ' LIVE-AFTER'));
      await eventually(() => bodyOf(fay, doc).includes('LIVE-AFTER'), 'the change under the new epoch at fay');
      expect(bodyOf(fay, doc)).toContain('eve-was-here');
      expect(fay.engine.quarantined(ws.id)).toEqual([]);
      const rows = await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? ORDER BY seq', [ws.id, doc]);
      const latest = parseChange(new Uint8Array(rows.at(-1)!.bytes as Buffer));
      expect(latest.meta.epoch).toBe(1);
      for (const key of eveKeys) expect(openChange(latest, key)).toBeUndefined();
    } finally {
      for (const peer of [dan, fay]) await closePeer(peer);
      await eve.engine.close();
    }
  });

  test('through the app: a relay that cannot be reached refuses the whole deletion; no wipe, the user can retry', async () => {
    const away = await startTestRelay();
    const root = tempDir('hearth-account-offline-');
    const app = new Session({
      vaultDir: `${root}/vault`,
      dataDir: `${root}/data`,
      kdfCost: MIN_KDF_COST,
      sync: { backoff: { initialMs: 50, maxMs: 200 } },
      membershipPollMs: 0,
    });
    const door = connectInProcess(app);
    const events: Array<ApiEvents['wiped']> = [];
    door.on('wiped', (w) => events.push(w));
    try {
      ok(await door.createVault({ passphrase: 'zoe passphrase here', username: 'zoe', displayName: 'Zoe' }));
      await app.sync!.register(relay.url);
      await app.sync!.register(away.url);
      const account = app.sync!.account;
      await away.stop();
      const result = await door.deleteAccount('zoe');
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('UNAVAILABLE');
        expect(result.error.message).toContain(away.url);
        expect(result.error.message).toMatch(/nothing was deleted/);
      }
      expect(events).toEqual([]);
      expect(ok(await door.status()).state).toBe('unlocked');
      expect(await relay.store.getAccount(account)).toBeDefined(); // not even the reachable relay was touched
      // For a relay gone for good, the engine can skip it; then the app wipes.
      const skipped = await app.deleteAccount('zoe', { skipUnreachable: true });
      expect(skipped).toEqual({ relays: 1, spacesDeleted: 0, spacesKept: 0, skipped: [away.url], copiesLeft: [] });
      expect(events).toEqual([{ reason: 'account-deleted' }]);
      expect(await relay.store.getAccount(account)).toBeUndefined();
    } finally {
      door.close();
      await app.close();
    }
  });
});
