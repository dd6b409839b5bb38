/**
 * Profile rectification (issue 12, item 5), with two real relays: a display name and avatar
 * changed while relay 2 is down reach relay 1 and the members there at once, and relay 2 and its
 * members once it is back; a forged update (another account's, or a key outside the device log)
 * is refused, and a member editing someone else's directory entry is ignored by the others; a
 * new username frees the old one on the relay at once and members see it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { toBase64Url } from '../../common/crypto/sodium.ts';
import { avatarHash, signProfileUpdate } from '../../common/protocol/profile.ts';
import type { SyncModules } from '../../main/sync/assembly.ts';
import * as account from '../../main/usecases/account.ts';
import * as comments from '../../main/usecases/comments.ts';
import { connect, outcome, register, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closeAll, deviceOf, eventually, makePeer, type Peer } from './sync-fixture.ts';

// A 1×1 PNG: small enough for the directory, real enough for an <img>.
const AVATAR = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const avatarBytes = new Uint8Array(Buffer.from(AVATAR.split(',')[1]!, 'base64'));

let relay1: TestRelay;
let relay2: TestRelay;
let relay2Dir: string;
let ada: Peer;
let bob: Peer;
let team1: string;
let team2: string;

async function startRelay2(port = 0): Promise<TestRelay> {
  return startTestRelay({ dataDir: relay2Dir, port });
}

/** What a stranger finds on a relay when inviting by username. */
async function lookupOn(url: string, username: string) {
  const stranger = await register(url, 'stranger');
  try {
    return await stranger.client.lookup(username);
  } finally {
    stranger.client.close();
  }
}

async function adaAsBobSees(workspaceId: string) {
  await bob.engine.syncOnce(workspaceId);
  return (await bob.engine.members(workspaceId)).find((m) => m.account === ada.vault.account);
}

beforeAll(async () => {
  relay1 = await startTestRelay();
  relay2Dir = mkdtempSync(join(tmpdir(), 'hearth-relay2-'));
  relay2 = await startRelay2();
  ada = await makePeer(relay1.url, 'ada');
  bob = await makePeer(relay1.url, 'bob');
  await ada.engine.register(relay2.url);
  await bob.engine.register(relay2.url);
  for (const [name, url] of [
    ['Team one', relay1.url],
    ['Team two', relay2.url],
  ] as const) {
    const team = await ada.engine.createTeamWorkspace(name, url);
    await ada.engine.invite(team.id, bob.vault.profile.username, 'editor');
    await bob.engine.acceptInvitation(team.id);
    if (url === relay1.url) team1 = team.id;
    else team2 = team.id;
  }
}, 60_000);

afterAll(async () => {
  await closeAll([ada, bob], {});
  await relay1?.stop();
  await relay2?.stop();
});

