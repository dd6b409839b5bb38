// The `hearth` CLI contract, run as a real process against a real vault.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/vault.ts';
import { jsonOf, runHearth, type Run } from './cli-fixture.ts';

const root = tempDir('hearth-cli-');
const vaultDir = join(root, 'vault');
const env = { ...process.env, HEARTH_VAULT: vaultDir, HEARTH_PASSPHRASE: 'cli passphrase one' };

function hearth(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return runHearth(args, options.env ?? env, options.input);
}

async function json<T>(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<T> {
  return jsonOf<T>(await hearth([...args, '--json'], options));
}

// Each call is a real process that derives a real Argon2id key, so a slow machine gets room.
describe('hearth CLI', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    const init = await hearth(['init', '--username', 'cleo', '--name', 'Cleo Clark']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
  });

  it('workspaces: create and list, with --json, found by id or name', async () => {
    const created = await json<{ id: string; name: string }>(['workspace', 'create', 'Research']);
    expect(created.name).toBe('Research');
    const list = await json<Array<{ id: string; name: string }>>(['workspace', 'list']);
    expect(list.map((w) => w.name)).toEqual(['Personal', 'Research']);
    const human = await hearth(['workspace', 'list']);
    expect(human.stdout).toMatch(/Research/);
    expect((await hearth(['doc', 'list', '--workspace', created.id])).code).toBe(0);
    expect((await hearth(['doc', 'list', '--workspace', 'Research'])).code).toBe(0);
  });

  it('documents: create from a file and from stdin, list, show as Markdown, edit merges, delete', async () => {
    const markdown = '# Findings\n\nWater **boils** at *100* degrees, see [notes](https://example.org).\n\n1. first\n2. second\n';
    const file = join(root, 'findings.md');
    writeFileSync(file, markdown);
    const doc = await json<{ id: string; title: string; tags: string[] }>([
      'doc',
      'create',
      '--workspace',
      'Research',
      '--title',
      'Findings',
      '--file',
      file,
      '--tag',
      'lab',
    ]);
    expect(doc).toMatchObject({ title: 'Findings', tags: ['lab'] });
    const fromStdin = await json<{ id: string }>(['doc', 'create', '--workspace', 'Research', '--title', 'Piped'], { input: 'piped *body*\n' });
    expect((await hearth(['doc', 'show', fromStdin.id])).stdout).toBe('piped *body*\n');

    const list = await json<Array<{ id: string; title: string }>>(['doc', 'list', '--workspace', 'Research']);
    expect(list.map((d) => d.title).sort()).toEqual(['Findings', 'Piped']);
    const shown = await hearth(['doc', 'show', doc.id]);
    expect(shown.stdout).toBe(markdown);

    const edited = markdown.replace('boils', 'boils quickly').replace('2. second', '2. second\n3. third');
    writeFileSync(file, edited);
    expect((await hearth(['doc', 'edit', doc.id, '--file', file])).code).toBe(0);
    expect((await hearth(['doc', 'show', doc.id])).stdout).toBe(edited);
    const details = await json<{ markdown: string; title: string }>(['doc', 'show', doc.id]);
    expect(details).toMatchObject({ title: 'Findings', markdown: edited });

    expect((await hearth(['doc', 'delete', fromStdin.id])).code).toBe(0);
    const gone = await hearth(['doc', 'show', fromStdin.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('comments, files, search and audit', async () => {
    const doc = await json<{ id: string }>(['doc', 'create', '--workspace', 'Personal', '--title', 'Trip'], { input: 'Pack the **tent**.\n' });
    const comment = await json<{ id: string; text: string }>(['comment', 'add', doc.id, '--text', 'Which tent?']);
    expect(comment.text).toBe('Which tent?');
    await json(['comment', 'add', doc.id, '--text', 'The green one', '--reply-to', comment.id]);
    const threads = await json<Array<{ comments: Array<{ text: string; author: string }> }>>(['comment', 'list', doc.id]);
    expect(threads[0]!.comments.map((c) => [c.author, c.text])).toEqual([
      ['cleo', 'Which tent?'],
      ['cleo', 'The green one'],
    ]);

    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const source = join(root, 'photo.jpg');
    writeFileSync(source, bytes);
    const file = await json<{ id: string; name: string; size: number; type: string }>(['file', 'add', '--workspace', 'Personal', source]);
    expect(file).toMatchObject({ name: 'photo.jpg', size: bytes.length, type: 'image/jpeg' });
    const out = join(root, 'copy.jpg');
    expect((await hearth(['file', 'get', file.id, '--out', out])).code).toBe(0);
    expect(readFileSync(out).equals(bytes)).toBe(true);

    const hits = await json<Array<{ documentId: string; kind: string }>>(['search', 'green']);
    expect(hits).toEqual([expect.objectContaining({ documentId: doc.id, kind: 'comment' })]);
    expect((await json<unknown[]>(['search', 'ten'])).length).toBeGreaterThan(0);

    const audit = await json<Array<{ action: string }>>(['audit']);
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['vault.created', 'workspace.created', 'vault.unlocked', 'document.deleted']));
  });

  it('export to a folder and import it into another vault', async () => {
    const out = join(root, 'export');
    const manifest = await json<{ counts: { documents: number; files: number } }>(['export', '--out', out]);
    expect(manifest.counts.documents).toBeGreaterThan(0);
    const otherEnv = { ...env, HEARTH_VAULT: join(root, 'other-vault') };
    expect((await hearth(['init', '--username', 'cleo'], { env: otherEnv })).code).toBe(0);
    const imported = await hearth(['import', out, '--json'], { env: otherEnv });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ documentsCreated: manifest.counts.documents, files: manifest.counts.files });
    const docs = await hearth(['doc', 'list', '--workspace', 'Research', '--json'], { env: otherEnv });
    expect(JSON.parse(docs.stdout).map((d: { title: string }) => d.title)).toContain('Findings');
  });

  it('backup and restore elsewhere; wipe only with the exact username', async () => {
    const file = join(root, 'vault.backup');
    const backup = await hearth(['backup', '--out', file], { env: { ...env, HEARTH_BACKUP_PASSPHRASE: 'backup passphrase' } });
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    const restoredEnv = {
      ...env,
      HEARTH_VAULT: join(root, 'restored'),
      HEARTH_PASSPHRASE: 'restored passphrase',
      HEARTH_BACKUP_PASSPHRASE: 'backup passphrase',
    };
    expect((await hearth(['restore', file], { env: restoredEnv })).code).toBe(0);
    const docs = await hearth(['doc', 'list', '--workspace', 'Research', '--json'], { env: restoredEnv });
    expect(JSON.parse(docs.stdout).map((d: { title: string }) => d.title)).toContain('Findings');

    for (const wrong of ['CLEO', 'cleo ', 'someone']) {
      const refused = await hearth(['wipe', '--confirm', wrong], { env: restoredEnv });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/nothing was wiped/);
    }
    expect((await hearth(['wipe'], { env: restoredEnv })).code).toBe(2);
    expect((await hearth(['wipe', '--confirm', 'cleo'], { env: restoredEnv })).code).toBe(0);
    const after = await hearth(['workspace', 'list'], { env: restoredEnv });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/No vault/);
  });

  it('a backup restored where a vault is: refused with the choices named, or restored beside it; never over it', async () => {
    const dir = join(root, 'beside');
    const own = { ...env, HEARTH_VAULT: join(dir, 'vault'), HEARTH_PASSPHRASE: 'erin passphrase', HEARTH_BACKUP_PASSPHRASE: 'backup passphrase' };
    expect((await hearth(['init', '--username', 'erin'], { env: own })).code).toBe(0);
    expect((await hearth(['workspace', 'create', 'Before'], { env: own })).code).toBe(0);
    const file = join(dir, 'erin.backup');
    expect((await hearth(['backup', '--out', file], { env: own })).code).toBe(0);
    expect((await hearth(['workspace', 'create', 'After'], { env: own })).code).toBe(0);
    const names = async (e: NodeJS.ProcessEnv) => (await json<Array<{ name: string }>>(['workspace', 'list'], { env: e })).map((w) => w.name);

    const refused = await hearth(['restore', file], { env: own });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('never overwrites');
    expect(refused.stderr).toContain('--beside');
    expect(refused.stderr).toContain('--vault OTHER_DIR');
    expect(refused.stderr).toContain('hearth wipe');
    expect(readdirSync(dir).sort()).toEqual(['erin.backup', 'vault']);
    expect(await names(own)).toEqual(['Personal', 'Before', 'After']);

    const beside = await json<{ vault: string; beside: boolean }>(['restore', file, '--beside'], { env: own });
    expect(beside.beside).toBe(true);
    expect(beside.vault.startsWith(join(dir, 'vault-restored-'))).toBe(true);
    expect(await names(own)).toEqual(['Personal', 'Before', 'After']);
    expect(await names({ ...own, HEARTH_VAULT: beside.vault })).toEqual(['Personal', 'Before']);
    const again = await json<{ vault: string }>(['restore', file, '--beside'], { env: own });
    expect(again.vault).not.toBe(beside.vault);
  });

  it('wipe says which exports and backups it wrote stay on this computer, and erases them only with --erase-copies', async () => {
    for (const erase of [false, true]) {
      const dir = join(root, `copies-${erase}`);
      const own = { ...env, HEARTH_VAULT: join(dir, 'vault'), HEARTH_BACKUP_PASSPHRASE: 'backup passphrase' };
      expect((await hearth(['init', '--username', 'dana'], { env: own })).code).toBe(0);
      const [out, file] = [join(dir, 'export.zip'), join(dir, 'dana.backup')];
      expect((await hearth(['export', '--out', out], { env: own })).code).toBe(0);
      expect((await hearth(['backup', '--out', file], { env: own })).code).toBe(0);
      const wiped = await hearth(['wipe', '--confirm', 'dana', ...(erase ? ['--erase-copies'] : [])], { env: own });
      expect(wiped.code).toBe(0);
      if (erase) {
        expect(wiped.stdout).toContain(`Erased ${file}, ${out}.`);
        expect(wiped.stdout).toContain('No export or backup this app wrote stays on this computer.');
      } else {
        expect(wiped.stdout).toContain('2 copies this app wrote stay on this computer');
        expect(wiped.stdout).toMatch(new RegExp(`${file} \\(backup, \\d+ bytes\\)`));
        expect(wiped.stdout).toMatch(new RegExp(`${out} \\(export, \\d+ bytes\\)`));
      }
      expect([existsSync(out), existsSync(file)]).toEqual([!erase, !erase]);
    }
  });

  it('user errors exit 1 with one line on stderr; bad usage exits 2', async () => {
    const wrong = await hearth(['workspace', 'list'], { env: { ...env, HEARTH_PASSPHRASE: 'not it at all' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^hearth: That passphrase does not unlock this vault\. Check it and try again\.\n$/);
    const unknown = await hearth(['comment', 'list', 'no-such-doc']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect((await hearth(['doc', 'list', '--workspace', 'Nowhere'])).code).toBe(1);
    expect((await hearth(['frobnicate'])).code).toBe(2);
    expect((await hearth(['doc', 'create', '--title', 'no workspace'])).code).toBe(2);
    expect((await hearth(['doc', 'list', '--workspace', 'Research', '--bogus'])).code).toBe(2);
    expect((await hearth(['--help'])).code).toBe(0);
    const noVault = await hearth(['workspace', 'list'], { env: { ...env, HEARTH_VAULT: join(root, 'elsewhere') } });
    expect(noVault.code).toBe(1);
    expect(noVault.stderr).toMatch(/hearth init/);
    expect((await hearth(['init', '--username', 'cleo'])).code).toBe(1);
  });

  it('asks for the passphrase on a terminal without echoing it', async () => {
    // `script` gives the CLI a real pseudo-terminal; the passphrase is typed once the prompt shows.
    const { HEARTH_PASSPHRASE: passphrase, ...withoutPassphrase } = env;
    const child = spawn('script', ['-qec', `${process.execPath} bin/hearth.js workspace list`, '/dev/null'], {
      env: withoutPassphrase,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (b: Buffer) => {
      screen += b.toString();
      if (screen.includes('Passphrase: ') && !child.stdin.writableEnded) child.stdin.end(`${passphrase}\r`);
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(screen).toMatch(/Passphrase: /);
    expect(screen).toMatch(/Personal/);
    expect(screen).not.toContain(passphrase!);
  });

  it('passphrase change: the old one stops working, the new one opens the same data', async () => {
    const change = await hearth(['passphrase', 'change'], { env: { ...env, HEARTH_NEW_PASSPHRASE: 'cli passphrase two' } });
    expect(change.code).toBe(0);
    expect((await hearth(['workspace', 'list'])).code).toBe(1);
    const after = await hearth(['workspace', 'list', '--json'], { env: { ...env, HEARTH_PASSPHRASE: 'cli passphrase two' } });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).map((w: { name: string }) => w.name)).toEqual(['Personal', 'Research']);
    env.HEARTH_PASSPHRASE = 'cli passphrase two';
  });
});
