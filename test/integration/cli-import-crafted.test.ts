/**
 * Issue 16, item 7: "Crafted ids: an import accepts a workspace id such as `../../x` with a
 * newline and an ANSI escape; after that every `hearth export` fails and the escape reaches the
 * terminal raw." With real `hearth` processes: such an export is refused at the boundary (ids are
 * in the vault's alphabet) and `hearth export` keeps working; names and titles full of escape
 * sequences from another account's export arrive cleaned; and whatever the vault holds (here
 * typed by its owner) is printed with its control characters escaped, as text and as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportVault } from '../../main/portability/export.ts';
import { createTestVault, PASSPHRASE, tempDir } from '../support/vault.ts';
import { runHearth, type Run } from './cli-fixture.ts';

const ESC = '\u001b';
const BEL = '\u0007';
/** Any byte that would steer a terminal: C0 controls but tab and newline, DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

async function adaVault(): Promise<(args: string[], input?: string) => Promise<Run>> {
  const dir = join(tempDir('hearth-crafted-'), 'vault');
  (await createTestVault({ dir })).lock();
  return (args, input) => runHearth(args, { ...process.env, HEARTH_VAULT: dir, HEARTH_PASSPHRASE: PASSPHRASE }, input);
}

function clean(run: Run): Run {
  expect(run.stdout).not.toMatch(RAW_CONTROL);
  expect(run.stderr).not.toMatch(RAW_CONTROL);
  return run;
}

describe('crafted ids and names (issue 16, item 7)', () => {
  it('refuses a workspace id that climbs out with a newline and an escape; export keeps working', async () => {
    const mallory = await createTestVault({ profile: { username: 'mallory', displayName: 'Mallory' } });
    const workspace = mallory.workspaces.list()[0]!.id;
    mallory.documents.create(workspace, { title: 'Innocent' });
    const dir = join(tempDir(), 'crafted');
    await exportVault(mallory, dir);
    mallory.lock();
    const evil = `../../x\n${ESC}[31mred`;
    for (const file of ['manifest.json', `workspaces/${workspace}/workspace.json`]) {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (file === 'manifest.json') {
        json.workspaces[0].id = evil;
        delete json.digests;
      } else json.id = evil;
      writeFileSync(join(dir, file), JSON.stringify(json));
    }

    const hearth = await adaVault();
    const imported = clean(await hearth(['import', dir]));
    expect(imported.code).toBe(1);
    expect(imported.stderr).toMatch(/does not match the export format \(at workspaces\.0\.id\): an id is 1–64 characters/);
    expect(clean(await hearth(['export', '--out', join(tempDir(), 'out')])).code).toBe(0);
    expect(clean(await hearth(['workspace', 'list'])).stdout).not.toContain('red');
  });

  it("cleans names, titles, authors and file names from another account's export", async () => {
    const mallory = await createTestVault({ profile: { username: 'mallory', displayName: 'Mallory' } });
    const ws = mallory.workspaces.create({ name: `Evil${ESC}[31m` });
    const doc = mallory.documents.create(ws.id, { title: `${ESC}]0;pwned${BEL}Title\nsecond line`, tags: [`t${ESC}[1m`] });
    mallory.comments.add(doc.id, { text: `look${ESC}[2J here\nand here` });
    await mallory.files.add(ws.id, { name: `file${ESC}[5m.txt`, source: [Buffer.from('bytes')] });
    const dir = join(tempDir(), 'dirty');
    await exportVault(mallory, dir);
    mallory.lock();

    const hearth = await adaVault();
    expect(clean(await hearth(['import', dir])).code).toBe(0);
    const workspaces = JSON.parse(clean(await hearth(['workspace', 'list', '--json'])).stdout) as Array<{ id: string; name: string }>;
    const evil = workspaces.find((w) => w.name.startsWith('Evil'))!;
    expect(evil.name).toBe('Evil [31m');
    const docs = JSON.parse(clean(await hearth(['doc', 'list', '--workspace', evil.id, '--json'])).stdout) as Array<{
      id: string;
      title: string;
      tags: string[];
    }>;
    expect(docs.map((d) => [d.title, d.tags])).toEqual([[']0;pwned Title second line', ['t [1m']]]);
    const threads = JSON.parse(clean(await hearth(['comment', 'list', docs[0]!.id, '--json'])).stdout) as Array<{ comments: Array<{ text: string }> }>;
    expect(threads[0]!.comments[0]!.text).toBe('look[2J here\nand here');
    const files = JSON.parse(clean(await hearth(['file', 'list', '--workspace', evil.id, '--json'])).stdout) as Array<{ name: string }>;
    expect(files.map((f) => f.name)).toEqual(['file [5m.txt']);
    clean(await hearth(['doc', 'list', '--workspace', evil.id]));
    clean(await hearth(['comment', 'list', docs[0]!.id]));
  });

  it('prints what the vault holds with every control character escaped, as text and as valid JSON', async () => {
    const hearth = await adaVault();
    const title = `${ESC}[31mred${ESC}]0;title${BEL}\u009b2J\u202eevil`;
    const created = JSON.parse(
      clean(await hearth(['doc', 'create', '--workspace', 'Personal', '--title', title, '--file', '-', '--json'], `Body ${ESC}[2J\n`)).stdout,
    ) as { id: string; title: string };
    expect(created.title).toBe(title);
    const listed = clean(await hearth(['doc', 'list', '--workspace', 'Personal']));
    expect(listed.stdout).toContain('\\u001b[31mred\\u001b]0;title\\u0007\\u009b2J\\u202eevil');
    expect(clean(await hearth(['doc', 'show', created.id])).stdout).toContain('Body \\u001b');
    const json = JSON.parse(clean(await hearth(['doc', 'list', '--workspace', 'Personal', '--json'])).stdout) as Array<{ title: string }>;
    expect(json.map((d) => d.title)).toEqual([title]);
    const missing = clean(await hearth(['doc', 'show', `nope${ESC}[31m`]));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope\\u001b[31m');
  });
});
