// `hearth account delete --confirm USERNAME` as real processes against real relays: the usage
// contract (exit 2), a wrong or differently-cased username (exit 1, nothing changed), a relay that
// cannot be reached (exit 1, no local wipe, so the user can retry), then --force-local for a relay
// gone for good: deleted where reachable, wiped here, and a scan of the vault folder finds nothing.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInFiles } from '../support/vault.ts';
import { cliUsers, type Run } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const cli = cliUsers('hearth-cli-account-', ['ann'] as const);
const root = cli.root;
const vaultDir = cli.vaultOf('ann');
const username = cli.users.ann;
const marker = `MARKER-cli-account-${process.pid}-${Date.now()}`;

function hearth(args: string[], input = ''): Promise<Run> {
  return cli.hearth('ann', args, input);
}

let relay: TestRelay;
let gone: TestRelay;
let account: string;
let space: string;

describe('hearth account delete', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    gone = await startTestRelay();
    expect((await hearth(['init', '--username', username])).code).toBe(0);
    const registered = await hearth(['account', 'register', '--relay', relay.url, '--json']);
    expect(registered.code).toBe(0);
    account = (JSON.parse(registered.stdout) as { account: string }).account;
    expect((await hearth(['account', 'register', '--relay', gone.url])).code).toBe(0);
    const created = await hearth(['workspace', 'create', 'Team', '--relay', relay.url, '--json']);
    space = (JSON.parse(created.stdout) as { id: string }).id;
    expect((await hearth(['doc', 'create', '--workspace', 'Team', '--title', 'Plan', '--file', '-'], `${marker}\n`)).code).toBe(0);
    expect((await hearth(['sync'])).code).toBe(0);
    await gone.stop(); // this relay is now gone for good
  });
  afterAll(() => relay?.stop());

  it('needs --confirm (exit 2) and refuses a wrong or differently-cased username (exit 1), changing nothing', async () => {
    const missing = await hearth(['account', 'delete']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--confirm USERNAME/);
    for (const wrong of [username.toUpperCase(), `A${username.slice(1)}`, 'someone']) {
      const run = await hearth(['account', 'delete', '--confirm', wrong, '--json']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/nothing was deleted/);
    }
    expect(await relay.store.getAccount(account)).toBeDefined();
    expect(await relay.store.getSpace(space)).toBeDefined();
    expect((await hearth(['doc', 'list', '--workspace', 'Team'])).stdout).toContain('Plan');
  });

  it('with a relay it cannot reach: exit 1, a clear error, nothing deleted anywhere and no local wipe', async () => {
    const run = await hearth(['account', 'delete', '--confirm', username]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(gone.url);
    expect(run.stderr).toMatch(/nothing was deleted/);
    expect(run.stderr).toMatch(/--force-local/);
    expect(await relay.store.getAccount(account)).toBeDefined();
    expect(await relay.store.getSpace(space)).toBeDefined();
    expect(
      (
        await hearth([
          'doc',
          'show',
          (JSON.parse((await hearth(['doc', 'list', '--workspace', 'Team', '--json'])).stdout) as Array<{ id: string; title: string }>).find(
            (d) => d.title === 'Plan',
          )!.id,
        ])
      ).stdout,
    ).toContain(marker);
  });

  it('--force-local skips the relay that is gone: deleted where reachable, wiped here, nothing left in the folder', async () => {
    const run = await hearth(['account', 'delete', '--confirm', username, '--force-local', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      relays: 1,
      spacesDeleted: 1,
      spacesKept: 0,
      skipped: [gone.url],
      wiped: vaultDir,
      copiesErased: [],
      copiesLeft: [],
    });
    expect(existsSync(vaultDir)).toBe(false);
    expect(findInFiles(root, [marker, username, 'SQLite format 3'])).toEqual([]);
    expect(await relay.store.getAccount(account)).toBeUndefined();
    expect(await relay.store.getSpace(space)).toBeUndefined();
    const after = await hearth(['doc', 'list', '--workspace', 'Team']);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/no vault|not found|hearth init/i);
  });
});
