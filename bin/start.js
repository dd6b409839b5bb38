#!/usr/bin/env node
// `npm start`: the desktop app where Electron's binary is installed, otherwise browser mode on
// 127.0.0.1 with the address to open printed. The binary is looked for on disk, never by
// importing 'electron', whose entry tries to download it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function electronBinary() {
  const packageDir = join(repoRoot, 'node_modules', 'electron');
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

function ensureRendererBuilt() {
  const customDir = args.includes('--renderer') || process.env.HEARTH_RENDERER_DIR;
  if (customDir || existsSync(join(repoRoot, 'dist', 'renderer', 'index.html'))) return true;
  console.log('Building the UI once (dist/renderer is missing)…');
  const built = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('Building the UI failed (see above). Fix the error, or run `npx vite build` yourself, then `npm start` again.');
    return false;
  }
  return true;
}

register();
const forceBrowser = args.includes('--browser') || process.env.HEARTH_BROWSER_MODE === '1';
const electron = forceBrowser ? null : electronBinary();

if (!ensureRendererBuilt()) {
  process.exitCode = 1;
} else if (args.includes('--build-only')) {
  // For packaging: `node bin/start.js --build-only && electron-builder --config electron-builder.yml`.
  const { buildElectronApp } = await import('../scripts/build-electron.ts');
  await buildElectronApp(repoRoot);
  console.log('Built dist/renderer, dist/main/electron/app.js and dist/preload/index.cjs.');
} else if (electron) {
  const { buildElectronApp, ensureElectronSqlite } = await import('../scripts/build-electron.ts');
  await buildElectronApp(repoRoot);
  // Electron loads this build through the vault's nativeBinding; node_modules keeps Node's.
  ensureElectronSqlite(repoRoot);
  const child = spawn(electron, ['.', ...args], { cwd: repoRoot, stdio: 'inherit' });
  // Ctrl+C reaches Electron through the terminal's process group; wait for it to quit cleanly.
  process.on('SIGINT', () => undefined);
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
} else {
  const { runBrowserMode } = await import('../main/browser/main.ts');
  process.exitCode = await runBrowserMode(args);
}
