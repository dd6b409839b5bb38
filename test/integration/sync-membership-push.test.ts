// The relay pushes membership changes: when it accepts a membership entry or key envelopes for a
// space it sends `membershipChanged` (the space id, nothing else) to the other connections of the
// space's members that follow one of its documents, and to the accounts the entry took out. The
// engine catches up at once; nothing here polls (these engines have no membership poll; the app's
// is in main/app/session.ts) or calls syncOnce after starting.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../common/crypto/sodium.ts';
import { PROTOCOL_VERSION } from '../../common/protocol/messages.ts';
import { changeMembership, connect, createSpace, envelopeFor, outcome, register, startTestRelay, type Person, type TestRelay } from './relay-fixture.ts';
import { closeAll, eventually, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
});
afterAll(() => closeAll([ann, bob], { relay }));

describe('membership changes reach running engines without a poll', () => {
  it("a role change and then a removal reach Bob's running engine at once", async () => {
    const workspace = await ann.engine.createTeamWorkspace('Pushed', relay.url);
    ann.vault.documents.create(workspace.id, { title: 'Plan', init: (d) => A.updateText(d, ['body'], 'hello') });
    await ann.engine.syncOnce(workspace.id);
    await ann.engine.invite(workspace.id, bob.vault.profile.username, 'editor');
    await bob.engine.acceptInvitation(workspace.id);
    ann.engine.start();
    bob.engine.start();
    await eventually(() => ann.engine.status(workspace.id)[0]!.state === 'synced' && bob.engine.status(workspace.id)[0]!.state === 'synced', 'both synced');
    expect(bob.engine.roleIn(workspace.id)).toBe('editor');

    await ann.engine.setRole(workspace.id, bob.vault.profile.username, 'viewer');
    await eventually(() => bob.engine.roleIn(workspace.id) === 'viewer', "Bob's engine knowing he is a Viewer", 3000);
    expect(() => bob.engine.assertCan(workspace.id, 'content')).toThrow(/Viewer/);

    await ann.engine.removeMember(workspace.id, bob.vault.profile.username);
    await eventually(() => bob.engine.status(workspace.id)[0]?.reason?.code === 'FORBIDDEN', "Bob's engine knowing he was removed", 3000);
    expect(bob.engine.status(workspace.id)[0]).toMatchObject({ state: 'error', reason: { code: 'FORBIDDEN' } });
  });
});

describe('who the relay tells', () => {
  /** Every membershipChanged a person's connection hears, in order. */
  function hear(person: Person): string[] {
    const heard: string[] = [];
    person.client.onMembershipChanged((space) => heard.push(space));
    return heard;
  }
  /** One round trip: anything the relay sent this connection before has arrived by then. */
  async function settle(...people: Person[]): Promise<void> {
    for (const person of people) await person.client.lookup(person.username);
  }

  it('tells members that follow a document of the space, and those the entry removed; never the sender, outsiders, or who left before', async () => {
    const owner = await register(relay.url, 'owner');
    const vic = await register(relay.url, 'vic');
    const idle = await register(relay.url, 'idle'); // a member following nothing
    const eve = await register(relay.url, 'eve'); // not a member
    const space = await createSpace(owner);
    await changeMembership(space, owner, 'add', vic, 'viewer');
    await changeMembership(space, owner, 'add', idle, 'editor');
    const doc = newId();
    await owner.client.subscribe(space.id, doc, () => undefined);
    await vic.client.subscribe(space.id, doc, () => undefined);
    expect(await outcome(eve.client.subscribe(space.id, doc, () => undefined))).toBe('FORBIDDEN');
    const eveSpace = await createSpace(eve);
    await eve.client.subscribe(eveSpace.id, newId(), () => undefined);
    const heard = { owner: hear(owner), vic: hear(vic), idle: hear(idle), eve: hear(eve) };

    await changeMembership(space, owner, 'change_role', vic, 'commenter');
    await eventually(() => heard.vic.length === 1, 'vic hearing the role change', 3000);
    await owner.client.putEnvelopes(space.id, 0, [envelopeFor(space, owner, vic)]);
    await eventually(() => heard.vic.length === 2, 'vic hearing of the new key envelope', 3000);
    await settle(owner, idle, eve);
    expect(heard).toEqual({ owner: [], vic: [space.id, space.id], idle: [], eve: [] });

    // Another connection of the owner's own account, following the space, hears what the first one did.
    const second: Person = { ...owner, client: await connect(relay.url) };
    await second.client.signIn(owner.keys);
    await second.client.subscribe(space.id, doc, () => undefined);
    const heardSecond = hear(second);
    await changeMembership(space, owner, 'change_role', idle, 'commenter');
    await eventually(() => heard.vic.length === 3 && heardSecond.length === 1, "vic and the owner's other connection hearing the role change", 3000);

    // Vic is removed: he is told this once, then no longer.
    await changeMembership(space, owner, 'remove', vic, null);
    await eventually(() => heard.vic.length === 4, 'vic hearing of his removal', 3000);
    expect(await outcome(vic.client.getMembership(space.id))).toBe('FORBIDDEN');
    await changeMembership(space, owner, 'change_role', idle, 'viewer');
    await eventually(() => heardSecond.length === 3, "the owner's other connection hearing both", 3000);
    await settle(vic, owner, idle, eve);
    expect(heard).toEqual({ owner: [], vic: [space.id, space.id, space.id, space.id], idle: [], eve: [] });
    second.client.close();
  });

  it('still serves a protocol-1 client (which would take the new frame for an invalid one), and refuses versions it does not know', async () => {
    const old = await connect(relay.url);
    expect(await old.request({ t: 'hello', protocol: 1, parts: [] })).toMatchObject({ t: 'challenge', protocol: 1 });
    expect(await outcome(old.request({ t: 'hello', protocol: PROTOCOL_VERSION + 1, parts: [] }))).toBe('BAD_REQUEST');
    old.close();
  });
});
