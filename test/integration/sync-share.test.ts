// Selective sharing and document deletion through the sync engine over a real relay: one document
// of a team workspace shared with someone outside it (who reads and edits it and can decrypt
// nothing else of the workspace), a Viewer refused by the client and the relay, revocation with
// key rotation (S4 for shared documents), a personal document shared only after an explicit yes,
// and deletions that reach peers, which an Editor may not make.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, newId } from '../../common/crypto/sodium.ts';
import { openChange, parseChange, sealChange } from '../../common/protocol/change.ts';
import { RelayClient } from '../../common/protocol/client.ts';
import { MembershipView } from '../../main/sync/membership-view.ts';
import { encodeChanges } from '../../main/sync/payload.ts';
import { SHARED_WITH_ME } from '../../main/sync/engine.ts';
import { INDEX_DOC, loadIndex } from '../../main/sync/workspace-index.ts';
import { findInFiles } from '../support/vault.ts';
import { createSocket, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, deviceOf, eventually, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer; // owner of the team workspace, shares one document
let cat: Peer; // editor in the team workspace
let bob: Peer; // outside the workspace; the document is shared with him as editor
let vic: Peer; // outside the workspace; shared as viewer
let workspaceId: string;
let planId: string; // shared
let secretId: string; // never shared
let shareSpace: string;

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  cat = await makePeer(relay.url, 'cat');
  bob = await makePeer(relay.url, 'bob');
  vic = await makePeer(relay.url, 'vic');
  workspaceId = (await ann.engine.createTeamWorkspace('Board', relay.url)).id;
  planId = ann.vault.documents.create(workspaceId, { title: 'Plan', init: (d) => A.updateText(d, ['body'], 'the shared plan') }).id;
  secretId = ann.vault.documents.create(workspaceId, { title: 'Salaries', init: (d) => A.updateText(d, ['body'], 'SECRET-SALARIES') }).id;
  await ann.engine.syncOnce(workspaceId);
  await ann.engine.invite(workspaceId, cat.vault.profile.username, 'editor');
  await cat.engine.acceptInvitation(workspaceId);
});
afterAll(() => closeAll([ann, cat, bob, vic], { relay }));

async function stored(space: string, doc: string): Promise<Uint8Array[]> {
  const rows = await relay.store.driver.all('SELECT bytes FROM changes WHERE space = ? AND doc = ? ORDER BY seq', [space, doc]);
  const snapshots = await relay.store.driver.all('SELECT snapshot FROM docs WHERE space = ? AND doc = ? AND snapshot IS NOT NULL', [space, doc]);
  return [...snapshots.map((r) => new Uint8Array(r.snapshot as Buffer)), ...rows.map((r) => new Uint8Array(r.bytes as Buffer))];
}

/** Every key a peer holds for any space, as it is stored in its vault. */
function allKeysOf(peer: Peer): Uint8Array[] {
  return peer.vault.syncState.spaceIds().flatMap((id) => Object.values(peer.vault.syncState.space(id)!.epochKeys).map(fromHex));
}

