/**
 * The static check of the Electron configuration in `npm run lint` (scripts/lint-electron.mjs,
 * Electronegativity), run as a real process: the shell as it is passes; a copy of it with a
 * window that turns off context isolation and the sandbox, or opens any URL externally, fails.
 */
import { execFile } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { tempDir } from '../../support/vault.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const script = join(repo, 'scripts', 'lint-electron.mjs');

async function lint(root?: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...(root ? [root] : [])], { cwd: repo });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

test('the shell as it is has no findings (each one that does not apply says why on its line)', async () => {
  const { code, output } = await lint();
  expect(output).toContain('Electronegativity: no findings in main/electron, preload.');
  expect(code).toBe(0);
}, 60_000);

test('a window without context isolation or sandbox, or an unchecked openExternal, fails the lint', async () => {
  const root = tempDir('hearth-electron-lint-');
  for (const folder of ['main/electron', 'preload']) cpSync(join(repo, folder), join(root, folder), { recursive: true });
  writeFileSync(
    join(root, 'main', 'electron', 'careless.ts'),
    "import { BrowserWindow, shell } from 'electron';\n" +
      'export const open = () => new BrowserWindow({ webPreferences: { contextIsolation: false, sandbox: false } });\n' +
      'export const follow = (url: string) => shell.openExternal(url);\n',
  );
  const { code, output } = await lint(root);
  expect(code).toBe(1);
  expect(output).toMatch(/main\/electron\/careless\.ts:2:\d+ {2}CONTEXT_ISOLATION_JS_CHECK/);
  expect(output).toMatch(/main\/electron\/careless\.ts:2:\d+ {2}SANDBOX_JS_CHECK/);
  expect(output).toMatch(/main\/electron\/careless\.ts:3:\d+ {2}OPEN_EXTERNAL_JS_CHECK/);
  expect(output).not.toMatch(/app\.ts/);
}, 60_000);
