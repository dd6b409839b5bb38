// A removed member may learn who removed it and when, and nothing after: getRemoval serves a
// former member the membership log up to and including the entry that took it out. Members,
// strangers and missing spaces are refused; getMembership still refuses the former member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMembershipEntry, emptyMembership } from '../../common/membership/log.ts';
import { changeMembership, createSpace, outcome, register, startTestRelay, type Person, type TestRelay } from './relay-fixture.ts';

let relay: TestRelay;
let owner: Person;
let vic: Person;
let stranger: Person;

beforeAll(async () => {
  relay = await startTestRelay();
  owner = await register(relay.url, 'owner');
  vic = await register(relay.url, 'vic');
  stranger = await register(relay.url, 'stranger');
});
afterAll(() => relay.stop());

describe('getRemoval', () => {
  it('gives a removed member the log up to its removal, signed by who removed it; nothing written after it', async () => {
    const space = await createSpace(owner);
    await changeMembership(space, owner, 'add', vic, 'commenter');
    expect(await outcome(vic.client.getRemoval(space.id))).toBe('BAD_REQUEST'); // still a member: getMembership is the way
    await changeMembership(space, owner, 'add', stranger, 'viewer');
    await changeMembership(space, owner, 'remove', vic, null);
    await changeMembership(space, owner, 'change_role', stranger, 'editor'); // after the removal: not Vic's business

    expect(await outcome(vic.client.getMembership(space.id))).toBe('FORBIDDEN');
    const entries = await vic.client.getRemoval(space.id);
    expect(entries.map((e) => e.action)).toEqual(['create', 'add', 'add', 'remove']);
    const removal = entries.at(-1)!;
    expect(removal).toMatchObject({ actor: owner.id, subject: vic.id });
    // The client can check every entry itself, from the genesis on.
    const state = entries.reduce(applyMembershipEntry, emptyMembership(space.id));
    expect(state.members.has(vic.id)).toBe(false);
    // From where its copy of the log ends, as the engine asks.
    expect((await vic.client.getRemoval(space.id, 2)).map((e) => e.seq)).toEqual([2, 3]);
  });

  it('refuses an account that was never a member, and names a space that is not there', async () => {
    const space = await createSpace(owner);
    expect(await outcome(stranger.client.getRemoval(space.id))).toBe('FORBIDDEN');
    expect(await outcome(stranger.client.getRemoval('no-such-space'))).toBe('NOT_FOUND');
  });

  it('after a removal, a re-invitation and a second removal, ends at the second removal', async () => {
    const space = await createSpace(owner);
    await changeMembership(space, owner, 'add', vic, 'editor');
    await changeMembership(space, owner, 'remove', vic, null);
    await changeMembership(space, owner, 'add', vic, 'viewer');
    await changeMembership(space, owner, 'remove', vic, null);
    await changeMembership(space, owner, 'add', stranger, 'viewer');
    expect((await vic.client.getRemoval(space.id)).map((e) => `${e.seq}:${e.action}`)).toEqual(['0:create', '1:add', '2:remove', '3:add', '4:remove']);
  });
});