describe('sharing one document with people outside the workspace', () => {
  it('shares with a non-member as Editor: the invitation names the document, accepting brings only that document', async () => {
    const member = await ann.engine.shareDocument(planId, bob.vault.profile.username, 'editor');
    expect(member).toMatchObject({ username: bob.vault.profile.username, role: 'editor' });
    const invitations = await bob.engine.invitations();
    expect(invitations).toEqual([expect.objectContaining({ kind: 'document', documentTitle: 'Plan', role: 'editor', invitedBy: ann.vault.profile.username })]);
    shareSpace = invitations[0]!.id;
    expect(shareSpace).not.toBe(workspaceId);

    const holder = await bob.engine.acceptInvitation(shareSpace);
    expect(holder.name).toBe(SHARED_WITH_ME);
    expect(bob.vault.workspaces.list().map((w) => w.name)).toEqual([
      ...bob.vault.workspaces
        .list()
        .filter((w) => w.name !== SHARED_WITH_ME)
        .map((w) => w.name),
      SHARED_WITH_ME,
    ]);
    expect(bob.vault.documents.list(holder.id).map((d) => d.title)).toEqual(['Plan']);
    expect(bodyOf(bob, planId)).toBe('the shared plan');
    expect(bob.vault.documents.allIds().map((d) => d.id)).not.toContain(secretId);
    expect(await bob.engine.invitations()).toEqual([]);

    const shares = await ann.engine.documentShares(planId);
    expect(shares.map((m) => [m.username, m.role]).sort()).toEqual(
      [
        [ann.vault.profile.username, 'owner'],
        [bob.vault.profile.username, 'editor'],
      ].sort(),
    );
  });

  it('only an Owner or Admin of the workspace shares its documents; a recipient cannot share further; nobody is made Owner', async () => {
    await cat.engine.syncOnce(workspaceId);
    await expect(cat.engine.shareDocument(planId, vic.vault.profile.username, 'viewer')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/As an editor in Board you cannot share/),
    });
    await expect(bob.engine.shareDocument(planId, vic.vault.profile.username, 'viewer')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/shared with you/),
    });
    await expect(ann.engine.shareDocument(planId, vic.vault.profile.username, 'owner')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await vic.engine.invitations()).length).toBe(0);
  });

  it('the recipient cannot read the workspace: the relay refuses him and no key he holds opens its changes', async () => {
    const client = await RelayClient.connect(relay.url, createSocket);
    await client.signIn(deviceOf(bob));
    await expect(client.pullAll(workspaceId, secretId, 0)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(client.getEnvelopes(workspaceId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    client.close();
    const blobs = [...(await stored(workspaceId, secretId)), ...(await stored(workspaceId, planId)), ...(await stored(workspaceId, 'workspace-index'))];
    expect(blobs.length).toBeGreaterThan(2);
    const keys = allKeysOf(bob);
    expect(keys.length).toBeGreaterThan(0);
    for (const blob of blobs) for (const key of keys) expect(openChange(parseChange(blob), key)).toBeUndefined();
  });

  it('edits travel both ways, and the workspace members see what the recipient wrote', async () => {
    bob.vault.documents.change(planId, (d) => A.splice(d, ['body'], d.body.length, 0, ' +bob'));
    bob.vault.comments.add(planId, { text: 'from outside' });
    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    expect(bodyOf(ann, planId)).toBe('the shared plan +bob');
    // Ann passed Bob's edit and comment on into the workspace in the same round; Cat, a member, receives them.
    expect(ann.engine.status().every((s) => s.pending === 0)).toBe(true);
    await cat.engine.syncOnce(workspaceId);
    expect(bodyOf(cat, planId)).toBe('the shared plan +bob');
    expect(cat.vault.comments.list(planId)[0]!.comments[0]).toMatchObject({ text: 'from outside', author: bob.vault.profile.username });
    // And a workspace member's edit reaches Bob through Ann.
    cat.vault.documents.change(planId, (d) => A.splice(d, ['body'], 0, 0, 'cat: '));
    await cat.engine.syncOnce(workspaceId);
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(bob, planId)).toBe('cat: the shared plan +bob');
    for (const peer of [ann, bob, cat]) expect(peer.engine.status().every((s) => s.quarantined === 0)).toBe(true);
  });

  it('a Viewer reads but is refused editing by the client (naming the role) and by the relay', async () => {
    await ann.engine.shareDocument(planId, vic.vault.profile.username, 'viewer');
    const [invitation] = await vic.engine.invitations();
    expect(invitation).toMatchObject({ id: shareSpace, kind: 'document', role: 'viewer' });
    const holder = await vic.engine.acceptInvitation(shareSpace);
    expect(bodyOf(vic, planId)).toBe('cat: the shared plan +bob');
    expect(vic.engine.documentRole(planId)).toBe('viewer');
    expect(bob.engine.documentRole(planId)).toBe('editor');
    expect(ann.engine.documentRole(planId)).toBe('owner');
    expect(() => vic.engine.assertCan(holder.id, 'content', planId)).toThrow(/shared with you as a Viewer/);
    expect(() => vic.engine.assertCan(holder.id, 'comment', planId)).toThrow(/viewer cannot comment/);
    expect(() => bob.engine.assertCan(bob.vault.documents.workspaceOf(planId), 'content', planId)).not.toThrow();
    expect(() => bob.engine.assertCan(bob.vault.documents.workspaceOf(planId), 'delete', planId)).toThrow(/Editor/);

    // Vic's client does not send an edit made behind its back, and says why.
    const warnings: string[] = [];
    vic.engine.onWarning((w) => warnings.push(w.message));
    vic.vault.documents.change(planId, (d) => A.splice(d, ['body'], 0, 0, 'VIEWER-WROTE '));
    await vic.engine.syncOnce();
    expect(warnings.join('\n')).toMatch(/as viewer you cannot write content/);

    // The relay refuses a Viewer's change even when it is genuine and well-formed.
    const state = vic.vault.syncState.space(shareSpace)!;
    const view = MembershipView.replay(shareSpace, state.membership);
    const keys = vic.vault.identityKeys();
    let doc = A.load<{ body: string }>(ann.vault.documents.save(planId));
    doc = A.change(doc, (d) => A.splice(d, ['body'], 0, 0, 'RELAYED-VIEWER '));
    const blob = sealChange(
      { space: shareSpace, doc: planId, kind: 'content', epoch: view.currentEpoch, head: view.head, author: vic.engine.account, id: newId(), at: Date.now() },
      encodeChanges([A.getLastLocalChange(doc)!]),
      fromHex(state.epochKeys[view.currentEpoch]!),
      keys.signSecretKey,
    );
    const client = await RelayClient.connect(relay.url, createSocket);
    await client.signIn(deviceOf(vic));
    await expect(client.push(shareSpace, planId, blob)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/viewer/) });
    client.close();
    await ann.engine.syncOnce();
    expect(bodyOf(ann, planId)).not.toMatch(/VIEWER-WROTE|RELAYED-VIEWER/);
  });

  it('S4: revoking rotates the document key; nothing written afterwards opens with any key the revoked person held', async () => {
    await bob.engine.syncOnce();
    const bobKeys = allKeysOf(bob);
    await ann.engine.unshareDocument(planId, bob.vault.profile.username);
    expect((await ann.engine.documentShares(planId)).map((m) => m.username)).not.toContain(bob.vault.profile.username);
    ann.vault.documents.change(planId, (d) => A.splice(d, ['body'], d.body.length, 0, ' AFTER-REVOKE-SECRET'));
    await ann.engine.syncOnce();

    const latest = parseChange((await stored(shareSpace, planId)).at(-1)!);
    expect(latest.meta.epoch).toBe(1);
    for (const key of bobKeys) expect(openChange(latest, key)).toBeUndefined();
    await expect(bob.engine.syncOnce()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(bodyOf(bob, planId)).not.toContain('AFTER-REVOKE-SECRET');
    // The Viewer who stays got the new key and reads on.
    await vic.engine.syncOnce();
    expect(bodyOf(vic, planId)).toContain('AFTER-REVOKE-SECRET');
    expect(ann.vault.audit.list().map((e) => e.action)).toEqual(expect.arrayContaining(['document.shared', 'document.unshared']));
  });

  it('a personal document is shared only after an explicit yes that says what leaves the device', async () => {
    const personal = ann.vault.workspaces.create({ name: 'Diary' });
    const entry = ann.vault.documents.create(personal.id, { title: 'Entry', init: (d) => A.updateText(d, ['body'], 'dear diary') });
    const other = ann.vault.documents.create(personal.id, { title: 'Other', init: (d) => A.updateText(d, ['body'], 'PRIVATE-OTHER') });
    const plan = ann.engine.describeShare(entry.id);
    expect(plan).toMatchObject({ leavesDevice: true, relay: relay.url });
    expect(plan.message).toMatch(/"Entry".*uploaded.*Nothing else in this workspace leaves the device/);
    const spacesBefore = (await relay.store.driver.all('SELECT space FROM spaces', [])).length;
    await expect(ann.engine.shareDocument(entry.id, bob.vault.profile.username, 'commenter')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^Nothing was sent/),
    });
    expect((await relay.store.driver.all('SELECT space FROM spaces', [])).length).toBe(spacesBefore);

    await ann.engine.shareDocument(entry.id, bob.vault.profile.username, 'commenter', { confirmed: true });
    const invitation = (await bob.engine.invitations()).find((i) => i.documentTitle === 'Entry')!;
    await bob.engine.acceptInvitation(invitation.id);
    expect(bodyOf(bob, entry.id)).toBe('dear diary');
    expect(bob.vault.documents.allIds().map((d) => d.id)).not.toContain(other.id);
    // Ann's workspace stays personal; only the one document went up.
    expect(ann.vault.workspaces.get(personal.id).kind).toBe('personal');
    expect(ann.vault.workspaces.list().filter((w) => w.name === 'Diary')).toHaveLength(1);
    // Bob, a Commenter, comments; Ann receives it.
    bob.engine.assertCan(bob.vault.documents.workspaceOf(entry.id), 'comment', entry.id);
    expect(() => bob.engine.assertCan(bob.vault.documents.workspaceOf(entry.id), 'content', entry.id)).toThrow(/Commenter/);
    bob.vault.comments.add(entry.id, { text: 'nice entry' });
    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    expect(ann.vault.comments.list(entry.id)[0]!.comments[0]!.text).toBe('nice entry');
  });

  it('shares end when what they hang on goes without the engine: the recipient deletes "Shared with me", the sharer deletes the document', async () => {
    const diary = ann.vault.workspaces.list().find((w) => w.name === 'Diary')!;
    const note = ann.vault.documents.create(diary.id, { title: 'Note', init: (d) => A.updateText(d, ['body'], 'a note') });
    await ann.engine.shareDocument(note.id, vic.vault.profile.username, 'viewer', { confirmed: true });
    const noteSpace = (await vic.engine.invitations()).find((i) => i.documentTitle === 'Note')!.id;
    await vic.engine.acceptInvitation(noteSpace);
    const entry = ann.vault.documents.list(diary.id).find((d) => d.title === 'Entry')!;
    expect((await ann.engine.documentShares(entry.id)).map((m) => m.username)).toContain(bob.vault.profile.username);

    // Bob deletes his whole "Shared with me" workspace with the vault alone: on his next sync he leaves the shares in it.
    bob.vault.deleteWorkspace(bob.vault.documents.workspaceOf(entry.id));
    await bob.engine.syncOnce();
    expect((await ann.engine.documentShares(entry.id)).map((m) => m.username)).not.toContain(bob.vault.profile.username);
    expect(bob.vault.workspaces.shareSpaces().map((w) => w.shareOf)).not.toContain(entry.id);

    // Ann deletes the shared note with the vault alone: her next sync deletes its space; Vic loses the copy.
    ann.vault.documents.delete(note.id);
    await ann.engine.syncOnce();
    expect(await relay.store.driver.all('SELECT space FROM spaces WHERE space = ?', [noteSpace])).toEqual([]);
    await vic.engine.syncOnce();
    expect(vic.vault.documents.allIds().map((d) => d.id)).not.toContain(note.id);
  });
});

