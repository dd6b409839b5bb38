// S7: everything can be taken out in the open format and brought back unchanged.
import * as A from '@automerge/automerge';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHearthError } from '../../common/errors.ts';
import { exportSchemas, type ExportFileKind } from '../../common/export/schema.ts';
import { bodyAsMarkdown, setBodyFromMarkdown } from '../../common/richtext/index.ts';
import type { Vault } from '../../main/vault/vault.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import { emptyVaultOfSameAccount, snapshotOf } from '../support/export.ts';
import { createTestVault, filesUnder, tempDir } from '../support/vault.ts';

const NOW = new Date('2026-01-02T03:04:05.000Z');

async function richVault(): Promise<Vault> {
  const vault = await createTestVault();
  const personal = vault.workspaces.list()[0]!;
  const lab = vault.workspaces.create({ name: 'Lab notes' });
  const plan = vault.documents.create(personal.id, {
    title: 'Plan',
    tags: ['home', 'todo'],
    init: (d) => setBodyFromMarkdown(d, '# Plan\n\nBuy **milk** and *bread*, see [list](https://example.org).\n\n- one\n- two\n\n> quoted `code`\n'),
  });
  vault.documents.change(plan.id, (d) => A.splice(d, ['body'], 6, 0, 'Really: '));
  const thread = vault.comments.add(plan.id, { text: 'Which milk?', anchor: { from: 15, to: 19 } });
  vault.comments.add(plan.id, { text: 'Oat.', replyTo: thread.id });
  vault.comments.resolve(thread.id);
  const log = vault.documents.create(lab.id, { title: 'Run 42', init: (d) => setBodyFromMarkdown(d, '1. mix\n2. heat\n') });
  vault.comments.add(log.id, { text: 'Too hot' });
  vault.documents.create(lab.id, { title: 'Empty' });
  await vault.files.add(lab.id, { name: 'data: "raw"?.csv', source: [Buffer.from('t,v\n1,2\n')] });
  await vault.files.add(personal.id, { name: 'photo.jpg', source: [Buffer.alloc(3 * 1024 * 1024 + 1, 7)] });
  return vault;
}

function kindOf(path: string): ExportFileKind | undefined {
  if (path === 'manifest.json') return 'manifest';
  if (path === 'signature.json') return 'signature';
  if (path === 'audit.json') return 'audit';
  if (path.endsWith('/workspace.json')) return 'workspace';
  if (path.endsWith('/members.json')) return 'members';
  if (path.endsWith('/links.json')) return 'links';
  if (path.endsWith('/files.json')) return 'files';
  if (/\/documents\/[^/]+\.json$/.test(path)) return 'document';
  return undefined;
}