describe('a profile change reaches every relay and every team directory', () => {
  it('made while relay 2 is down, reaches relay 1 and its members at once, and relay 2 and its members once it is back', { timeout: 60_000 }, async () => {
    const port = Number(new URL(relay2.url).port);
    await relay2.stop();
    const saved = await account.updateProfile(ada, { displayName: 'Ada Lovelace', avatar: AVATAR });
    expect(saved.relays).toEqual([
      { relay: relay1.url, state: 'updated' },
      { relay: relay2.url, state: 'waiting', problem: expect.stringContaining('offline') },
    ]);
    // Relay 1 publishes it (what a stranger inviting by username sees), and Bob sees it in Team one.
    const onRelay1 = await lookupOn(relay1.url, ada.vault.profile.username);
    expect(onRelay1.displayName).toBe('Ada Lovelace');
    expect(onRelay1.parts[0]).toEqual(avatarBytes);
    expect(await adaAsBobSees(team1)).toMatchObject({ displayName: 'Ada Lovelace', avatar: AVATAR });
    expect(ada.vault.audit.list().some((e) => e.action === 'profile.changed' && e.target?.includes('display name'))).toBe(true);

    // Relay 2 comes back: Ada's running app sends the waiting update and directory change by itself.
    ada.engine.start();
    relay2 = await startRelay2(port);
    await eventually(async () => (await lookupOn(relay2.url, ada.vault.profile.username)).displayName === 'Ada Lovelace', 'relay 2 to get the update', 20_000);
    expect((await lookupOn(relay2.url, ada.vault.profile.username)).parts[0]).toEqual(avatarBytes);
    await eventually(async () => (await adaAsBobSees(team2))?.displayName === 'Ada Lovelace', "Bob's view of Team two", 20_000);
    expect(await adaAsBobSees(team2)).toMatchObject({ avatar: AVATAR });
    expect(account.profileDelivery(ada)).toEqual([
      { relay: relay1.url, state: 'updated' },
      { relay: relay2.url, state: 'updated' },
    ]);
    await ada.engine.stop();
  });

  it("refuses a forged update: another account's, or one signed by a key outside the account's device log", async () => {
    const bobClient = await connect(relay1.url);
    await bobClient.signIn(deviceOf(bob));
    const bobKeys = bob.vault.devices.keys();
    const forAda = signProfileUpdate(
      { account: ada.vault.account, device: bob.vault.devices.self.id, version: Date.now() * 2, username: 'mallory', displayName: 'Mallory', avatar: null },
      bobKeys.signSecretKey,
    );
    expect(await outcome(bobClient.setProfile(forAda))).toBe('FORBIDDEN');
    const stray = generateIdentityKeys();
    const outsideLog = signProfileUpdate(
      {
        account: bob.vault.account,
        device: toBase64Url(stray.signPublicKey),
        version: Date.now() * 2,
        username: bob.vault.profile.username,
        displayName: 'Not Bob',
        avatar: null,
      },
      stray.signSecretKey,
    );
    expect(await outcome(bobClient.setProfile(outsideLog))).toBe('FORBIDDEN');
    const wrongAvatar = signProfileUpdate(
      {
        account: bob.vault.account,
        device: bob.vault.devices.self.id,
        version: Date.now() * 2,
        username: bob.vault.profile.username,
        displayName: 'Bob',
        avatar: avatarHash(avatarBytes),
      },
      bobKeys.signSecretKey,
    );
    expect(await outcome(bobClient.setProfile(wrongAvatar, new Uint8Array([1, 2, 3])))).toBe('BAD_REQUEST');
    bobClient.close();
    expect((await lookupOn(relay1.url, ada.vault.profile.username)).displayName).toBe('Ada Lovelace');
    expect((await lookupOn(relay1.url, bob.vault.profile.username)).displayName).toBe('bob');
  });

  it("ignores a member's change to someone else's directory entry", { timeout: 30_000 }, async () => {
    const bobSync = (bob.engine as unknown as { sync: SyncModules }).sync;
    bobSync.spaces.changeIndex(team1, (d) => {
      d.members[ada.vault.account]!.displayName = 'Ada the Impostor';
    });
    const warnings: string[] = [];
    const stopListening = ada.engine.onWarning((w) => warnings.push(w.message));
    await bob.engine.syncOnce(team1);
    await ada.engine.syncOnce(team1);
    stopListening();
    const adaSees = (await ada.engine.members(team1)).find((m) => m.isMe);
    expect(adaSees?.displayName).toBe('Ada Lovelace');
    expect(warnings.some((message) => /only a member changes their own/.test(message))).toBe(true);
    // Nor may Bob take Ada's username in his own entry: comments are matched to their authors by it.
    const bobUsername = bob.vault.profile.username;
    bobSync.spaces.changeIndex(team2, (d) => {
      d.members[bob.vault.account]!.username = ada.vault.profile.username;
    });
    const warned = warnings.length;
    const listening = ada.engine.onWarning((w) => warnings.push(w.message));
    await bob.engine.syncOnce(team2);
    await ada.engine.syncOnce(team2);
    listening();
    expect((await ada.engine.members(team2)).find((m) => m.account === bob.vault.account)).toMatchObject({ username: bobUsername });
    expect(warnings.slice(warned)).toEqual([expect.stringMatching(/a username another member has/)]);
  });

  it('a new username frees the old one at once, members see it, and a taken one is refused with nothing changed', { timeout: 30_000 }, async () => {
    const old = ada.vault.profile.username;
    await expect(account.updateProfile(ada, { username: bob.vault.profile.username })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(ada.vault.profile.username).toBe(old);
    const renamed = `ada-new-${process.pid}`;
    const saved = await account.updateProfile(ada, { username: renamed });
    expect(saved.relays.map((r) => r.state)).toEqual(['updated', 'updated']);
    expect(await outcome(lookupOn(relay1.url, old))).toBe('NOT_FOUND');
    expect((await lookupOn(relay2.url, renamed)).account).toBe(ada.vault.account);
    // Someone else can take the old name on the relay now.
    const newcomer = await connect(relay1.url);
    await newcomer.register(generateIdentityKeys(), { username: old, displayName: 'Someone else' });
    newcomer.close();
    expect(await adaAsBobSees(team1)).toMatchObject({ username: renamed, formerUsernames: [old] });
  });

  it('while the app is live, a relay where the account has no workspace gets a waiting change once it is back', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-relay3-'));
    let relay3 = await startTestRelay({ dataDir: dir });
    try {
      await ada.engine.register(relay3.url);
      const port = Number(new URL(relay3.url).port);
      await relay3.stop();
      ada.engine.start();
      const saved = await account.updateProfile(ada, { displayName: 'Countess Ada' });
      expect(saved.relays.find((r) => r.relay === relay3.url)?.state).toBe('waiting');
      relay3 = await startTestRelay({ dataDir: dir, port });
      // Nothing else connects to relay 3 (no workspace lives there): the live engine keeps trying.
      await eventually(async () => (await relay3.store.getAccount(ada.vault.account))?.displayName === 'Countess Ada', 'relay 3 to get the update', 20_000);
      // The relay stores the update before its answer reaches the app, which only then marks it delivered.
      await eventually(() => account.profileDelivery(ada).every((r) => r.state === 'updated'), 'the app to count relay 3 as updated', 5_000);
    } finally {
      await ada.engine.stop();
      await relay3.stop();
    }
  });

  it('an account deleted after a rename: its comments written under the old username read "Deleted user" too', { timeout: 60_000 }, async () => {
    const cy = await makePeer(relay1.url, 'cy');
    try {
      const team = await ada.engine.createTeamWorkspace('Team three', relay1.url);
      await ada.engine.invite(team.id, cy.vault.profile.username, 'editor');
      await cy.engine.acceptInvitation(team.id);
      const doc = cy.vault.documents.create(team.id, { title: 'Notes' });
      const comment = cy.vault.comments.add(doc.id, { text: 'Before my rename.' });
      await cy.engine.syncOnce(team.id);
      await account.updateProfile(cy, { username: `cy-renamed-${process.pid}` });
      await cy.engine.syncOnce(team.id);
      const adaHas = () => ada.vault.comments.records(doc.id).find((r) => r.id === comment.id);
      await eventually(async () => {
        await ada.engine.syncOnce(team.id);
        return adaHas() !== undefined;
      }, 'Ada to get the comment');
      expect(adaHas()?.author).toBe(comment.author);
      await account.deleteAccount(cy, cy.vault.profile.username, {}, async () => cy.engine.close());
      await eventually(async () => {
        await ada.engine.syncOnce(team.id);
        return adaHas()?.author === 'Deleted user';
      }, 'the old comment to read Deleted user');
    } finally {
      await cy.engine.close().catch(() => undefined);
    }
  });

  it('a Commenter who changed their username still resolves and deletes the comments they wrote before', { timeout: 60_000 }, async () => {
    const dee = await makePeer(relay1.url, 'dee');
    try {
      await ada.engine.invite(team1, dee.vault.profile.username, 'commenter');
      await dee.engine.acceptInvitation(team1);
      const doc = ada.vault.documents.create(team1, { title: 'Draft' });
      await ada.engine.syncOnce(team1);
      await eventually(async () => {
        await dee.engine.syncOnce(team1);
        return dee.vault.documents.has(doc.id);
      }, 'Dee to get the document');
      const first = dee.vault.comments.add(doc.id, { text: 'My first thought.' });
      await account.updateProfile(dee, { username: `dee-renamed-${process.pid}` });
      expect(comments.resolveThread(dee, first.id, true)).toBe(doc.id);
      expect(comments.deleteComment(dee, first.id)).toBe(doc.id);
    } finally {
      await dee.engine.close();
    }
  });
});