describe('deleting documents', () => {
  it('an Editor may not delete: refused by the client naming the role, and by the relay', async () => {
    await cat.engine.syncOnce(workspaceId);
    await expect(cat.engine.deleteDocument(secretId)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/Editor/) });
    expect(cat.vault.documents.allIds().map((d) => d.id)).toContain(secretId);
    const client = await RelayClient.connect(relay.url, createSocket);
    await client.signIn(deviceOf(cat));
    await expect(client.deleteDoc(workspaceId, secretId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    client.close();
    expect((await stored(workspaceId, secretId)).length).toBeGreaterThan(0);
  });

  it('a deletion made with the vault alone (no engine) goes out at the next sync where the role allows it, and is undone where it does not', async () => {
    const keptId = ann.vault.documents.create(workspaceId, { title: 'Kept', init: (d) => A.updateText(d, ['body'], 'kept text') }).id;
    const goneId = ann.vault.documents.create(workspaceId, { title: 'Gone', init: (d) => A.updateText(d, ['body'], 'gone text') }).id;
    await ann.engine.syncOnce(workspaceId);
    await cat.engine.syncOnce(workspaceId);
    const warnings: string[] = [];
    const stop = cat.engine.onWarning((w) => warnings.push(w.message));
    cat.vault.documents.delete(keptId); // an Editor's local delete
    await cat.engine.syncOnce(workspaceId);
    stop();
    expect(bodyOf(cat, keptId)).toBe('kept text');
    expect(warnings.join('\n')).toMatch(/^Board: .*deleted on this device is fetched again: as an editor you cannot delete/m);
    ann.vault.documents.delete(goneId); // the Owner's local delete
    await ann.engine.syncOnce(workspaceId);
    expect(await stored(workspaceId, goneId)).toEqual([]);
    await cat.engine.syncOnce(workspaceId);
    expect(cat.vault.documents.allIds().map((d) => d.id)).not.toContain(goneId);
    expect(cat.vault.documents.allIds().map((d) => d.id)).toContain(keptId);
  });

  it("peers refuse an Editor's index change that drops a document (a relay or client bypassing the checks)", async () => {
    const state = cat.vault.syncState.space(workspaceId)!;
    const view = MembershipView.replay(workspaceId, state.membership);
    const index = A.change(loadIndex(state.index), (d) => {
      delete d.docs[secretId];
    });
    const blob = sealChange(
      {
        space: workspaceId,
        doc: INDEX_DOC,
        kind: 'content',
        epoch: view.currentEpoch,
        head: view.head,
        author: cat.engine.account,
        id: newId(),
        at: Date.now(),
      },
      encodeChanges([A.getLastLocalChange(index)!]),
      fromHex(state.epochKeys[view.currentEpoch]!),
      cat.vault.identityKeys().signSecretKey,
    );
    const client = await RelayClient.connect(relay.url, createSocket);
    await client.signIn(deviceOf(cat));
    await client.push(workspaceId, INDEX_DOC, blob); // an index change is content, which an Editor may push
    client.close();
    await ann.engine.syncOnce(workspaceId);
    expect(ann.vault.documents.allIds().map((d) => d.id)).toContain(secretId);
    expect(ann.engine.quarantined(workspaceId).at(-1)).toMatchObject({
      documentId: INDEX_DOC,
      code: 'FORBIDDEN',
      reason: expect.stringMatching(/editor, who may not delete/),
    });
  });

  it("the Owner's deletion removes the document at the relay and from a peer's copy on its next sync", async () => {
    await ann.engine.deleteDocument(secretId);
    expect(ann.vault.documents.allIds().map((d) => d.id)).not.toContain(secretId);
    expect(await stored(workspaceId, secretId)).toEqual([]);
    await cat.engine.syncOnce(workspaceId);
    expect(cat.vault.documents.allIds().map((d) => d.id)).not.toContain(secretId);
    // It stays deleted: another round brings nothing back.
    await cat.engine.syncOnce(workspaceId);
    await ann.engine.syncOnce(workspaceId);
    expect(ann.vault.documents.allIds().map((d) => d.id)).not.toContain(secretId);
  });

  it('deleting a shared document deletes its space, and the people it was shared with lose their copy too', async () => {
    await ann.engine.deleteDocument(planId);
    expect((await relay.store.driver.all('SELECT space FROM spaces WHERE space = ?', [shareSpace])).length).toBe(0);
    await vic.engine.syncOnce();
    expect(vic.vault.documents.allIds().map((d) => d.id)).not.toContain(planId);
    await cat.engine.syncOnce(workspaceId);
    expect(cat.vault.documents.allIds().map((d) => d.id)).not.toContain(planId);
  });
});

