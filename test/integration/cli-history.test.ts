// `hearth history` as real processes against a real relay: versions by author, one version's
// text and what changed since, and a restore that reaches another member through the relay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentHistory, VersionPreview } from '../../common/api/history.ts';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { users, hearth, json, initAndRegister } = cliUsers('hearth-cli-history-', ['ann', 'bob'] as const);

let relay: TestRelay;
let doc: string;

describe('hearth history', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url);
    const workspace = (await json<{ id: string }>('ann', ['workspace', 'create', 'Team', '--relay', relay.url])).id;
    doc = (await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Team', '--title', 'Plan', '--file', '-'], 'The first draft says ninety.\n')).id;
    expect((await hearth('ann', ['member', 'add', 'Team', users.bob, '--role', 'editor'])).code).toBe(0);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    expect((await hearth('bob', ['invite', 'accept', workspace])).code).toBe(0);
    expect((await hearth('bob', ['doc', 'edit', doc, '--file', '-'], 'Bob rewrote it to say eleven.\n')).code).toBe(0);
    expect((await hearth('bob', ['sync'])).code).toBe(0);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
  });
  afterAll(() => relay?.stop());

  it('lists versions newest first, named by author', async () => {
    const history = await json<DocumentHistory>('ann', ['history', 'list', doc]);
    expect(history.generation).toBe(0);
    expect(history.versions.map((v) => [v.author.you ? 'you' : v.author.username, v.current])).toEqual([
      [users.bob, true],
      ['you', false],
    ]);
    const human = await hearth('ann', ['history', 'list', doc]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/VERSION\s+WHEN\s+WHO\s+WHAT/);
    expect(human.stdout).toContain(`@${users.bob}`);
  });

  it("shows an earlier version's text and what changed since", async () => {
    const { versions } = await json<DocumentHistory>('ann', ['history', 'list', doc]);
    const first = versions[1]!.id.slice(0, 10);
    expect((await hearth('ann', ['history', 'show', doc, first])).stdout).toBe('The first draft says ninety.\n');
    const preview = await json<VersionPreview>('ann', ['history', 'show', doc, first]);
    expect(
      preview.changes
        .filter((s) => s.kind === 'removed')
        .map((s) => s.text)
        .join('|'),
    ).toMatch(/first draft says ninety/);
    expect(
      preview.changes
        .filter((s) => s.kind === 'added')
        .map((s) => s.text)
        .join('|'),
    ).toMatch(/eleven/);
  });

  it('restores a version in one edit that reaches the other member', async () => {
    const { versions } = await json<DocumentHistory>('ann', ['history', 'list', doc]);
    const restored = await hearth('ann', ['history', 'restore', doc, versions[1]!.id]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/^Restored Plan to the version of .* by You\.\n$/);
    expect((await hearth('ann', ['doc', 'show', doc])).stdout).toBe('The first draft says ninety.\n');
    // One new version on top, by Ann; the earlier ones stay.
    const after = await json<DocumentHistory>('ann', ['history', 'list', doc]);
    expect(after.versions.map((v) => (v.author.you ? 'you' : v.author.username))).toEqual(['you', users.bob, 'you']);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    expect((await hearth('bob', ['sync'])).code).toBe(0);
    expect((await hearth('bob', ['doc', 'show', doc])).stdout).toBe('The first draft says ninety.\n');
    const seen = await json<DocumentHistory>('bob', ['history', 'list', doc]);
    expect(seen.versions[0]!.author.username).toBe(users.ann);
  });

  it('erases the edit history for everyone, only for an Owner or Admin; the text stays and no earlier version is left', async () => {
    const refused = await hearth('bob', ['history', 'forget', doc]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/editor/i);
    const before = await json<DocumentHistory>('ann', ['history', 'list', doc]);
    expect(before.versions.length).toBeGreaterThan(1);
    const erased = await hearth('ann', ['history', 'forget', doc]);
    expect(erased.code).toBe(0);
    expect(erased.stdout).toBe(`Erased the edit history of Plan: ${before.versions.length} earlier versions gone; it keeps what it says now.\n`);
    expect((await hearth('bob', ['sync'])).code).toBe(0);
    for (const who of ['ann', 'bob'] as const) {
      const after = await json<DocumentHistory>(who, ['history', 'list', doc]);
      expect(after.generation).toBe(1);
      expect(after.versions.map((v) => v.base)).toEqual([true]);
      expect((await hearth(who, ['doc', 'show', doc])).stdout).toBe('The first draft says ninety.\n');
      // The versions before are gone: the one Bob wrote cannot be shown any more.
      expect((await hearth(who, ['history', 'show', doc, before.versions[1]!.id])).code).toBe(1);
    }
  });

  it('refuses an unknown version (exit 1) and a missing one (exit 2)', async () => {
    const unknown = await hearth('ann', ['history', 'show', doc, 'abcdef12']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no version abcdef12.*hearth history list/);
    const missing = await hearth('ann', ['history', 'restore', doc]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage: hearth history restore DOC VERSION');
  });
});
