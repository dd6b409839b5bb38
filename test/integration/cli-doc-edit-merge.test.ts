// Issue 16, item 1, as reported: two members of a team each append a paragraph at the same time
// with `hearth doc show D > f.md; echo … >> f.md; hearth doc edit D --file f.md`, then sync. Real
// `hearth` processes, real vaults, a real relay. Both devices must end with both paragraphs
// intact (the order of two paragraphs appended at one place is Automerge's to choose). The
// document starts as one paragraph, as a new note does: before the fix, that one merged into
// "Weekly notes / Next meeting is / Carol joins on Friday. next week."
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { root, users, hearth, json, initAndRegister } = cliUsers('hearth-cli-edit-merge-', ['ann', 'bob'] as const);

let relay: TestRelay;

describe('concurrent hearth doc edit', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url);
  });
  afterAll(() => relay?.stop());

  it('keeps both appended paragraphs whole on both devices after sync', async () => {
    await json('ann', ['workspace', 'create', 'Team', '--relay', relay.url]);
    const base = 'Weekly notes\n';
    const { id: doc } = await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Team', '--title', 'Notes', '--file', '-'], base);
    expect((await hearth('ann', ['member', 'add', 'Team', users.bob, '--role', 'editor'])).code).toBe(0);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    expect((await hearth('bob', ['invite', 'accept', (await json<Array<{ id: string }>>('bob', ['invite', 'list']))[0]!.id])).code).toBe(0);
    expect((await hearth('bob', ['sync'])).code).toBe(0);

    const appended = { ann: 'Carol joins next week.', bob: 'Next meeting is on Friday.' } as const;
    // Both edit at the same time, each from what their own device showed.
    await Promise.all(
      (['ann', 'bob'] as const).map(async (who) => {
        const file = join(root, `${who}.md`);
        const shown = await hearth(who, ['doc', 'show', doc]);
        expect(shown.stdout).toBe(base);
        writeFileSync(file, shown.stdout);
        appendFileSync(file, `\n${appended[who]}\n`);
        const edit = await hearth(who, ['doc', 'edit', doc, '--file', file]);
        expect(edit.stderr).toBe('');
        expect(edit.code).toBe(0);
      }),
    );
    for (const who of ['ann', 'bob', 'ann'] as const) expect((await hearth(who, ['sync'])).code).toBe(0);

    const annSees = (await hearth('ann', ['doc', 'show', doc])).stdout;
    const bobSees = (await hearth('bob', ['doc', 'show', doc])).stdout;
    expect(bobSees).toBe(annSees);
    expect([`${base}\n${appended.ann}\n\n${appended.bob}\n`, `${base}\n${appended.bob}\n\n${appended.ann}\n`]).toContain(annSees);
  });
});
