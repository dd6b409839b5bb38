/** `npm start` where Electron is not installed: a real process serving browser mode until Ctrl+C. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { Vault } from '../../main/vault/vault.ts';
import { connectBrowserApi } from '../../renderer/api/browser-client.ts';
import { tempDir } from '../support/vault.ts';
import { expectOk, nodeSocket } from './transport-fixture.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function start(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const renderer = tempDir('hearth-start-ui-');
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Hearth</title>');
  const child = spawn(process.execPath, [join(repo, 'bin', 'start.js'), '--renderer', renderer, ...args], {
    cwd: repo,
    env: { ...process.env, HEARTH_BROWSER_MODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

test('it prints the address with the token; the page and the API work there; Ctrl+C locks and stops it', async () => {
  const vault = join(tempDir('hearth-start-'), 'vault');
  const app = start(['--vault', vault]);
  try {
    await expect.poll(app.output, { timeout: 30_000 }).toMatch(/Open: {2}http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43}\n/);
    const url = new URL(/Open: {2}(\S+)/.exec(app.output())![1]!);
    expect(app.output()).toContain(`Vault: ${vault}`);
    const page = await fetch(url.origin + '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const api = await connectBrowserApi(url.origin, url.hash.slice('#token='.length), { createSocket: nodeSocket(url.origin) });
    expect(expectOk(await api.status())).toEqual({ state: 'no-vault', profile: null });
    expect(expectOk(await api.getSettings()).theme).toBe('system');
    expectOk(await api.createVault({ passphrase: 'a long enough passphrase', username: 'ada', displayName: 'Ada' }));
    expectOk(await api.createWorkspace('Kept after Ctrl+C'));
  } finally {
    app.child.kill('SIGINT');
  }
  expect(await app.exited).toBe(0);
  expect(app.output()).toContain('Locking the vault and stopping Hearth');
  const reopened = await Vault.unlock(vault, 'a long enough passphrase');
  expect(reopened.workspaces.list().map((w) => w.name)).toEqual(['Personal', 'Kept after Ctrl+C']);
  reopened.lock();
});

test('a port in use is a clear error, not a crash', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  const app = start(['--port', String(port), '--vault', join(tempDir('hearth-start-'), 'vault')]);
  expect(await app.exited).toBe(1);
  expect(app.output()).toContain(`Port ${port} is in use. Choose another with --port`);
  blocker.close();
});

test('an unknown option shows the usage', async () => {
  const app = start(['--colour', 'blue']);
  expect(await app.exited).toBe(2);
  expect(app.output()).toMatch(/Unknown option --colour\.\n\nUsage: npm start/);
});
