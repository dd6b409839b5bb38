/**
 * The data folder: where the app writes exports, backups and audit exports, and where it looks
 * for them again. The page never hands main a place to write; it sees this folder's path and its
 * items, and may type a full path to read from (import, restore).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { DataItem } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';

/** Documents/Hearth in the home folder, or Hearth in the home folder where there is no Documents. */
export function defaultDataDir(): string {
  const documents = join(homedir(), 'Documents');
  return join(existsSync(documents) ? documents : homedir(), 'Hearth');
}

/** "2026-11-23-154512": sorts by time and is a valid file name everywhere. */
export function stamp(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}

/** `dir/base+ext`, or `dir/base-2+ext`, … : never an existing name, so nothing is overwritten. */
export function freshPath(dir: string, base: string, ext: string): string {
  for (let n = 1; ; n++) {
    const path = join(dir, `${base}${n === 1 ? '' : `-${n}`}${ext}`);
    if (!existsSync(path)) return path;
  }
}

/**
 * Where a backup restored beside the vault at `vaultDir` goes: a new folder next to it
 * (`vault-restored-2026-12-06-112233`), never an existing one. The person opens it with --vault.
 */
export function besideVaultDir(vaultDir: string, now = new Date()): string {
  return freshPath(dirname(vaultDir), `${basename(vaultDir)}-restored-${stamp(now)}`, '');
}

const BACKUP_MAGIC = 'HEARTHBK';

export function isBackupFile(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(BACKUP_MAGIC.length);
      return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === BACKUP_MAGIC;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The bytes of every file under `dir`. */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const stat = statSync(join(dir, name), { throwIfNoEntry: false });
    if (stat?.isFile()) total += stat.size;
  }
  return total;
}

/** What the data folder holds that Hearth can read back: exports (folders, .zip), backups, Markdown folders. Newest first. */
export function listDataFolder(dir: string): DataItem[] {
  if (!existsSync(dir)) return [];
  const items: DataItem[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    const base = { name, path, modifiedAt: stat.mtimeMs };
    if (stat.isDirectory()) {
      if (existsSync(join(path, 'manifest.json'))) items.push({ ...base, kind: 'export', format: 'folder', bytes: folderBytes(path) });
      else if (readdirSync(path).some((f) => /\.(md|markdown)$/i.test(f)))
        items.push({ ...base, kind: 'markdown', format: 'folder', bytes: folderBytes(path) });
    } else if (stat.isFile()) {
      if (name.toLowerCase().endsWith('.zip')) items.push({ ...base, kind: 'export', format: 'zip', bytes: stat.size });
      else if (isBackupFile(path)) items.push({ ...base, kind: 'backup', format: 'file', bytes: stat.size });
    }
  }
  return items.sort((a, b) => b.modifiedAt - a.modifiedAt || a.name.localeCompare(b.name));
}

/**
 * What the page named: an item of the data folder (a bare name), or a full path the user typed
 * ("~/" is the home folder). Anything else (a relative path that climbs or wanders) is refused.
 */
export function resolveDataPath(dataDir: string, input: string): string {
  const trimmed = input.trim();
  if (trimmed === '~' || trimmed.startsWith('~/')) return resolve(homedir(), trimmed.slice(2));
  if (isAbsolute(trimmed)) return resolve(trimmed);
  if (trimmed && trimmed === basename(trimmed) && trimmed !== '.' && trimmed !== '..') return join(dataDir, trimmed);
  throw new HearthError(
    'BAD_REQUEST',
    `"${input}" is neither an item of the data folder nor a full path. Pick one from the list, or type a path starting with / (or ~/).`,
  );
}
