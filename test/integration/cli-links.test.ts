// `hearth link create|list|revoke|open` as real processes against a real relay: the URL printed
// opens back as the document's Markdown (without any vault), an Editor is refused naming the role,
// a revoked link and a tampered key exit 1 with a clear message, and bad usage exits 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { users, hearth, json, initAndRegister } = cliUsers('hearth-cli-links-', ['ann', 'bob', 'nobody'] as const);
const BODY = '# Plan\n\nThe **launch** is on Friday, CLILINKMARKER.\n';

interface Link {
  id: string;
  documentId: string;
  url: string;
  expiresAt: number | null;
  createdAt: number;
}

let relay: TestRelay;
let doc: string;

describe('hearth link commands', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url, ['ann', 'bob']);
    expect((await hearth('ann', ['workspace', 'create', 'Team', '--relay', relay.url])).code).toBe(0);
    doc = (await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Team', '--title', 'Plan', '--file', '-'], BODY)).id;
    expect((await hearth('ann', ['member', 'add', 'Team', users.bob, '--role', 'editor'])).code).toBe(0);
    expect((await hearth('bob', ['invite', 'accept', (await json<Array<{ id: string }>>('bob', ['invite', 'list']))[0]!.id])).code).toBe(0);
  });
  afterAll(() => relay?.stop());

  it('creates a link (printing its URL), lists it, and opens it as Markdown without a vault', async () => {
    const created = await hearth('ann', ['link', 'create', doc]);
    expect(created.code).toBe(0);
    const url = created.stdout.trim();
    expect(url).toMatch(new RegExp(`^${relay.httpUrl}p/[A-Za-z0-9_-]+#[A-Za-z0-9_-]{40,}$`));

    const week = await json<Link>('ann', ['link', 'create', doc, '--expires', '7d']);
    expect(week.expiresAt! - week.createdAt).toBe(7 * 86_400_000);
    const listed = await json<Link[]>('ann', ['link', 'list']);
    expect(listed.map((l) => l.url)).toEqual([url, week.url]);
    expect((await hearth('ann', ['link', 'list'])).stdout).toMatch(/ID\s+DOCUMENT\s+STATE\s+EXPIRES\s+URL/);

    // `nobody` has no vault at all: opening a link needs none.
    const opened = await hearth('nobody', ['link', 'open', url]);
    expect(opened.code).toBe(0);
    expect(opened.stdout).toBe((await hearth('ann', ['doc', 'show', doc])).stdout);
    expect(opened.stdout).toContain('The **launch** is on Friday, CLILINKMARKER.');
    expect(opened.stderr).toMatch(/^Plan \(published /);
    const asJson = await json<{ title: string; markdown: string; expiresAt: number | null }>('nobody', ['link', 'open', week.url]);
    expect(asJson).toMatchObject({ title: 'Plan', expiresAt: week.expiresAt });
    expect(asJson.markdown).toBe(opened.stdout);
  });

  it('refuses an Editor with exit 1 naming the role', async () => {
    const refused = await hearth('bob', ['link', 'create', doc]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/You are an Editor in Team: an editor cannot publish public links/);
    expect(refused.stdout).toBe('');
  });

  it('revokes: the link then exits 1 as revoked; a tampered key exits 1; bad usage exits 2', async () => {
    const link = await json<Link>('ann', ['link', 'create', doc, '--expires', '30m']);
    const tamperedUrl = link.url.slice(0, -3) + (link.url.endsWith('AAA') ? 'BBB' : 'AAA');
    const tampered = await hearth('nobody', ['link', 'open', tamperedUrl]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/key .* does not match/);
    expect(tampered.stdout).toBe('');

    expect(await json<{ revoked: string }>('ann', ['link', 'revoke', link.id])).toEqual({ revoked: link.id });
    const gone = await hearth('nobody', ['link', 'open', link.url]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/revoked or has expired/);
    expect((await json<Link[]>('ann', ['link', 'list'])).map((l) => l.id)).not.toContain(link.id);
    expect((await hearth('ann', ['link', 'revoke', link.id])).code).toBe(1);

    expect((await hearth('ann', ['link', 'create', doc, '--expires', '5 weeks'])).code).toBe(2);
    expect((await hearth('ann', ['link', 'create', doc, '--expires', '0h'])).code).toBe(2);
    expect((await hearth('ann', ['link', 'create'])).code).toBe(2);
    expect((await hearth('nobody', ['link', 'open'])).code).toBe(2);
  });
});
