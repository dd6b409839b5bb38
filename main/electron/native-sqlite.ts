/**
 * better-sqlite3 is a native module and Node and Electron have different ABIs. Node (tests, CLI,
 * browser mode) uses node_modules' build; Electron in development uses its own build under
 * dist/native/, made by scripts/build-electron.ts, handed to the vault as `nativeBinding`. A packaged app has
 * node_modules rebuilt for Electron by electron-builder, so it needs no override.
 */
import { join } from 'node:path';

export function electronSqliteDir(repoRoot: string, electronVersion: string, arch: string = process.arch): string {
  return join(repoRoot, 'dist', 'native', `electron-v${electronVersion}-${process.platform}-${arch}`);
}

export function electronSqliteBinding(repoRoot: string, electronVersion: string, arch: string = process.arch): string {
  return join(electronSqliteDir(repoRoot, electronVersion, arch), 'better_sqlite3.node');
}