describe('a shared document deleted by another member of its workspace', () => {
  it("the sharer's device ends the share, and the person it was shared with loses the copy", async () => {
    await ann.engine.setRole(workspaceId, cat.vault.profile.username, 'admin');
    const memoId = ann.vault.documents.create(workspaceId, { title: 'Memo', init: (d) => A.updateText(d, ['body'], 'memo') }).id;
    await ann.engine.syncOnce(workspaceId);
    await ann.engine.shareDocument(memoId, vic.vault.profile.username, 'viewer');
    const invitation = (await vic.engine.invitations()).find((i) => i.documentTitle === 'Memo')!;
    await vic.engine.acceptInvitation(invitation.id);
    expect(bodyOf(vic, memoId)).toBe('memo');

    await cat.engine.syncOnce(workspaceId);
    await cat.engine.deleteDocument(memoId);
    await ann.engine.syncOnce(workspaceId);
    expect(ann.vault.documents.allIds().map((d) => d.id)).not.toContain(memoId);
    await eventually(
      async () => (await relay.store.driver.all('SELECT space FROM spaces WHERE space = ?', [invitation.id])).length === 0,
      'the share space deleted at the relay',
    );
    await vic.engine.syncOnce();
    expect(vic.vault.documents.allIds().map((d) => d.id)).not.toContain(memoId);
  });
});

