/**
 * Overwriting before removing: a wipe (the vault's files) and the erasure of exports and backups
 * the app wrote zero each file's bytes and flush them to disk before unlinking it, so what the
 * file held is not left readable in the freed blocks of a plain file system.
 */
import { closeSync, fstatSync, fsyncSync, lstatSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Zeroes one file's bytes, flushes them, then removes it. */
export function shredFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const zeros = Buffer.alloc(1024 * 1024);
    for (let offset = 0, size = fstatSync(fd).size; offset < size; offset += zeros.length)
      writeSync(fd, zeros, 0, Math.min(zeros.length, size - offset), offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
}

/** shredFile for a file, or for every file under a folder (links are removed, never followed), then the folder. */
export function shredPath(path: string): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) {
    for (const name of readdirSync(path)) shredPath(join(path, name));
    rmSync(path, { recursive: true, force: true });
  } else if (stat.isFile()) shredFile(path);
  else unlinkSync(path);
}
