// `hearth workspace sync-devices W on|off` as real processes against a real relay: without --yes it
// lists what would leave and sends nothing; with it, Ada's linked desktop finds the workspace,
// joins it as personal and reads it; adding Bob is refused; off on the desktop keeps its copy, and
// off with --delete-from-relay on the laptop takes it from the relay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers, linkDevice } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { users, vaultOf, hearth, json, initAndRegister } = cliUsers('hearth-cli-devsync-', ['ada', 'desk', 'bob'] as const);

let relay: TestRelay;
let journal: string;

describe('hearth workspace sync-devices', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url, ['ada', 'bob']);
    expect((await hearth('desk', ['init', '--username', `desk-${process.pid}`])).code).toBe(0);
    const linking = linkDevice({ ...process.env, HEARTH_VAULT: vaultOf('desk'), HEARTH_PASSPHRASE: 'passphrase of desk' }, relay.url, users.ada, 'Desk');
    const asked = await json<{ code: string }>('ada', ['device', 'approve', '--wait', '60']);
    expect(await linking.code).toBe(asked.code);
    await json('ada', ['device', 'approve', '--code', asked.code]);
    expect((await linking.done).code).toBe(0);
    journal = (await json<{ id: string }>('ada', ['workspace', 'create', 'Journal'])).id;
    await json('ada', ['doc', 'create', '--workspace', 'Journal', '--title', 'Plans', '--file', '-'], 'written on the laptop\n');
  });
  afterAll(() => relay?.stop());

  it('without --yes lists what would leave and sends nothing; with it, the desktop joins the workspace as personal and reads it', async () => {
    const asked = await hearth('ada', ['workspace', 'sync-devices', 'Journal', 'on', '--relay', relay.url]);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain('Nothing was sent. 1 document');
    expect(asked.stderr).toContain('encrypted end-to-end; the relay sees sizes and times');
    expect(asked.stderr).toContain('--yes');
    expect(await json('ada', ['account', 'access'])).toEqual([expect.objectContaining({ report: expect.objectContaining({ spaces: [] }) })]);

    const on = await hearth('ada', ['workspace', 'sync-devices', 'Journal', 'on', '--relay', relay.url, '--yes']);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain(`hearth invite accept ${journal}`);
    expect((await hearth('ada', ['workspace', 'list'])).stdout).toMatch(/Journal\s+personal, syncs between your devices/);

    const offered = await json<Array<{ id: string; kind: string }>>('desk', ['invite', 'list']);
    expect(offered).toEqual([expect.objectContaining({ id: journal, kind: 'personal' })]);
    await json('desk', ['invite', 'accept', journal]);
    expect((await hearth('desk', ['workspace', 'list'])).stdout).toMatch(/Journal\s+personal, syncs between your devices/);
    expect((await json<Array<{ title: string }>>('desk', ['doc', 'list', '--workspace', journal])).map((d) => d.title)).toEqual(['Plans']);
  });

  it('adding Bob is refused, and Bob is offered nothing', async () => {
    const refused = await hearth('ada', ['member', 'add', 'Journal', users.bob, '--role', 'editor']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('syncs only between your own devices');
    expect(await json('bob', ['invite', 'list'])).toEqual([]);
  });

  it('off on the desktop keeps its copy; off --delete-from-relay on the laptop takes it from the relay', async () => {
    const off = await hearth('desk', ['workspace', 'sync-devices', 'Journal', 'off']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('still holds its encrypted copy');
    expect((await json<Array<{ title: string }>>('desk', ['doc', 'list', '--workspace', journal])).map((d) => d.title)).toEqual(['Plans']);
    const gone = await hearth('ada', ['workspace', 'sync-devices', 'Journal', 'off', '--delete-from-relay']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain('was deleted from');
    expect(await json('ada', ['account', 'access'])).toEqual([expect.objectContaining({ report: expect.objectContaining({ spaces: [] }) })]);
  });
});