describe('deletions made through the vault while the engines run', () => {
  it('reach the relay and the peers live (the Owner), or are undone live (an Editor)', async () => {
    const a = ann.vault.documents.create(workspaceId, { title: 'Live A', init: (d) => A.updateText(d, ['body'], 'a') }).id;
    await ann.engine.syncOnce(workspaceId);
    await ann.engine.setRole(workspaceId, cat.vault.profile.username, 'editor');
    await cat.engine.syncOnce(workspaceId);
    expect(bodyOf(cat, a)).toBe('a');
    ann.engine.start();
    cat.engine.start();
    try {
      cat.vault.documents.delete(a); // an Editor's delete comes back
      await eventually(() => cat.vault.documents.allIds().some((d) => d.id === a), 'the document back at the Editor');
      ann.vault.documents.delete(a); // the Owner's goes everywhere
      await eventually(async () => (await stored(workspaceId, a)).length === 0, 'the document gone at the relay');
      await eventually(() => !cat.vault.documents.allIds().some((d) => d.id === a), 'the document gone at the Editor');
    } finally {
      await ann.engine.stop();
      await cat.engine.stop();
    }
    await ann.engine.setRole(workspaceId, cat.vault.profile.username, 'admin');
  });
});

describe('live, and what the relay holds', () => {
  it('with every engine running, edits pass between the recipient and a workspace member through the sharer; the relay stores none of the text', async () => {
    const mark = `s${process.pid}x${Date.now().toString(36)}`;
    const liveId = ann.vault.documents.create(workspaceId, { title: `TITLE-${mark}`, init: (d) => A.updateText(d, ['body'], `BODY-${mark}`) }).id;
    await ann.engine.syncOnce(workspaceId);
    await ann.engine.shareDocument(liveId, bob.vault.profile.username, 'editor');
    const invitation = (await bob.engine.invitations()).find((i) => i.documentTitle === `TITLE-${mark}`)!;
    await bob.engine.acceptInvitation(invitation.id);
    await cat.engine.syncOnce(workspaceId);
    for (const peer of [ann, bob, cat]) peer.engine.start();
    try {
      bob.vault.documents.change(liveId, (d) => A.splice(d, ['body'], d.body.length, 0, ` BOB-${mark}`));
      await eventually(() => bodyOf(cat, liveId).includes(`BOB-${mark}`), "bob's live edit at cat");
      cat.vault.comments.add(liveId, { text: `COMMENT-${mark}` });
      cat.vault.documents.change(liveId, (d) => A.splice(d, ['body'], 0, 0, `CAT-${mark} `));
      await eventually(
        () => bodyOf(bob, liveId).startsWith(`CAT-${mark} `) && bob.vault.comments.list(liveId).length === 1,
        "cat's live edit and comment at bob",
      );
    } finally {
      for (const peer of [ann, bob, cat]) await peer.engine.stop();
    }
    const needles = ['TITLE', 'BODY', 'BOB', 'CAT', 'COMMENT'].map((m) => `${m}-${mark}`);
    expect(findInFiles(relay.dataDir, needles)).toEqual([]);
    expect(relay.logLines.filter((line) => line.includes(mark))).toEqual([]);
  });
});

