/**
 * Team workspaces through the app's API, the way the pages use them: two users, each with their
 * own session (own vault folder), talking to one real relay on 127.0.0.1 over real sockets.
 * Runs over the in-process door and over browser mode's WebSocket with the real client.
 * Covers the session's SyncEngine (started on unlock, closed on lock), the Team methods of the
 * contract, the events (syncStatus, documentChanged from peers, workspacesChanged on a role
 * change) and the role checks of the handlers.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiEvent, ApiEvents, HearthApi, SyncStatus } from '../../common/api/contract.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { eventually } from './sync-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { browserWebSocket, expectOk, inProcess, type Transport, type TransportUnderTest } from './transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
let relay: TestRelay;
let counter = 0;

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.stop();
});

/** A page that also records the events it hears. */
interface Page {
  api: HearthApi;
  heard: Array<{ event: ApiEvent; payload: unknown }>;
  username: string;
}

async function user(transport: Transport, apps: TransportUnderTest[], name: string): Promise<Page> {
  const app = await transport.start({ sync: { backoff: { initialMs: 50, maxMs: 500 } }, membershipPollMs: 200 });
  apps.push(app);
  const api = await app.connect();
  const heard: Page['heard'] = [];
  for (const event of ['documentChanged', 'syncStatus', 'syncWarning', 'workspacesChanged', 'presence'] as const) {
    api.on(event, (payload) => heard.push({ event, payload }));
  }
  const username = `${name}-${process.pid}-${++counter}`;
  expectOk(await api.createVault({ passphrase: PASSPHRASE, username, displayName: name[0]!.toUpperCase() + name.slice(1) }));
  return { api, heard, username };
}

function events<E extends ApiEvent>(page: Page, event: E): Array<ApiEvents[E]> {
  return page.heard.filter((h) => h.event === event).map((h) => h.payload as ApiEvents[E]);
}

