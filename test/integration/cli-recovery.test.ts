// `hearth account recovery-key` and `hearth account recover` as real processes against a real
// relay: the key is shown once; on a fresh vault, the key typed on stdin brings back the account
// and its team workspace with its document; a typo is refused before anything is sent, and the
// fresh vault stays without an account.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers, jsonOf } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { users, vaultOf, hearth, json, initAndRegister } = cliUsers('hearth-cli-recovery-', ['ada', 'fresh'] as const);

let relay: TestRelay;

describe('hearth account recovery-key and recover', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url, ['ada']);
    expect((await hearth('fresh', ['init', '--username', `fresh-${process.pid}`])).code).toBe(0);
  });
  afterAll(() => relay?.stop());

  it('shows the key once; on a fresh vault the key from stdin brings back the account and its team workspace; a typo stores nothing', async () => {
    const team = (await json<{ id: string }>('ada', ['workspace', 'create', 'Team', '--relay', relay.url])).id;
    await json('ada', ['doc', 'create', '--workspace', 'Team', '--title', 'Plan', '--file', '-'], 'first line\n');
    expect((await hearth('ada', ['sync'])).code).toBe(0);
    const made = await hearth('ada', ['account', 'recovery-key']);
    expect(made.code, made.stderr).toBe(0);
    const key = /\n {4}([0-9A-Z]{4}(?:-[0-9A-Z]{4}){7})\n/.exec(made.stdout)?.[1];
    expect(key, made.stdout).toBeDefined();
    expect(made.stdout).toContain('does not cover personal workspaces');
    expect((await json<Array<{ kind: string }>>('ada', ['device', 'list'])).map((d) => d.kind)).toEqual(['device', 'recovery']);
    // Every device of Ada is lost.
    rmSync(vaultOf('ada'), { recursive: true, force: true });

    const args = ['account', 'recover', '--relay', relay.url, '--username', users.ada, '--name', 'Replacement'];
    const mistyped = await hearth('fresh', args, `${key!.slice(0, -1)}${key!.endsWith('A') ? 'B' : 'A'}\n`);
    expect(mistyped.code).toBe(1);
    expect(mistyped.stderr).toContain('typo');
    expect(jsonOf<unknown[]>(await hearth('fresh', ['account', 'access', '--json']))).toEqual([]);

    const recovered = await hearth('fresh', args, `${key}\n`);
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(recovered.stdout).toContain(`This device now holds the account ${users.ada}`);
    expect(recovered.stdout).toContain('joined 1 workspace(s)');
    expect(recovered.stdout).toContain('hearth device revoke');
    const docs = await json<Array<{ id: string; title: string }>>('fresh', ['doc', 'list', '--workspace', team]);
    expect(docs.map((d) => d.title)).toEqual(['Plan']);
    expect((await hearth('fresh', ['doc', 'show', docs[0]!.id])).stdout).toBe('first line\n');
    const audit = await json<Array<{ action: string }>>('fresh', ['audit']);
    expect(audit.map((e) => e.action)).toContain('recovery_key.used');
  });
});
