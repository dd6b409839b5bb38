// `hearth share`, `hearth share list` and `hearth share revoke` as real processes against a real
// relay: a personal document is shared only with --yes (saying what leaves the device), the
// recipient lists and accepts a 'document' invitation, a Viewer's edit and delete exit 1 naming
// the role, revoke removes the person, and the usage contract (exit 2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { users, hearth, json, initAndRegister } = cliUsers('hearth-cli-share-', ['ann', 'bob'] as const);

let relay: TestRelay;
let doc: string;

describe('hearth share', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url);
    expect((await hearth('ann', ['workspace', 'create', 'Notes'])).code).toBe(0);
    doc = (await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Notes', '--title', 'Recipe', '--file', '-'], 'two eggs\n')).id;
  });
  afterAll(() => relay?.stop());

  it('shares a personal document only with --yes, saying what leaves the device', async () => {
    const refused = await hearth('ann', ['share', doc, '--user', users.bob, '--role', 'viewer']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Nothing was sent\. The document "Recipe" .* uploaded to .*--yes/);
    expect(await relay.store.driver.all('SELECT space FROM spaces', [])).toEqual([]);

    const shared = await json<{ uploaded: boolean; relay: string; member: { username: string; role: string } }>('ann', [
      'share',
      doc,
      '--user',
      users.bob,
      '--role',
      'viewer',
      '--yes',
    ]);
    expect(shared).toMatchObject({ uploaded: true, relay: relay.url, member: { username: users.bob, role: 'viewer' } });
    const list = await json<Array<{ username: string; role: string; isMe: boolean }>>('ann', ['share', 'list', doc]);
    expect(list.map((m) => [m.username, m.role]).sort()).toEqual(
      [
        [users.ann, 'owner'],
        [users.bob, 'viewer'],
      ].sort(),
    );
  });

  it('the recipient lists and accepts the document invitation, reads it, and is refused editing and deleting as a Viewer', async () => {
    const invitations = await json<Array<{ id: string; kind: string; documentTitle: string; role: string; invitedBy: string }>>('bob', ['invite', 'list']);
    expect(invitations).toEqual([expect.objectContaining({ kind: 'document', documentTitle: 'Recipe', role: 'viewer', invitedBy: users.ann })]);
    const accepted = await hearth('bob', ['invite', 'accept', invitations[0]!.id]);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^Accepted "Recipe"; it is in Shared with me/);
    expect((await hearth('bob', ['doc', 'show', doc])).stdout).toContain('two eggs');
    const edit = await hearth('bob', ['doc', 'edit', doc, '--file', '-'], 'changed\n');
    expect(edit.code).toBe(1);
    expect(edit.stderr).toMatch(/shared with you as a Viewer/);
    const removal = await hearth('bob', ['doc', 'delete', doc]);
    expect(removal.code).toBe(1);
    expect(removal.stderr).toMatch(/viewer cannot delete it/);
    expect((await hearth('bob', ['doc', 'show', doc])).stdout).toContain('two eggs');
  });

  it('revokes: the person leaves the list and gets nothing new', async () => {
    expect((await hearth('ann', ['share', 'revoke', doc, '--user', users.bob])).code).toBe(0);
    const list = await json<Array<{ username: string }>>('ann', ['share', 'list', doc]);
    expect(list.map((m) => m.username)).toEqual([users.ann]);
    expect((await hearth('ann', ['doc', 'edit', doc, '--file', '-'], 'three eggs\n')).code).toBe(0);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    const sync = await hearth('bob', ['sync']);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toMatch(/removed from Shared document "Recipe"/);
    expect((await hearth('bob', ['doc', 'show', doc])).stdout).not.toContain('three eggs');
  });

  it('keeps the usage contract: a missing --user or a bad role exits 2', async () => {
    expect((await hearth('ann', ['share', doc, '--role', 'viewer'])).code).toBe(2);
    expect((await hearth('ann', ['share', doc, '--user', users.bob, '--role', 'boss'])).code).toBe(2);
    expect((await hearth('ann', ['share', 'revoke', doc])).code).toBe(2);
  });
});
