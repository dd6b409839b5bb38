/**
 * `hearth account access` and `hearth profile set`, as real processes against a real relay: the
 * relay's right-of-access answer (what it holds about this account: profile, spaces, key
 * envelopes, links) in --json and for people, for one relay or each; the profile's name and avatar
 * (an image checked by its bytes, not its name), and their removal.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { root, users, hearth, json, initAndRegister } = cliUsers('hearth-cli-access-', ['ann', 'bea'] as const);

interface Answer {
  relay: string;
  account?: string;
  report?: {
    username: string;
    displayName: string;
    spaces: Array<{ space: string; role: string; kind: string }>;
    envelopes: Array<{ space: string; epoch: number }>;
    links: unknown[];
  };
  problem?: { code: string; message: string };
}

/** The smallest PNG: a 1×1 transparent pixel. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a48b0000000049454e44ae426082',
  'hex',
);

let relay: TestRelay;
let other: TestRelay;

describe('hearth account access and profile set', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    other = await startTestRelay();
    await initAndRegister(relay.url, ['ann']);
  });
  afterAll(async () => {
    await relay?.stop();
    await other?.stop().catch(() => undefined);
  });

  it("prints each relay's right-of-access answer: the account, its spaces and their key envelopes", async () => {
    const team = await json<{ id: string }>('ann', ['workspace', 'create', 'Team', '--relay', relay.url]);
    const answers = await json<Answer[]>('ann', ['account', 'access']);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({
      relay: relay.url,
      report: { username: users.ann, displayName: users.ann, spaces: [{ space: team.id, role: 'owner', kind: 'workspace' }], links: [] },
    });
    expect(answers[0]!.report!.envelopes).toEqual([{ space: team.id, epoch: 0 }]);
    // What the relay itself stores for this account, as its own answer says.
    const stored = await relay.store.accessReport(answers[0]!.account!);
    expect(stored?.spaces.map((s) => s.space)).toEqual([team.id]);

    const human = await hearth('ann', ['account', 'access']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${relay.url} holds about you:`);
    expect(human.stdout).toContain(team.id);
    expect(human.stdout).toMatch(/key envelopes\s+1 /);
  });

  it('--relay narrows it to one relay; a relay this vault never used is NOT_FOUND, one that is down exit 1 naming it', async () => {
    expect((await json<Answer[]>('ann', ['account', 'access', '--relay', relay.url])).map((a) => a.relay)).toEqual([relay.url]);
    const unknown = await hearth('ann', ['account', 'access', '--relay', 'ws://127.0.0.1:1', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });

    expect((await hearth('ann', ['account', 'register', '--relay', other.url])).code).toBe(0);
    await other.stop();
    const down = await hearth('ann', ['account', 'access', '--json']);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toContain(other.url);
    // What could be asked is still printed, one document, with the relay that did not answer in it.
    const printed = JSON.parse(down.stdout) as Answer[];
    expect(printed.find((a) => a.relay === relay.url)?.report?.username).toBe(users.ann);
    expect(printed.find((a) => a.relay === other.url)?.problem?.code).toBe('UNAVAILABLE');
  });

  it('profile set changes the display name and avatar, checks the image by its bytes, and removes it', async () => {
    const png = join(root, 'me.png');
    writeFileSync(png, PNG);
    type Saved = { username: string; displayName: string; avatar?: string; relays: Array<{ relay: string; state: string }> };
    const profile = await json<Saved>('ann', ['profile', 'set', '--name', 'Ann Example', '--avatar', png]);
    const { relays, ...shown } = profile;
    expect(shown).toEqual({
      username: users.ann,
      displayName: 'Ann Example',
      avatar: `data:image/png;base64,${PNG.toString('base64')}`,
      directoriesNotUpdated: [],
    });
    // Where it went, and where it waits: `other` was stopped by the test before.
    expect([...relays].sort((a, b) => a.relay.localeCompare(b.relay))).toEqual(
      [
        { relay: relay.url, state: 'updated' },
        { relay: other.url, state: 'waiting', problem: expect.stringContaining('offline') },
      ].sort((a, b) => a.relay.localeCompare(b.relay)),
    );
    // The relay that answered publishes the new name and avatar (its right-of-access answer says so).
    const [there] = await json<Answer[]>('ann', ['account', 'access', '--relay', relay.url]);
    expect(there!.report).toMatchObject({ displayName: 'Ann Example', avatarBytes: PNG.length });

    const fake = join(root, 'not-an-image.png');
    writeFileSync(fake, 'hello, I am text');
    const refused = await hearth('ann', ['profile', 'set', '--avatar', fake, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const tooLong = await hearth('ann', ['profile', 'set', '--name', 'x'.repeat(65), '--json']);
    expect(tooLong.code).toBe(1);

    const removed = await json<Saved>('ann', ['profile', 'set', '--no-avatar']);
    expect(removed).toMatchObject({ username: users.ann, displayName: 'Ann Example' });
    expect(removed.avatar).toBeUndefined();
    // Both at once is bad usage.
    expect((await hearth('ann', ['profile', 'set', '--avatar', png, '--no-avatar'])).code).toBe(2);
  });

  it('profile set --username renames the account on the relay (the old name is free at once) and says which relay waits', async () => {
    const renamed = `ann-renamed-${process.pid}`;
    const run = await hearth('ann', ['profile', 'set', '--username', renamed]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${renamed} is now shown as Ann Example`);
    expect(run.stdout).toContain(`Sent to ${relay.url}`);
    expect(run.stdout).toContain(`Waits for relay ${other.url}, offline`);
    const [there] = await json<Answer[]>('ann', ['account', 'access', '--relay', relay.url]);
    expect(there!.report?.username).toBe(renamed);
    // Another vault can take the old name there now.
    expect((await hearth('bea', ['init', '--username', users.ann])).code).toBe(0);
    expect((await hearth('bea', ['account', 'register', '--relay', relay.url])).code).toBe(0);
    // And a name someone has is refused, with nothing changed.
    const taken = await hearth('ann', ['profile', 'set', '--username', users.ann, '--json']);
    expect(taken.code).toBe(1);
    expect(JSON.parse(taken.stdout)).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
    expect((await json<Answer[]>('ann', ['account', 'access', '--relay', relay.url]))[0]!.report?.username).toBe(renamed);
  });
});
