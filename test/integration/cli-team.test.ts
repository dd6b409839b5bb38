// The team commands of the `hearth` CLI as real processes against a real relay: register,
// create a team workspace, invite with roles, accept, sync, role refusals (exit 1 naming the role),
// role change, removal, and the usage contract (exit 2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { users, hearth, json, initAndRegister } = cliUsers('hearth-cli-team-', ['ann', 'bob', 'cat'] as const);

let relay: TestRelay;
let workspace: string;
let doc: string;

describe('hearth team commands', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url);
  });
  afterAll(() => relay?.stop());

  it('creates a team workspace, invites a Viewer and a Commenter, who list and accept the invitations', async () => {
    workspace = (await json<{ id: string; kind: string }>('ann', ['workspace', 'create', 'Team', '--relay', relay.url])).id;
    doc = (await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Team', '--title', 'Plan', '--file', '-'], 'first line\n')).id;
    expect((await json<{ role: string }>('ann', ['member', 'add', 'Team', users.bob, '--role', 'viewer'])).role).toBe('viewer');
    expect((await hearth('ann', ['member', 'add', 'Team', users.cat, '--role', 'commenter'])).code).toBe(0);
    expect((await hearth('ann', ['sync'])).code).toBe(0);

    const invitations = await json<Array<{ id: string; name: string; role: string; invitedBy: string }>>('bob', ['invite', 'list']);
    expect(invitations).toEqual([{ id: workspace, kind: 'workspace', relay: relay.url, name: 'Team', role: 'viewer', invitedBy: users.ann }]);
    expect((await json<{ name: string }>('bob', ['invite', 'accept', workspace])).name).toBe('Team');
    expect((await hearth('cat', ['invite', 'accept', workspace])).code).toBe(0);
    expect((await json<Array<{ title: string }>>('bob', ['doc', 'list', '--workspace', 'Team'])).map((d) => d.title)).toEqual(['Plan']);
    expect((await hearth('bob', ['doc', 'show', doc])).stdout).toContain('first line');

    const members = await json<Array<{ username: string; role: string }>>('ann', ['member', 'list', 'Team']);
    expect(members.map((m) => `${m.username}:${m.role}`).sort()).toEqual([`${users.ann}:owner`, `${users.bob}:viewer`, `${users.cat}:commenter`].sort());
  });

  it("refuses a Viewer's doc edit and a Commenter's doc create with exit 1, naming the role; a Commenter comments", async () => {
    const edit = await hearth('bob', ['doc', 'edit', doc, '--file', '-'], 'viewer text\n');
    expect(edit.code).toBe(1);
    expect(edit.stderr).toMatch(/Viewer/);
    const create = await hearth('cat', ['doc', 'create', '--workspace', 'Team', '--title', 'Nope']);
    expect(create.code).toBe(1);
    expect(create.stderr).toMatch(/Commenter/);
    const comment = await hearth('bob', ['comment', 'add', doc, '--text', 'viewer comment']);
    expect(comment.code).toBe(1);
    expect(comment.stderr).toMatch(/viewer/i);

    expect((await hearth('cat', ['comment', 'add', doc, '--text', 'a commenter speaks'])).code).toBe(0);
    const synced = await json<{ pushed: number }>('cat', ['sync', '--workspace', 'Team']);
    expect(synced.pushed).toBe(1);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    expect((await hearth('ann', ['comment', 'list', doc])).stdout).toContain('a commenter speaks');

    // The Commenter deletes it by the id `comment list` shows; the deletion reaches the Owner with the next syncs.
    const [spoken] = await json<Array<{ comments: Array<{ id: string; text: string }> }>>('cat', ['comment', 'list', doc]);
    const id = spoken!.comments.find((c) => c.text === 'a commenter speaks')!.id;
    expect((await hearth('cat', ['comment', 'list', doc])).stdout).toContain(`  ${id} `);
    expect((await hearth('cat', ['comment', 'delete', id])).code).toBe(0);
    expect((await json<{ pushed: number }>('cat', ['sync', '--workspace', 'Team'])).pushed).toBe(1);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    expect((await hearth('ann', ['comment', 'list', doc])).stdout).not.toContain('a commenter speaks');
  });

  it('changes a role so the Viewer may edit, and removes the Commenter', async () => {
    expect((await hearth('ann', ['member', 'role', 'Team', users.bob, 'editor'])).code).toBe(0);
    expect((await hearth('bob', ['sync'])).code).toBe(0);
    expect((await hearth('bob', ['doc', 'edit', doc, '--file', '-'], 'edited by bob\n')).code).toBe(0);
    expect((await hearth('bob', ['sync'])).code).toBe(0);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    expect((await hearth('ann', ['doc', 'show', doc])).stdout).toContain('edited by bob');

    expect((await hearth('ann', ['member', 'remove', 'Team', users.cat])).code).toBe(0);
    const members = await json<Array<{ username: string }>>('ann', ['member', 'list', 'Team']);
    expect(members.map((m) => m.username).sort()).toEqual([users.ann, users.bob].sort());
    const removed = await hearth('cat', ['sync']);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toMatch(/removed/);
  });

  it('keeps the usage contract: a bad role or missing argument exits 2', async () => {
    expect((await hearth('ann', ['member', 'add', 'Team', users.bob, '--role', 'king'])).code).toBe(2);
    expect((await hearth('ann', ['member', 'add', 'Team'])).code).toBe(2);
    expect((await hearth('ann', ['account', 'register'])).code).toBe(2);
    expect((await hearth('ann', ['invite', 'accept', 'no-such-invitation'])).code).toBe(1);
  });
});
