/**
 * Bundles the Electron main process and the preload for `npm start` and electron-builder.
 * The preload must be one CommonJS file: a sandboxed preload cannot import modules.
 * The main bundle holds our code only; npm packages stay in node_modules, where Automerge finds
 * its wasm file, and better-sqlite3 its native build (electron-builder rebuilds that for Electron).
 * A build tool, so it lives outside the runtime folders: it uses esbuild (a devDependency) and runs
 * prebuild-install and node-gyp from node_modules/.bin (see ensureElectronSqlite).
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { electronSqliteBinding, electronSqliteDir } from '../main/electron/native-sqlite.ts';

/**
 * Builds better-sqlite3 for Electron's ABI into dist/native/, from a copy of the package, so
 * node_modules keeps the build Node uses. Prebuilt binaries first, a compile as the fallback.
 */
export function ensureElectronSqlite(repoRoot: string): string {
  const electronVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  const binding = electronSqliteBinding(repoRoot, electronVersion);
  if (existsSync(binding)) return binding;
  const work = join(electronSqliteDir(repoRoot, electronVersion), 'package');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(join(repoRoot, 'node_modules', 'better-sqlite3'), work, { recursive: true, filter: (path) => !path.includes(`${join('build', 'Release')}`) });
  const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
  const attempts: Array<[string, string[]]> = [
    [bin('prebuild-install'), ['--runtime=electron', `--target=${electronVersion}`, `--arch=${process.arch}`]],
    [bin('node-gyp'), ['rebuild', '--release', `--target=${electronVersion}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers']],
  ];
  for (const [command, args] of attempts) {
    const run = spawnSync(command, args, { cwd: work, stdio: 'inherit' });
    const built = join(work, 'build', 'Release', 'better_sqlite3.node');
    if (run.status === 0 && existsSync(built)) {
      cpSync(built, binding);
      return binding;
    }
  }
  throw new Error(`Could not build better-sqlite3 for Electron ${electronVersion}. Check the network and a C++ toolchain, then run npm start again.`);
}

/** Writes dist/main/electron/app.js and dist/preload/index.cjs under `outDir` (the repository's dist/ by default). */
export async function buildElectronApp(repoRoot: string, outDir: string = join(repoRoot, 'dist')): Promise<void> {
  await build({
    entryPoints: [join(repoRoot, 'main', 'electron', 'app.ts')],
    outfile: join(outDir, 'main', 'electron', 'app.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(repoRoot, 'preload', 'index.ts')],
    outfile: join(outDir, 'preload', 'index.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['electron'],
    logLevel: 'warning',
  });
}
