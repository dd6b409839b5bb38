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

const { root, users, hearth, json, initAndRegister } = cliUsers('hearth-cli-access-', ['ann'] as const);

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
    await initAndRegister(relay.url);
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
    const profile = await json<{ username: string; displayName: string; avatar?: string }>('ann', ['profile', 'set', '--name', 'Ann Example', '--avatar', png]);
    expect(profile).toEqual({ username: users.ann, displayName: 'Ann Example', avatar: `data:image/png;base64,${PNG.toString('base64')}` });

    const fake = join(root, 'not-an-image.png');
    writeFileSync(fake, 'hello, I am text');
    const refused = await hearth('ann', ['profile', 'set', '--avatar', fake, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const tooLong = await hearth('ann', ['profile', 'set', '--name', 'x'.repeat(65), '--json']);
    expect(tooLong.code).toBe(1);

    const removed = await json<{ displayName: string; avatar?: string }>('ann', ['profile', 'set', '--no-avatar']);
    expect(removed).toEqual({ username: users.ann, displayName: 'Ann Example' });
    // Both at once is bad usage.
    expect((await hearth('ann', ['profile', 'set', '--avatar', png, '--no-avatar'])).code).toBe(2);
  });
});
