/**
 * Issue 16, item 9: "import is not atomic (a failing attachment leaves the documents imported)".
 * An import now lands whole or not at all: here an attachment fails half-way through the import,
 * once before its bytes are read (another account's export whose last file is shorter than
 * files.json says) and once after its chunks were stored (this account's export whose file no
 * longer matches its digest). The vault is then what it was: the same workspaces, documents,
 * comments, files and audit log, and the same number of rows in every table (nothing staged is
 * left, not even hidden). Importing a sound export afterwards works. And a `hearth import` killed
 * with SIGKILL while it writes leaves nothing once the vault is unlocked again.
 */
import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHearthError } from '../../common/errors.ts';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import { Vault, VAULT_FILE_NAME } from '../../main/vault/vault.ts';
import { emptyVaultOfSameAccount, vaultContent } from '../support/export.ts';
import { createTestVault, PASSPHRASE, tempDir } from '../support/vault.ts';

const TABLES = ['workspaces', 'documents', 'document_chunks', 'comments', 'files', 'file_chunks', 'audit'];

/** Rows per table, read through a second connection: staged rows count too. */
function rowCounts(vault: Vault): Record<string, number> {
  const db = new BetterSqlite3(join(vault.dir, VAULT_FILE_NAME), { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

async function everything(vault: Vault) {
  return { content: await vaultContent(vault), audit: vault.audit.list(), rows: rowCounts(vault) };
}

async function sourceWithThreeFiles(username: string): Promise<Vault> {
  const vault = await createTestVault({ profile: { username, displayName: username } });
  const ws = vault.workspaces.create({ name: 'Project' });
  for (const title of ['One', 'Two', 'Three']) {
    const doc = vault.documents.create(ws.id, { title, init: (d) => setBodyFromMarkdown(d, `${title} body\n`) });
    vault.comments.add(doc.id, { text: `about ${title}` });
  }
  for (const [name, size] of [
    ['a.bin', 10],
    ['b.bin', 3 * 1024 * 1024 + 5],
    ['c.bin', 2 * 1024 * 1024],
  ] as const) {
    await vault.files.add(ws.id, { name, source: [Buffer.alloc(size, name.charCodeAt(0))] });
  }
  return vault;
}

/** The attachment an import reaches last (files.json order), and its path in the export. */
function lastAttachment(dir: string, vault: Vault): { path: string; size: number } {
  const ws = vault.workspaces.list().find((w) => w.name === 'Project')!;
  const listing = JSON.parse(readFileSync(join(dir, 'workspaces', ws.id, 'files', 'files.json'), 'utf8')) as Array<{ path: string; size: number }>;
  const last = listing.at(-1)!;
  return { path: join(dir, 'workspaces', ws.id, last.path), size: last.size };
}

async function targetWithContent(vault: Vault): Promise<Vault> {
  const ws = vault.workspaces.list().find((w) => w.name === 'Personal') ?? vault.workspaces.create({ name: 'Personal' });
  const doc = vault.documents.create(ws.id, { title: 'Already here', init: (d) => setBodyFromMarkdown(d, 'Mine.\n') });
  vault.comments.add(doc.id, { text: 'my note' });
  await vault.files.add(ws.id, { name: 'mine.txt', source: [Buffer.from('my file')] });
  return vault;
}

describe('an import lands whole or not at all (issue 16, item 9)', () => {
  it("an attachment that fails before it is read: another account's export leaves the vault as it was", async () => {
    const source = await sourceWithThreeFiles('alice');
    const dir = join(tempDir(), 'export');
    await exportVault(source, dir);
    const good = join(tempDir(), 'good');
    await exportVault(source, good);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    delete manifest.digests; // a hand-made export: the size check is what catches it
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const last = lastAttachment(dir, source);
    truncateSync(last.path, last.size - 1);

    const target = await targetWithContent(await createTestVault({ profile: { username: 'bob', displayName: 'Bob' } }));
    const before = await everything(target);
    const error = await importPath(target, dir).catch((e: unknown) => e);
    expect(isHearthError(error, 'BAD_REQUEST')).toBe(true);
    expect((error as Error).message).toMatch(/not the size files\.json gives/);
    expect(await everything(target)).toEqual(before);

    expect(await importPath(target, good)).toMatchObject({ documentsCreated: 3, comments: 3, files: 3 });
    source.lock();
    target.lock();
  });

  it("an attachment that fails after its chunks were stored: this account's export leaves the vault as it was", async () => {
    const source = await sourceWithThreeFiles('carol');
    const dir = join(tempDir(), 'export');
    await exportVault(source, dir);
    const last = lastAttachment(dir, source);
    const original = readFileSync(last.path);
    writeFileSync(last.path, Buffer.alloc(last.size, 0x7a));

    const target = await targetWithContent(await emptyVaultOfSameAccount(source));
    const before = await everything(target);
    const error = await importPath(target, dir).catch((e: unknown) => e);
    expect(isHearthError(error, 'BAD_REQUEST')).toBe(true);
    expect((error as Error).message).toMatch(/changed after the export was made/);
    expect(await everything(target)).toEqual(before);

    writeFileSync(last.path, original);
    expect(await importPath(target, dir)).toMatchObject({ fromThisAccount: true, documentsCreated: 3, comments: 3, files: 3 });
    source.lock();
    target.lock();
  });

  it('a hearth import killed while it writes leaves nothing once the vault is unlocked again', async () => {
    const source = await createTestVault({ profile: { username: 'dave', displayName: 'Dave' } });
    const ws = source.workspaces.create({ name: 'Big' });
    source.documents.create(ws.id, { title: 'Before the file' });
    await source.files.add(ws.id, {
      name: 'big.bin',
      source: (function* () {
        for (let i = 0; i < 96; i++) yield Buffer.alloc(1024 * 1024, i);
      })(),
    });
    const dir = join(tempDir(), 'export');
    await exportVault(source, dir);
    source.lock();

    const target = await targetWithContent(await createTestVault({ profile: { username: 'erin', displayName: 'Erin' } }));
    const before = { content: await vaultContent(target), rows: rowCounts(target) };
    const vaultDir = target.dir;
    target.lock();
    const watcher = new BetterSqlite3(join(vaultDir, VAULT_FILE_NAME), { readonly: true });
    const chunks = watcher.prepare('SELECT count(*) AS n FROM file_chunks');
    const killed = await new Promise<NodeJS.Signals | null>((resolve) => {
      const child = spawn(process.execPath, ['bin/hearth.js', 'import', dir], {
        env: { ...process.env, HEARTH_VAULT: vaultDir, HEARTH_PASSPHRASE: PASSPHRASE },
        stdio: 'ignore',
      });
      // Killed once the attachment's chunks are going in: documents and a workspace are staged by then.
      const poll = setInterval(() => {
        if ((chunks.get() as { n: number }).n > before.rows.file_chunks! + 8) child.kill('SIGKILL');
      }, 10);
      child.on('close', (_code, signal) => {
        clearInterval(poll);
        resolve(signal);
      });
    });
    watcher.close();
    expect(killed, 'the import finished before it could be killed').toBe('SIGKILL');

    const again = await Vault.unlock(vaultDir, PASSPHRASE);
    const rows = rowCounts(again);
    expect({ ...rows, audit: 0 }).toEqual({ ...before.rows, audit: 0 });
    expect(await vaultContent(again)).toEqual(before.content);
    again.lock();
  });
});
