/**
 * Parity, team workspace lifecycle: the same scenario through the app's API and through the
 * `hearth` CLI, each against a real relay, must come to the same outcomes. Ann (Owner), Bob
 * (Editor) and Cat (Viewer): deleting the workspace as a non-Owner is refused and says to leave;
 * a role change to Owner is refused (ownership is transferred); Cat leaves (gone at the relay and
 * on her device); the only Owner cannot leave; Ann hands ownership to Bob (she becomes Admin);
 * sync paused keeps Ann's new document from the relay until she resumes; Bob, now Owner, deletes
 * the workspace for everyone (gone at the relay). Each run is also checked against what the rules
 * say, so the two doors cannot agree on something wrong.
 */
import { expect } from 'vitest';
import { byName, relayHolds, runLog, throughEachDoor, withPeople, type Outcome, type Person } from './parity-fixture.ts';

const refusal = (code: string) => expect.objectContaining({ code }) as unknown as Outcome;

throughEachDoor('delete as non-Owner, co-Owner refused, leave, transfer, pause and resume, delete for everyone', 400_000, (door, relay) =>
  withPeople(door, ['ann', 'bob', 'cat'], async (people, names) => {
    const [ann, bob, cat] = people as [Person, Person, Person];
    for (const person of people) await person.registerOn(relay.url);
    const { log, record } = runLog(names);
    const ws = await ann.createTeam('Team', relay.url);
    await ann.createDocument(ws, 'Plan');
    expect(record('invite bob', await ann.invite(ws, bob.username, 'editor'))).toBe('ok');
    expect(record('invite cat', await ann.invite(ws, cat.username, 'viewer'))).toBe('ok');
    expect(record('bob accepts', await bob.accept(ws))).toBe('ok');
    expect(record('cat accepts', await cat.accept(ws))).toBe('ok');

    // An Editor cannot delete it for everyone, is told to leave instead, and nothing changes anywhere.
    expect(record('bob deletes as Editor', await bob.deleteWorkspace(ws))).toEqual(refusal('FORBIDDEN'));
    expect(JSON.stringify(log['bob deletes as Editor'])).toMatch(/Editor.*leave it/);
    log['relay after the refusal'] = await relayHolds(relay, ws, people);
    expect(log['relay after the refusal']).toEqual({ exists: true, members: { ann: 'owner', bob: 'editor', cat: 'viewer' } });
    expect(await bob.workspaceIds()).toContain(ws);

    // Making someone Owner by a role change would add a co-Owner quietly: refused, transfer instead.
    expect(record('role change to Owner', await ann.setRole(ws, bob.username, 'owner'))).toEqual(refusal('BAD_REQUEST'));
    expect((await relayHolds(relay, ws, people)).members).toEqual({ ann: 'owner', bob: 'editor', cat: 'viewer' });

    // Cat leaves: no longer a member at the relay, and the workspace is gone from her device.
    expect(record('cat leaves', await cat.leave(ws))).toBe('ok');
    log['cat still has it'] = (await cat.workspaceIds()).includes(ws);
    expect(log['cat still has it']).toBe(false);
    log['relay after cat left'] = await relayHolds(relay, ws, people);
    expect(log['relay after cat left']).toEqual({ exists: true, members: { ann: 'owner', bob: 'editor' } });
    log['ann sees after cat left'] = byName(await ann.members(ws), people);

    // The only Owner cannot leave: a workspace always keeps an Owner.
    expect(record('ann leaves as the only Owner', await ann.leave(ws))).toEqual(refusal('FORBIDDEN'));

    // Handing ownership over: Bob is the Owner, Ann stays on as Admin (as the app's "Make Owner").
    expect(record('ann transfers to bob', await ann.transfer(ws, bob.username))).toBe('ok');
    log['relay after the transfer'] = await relayHolds(relay, ws, people);
    expect(log['relay after the transfer']).toEqual({ exists: true, members: { ann: 'admin', bob: 'owner' } });
    await bob.sync();
    log['bob sees after the transfer'] = byName(await bob.members(ws), people);
    expect(log['bob sees after the transfer']).toEqual({ ann: 'admin', bob: 'owner' });
    expect(record('ann deletes as Admin', await ann.deleteWorkspace(ws))).toEqual(refusal('FORBIDDEN'));

    // Paused: what Ann writes stays here until she resumes.
    const paused = await ann.pause(ws);
    log['pause'] = paused;
    expect(paused).toEqual({ outcome: 'ok', state: 'paused' });
    await ann.createDocument(ws, 'Written while paused');
    await ann.sync();
    await bob.sync();
    log['bob sees while ann is paused'] = await bob.documentTitles(ws);
    expect(log['bob sees while ann is paused']).toEqual(['Plan']);
    const resumed = await ann.resume(ws);
    expect(resumed.outcome).toBe('ok');
    log['resume'] = resumed.outcome;
    await ann.sync();
    await bob.sync();
    log['bob sees after ann resumed'] = await bob.documentTitles(ws);
    expect(log['bob sees after ann resumed']).toEqual(['Plan', 'Written while paused']);

    // The Owner deletes it for everyone: the relay holds nothing of it, and it is gone here.
    expect(record('bob deletes as Owner', await bob.deleteWorkspace(ws))).toBe('ok');
    log['relay after the deletion'] = await relayHolds(relay, ws, people);
    expect(log['relay after the deletion']).toEqual({ exists: false, members: {} });
    expect(await bob.workspaceIds()).not.toContain(ws);
    return log;
  }),
);
