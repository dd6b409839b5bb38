/**
 * The copies this app wrote outside the vault: plain-text exports, encrypted backups and audit
 * exports (S6, issue 11 item 7). A wipe or an account deletion lists those still on disk (where,
 * how big) and erases them (overwritten, then removed) only when the person ticks them, because a
 * person may keep an export on purpose. Found two ways: every path the vault recorded when it
 * wrote a copy (audit action copy.written, which the CLI's exports to any folder record too), and
 * the exports and backups in the app's data folder.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCopy } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import { capitalise, countOf } from '../../common/wording.ts';
import { shredPath } from '../vault/shred.ts';
import type { Vault } from '../vault/vault.ts';
import { folderBytes, isBackupFile, listDataFolder } from './data-folder.ts';

/** What is at `path` now, if it still looks like the copy the app wrote there (a file replaced by something else is left alone). */
function copyAt(path: string): LocalCopy | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return undefined;
  const base = { path, modifiedAt: stat.mtimeMs };
  if (stat.isDirectory()) return existsSync(join(path, 'manifest.json')) ? { ...base, kind: 'export', bytes: folderBytes(path) } : undefined;
  if (!stat.isFile()) return undefined;
  if (path.toLowerCase().endsWith('.zip')) return { ...base, kind: 'export', bytes: stat.size };
  if (isBackupFile(path)) return { ...base, kind: 'backup', bytes: stat.size };
  if (path.toLowerCase().endsWith('.json')) return { ...base, kind: 'audit', bytes: stat.size };
  return undefined;
}

/** The exports, backups and audit exports this app wrote that are still on disk, by path. */
export function localCopies(vault: Vault, dataDir?: string): LocalCopy[] {
  const paths = new Set(vault.audit.list().flatMap((e) => (e.action === 'copy.written' && e.target ? [e.target] : [])));
  for (const item of dataDir ? listDataFolder(dataDir) : []) if (item.kind !== 'markdown') paths.add(item.path);
  return [...paths].flatMap((p) => copyAt(p) ?? []).sort((a, b) => a.path.localeCompare(b.path));
}

/** Throws unless each of `chosen` is one of the copies `found` (a page or a command line names nothing else to erase). */
export function checkChosen(found: readonly LocalCopy[], chosen: readonly string[]): void {
  const unknown = chosen.filter((p) => !found.some((c) => c.path === p));
  if (unknown.length > 0)
    throw new HearthError(
      'BAD_REQUEST',
      `${unknown.join(', ')} is not an export or backup this app wrote (or it is gone); nothing was erased or deleted. Pick from the copies listed now.`,
    );
}

/**
 * Erases the copies named in `chosen` (each must be one of `found`: nothing else is ever erased);
 * returns what stays on disk: the copies not chosen, and any that could not be erased, with why.
 */
export function eraseCopies(found: readonly LocalCopy[], chosen: readonly string[]): { erased: LocalCopy[]; remaining: LocalCopy[] } {
  checkChosen(found, chosen);
  const erased: LocalCopy[] = [];
  const remaining: LocalCopy[] = [];
  for (const copy of found) {
    if (!chosen.includes(copy.path)) {
      remaining.push(copy);
      continue;
    }
    try {
      shredPath(copy.path);
      erased.push(copy);
    } catch (error) {
      remaining.push({ ...copy, problem: `could not be erased (${error instanceof Error ? error.message : String(error)}); remove it yourself` });
    }
  }
  return { erased, remaining };
}

/** "2 exports and 1 backup stay on this computer: …", or that none does. */
export function describeRemaining(remaining: readonly LocalCopy[]): string {
  if (remaining.length === 0) return 'No export or backup this app wrote stays on this computer.';
  const lines = remaining.map((c) => `  ${c.path} (${c.kind}, ${c.bytes} bytes)${c.problem ? `: ${c.problem}` : ''}`);
  return `${capitalise(countOf(remaining.length, 'copy', 'copies'))} this app wrote ${remaining.length === 1 ? 'stays' : 'stay'} on this computer, readable by whoever opens ${remaining.length === 1 ? 'it' : 'them'} (a backup needs its passphrase):\n${lines.join('\n')}`;
}
