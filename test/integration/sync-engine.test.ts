// The sync engine end to end over a real relay: team workspace, invitation, edits and comments
// both ways, roles, status, pause/resume, live updates, and the outbox across a relay outage.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closeAll, eventually, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let vic: Peer;
let workspaceId: string;

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
  vic = await makePeer(relay.url, 'vic');
});
afterAll(() => closeAll([ann, bob, vic], { relay }));

describe('team workspaces', () => {
  it('creates a team workspace, invites by username, and the invitee accepts it with its documents', async () => {
    const workspace = await ann.engine.createTeamWorkspace('Marketing plans', relay.url);
    workspaceId = workspace.id;
    expect(workspace.kind).toBe('team');
    const doc = ann.vault.documents.create(workspaceId, { title: 'Launch', init: (d) => A.updateText(d, ['body'], 'hello from ann') });
    await ann.engine.syncOnce(workspaceId);

    await ann.engine.invite(workspaceId, bob.vault.profile.username, 'editor');
    await ann.engine.invite(workspaceId, vic.vault.profile.username, 'viewer');
    const invitations = await bob.engine.invitations();
    expect(invitations).toEqual([expect.objectContaining({ id: workspaceId, name: 'Marketing plans', role: 'editor', invitedBy: ann.vault.profile.username })]);
    const accepted = await bob.engine.acceptInvitation(workspaceId);
    expect(accepted.name).toBe('Marketing plans');
    expect(bodyOf(bob, doc.id)).toBe('hello from ann');
    expect(await bob.engine.invitations()).toEqual([]);
    await vic.engine.acceptInvitation(workspaceId);

    const members = await ann.engine.members(workspaceId);
    expect(members.map((m) => [m.username, m.role]).sort()).toEqual(
      [
        [ann.vault.profile.username, 'owner'],
        [bob.vault.profile.username, 'editor'],
        [vic.vault.profile.username, 'viewer'],
      ].sort(),
    );
    expect(ann.vault.audit.list().map((e) => e.action)).toContain('member.invited');
  });

  it('carries edits and comments both ways and merges concurrent edits', async () => {
    const [summary] = ann.vault.documents.list(workspaceId);
    const id = summary!.id;
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, 'ANN '));
    bob.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.length, 0, ' BOB'));
    bob.vault.comments.add(id, { text: 'Looks good to me' });
    const created = bob.vault.documents.create(workspaceId, { title: 'From Bob' });
    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(ann, id)).toBe('ANN hello from ann BOB');
    expect(bodyOf(bob, id)).toBe(bodyOf(ann, id));
    expect(ann.vault.documents.summary(created.id).title).toBe('From Bob');
    expect(ann.vault.comments.list(id)[0]!.comments[0]).toMatchObject({ text: 'Looks good to me', author: bob.vault.profile.username });
    ann.vault.comments.resolve(ann.vault.comments.list(id)[0]!.id);
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bob.vault.comments.list(id)[0]!.resolved).toBe(true);
    expect(ann.engine.status(workspaceId)[0]).toMatchObject({ state: 'synced', pending: 0, quarantined: 0 });
  });

  it("refuses a Viewer's edit locally, naming the role, and a Viewer's pushed change is never applied", async () => {
    expect(() => vic.engine.assertCan(workspaceId, 'content')).toThrow(/Viewer/);
    expect(() => vic.engine.assertCan(workspaceId, 'comment')).toThrow(/viewer cannot comment/);
    expect(() => bob.engine.assertCan(workspaceId, 'content')).not.toThrow();
    await ann.engine.setRole(workspaceId, bob.vault.profile.username, 'commenter');
    await bob.engine.syncOnce();
    expect(() => bob.engine.assertCan(workspaceId, 'content')).toThrow(/Commenter/);
    expect(() => bob.engine.assertCan(workspaceId, 'comment')).not.toThrow();
    await ann.engine.setRole(workspaceId, bob.vault.profile.username, 'editor');
    await bob.engine.syncOnce();
  });

  it('follows live, reports status, pauses and resumes, and keeps offline edits in the outbox across a relay restart', async () => {
    const id = ann.vault.documents.list(workspaceId).find((d) => d.title === 'Launch')!.id;
    ann.engine.start();
    bob.engine.start();
    await eventually(() => ann.engine.status(workspaceId)[0]!.state === 'synced' && bob.engine.status(workspaceId)[0]!.state === 'synced', 'both synced');
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, 'live '));
    await eventually(() => bodyOf(bob, id).startsWith('live '), 'the live edit at bob');

    bob.engine.pause(workspaceId);
    expect(bob.engine.status(workspaceId)[0]!.state).toBe('paused');
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, 'while-paused '));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bodyOf(bob, id).startsWith('while-paused')).toBe(false);
    bob.engine.resume(workspaceId);
    await eventually(() => bodyOf(bob, id).startsWith('while-paused '), 'catching up after resume');

    // The relay goes away: edits queue in the sealed outbox, status says offline, nothing is lost.
    const port = new URL(relay.url).port;
    const dataDir = relay.dataDir;
    await relay.close();
    await eventually(() => ann.engine.status(workspaceId)[0]!.state === 'offline', 'ann offline');
    ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, 'offline-ann '));
    bob.vault.documents.change(id, (d) => A.splice(d, ['body'], d.body.length, 0, ' offline-bob'));
    expect(ann.engine.status(workspaceId)[0]!.pending).toBeGreaterThan(0);
    relay = await startTestRelay({ dataDir, port: Number(port) });
    await eventually(
      () => bodyOf(ann, id) === bodyOf(bob, id) && bodyOf(ann, id).includes('offline-bob') && bodyOf(bob, id).includes('offline-ann'),
      'convergence after reconnect',
      20_000,
    );
    await eventually(() => ann.engine.status(workspaceId)[0]!.state === 'synced' && ann.engine.status(workspaceId)[0]!.pending === 0, 'ann synced again');
    await ann.engine.stop();
    await bob.engine.stop();
  });

  it('transfers ownership, lets a member leave, and lets the Owner delete the workspace everywhere', async () => {
    await ann.engine.transferOwnership(workspaceId, bob.vault.profile.username);
    const roles = Object.fromEntries((await ann.engine.members(workspaceId)).map((m) => [m.username, m.role]));
    expect(roles[bob.vault.profile.username]).toBe('owner');
    expect(roles[ann.vault.profile.username]).toBe('admin');

    await vic.engine.leave(workspaceId);
    expect(vic.vault.workspaces.list().some((w) => w.id === workspaceId)).toBe(false);
    expect((await ann.engine.members(workspaceId)).map((m) => m.username)).not.toContain(vic.vault.profile.username);

    await expect(ann.engine.deleteTeamWorkspace(workspaceId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await bob.engine.deleteTeamWorkspace(workspaceId);
    expect(bob.vault.workspaces.list().some((w) => w.id === workspaceId)).toBe(false);
    await expect(ann.engine.syncOnce(workspaceId)).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND|FORBIDDEN/) });
  });

  it('turns a personal workspace into a team one only after an explicit yes that says what leaves the device', async () => {
    const personal = ann.vault.workspaces.create({ name: 'Private notes' });
    const doc = ann.vault.documents.create(personal.id, { title: 'Old note', init: (d) => A.updateText(d, ['body'], 'written before sharing') });
    ann.vault.comments.add(doc.id, { text: 'a note to self' });
    const plan = ann.engine.describeTeamConversion(personal.id);
    expect(plan).toMatchObject({ documents: 1, comments: 1, filesStayLocal: 0 });
    expect(plan.message).toMatch(/^1 document with its full history and 1 comment will be encrypted.*uploaded to the relay/);
    await expect(ann.engine.convertToTeam(personal.id, relay.url, false)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/Nothing was sent/),
    });
    expect(ann.vault.workspaces.get(personal.id).kind).toBe('personal');

    const team = await ann.engine.convertToTeam(personal.id, relay.url, true);
    expect(team).toMatchObject({ id: personal.id, kind: 'team', relay: relay.url });
    await ann.engine.invite(team.id, bob.vault.profile.username, 'viewer');
    await bob.engine.acceptInvitation(team.id);
    expect(bodyOf(bob, doc.id)).toBe('written before sharing');
    expect(bob.vault.comments.list(doc.id)[0]!.comments[0]!.text).toBe('a note to self');
  });
});