for (const transport of [inProcess, browserWebSocket]) {
  describe(`team workspaces through the API (${transport.name})`, () => {
    const apps: TransportUnderTest[] = [];
    let ada: Page;
    let bob: Page;
    let workspaceId = '';
    let documentId = '';
    let adaDoc: A.Doc<DocumentContent>;

    beforeAll(async () => {
      ada = await user(transport, apps, 'ada');
      bob = await user(transport, apps, 'bob');
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    test('a personal vault has no relays, no team status and refuses team calls on personal workspaces', async () => {
      expect(expectOk(await ada.api.listRelays())).toEqual([]);
      expect(expectOk(await ada.api.syncStatus())).toEqual([]);
      const personal = expectOk(await ada.api.listWorkspaces())[0]!;
      expect(personal).not.toHaveProperty('role');
      const members = await ada.api.listMembers(personal.id);
      expect(members.ok === false && members.error.code).toBe('BAD_REQUEST');
      const badUrl = await ada.api.createTeamWorkspace('Team', 'http://example.com');
      expect(badUrl.ok === false && badUrl.error.code).toBe('BAD_REQUEST');
    });

    test('creating a team workspace registers on the relay; the creator is its Owner and it syncs', async () => {
      const workspace = expectOk(await ada.api.createTeamWorkspace('Bakery', relay.url));
      workspaceId = workspace.id;
      expect(workspace).toMatchObject({ name: 'Bakery', kind: 'team', role: 'owner', relay: relay.url });
      expect(expectOk(await ada.api.listRelays()).map((r) => r.url)).toEqual([relay.url]);
      const listed = expectOk(await ada.api.listWorkspaces()).find((w) => w.id === workspaceId);
      expect(listed?.role).toBe('owner');
      await eventually(async () => expectOk(await ada.api.syncStatus()).some((s) => s.workspaceId === workspaceId && s.state === 'synced'), 'synced status');
      expect(events(ada, 'syncStatus').some((s) => s.workspaceId === workspaceId)).toBe(true);
      const members = expectOk(await ada.api.listMembers(workspaceId));
      expect(members).toEqual([expect.objectContaining({ username: ada.username, displayName: 'Ada', role: 'owner', isMe: true })]);
    });

    test('invite by username with a role; the invitee sees the invitation and accepts it', async () => {
      const notRegistered = await ada.api.inviteMember(workspaceId, bob.username, 'editor');
      expect(notRegistered.ok).toBe(false);
      expectOk(await bob.api.registerAccount(relay.url));
      const invited = expectOk(await ada.api.inviteMember(workspaceId, bob.username, 'editor'));
      expect(invited).toMatchObject({ username: bob.username, role: 'editor', isMe: false });
      const invitations = expectOk(await bob.api.listInvitations());
      expect(invitations).toEqual([expect.objectContaining({ id: workspaceId, name: 'Bakery', role: 'editor', invitedBy: ada.username, relay: relay.url })]);
      const accepted = expectOk(await bob.api.acceptInvitation(workspaceId));
      expect(accepted).toMatchObject({ id: workspaceId, name: 'Bakery', kind: 'team', role: 'editor' });
      expect(expectOk(await bob.api.listInvitations())).toEqual([]);
      expect(
        expectOk(await bob.api.listMembers(workspaceId))
          .map((m) => [m.username, m.role, m.isMe])
          .sort(),
      ).toEqual(
        [
          [ada.username, 'owner', false],
          [bob.username, 'editor', true],
        ].sort(),
      );
    });

    test("edits reach the other user's open page live as documentChanged with the change bytes", async () => {
      const summary = expectOk(await ada.api.createDocument(workspaceId, { title: 'Recipe' }));
      documentId = summary.id;
      adaDoc = A.load<DocumentContent>(expectOk(await ada.api.openDocument(documentId)).bytes);
      adaDoc = A.change(adaDoc, (d) => A.splice(d, ['body'], 0, 0, 'Flour, water, salt.'));
      expectOk(await ada.api.applyChanges(documentId, [A.getLastLocalChange(adaDoc)!]));
      // Bob's page learns about the new document and its text from events alone.
      await eventually(() => events(bob, 'documentChanged').some((e) => e.documentId === documentId), "bob hears of ada's document");
      // A document new to Bob's vault is announced without bytes: the page opens it, as the renderer does.
      let bobDoc = A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes);
      await eventually(async () => {
        for (const e of events(bob, 'documentChanged')) if (e.documentId === documentId) [bobDoc] = A.applyChanges(bobDoc, e.changes);
        if (bobDoc.body !== 'Flour, water, salt.') bobDoc = A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes);
        return bobDoc.body === 'Flour, water, salt.';
      }, 'bob replica converges');
      // Later edits arrive with their bytes: an open replica applies them.
      adaDoc = A.change(adaDoc, (d) => A.splice(d, ['body'], d.body.length, 0, ' Mix.'));
      expectOk(await ada.api.applyChanges(documentId, [A.getLastLocalChange(adaDoc)!]));
      await eventually(() => {
        for (const e of events(bob, 'documentChanged')) if (e.documentId === documentId) [bobDoc] = A.applyChanges(bobDoc, e.changes);
        return bobDoc.body === 'Flour, water, salt. Mix.';
      }, "bob's open replica gets ada's typing from the event bytes");
      expect(expectOk(await bob.api.listDocuments(workspaceId)).map((d) => d.title)).toEqual(['Recipe']);

      // Bob types; Ada's page hears it.
      bobDoc = A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes);
      bobDoc = A.change(bobDoc, (d) => A.splice(d, ['body'], d.body.length, 0, ' Yeast.'));
      expectOk(await bob.api.applyChanges(documentId, [A.getLastLocalChange(bobDoc)!]));
      await eventually(() => {
        for (const e of events(ada, 'documentChanged')) if (e.documentId === documentId) [adaDoc] = A.applyChanges(adaDoc, e.changes);
        return adaDoc.body === 'Flour, water, salt. Mix. Yeast.';
      }, "ada hears bob's typing");
      // A page is not sent its own change back.
      const own = events(bob, 'documentChanged')
        .filter((e) => e.documentId === documentId)
        .flatMap((e) => e.changes.map((c) => A.decodeChange(c).hash));
      expect(own).not.toContain(A.decodeChange(A.getLastLocalChange(bobDoc)!).hash);
    });

    test('a comment from a peer reaches the page as documentChanged (no bytes) and lists on the other side', async () => {
      const before = events(ada, 'documentChanged').length;
      expectOk(await bob.api.addComment(documentId, { text: 'Which flour?' }));
      await eventually(
        () =>
          events(ada, 'documentChanged')
            .slice(before)
            .some((e) => e.documentId === documentId && e.changes.length === 0),
        'comment event',
      );
      expect(expectOk(await ada.api.listComments(documentId)).flatMap((t) => t.comments.map((c) => [c.author, c.text]))).toEqual([
        [bob.username, 'Which flour?'],
      ]);
    });

    test('presence: where Ada is in the document reaches Bob as a presence event, and leaving clears it', async () => {
      expectOk(await bob.api.setPresence(documentId, null));
      expectOk(await ada.api.setPresence(documentId, { from: 0, to: 5 }));
      await eventually(
        () =>
          events(bob, 'presence').some(
            (p) => p.documentId === documentId && p.entries.some((e) => e.username === ada.username && e.selection?.from === 0 && e.selection.to === 5),
          ),
        'presence reaches bob',
        15_000,
      );
      expect(expectOk(await bob.api.presence(documentId))).toEqual([
        expect.objectContaining({ username: ada.username, displayName: 'Ada', selection: { from: 0, to: 5 } }),
      ]);
      expectOk(await ada.api.setPresence(documentId, null));
      await eventually(async () => expectOk(await bob.api.presence(documentId)).length === 0, 'ada left the document', 15_000);
    });

    test('public links: create with expiry, listed, opened by the other user, revoked', async () => {
      const link = expectOk(await ada.api.createLink(documentId, { expiresInMs: 3_600_000 }));
      expect(link).toMatchObject({ documentId, workspaceId, url: expect.stringContaining('#') });
      expect(link.expiresAt).toBeGreaterThan(Date.now());
      expect(expectOk(await ada.api.listLinks()).map((l) => l.id)).toEqual([link.id]);
      const opened = expectOk(await bob.api.openLink(link.url));
      expect(opened.markdown).toContain('Flour, water, salt.');
      const editorTries = await bob.api.createLink(documentId, {});
      expect(editorTries.ok === false && editorTries.error.code).toBe('FORBIDDEN');
      expectOk(await ada.api.revokeLink(link.id));
      expect(expectOk(await ada.api.listLinks())).toEqual([]);
      expect((await bob.api.openLink(link.url)).ok).toBe(false);
    });

    test('sharing one personal document: confirmation first, then the other user sees a document invitation', async () => {
      const notes = expectOk(await ada.api.createWorkspace('Private notes'));
      const doc = expectOk(await ada.api.createDocument(notes.id, { title: 'Just this one' }));
      const plan = expectOk(await ada.api.describeShare(doc.id, relay.url));
      expect(plan).toMatchObject({ documentId: doc.id, leavesDevice: true, relay: relay.url });
      const unconfirmed = await ada.api.shareDocument(doc.id, bob.username, 'commenter', { relay: relay.url });
      expect(unconfirmed.ok === false && unconfirmed.error.message).toMatch(/Nothing was sent/);
      const shared = expectOk(await ada.api.shareDocument(doc.id, bob.username, 'commenter', { confirmed: true, relay: relay.url }));
      expect(shared).toMatchObject({ username: bob.username, role: 'commenter' });
      expect(
        expectOk(await ada.api.documentShares(doc.id))
          .map((m) => [m.username, m.role])
          .sort(),
      ).toEqual(
        [
          [ada.username, 'owner'],
          [bob.username, 'commenter'],
        ].sort(),
      );
      await eventually(async () => expectOk(await bob.api.listInvitations()).some((i) => i.kind === 'document'), 'document invitation');
      const invitation = expectOk(await bob.api.listInvitations()).find((i) => i.kind === 'document')!;
      expectOk(await bob.api.acceptInvitation(invitation.id));
      await eventually(async () => (await bob.api.documentRole(doc.id)).ok, 'the shared document arrives');
      expect(expectOk(await bob.api.documentRole(doc.id))).toBe('commenter');
      expect(expectOk(await ada.api.documentRole(doc.id))).toBeNull();
      let bobDoc = A.load<DocumentContent>(expectOk(await bob.api.openDocument(doc.id)).bytes);
      bobDoc = A.change(bobDoc, (d) => A.splice(d, ['body'], 0, 0, 'NOPE'));
      const typed = await bob.api.applyChanges(doc.id, [A.getLastLocalChange(bobDoc)!]);
      expect(typed.ok === false && typed.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('shared with you as a Commenter') });
      expectOk(await bob.api.addComment(doc.id, { text: 'Noted.' }));
      const left = expectOk(await ada.api.unshareDocument(doc.id, bob.username));
      expect(left.map((m) => m.username)).toEqual([ada.username]);
    });

    test('an Editor cannot delete; an Owner changing their role to Viewer makes their side read-only, told by workspacesChanged', async () => {
      const del = await bob.api.deleteDocument(documentId);
      expect(del.ok === false && del.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('Editor') });

      const changedBefore = events(bob, 'workspacesChanged').length;
      const members = expectOk(await ada.api.setMemberRole(workspaceId, bob.username, 'viewer'));
      expect(members.find((m) => m.username === bob.username)?.role).toBe('viewer');
      await eventually(() => events(bob, 'workspacesChanged').length > changedBefore, 'bob told of the role change');
      expect(expectOk(await bob.api.listWorkspaces()).find((w) => w.id === workspaceId)?.role).toBe('viewer');

      let bobDoc = A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes);
      bobDoc = A.change(bobDoc, (d) => A.splice(d, ['body'], 0, 0, 'NOPE '));
      const typed = await bob.api.applyChanges(documentId, [A.getLastLocalChange(bobDoc)!]);
      expect(typed.ok === false && typed.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('Viewer') });
      const commented = await bob.api.addComment(documentId, { text: 'still here?' });
      expect(commented.ok === false && commented.error.code).toBe('FORBIDDEN');
      const created = await bob.api.createDocument(workspaceId, { title: 'Mine' });
      expect(created.ok === false && created.error.code).toBe('FORBIDDEN');

      // Ada keeps typing after the membership change; Bob (now a Viewer) still receives it.
      adaDoc = A.change(adaDoc, (d) => A.splice(d, ['body'], d.body.length, 0, ' Knead.'));
      expectOk(await ada.api.applyChanges(documentId, [A.getLastLocalChange(adaDoc)!]));
      await eventually(
        async () => A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes).body === 'Flour, water, salt. Mix. Yeast. Knead.',
        'viewer receives edits',
      );
      expect(expectOk(await bob.api.syncWarnings()).map((w) => w.message)).toEqual([]);
    });

    test('a Commenter can comment but not type', async () => {
      expectOk(await ada.api.setMemberRole(workspaceId, bob.username, 'commenter'));
      await eventually(async () => expectOk(await bob.api.listWorkspaces()).find((w) => w.id === workspaceId)?.role === 'commenter', 'commenter role arrives');
      expectOk(await bob.api.addComment(documentId, { text: 'Rye, please.' }));
      let bobDoc = A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes);
      bobDoc = A.change(bobDoc, (d) => A.splice(d, ['body'], 0, 0, 'NOPE '));
      const typed = await bob.api.applyChanges(documentId, [A.getLastLocalChange(bobDoc)!]);
      expect(typed.ok === false && typed.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('Commenter') });
      await eventually(
        async () => expectOk(await ada.api.listComments(documentId)).some((t) => t.comments.some((c) => c.text === 'Rye, please.')),
        'comment reaches ada',
      );
    });

    test('pause and resume per workspace; the status says so', async () => {
      const paused = expectOk(await bob.api.pauseSync(workspaceId));
      expect(paused).toMatchObject({ workspaceId, state: 'paused', name: 'Bakery' });
      adaDoc = A.change(adaDoc, (d) => A.splice(d, ['body'], d.body.length, 0, ' Rest.'));
      expectOk(await ada.api.applyChanges(documentId, [A.getLastLocalChange(adaDoc)!]));
      await eventually(async () => expectOk(await ada.api.syncStatus()).find((s) => s.workspaceId === workspaceId)?.state === 'synced', 'ada pushed');
      // Paused: nothing arrives at bob.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes).body).not.toContain('Rest.');
      expect(expectOk(await bob.api.syncStatus()).find((s) => s.workspaceId === workspaceId)?.state).toBe('paused');
      expectOk(await bob.api.resumeSync(workspaceId));
      await eventually(
        async () => A.load<DocumentContent>(expectOk(await bob.api.openDocument(documentId)).bytes).body.endsWith('Rest.'),
        'resumed sync delivers',
      );
      await eventually(async () => expectOk(await bob.api.syncStatus()).find((s) => s.workspaceId === workspaceId)?.state === 'synced', 'bob synced');
    });

    test('converting a personal workspace needs the explicit yes and says what leaves the device', async () => {
      const personal = expectOk(await ada.api.createWorkspace('Notes'));
      expectOk(await ada.api.createDocument(personal.id, { title: 'Idea' }));
      const plan = expectOk(await ada.api.describeTeamConversion(personal.id));
      expect(plan).toMatchObject({ workspaceId: personal.id, name: 'Notes', documents: 1, comments: 0, filesStayLocal: 0 });
      expect(plan.message).toMatch(/^1 document with its full history .*uploaded to the relay/);
      const unconfirmed = await ada.api.convertToTeam(personal.id, relay.url, false as unknown as true);
      expect(unconfirmed.ok === false && unconfirmed.error.code).toBe('BAD_REQUEST');
      expect(expectOk(await ada.api.listWorkspaces()).find((w) => w.id === personal.id)?.kind).toBe('personal');
      const converted = expectOk(await ada.api.convertToTeam(personal.id, relay.url, true));
      expect(converted).toMatchObject({ id: personal.id, kind: 'team', role: 'owner' });
    });

    test('remove a member, then the Owner deletes the workspace; a team workspace is not deleted as a personal one', async () => {
      const plain = await ada.api.deleteWorkspace(workspaceId);
      expect(plain.ok === false && plain.error.code).toBe('BAD_REQUEST');
      const members = expectOk(await ada.api.removeMember(workspaceId, bob.username));
      expect(members.map((m) => m.username)).toEqual([ada.username]);
      await eventually(async () => {
        const status = expectOk(await bob.api.syncStatus()).find((s) => s.workspaceId === workspaceId);
        return status?.state === 'error' && /removed/.test(status.reason?.message ?? '');
      }, 'bob sees that he was removed');
      expectOk(await ada.api.deleteTeamWorkspace(workspaceId));
      expect(expectOk(await ada.api.listWorkspaces()).some((w) => w.id === workspaceId)).toBe(false);
    });

    test('locking closes the sync engine; unlocking starts it again', async () => {
      const statuses: SyncStatus[] = expectOk(await ada.api.syncStatus());
      expect(statuses.length).toBeGreaterThan(0);
      expectOk(await ada.api.lock());
      const locked = await ada.api.syncStatus();
      expect(locked.ok === false && locked.error.code).toBe('VAULT_LOCKED');
      expectOk(await ada.api.unlock(PASSPHRASE));
      await eventually(async () => expectOk(await ada.api.syncStatus()).every((s) => s.state === 'synced'), 'synced again after unlock');
    });
  });
}