describe('a document shared alone, deleted by its Owner while the recipient’s app syncs live', () => {
  it('leaves the recipient’s device at once, with a notice, and its public link ends', async () => {
    const diary = ann.vault.workspaces.create({ name: 'Notebook' });
    const note = ann.vault.documents.create(diary.id, { title: 'Loose note', init: (d) => A.updateText(d, ['body'], 'a loose note') }).id;
    await ann.engine.shareDocument(note, vic.vault.profile.username, 'editor', { confirmed: true });
    const invitation = (await vic.engine.invitations()).find((i) => i.documentTitle === 'Loose note')!;
    await vic.engine.acceptInvitation(invitation.id);
    expect(bodyOf(vic, note)).toBe('a loose note');
    const link = await ann.engine.createLink(note);
    expect((await fetch(new URL(`/p/${link.id}/data`, relay.httpUrl))).status).toBe(200);
    const notices: string[] = [];
    const stop = vic.engine.onWarning((w) => notices.push(w.message));
    vic.engine.start();
    try {
      await eventually(() => vic.engine.status().some((s) => s.workspaceId === invitation.id && s.state === 'synced'), 'the recipient live');
      await ann.engine.deleteDocument(note);
      // No round of Vic's: the relay tells the space's followers, and the live engine acts on it.
      await eventually(() => !vic.vault.documents.allIds().some((d) => d.id === note), 'the copy gone from the live recipient', 15_000);
      expect(notices.join('\n')).toMatch(/the person who shared this document deleted it; the copy on this device was removed too/);
    } finally {
      stop();
      await vic.engine.stop();
    }
    // The link went with the space: the relay no longer knows it (404) or knows it revoked (410).
    expect([404, 410]).toContain((await fetch(new URL(`/p/${link.id}/data`, relay.httpUrl))).status);
  });
});
