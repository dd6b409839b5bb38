// `hearth device …` as real processes against a real relay: a new computer links to an account
// (the code it shows is the one `device approve` shows on the other), joins its team workspace,
// is listed; a wrong code declines and stores nothing; revoking it ends its sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers, jsonOf, linkDevice } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { users, vaultOf, hearth, json, initAndRegister } = cliUsers('hearth-cli-devices-', ['ada', 'desk', 'lap'] as const);

let relay: TestRelay;

/** `hearth device link` on `who`, running: resolves the code it shows, then its exit. */
function link(who: 'desk' | 'lap', name: string): ReturnType<typeof linkDevice> {
  return linkDevice({ ...process.env, HEARTH_VAULT: vaultOf(who), HEARTH_PASSPHRASE: `passphrase of ${who}` }, relay.url, users.ada, name);
}

describe('hearth device commands', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url, ['ada']);
    for (const who of ['desk', 'lap'] as const) expect((await hearth(who, ['init', '--username', `${who}-${process.pid}`])).code).toBe(0);
  });
  afterAll(() => relay?.stop());

  it('links a new computer after the codes match: it joins the team workspace, and the account lists both devices', async () => {
    const team = (await json<{ id: string }>('ada', ['workspace', 'create', 'Team', '--relay', relay.url])).id;
    await json('ada', ['doc', 'create', '--workspace', 'Team', '--title', 'Plan', '--file', '-'], 'first line\n');
    expect((await hearth('ada', ['sync'])).code).toBe(0);
    const linking = link('desk', 'Desk');
    const asked = await json<{ code: string; name: string }>('ada', ['device', 'approve', '--wait', '60']);
    expect(asked.name).toBe('Desk');
    expect(await linking.code).toBe(asked.code);
    expect((await json<{ name: string }>('ada', ['device', 'approve', '--code', asked.code])).name).toBe('Desk');
    const linked = await linking.done;
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stdout).toContain(`This device now holds the account ${users.ada}; joined 1 workspace(s).`);
    expect((await json<Array<{ title: string }>>('desk', ['doc', 'list', '--workspace', team])).map((d) => d.title)).toEqual(['Plan']);
    const listed = await json<Array<{ name: string; isThis: boolean }>>('desk', ['device', 'list']);
    expect(listed.map((d) => [d.name, d.isThis])).toEqual([
      [expect.any(String), false],
      ['Desk', true],
    ]);
  });

  it('a wrong code declines the new computer and stores nothing; revoking a device ends its sign-in', async () => {
    const linking = link('lap', 'Lap');
    const asked = await json<{ code: string }>('ada', ['device', 'approve', '--wait', '60']);
    expect(await linking.code).toBe(asked.code);
    const wrong = String((Number(asked.code) + 1) % 1_000_000).padStart(6, '0');
    const refused = await hearth('ada', ['device', 'approve', '--code', wrong]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('nothing was stored');
    const declined = await linking.done;
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('declined');
    expect((await json<Array<{ name: string }>>('ada', ['device', 'list'])).map((d) => d.name)).not.toContain('Lap');
    expect(jsonOf<unknown[]>(await hearth('lap', ['account', 'access', '--json']))).toEqual([]);

    expect((await json<{ relays: string[] }>('ada', ['device', 'revoke', 'Desk'])).relays).toEqual([relay.url]);
    const after = await hearth('desk', ['sync']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('revoked');
  });
});
