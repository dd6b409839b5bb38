/**
 * Issue 16, item 4: "Import follows symlinks out of the chosen folder (an outside file arrived as
 * an attachment, another as a document); a symlink loop or a dangling link crashes the import. A
 * FIFO hangs it." An import now reads only regular files inside what was chosen: a link anywhere
 * on a path, a FIFO or a device is refused by name with nothing imported, in an export folder and
 * in a .zip; a Markdown folder does not enter linked folders, and refuses a link that poses as a
 * Markdown file. A FIFO is refused without being opened: `hearth import` (a real process) exits
 * at once. Files with real outside content prove nothing from outside arrives.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHearthError } from '../../common/errors.ts';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import type { Vault } from '../../main/vault/vault.ts';
import { entryOf, writeZip } from '../support/crafted-zip.ts';
import { createTestVault, tempDir } from '../support/vault.ts';

const SECRET = 'SECRET-from-outside-the-folder';

/** Another account's export with one document and one attachment, and what it is made of. */
async function anExport(): Promise<{ dir: string; workspace: string; document: string; attachment: string; size: number }> {
  const vault = await createTestVault({ profile: { username: 'mallory', displayName: 'Mallory' } });
  const workspace = vault.workspaces.list()[0]!.id;
  const document = vault.documents.create(workspace, { title: 'Notes', init: (d) => setBodyFromMarkdown(d, 'Hello.\n') }).id;
  const file = await vault.files.add(workspace, { name: 'notes.txt', source: [Buffer.from('x'.repeat(SECRET.length))] });
  const dir = join(tempDir(), 'export');
  await exportVault(vault, dir);
  vault.lock();
  return { dir, workspace, document, attachment: join(dir, 'workspaces', workspace, 'files', file.id, 'notes.txt'), size: file.size };
}

/** An outside folder holding the secret, as a file of the attachment's size and as a document. */
function outside(): { dir: string; file: string } {
  const dir = join(tempDir(), 'outside');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'secret.txt');
  writeFileSync(file, SECRET);
  return { dir, file };
}

async function refusedWithNothingImported(vault: Vault, path: string, pattern: RegExp): Promise<void> {
  const before = vault.workspaces.list();
  const error = await importPath(vault, path).catch((e: unknown) => e);
  expect(isHearthError(error, 'BAD_REQUEST'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
  expect(vault.workspaces.list()).toEqual(before);
  expect(vault.search('SECRET')).toEqual([]);
}

describe('an import follows no link and opens no special file (issue 16, item 4)', () => {
  it('refuses an attachment, a document, a folder on the way, a loop or a dangling link that is a symbolic link', async () => {
    const vault = await createTestVault();
    const { dir: secretDir, file: secretFile } = outside();
    const base = await anExport();
    const variant = (name: string, change: (copy: string, at: (path: string) => string) => void) => {
      const copy = join(tempDir(), name);
      cpSync(base.dir, copy, { recursive: true });
      change(copy, (path) => join(copy, path.slice(base.dir.length + 1)));
      return copy;
    };
    const replaceWithLink = (path: string, target: string) => {
      rmSync(path, { recursive: true });
      symlinkSync(target, path);
    };
    const documentJson = join(base.dir, 'workspaces', base.workspace, 'documents', `${base.document}.json`);

    const attachment = variant('attachment', (_, at) => replaceWithLink(at(base.attachment), secretFile));
    await refusedWithNothingImported(vault, attachment, /notes\.txt in the import is a symbolic link/);

    writeFileSync(join(secretDir, 'document.json'), readFileSync(documentJson, 'utf8').replace('"Notes"', `"${SECRET}"`));
    const document = variant('document', (_, at) => replaceWithLink(at(documentJson), join(secretDir, 'document.json')));
    await refusedWithNothingImported(vault, document, /symbolic link/);

    const folder = variant('folder', (copy) => {
      const files = join(copy, 'workspaces', base.workspace, 'files');
      cpSync(files, join(secretDir, 'files'), { recursive: true });
      writeFileSync(join(secretDir, 'files', base.attachment.split('/files/')[1]!), SECRET);
      replaceWithLink(files, join(secretDir, 'files'));
    });
    await refusedWithNothingImported(vault, folder, /files.* is a symbolic link/);

    const loop = variant('loop', (_, at) => replaceWithLink(at(documentJson), at(documentJson)));
    await refusedWithNothingImported(vault, loop, /symbolic link/);
    const dangling = variant('dangling', (_, at) => replaceWithLink(at(base.attachment), join(secretDir, 'gone')));
    await refusedWithNothingImported(vault, dangling, /symbolic link/);

    // The same export imports once the links are gone.
    expect(await importPath(vault, base.dir)).toMatchObject({ documentsCreated: 1, files: 1 });
    vault.lock();
  });

  it('a Markdown folder: linked folders are not entered, loops and dangling links do no harm, a linked ".md" is refused', async () => {
    const { dir: secretDir, file: secretFile } = outside();
    writeFileSync(join(secretDir, 'secret.md'), `# ${SECRET}\n`);
    const notes = join(tempDir(), 'notes');
    mkdirSync(join(notes, 'sub'), { recursive: true });
    writeFileSync(join(notes, 'first.md'), '# First\n');
    writeFileSync(join(notes, 'sub', 'second.md'), '# Second\n');
    symlinkSync(secretDir, join(notes, 'linked'));
    symlinkSync('.', join(notes, 'loop'));
    symlinkSync(join(secretDir, 'gone'), join(notes, 'dangling.txt'));
    const vault = await createTestVault();
    expect(await importPath(vault, notes)).toMatchObject({ kind: 'markdown-folder', documentsCreated: 2 });
    const imported = vault.workspaces.list().find((w) => w.name === 'Imported: notes')!;
    expect(
      vault.documents
        .list(imported.id)
        .map((d) => d.title)
        .sort(),
    ).toEqual(['First', 'Second']);
    expect(vault.search('SECRET')).toEqual([]);

    symlinkSync(secretFile, join(notes, 'secret.md'));
    await refusedWithNothingImported(vault, notes, /secret\.md in the import is a symbolic link/);
    vault.lock();
  });

  it('a .zip entry that says it is a symbolic link is refused', async () => {
    const zip = join(tempDir(), 'link.zip');
    writeZip(zip, [entryOf('manifest.json', '{}'), entryOf('workspaces/w/files/f/notes.txt', '/etc/passwd', 0o120777)]);
    const vault = await createTestVault();
    await refusedWithNothingImported(vault, zip, /notes\.txt in the import is a symbolic link/);
    vault.lock();
  });

  it('`hearth import` refuses a FIFO where a document belongs at once, instead of waiting on it forever', async () => {
    const { dir, workspace, document } = await anExport();
    const fifo = join(dir, 'workspaces', workspace, 'documents', `${document}.json`);
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
    expect(statSync(fifo).isFIFO()).toBe(true);
    const vaultDir = join(tempDir(), 'vault');
    (await createTestVault({ dir: vaultDir })).lock();
    const started = Date.now();
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/hearth.js', 'import', dir], {
        env: { ...process.env, HEARTH_VAULT: vaultDir, HEARTH_PASSPHRASE: 'correct horse battery staple' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    expect(run.code, `killed after ${Date.now() - started} ms: ${run.stderr}`).toBe(1);
    expect(run.stderr).toMatch(/is not a regular file/);
  });
});
