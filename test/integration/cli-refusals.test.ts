/**
 * Every refusal of the `hearth` CLI is one line on stderr, without a stack, and exits 1 (2 for bad
 * usage); with --json the refusal's code and message are also on stdout. Run as real processes:
 * bad usage, an unknown id, a role that may not (a Viewer resolving or deleting the Owner's
 * comment, deleting the workspace), the relay down, a full disk (the child's file size limit, as
 * `ulimit -f` sets it) and another process writing the vault. Nothing is changed by any of them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUsers, type Run } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { root, users, hearth, json, initAndRegister, vaultOf } = cliUsers('hearth-cli-refusals-', ['ann', 'vic'] as const);

/** One line starting "hearth: ", no stack frame, the exit code; returns the line. */
function oneLine(run: Run, exit: 1 | 2): string {
  expect(run.code, run.stderr).toBe(exit);
  expect(run.stderr, run.stderr).toMatch(/^hearth: [^\n]+\n$/);
  expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  return run.stderr;
}

/** The --json refusal document on stdout. */
function refusalOf(run: Run): { code: string; message: string } {
  return (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
}

/** `hearth args` as `who`, in a child whose files may not grow past `kib` KiB (bash's `ulimit -f`). */
function hearthWithFileLimit(who: 'ann' | 'vic', kib: number, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, HEARTH_VAULT: vaultOf(who), HEARTH_PASSPHRASE: `passphrase of ${who}` };
    const child = spawn('bash', ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, 'bin/hearth.js', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let relay: TestRelay;
let doc: string;
let thread: string;

describe('hearth refusals: one line, no stack', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url);
    await json('ann', ['workspace', 'create', 'Team', '--relay', relay.url]);
    doc = (await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Team', '--title', 'Plan'])).id;
    thread = (await json<{ id: string }>('ann', ['comment', 'add', doc, '--text', 'Check the numbers'])).id;
    await json('ann', ['member', 'add', 'Team', users.vic, '--role', 'viewer']);
    await json('vic', ['invite', 'accept', (await json<Array<{ id: string }>>('vic', ['invite', 'list']))[0]!.id]);
  });
  afterAll(() => relay?.stop().catch(() => undefined));

  it('bad usage: exit 2, what is wrong and the usage on one line', async () => {
    for (const args of [
      ['frobnicate'],
      ['doc', 'list', '--workspace', 'Team', '--bogus'],
      ['member', 'add', 'Team'],
      ['member', 'role', 'Team', users.vic, 'overlord'],
      ['wipe'],
      ['profile', 'set'],
    ]) {
      expect(oneLine(await hearth('ann', args), 2), args.join(' ')).toMatch(/Usage: hearth|hearth --help/);
    }
  });

  it('an unknown id or name: exit 1, one line, its code in --json', async () => {
    for (const args of [
      ['doc', 'show', 'no-such-document'],
      ['comment', 'delete', 'no-such-comment'],
      ['workspace', 'leave', 'Nowhere'],
      ['sync', 'pause', 'Nowhere'],
    ]) {
      const run = await hearth('ann', [...args, '--json']);
      oneLine(run, 1);
      expect(refusalOf(run).code, args.join(' ')).toBe('NOT_FOUND');
    }
  });

  it("a Viewer's resolve and delete of the Owner's comment, and deleting the workspace: refused naming the role, nothing changed", async () => {
    const resolve = await hearth('vic', ['comment', 'resolve', thread, '--json']);
    expect(oneLine(resolve, 1)).toMatch(/Viewer/);
    expect(refusalOf(resolve).code).toBe('FORBIDDEN');
    expect(oneLine(await hearth('vic', ['comment', 'delete', thread]), 1)).toMatch(/Viewer/);
    expect(oneLine(await hearth('vic', ['workspace', 'delete', 'Team']), 1)).toMatch(/Viewer.*leave it/);
    // Her copy did not move away from everyone else's: the thread is open and there, as at the Owner's.
    expect(await json<Array<{ id: string; resolved: boolean }>>('vic', ['comment', 'list', doc])).toEqual([
      expect.objectContaining({ id: thread, resolved: false }),
    ]);
    expect((await json<Array<{ id: string }>>('vic', ['workspace', 'list'])).length).toBe(2);
  });

  it('a personal workspace has no sync to pause: one line', async () => {
    const run = await hearth('ann', ['sync', 'pause', 'Personal', '--json']);
    oneLine(run, 1);
    expect(refusalOf(run).code).toBe('BAD_REQUEST');
  });

  it('a full disk, in the vault and in an export: one line that says so, and the vault keeps what it had', async () => {
    const big = join(root, 'big.bin');
    writeFileSync(big, randomBytes(3 * 1024 * 1024));
    const added = await hearthWithFileLimit('ann', 1024, ['file', 'add', '--workspace', 'Personal', big, '--json']);
    // The vault names it: a write refused for the file size limit (what a full disk looks like to SQLite when it is not SQLITE_FULL).
    expect(oneLine(added, 1)).toMatch(/could not write to the vault .*limit on file size/);
    expect(refusalOf(added).code).toBe('VAULT_WRITE_FAILED');
    expect(await json<unknown[]>('ann', ['file', 'list', '--workspace', 'Personal'])).toEqual([]);
    // With room to store it, the file goes in; an export of it then passes the limit while writing the .zip.
    const stored = await json<{ id: string }>('ann', ['file', 'add', '--workspace', 'Personal', big]);
    const exported = await hearthWithFileLimit('ann', 1024, ['export', '--out', join(root, 'export.zip')]);
    expect(oneLine(exported, 1)).toMatch(/disk is full/);
    expect((await json<Array<{ id: string }>>('ann', ['file', 'list', '--workspace', 'Personal'])).map((f) => f.id)).toEqual([stored.id]);
    expect((await json<Array<{ title: string }>>('ann', ['doc', 'list', '--workspace', 'Team'])).map((d) => d.title)).toEqual(['Plan']);
  });

  it('another process writing the vault: one line that says so, nothing changed', async () => {
    // A writer that holds the vault's write lock for longer than the CLI waits for it.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE'); db.exec('CREATE TABLE lock_holder (x)'); console.log('held'); setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 20000);`,
        join(vaultOf('ann'), 'vault.sqlite'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    try {
      const run = await hearth('ann', ['doc', 'create', '--workspace', 'Personal', '--title', 'Not now', '--json']);
      expect(oneLine(run, 1)).toMatch(/Another Hearth process/);
      expect(refusalOf(run).code).toBe('VAULT_BUSY');
    } finally {
      holder.kill();
    }
    expect((await json<Array<{ title: string }>>('ann', ['doc', 'list', '--workspace', 'Personal'])).map((d) => d.title)).not.toContain('Not now');
  });

  it('the relay down: one line naming it, for a change and for what only the relay can answer', async () => {
    await relay.stop();
    const invite = await hearth('ann', ['member', 'add', 'Team', users.vic, '--role', 'editor', '--json']);
    expect(oneLine(invite, 1)).toContain(relay.url);
    expect(refusalOf(invite).code).toBe('UNAVAILABLE');
    expect(oneLine(await hearth('ann', ['account', 'access']), 1)).toContain(relay.url);
    expect(oneLine(await hearth('ann', ['workspace', 'leave', 'Team']), 1)).toContain(relay.url);
    expect((await json<Array<{ id: string }>>('ann', ['workspace', 'list'])).length).toBe(2);
  });
});