describe('S7: export and import', () => {
  it('export → import into a fresh vault → export again gives the same export, every JSON file valid', async () => {
    const source = await richVault();
    const first = join(tempDir(), 'export-1');
    const progress: string[] = [];
    const manifest = await exportVault(source, first, { now: NOW, onProgress: (p) => progress.push(p.phase) });
    expect(manifest.counts).toMatchObject({ workspaces: 2, documents: 3, comments: 3, files: 2 });
    expect(progress).toContain('documents');
    expect(progress.at(-1)).toBe('done');

    const jsonFiles = filesUnder(first).filter((f) => f.endsWith('.json'));
    expect(jsonFiles.length).toBeGreaterThanOrEqual(9);
    for (const file of jsonFiles) {
      const kind = kindOf(relative(first, file));
      expect(kind, file).toBeDefined();
      const parsed = exportSchemas[kind!].safeParse(JSON.parse(readFileSync(file, 'utf8')));
      expect(parsed.success, `${file}: ${parsed.error?.message}`).toBe(true);
    }
    const planMd = filesUnder(first)
      .map((f) => readFileSync(f, 'utf8'))
      .find((t) => t.includes('title: "Plan"'))!;
    expect(planMd).toContain('Really: Buy **milk** and *bread*, see [list](https://example.org).');

    // A vault of the same account (a restored backup on a new device): the export keeps its ids there.
    const target = await emptyVaultOfSameAccount(source);
    const summary = await importPath(target, first);
    expect(summary).toMatchObject({ kind: 'hearth-export', fromThisAccount: true, workspaces: 2, documentsCreated: 3, comments: 3, files: 2 });
    const second = join(tempDir(), 'export-2');
    await exportVault(target, second, { now: NOW });
    expect(snapshotOf(second)).toEqual(snapshotOf(first));

    // Documents are equal as Automerge documents: same history, same content.
    for (const { id } of source.documents.allIds()) {
      expect(A.getHeads(target.documents.get(id))).toEqual(A.getHeads(source.documents.get(id)));
      expect(A.toJS(target.documents.get(id))).toEqual(A.toJS(source.documents.get(id)));
    }
    // The audit log came along (the new vault adds its own entries after it).
    const before = source.audit.list().map((e) => [e.at, e.actor, e.action, e.target]);
    const after = target.audit.list().map((e) => [e.at, e.actor, e.action, e.target]);
    expect(after).toEqual(expect.arrayContaining(before));
    expect(target.search('oat').map((h) => h.kind)).toEqual(['comment']);
    source.lock();
    target.lock();
  });

  it('a .zip export holds the same tree and imports the same way', async () => {
    const source = await richVault();
    const folder = join(tempDir(), 'folder');
    const zip = join(tempDir(), 'nested', 'hearth-export.zip');
    await exportVault(source, folder, { now: NOW });
    await exportVault(source, zip, { now: NOW });
    expect(readFileSync(zip).subarray(0, 2).toString('latin1')).toBe('PK');
    const target = await emptyVaultOfSameAccount(source);
    expect(await importPath(target, zip)).toMatchObject({ fromThisAccount: true, documentsCreated: 3, comments: 3, files: 2 });
    const again = join(tempDir(), 'again');
    await exportVault(target, again, { now: NOW });
    expect(snapshotOf(again)).toEqual(snapshotOf(folder));
    source.lock();
    target.lock();
  });

  it('importing the same export twice adds nothing', async () => {
    const source = await richVault();
    const dir = join(tempDir(), 'export');
    await exportVault(source, dir);
    const target = await createTestVault();
    await importPath(target, dir);
    const again = await importPath(target, dir);
    expect(again).toMatchObject({ workspaces: 0, documentsCreated: 0, comments: 0, files: 0, auditEntries: 0 });
    // The export's "Personal" took the place of the target's own untouched, empty "Personal".
    expect(
      target.workspaces
        .list()
        .map((w) => w.name)
        .sort(),
    ).toEqual(['Lab notes', 'Personal']);
    expect(target.documents.allIds()).toHaveLength(3);
    source.lock();
    target.lock();
  });

  it('a damaged export is refused with a clear error and changes nothing', async () => {
    const source = await richVault();
    const dir = join(tempDir(), 'export');
    const manifest = await exportVault(source, dir);
    const workspaceJson = join(dir, manifest.workspaces[1]!.path, 'workspace.json');
    const workspace = JSON.parse(readFileSync(workspaceJson, 'utf8'));
    workspace.documents[0].automerge = '../../../../etc/passwd';
    writeFileSync(workspaceJson, JSON.stringify(workspace));
    const target = await createTestVault();
    // The manifest's digests catch the edit first...
    const changed = await importPath(target, dir).catch((e: unknown) => e);
    expect(isHearthError(changed, 'BAD_REQUEST')).toBe(true);
    expect((changed as Error).message).toMatch(/changed after the export was made/);
    // ...and without them (an export made by hand), the path that climbs out is refused.
    const manifestJson = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    delete manifestJson.digests;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifestJson));
    const error = await importPath(target, dir).catch((e: unknown) => e);
    expect(isHearthError(error, 'BAD_REQUEST')).toBe(true);
    expect((error as Error).message).toMatch(/outside its folder/);
    expect(target.workspaces.list()).toHaveLength(1);
    writeFileSync(join(dir, 'manifest.json'), '{"format":"something else"}');
    expect(isHearthError(await importPath(target, dir).catch((e: unknown) => e), 'BAD_REQUEST')).toBe(true);
    source.lock();
    target.lock();
  });

  it("a document's blocks survive the Markdown export read back as a Markdown folder, images and all", async () => {
    const source = await createTestVault();
    const personal = source.workspaces.list()[0]!;
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQqDhBFcQwatCoQaMGjRpEGQIAPLEcH9Ol6TsAAAAASUVORK5CYII=', 'base64');
    const file = await source.files.add(personal.id, { name: 'harbour at dawn.png', type: 'image/png', source: [png] });
    const body = `## Plan\n\n- [x] book\n- [ ] pack\n\n| a | b |\n| :--- | ---: |\n| 1 | 2 |\n\n\`\`\`ts\nconst x = 1;\n\`\`\`\n\n---\n\n![the harbour](hearth-file:${file.id})\n`;
    source.documents.create(personal.id, { title: 'Blocks', init: (d) => setBodyFromMarkdown(d, body) });
    const out = join(tempDir(), 'export-md');
    await exportVault(source, out, { now: NOW });
    const workspaceDir = join(out, 'workspaces', personal.id);
    const exported = filesUnder(join(workspaceDir, 'documents')).find((f) => f.endsWith('.md'))!;
    // For people: the image points at the exported copy of its file.
    expect(readFileSync(exported, 'utf8')).toContain(`![the harbour](<../files/${file.id}/harbour at dawn.png>)`);
    expect(readFileSync(join(workspaceDir, 'files', file.id, 'harbour at dawn.png'))).toEqual(png);

    // The workspace's folder, read as a folder of Markdown notes, gives the same blocks back and the image as a file.
    const target = await createTestVault();
    expect(await importPath(target, workspaceDir)).toMatchObject({ kind: 'markdown-folder', documentsCreated: 1, files: 1 });
    const imported = target.workspaces.list().find((w) => w.name === `Imported: ${personal.id}`)!;
    const [doc] = target.documents.list(imported.id);
    const [importedFile] = target.files.list(imported.id);
    expect(doc!.title).toBe('Blocks');
    expect(bodyAsMarkdown(target.documents.get(doc!.id))).toBe(body.replace(file.id, importedFile!.id));
    source.lock();
    target.lock();
  });

  it('a plain folder of Markdown files becomes documents, once', async () => {
    const dir = join(tempDir(), 'notes');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'first.md'), '---\ntitle: "The first"\ntags: ["a"]\n---\n\nHello **there**\n');
    writeFileSync(join(dir, 'sub', 'second.markdown'), '# Second\n\nbody\n');
    writeFileSync(join(dir, 'ignored.txt'), 'not markdown');
    const vault = await createTestVault();
    expect(await importPath(vault, dir)).toMatchObject({ kind: 'markdown-folder', documentsCreated: 2 });
    expect(await importPath(vault, dir)).toMatchObject({ documentsCreated: 0 });
    const ws = vault.workspaces.list().find((w) => w.name === 'Imported: notes')!;
    const docs = vault.documents.list(ws.id);
    // A note's opening heading is its title, and is not repeated in the body (issue 15, item 4).
    expect(docs.map((d) => d.title).sort()).toEqual(['Second', 'The first']);
    expect(bodyAsMarkdown(vault.documents.get(docs.find((d) => d.title === 'Second')!.id))).toBe('body\n');
    expect(docs.find((d) => d.title === 'The first')!.tags).toEqual(['a']);
    expect(vault.search('there').length).toBe(1);
    vault.lock();
  });
});
