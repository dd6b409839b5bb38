/**
 * Reading an import, which may come from anyone: a folder, or a .zip holding the same tree.
 *
 * - Nothing is followed: inside the chosen folder a symbolic link anywhere on a path, a FIFO, a
 *   device or a socket is refused by name (files are opened with O_NOFOLLOW | O_NONBLOCK and
 *   checked again on the open descriptor, so a FIFO cannot hang the import); in a .zip, entries
 *   whose mode says link or special file are refused.
 * - Memory stays bounded: JSON, Automerge and Markdown files are read whole only up to
 *   IMPORT_LIMITS.entryBytes; attachments are streamed. Every byte is counted as it is read
 *   (sizes an archive declares are checked first, and never trusted), against the limits per
 *   file, for the whole import, and for how far a .zip may expand over its own size.
 * - When the manifest lists digests, every file read must match its SHA-256.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { HearthError } from '../../common/errors.ts';
import { MAX_FILE_BYTES } from '../vault/files.ts';
import { archivePath } from './archive.ts';

export const IMPORT_LIMITS = {
  /** Entries in a .zip, documents and files listed in an export, entries walked in a Markdown folder. */
  entries: 100_000,
  /** A JSON, Automerge or Markdown file, which is read whole. */
  entryBytes: 64 * 1024 * 1024,
  /** An attachment, which is streamed: the vault's own limit for a file. */
  fileBytes: MAX_FILE_BYTES,
  /** Everything one import reads. */
  totalBytes: 64 * 1024 ** 3,
  /** How many times its own size (or this floor, for small archives) a .zip may expand to. */
  expansionRatio: 100,
  expansionFloorBytes: 1024 * 1024,
  /** Folders within folders, in a Markdown folder. */
  depth: 32,
};

export type ImportLimits = typeof IMPORT_LIMITS;

export interface ImportSource {
  exists(path: string): boolean;
  /** The size the folder or archive gives for a file, before reading it. */
  size(path: string): number | undefined;
  /** A small file, whole (at most `entryBytes`). */
  readBytes(path: string): Promise<Buffer>;
  /** An attachment, in pieces (at most `fileBytes`); fails at its end if its digest does not match. */
  stream(path: string): AsyncIterable<Uint8Array>;
  /** From now on, every file read must be listed here with its SHA-256 (hex). */
  expectDigests(digests: Record<string, string>): void;
  close(): void;
}

const NO_FOLLOW = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function mib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(0)} GiB` : `${(bytes / 1024 ** 2).toFixed(bytes < 1024 ** 2 ? 1 : 0)} MiB`;
}

export function symlinkRefused(path: string): HearthError {
  return new HearthError(
    'BAD_REQUEST',
    `${path} in the import is a symbolic link. An import reads only regular files inside what you chose and follows no link; replace the link with the file itself. Nothing was imported.`,
  );
}

export function specialFileRefused(path: string): HearthError {
  return new HearthError(
    'BAD_REQUEST',
    `${path} in the import is not a regular file (a folder, FIFO, device or socket where a file belongs). Nothing was imported.`,
  );
}

function tooLarge(path: string, limit: number): HearthError {
  return new HearthError('TOO_LARGE', `${path} in the import is larger than ${mib(limit)}, the most Hearth reads for such a file. Nothing was imported.`);
}

/** Counts what one import reads, against the limits that do not depend on the file. */
class ReadBudget {
  private total = 0;
  private digests: Map<string, string> | undefined;

  constructor(readonly limits: ImportLimits) {}

  expect(digests: Record<string, string>): void {
    this.digests = new Map(Object.entries(digests).map(([path, digest]) => [archivePath(path), digest]));
  }

  /** A hasher for `path`, refusing at once a file the manifest's digests do not list. */
  start(path: string): { add(piece: Uint8Array): void; end(): void } {
    const expected = this.digests?.get(path);
    if (this.digests && expected === undefined) {
      throw new HearthError(
        'BAD_REQUEST',
        `${path} is not among the files the export's manifest lists; the export was changed after it was made. Nothing was imported.`,
      );
    }
    const hash = createHash('sha256');
    return {
      add: (piece) => {
        this.total += piece.length;
        if (this.total > this.limits.totalBytes) {
          throw new HearthError(
            'TOO_LARGE',
            `The import holds more than ${mib(this.limits.totalBytes)}, the most one import reads. Import one workspace's export at a time. Nothing was imported.`,
          );
        }
        hash.update(piece);
      },
      end: () => {
        if (expected !== undefined && hash.digest('hex') !== expected) {
          throw new HearthError(
            'BAD_REQUEST',
            `${path} was changed after the export was made: its SHA-256 differs from the one in the manifest. Nothing was imported.`,
          );
        }
      },
    };
  }
}

/** Reads `stream` to its end, refusing it past `limit` bytes; counts and checks it through `budget`. */
async function* counted(stream: AsyncIterable<Uint8Array>, path: string, limit: number, check: ReturnType<ReadBudget['start']>): AsyncGenerator<Uint8Array> {
  let read = 0;
  try {
    for await (const piece of stream) {
      read += piece.length;
      if (read > limit) throw tooLarge(path, limit);
      check.add(piece);
      yield piece;
    }
  } catch (cause) {
    if (cause instanceof HearthError) throw cause;
    throw new HearthError('BAD_REQUEST', `${path} in the import could not be read (${(cause as Error).message}). Nothing was imported.`, { cause });
  }
  check.end();
}

async function collect(pieces: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const piece of pieces) parts.push(piece);
  return Buffer.concat(parts);
}

/**
 * A folder, read without following anything. The folder itself is the one the user chose (a link
 * to it is their choice); everything inside is checked component by component.
 */
export function folderSource(root: string, limits: ImportLimits = IMPORT_LIMITS): ImportSource {
  const base = realpathSync(root);
  const budget = new ReadBudget(limits);
  const lookup = (path: string): { full: string; stats: Stats } | undefined => {
    const relative = archivePath(path);
    let full = base;
    let stats: Stats | undefined = lstatSync(base);
    for (const part of relative.split('/')) {
      if (part === '.' || part === '') continue;
      full = join(full, part);
      stats = lstatSync(full, { throwIfNoEntry: false });
      if (!stats) return undefined;
      if (stats.isSymbolicLink()) throw symlinkRefused(relative);
    }
    return { full, stats };
  };
  /** Opens a regular file without following a link or waiting on a FIFO, and checks it is one on the descriptor. */
  const openRegular = (path: string): { fd: number; size: number } => {
    const found = lookup(path);
    if (!found) throw new HearthError('BAD_REQUEST', `${archivePath(path)} is missing from the import. Nothing was imported.`);
    if (!found.stats.isFile()) throw specialFileRefused(archivePath(path));
    let fd: number;
    try {
      fd = openSync(found.full, constants.O_RDONLY | NO_FOLLOW);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(archivePath(path));
      throw new HearthError('BAD_REQUEST', `${archivePath(path)} in the import could not be opened (${(cause as Error).message}). Nothing was imported.`, {
        cause,
      });
    }
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      throw specialFileRefused(archivePath(path));
    }
    return { fd, size: stats.size };
  };
  const pieces = async function* (path: string, limit: number): AsyncGenerator<Uint8Array> {
    const { fd, size } = openRegular(path);
    try {
      if (size > limit) throw tooLarge(archivePath(path), limit);
      const buffer = Buffer.alloc(Math.min(1024 * 1024, Math.max(size, 1)));
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, null);
        if (read === 0) return;
        yield Buffer.from(buffer.subarray(0, read));
      }
    } finally {
      closeSync(fd);
    }
  };
  return {
    exists: (path) => lookup(path) !== undefined,
    size: (path) => {
      const found = lookup(path);
      if (found && !found.stats.isFile()) throw specialFileRefused(archivePath(path));
      return found?.stats.size;
    },
    readBytes: (path) => collect(counted(pieces(path, limits.entryBytes), archivePath(path), limits.entryBytes, budget.start(archivePath(path)))),
    stream: (path) => counted(pieces(path, limits.fileBytes), archivePath(path), limits.fileBytes, budget.start(archivePath(path))),
    expectDigests: (digests) => budget.expect(digests),
    close() {},
  };
}

const MARKDOWN = /\.(md|markdown)$/i;

/**
 * The Markdown files under a folder, as archive paths, walked without following anything: a
 * linked folder is not entered, and a link, FIFO, device or socket with a Markdown name is
 * refused by name (it would be read as a document). Other files are not read at all.
 */
export function markdownFiles(root: string, limits: ImportLimits = IMPORT_LIMITS): string[] {
  return markdownFolder(root, limits).markdown;
}

/**
 * The Markdown files and the other regular files (which notes may refer to as attachments) under
 * a folder, walked as `markdownFiles` walks it; a link or special file with another name is left
 * out, so a note's reference to it resolves to nothing.
 */
export function markdownFolder(root: string, limits: ImportLimits = IMPORT_LIMITS): { markdown: string[]; attachments: string[] } {
  const base = realpathSync(root);
  const found: string[] = [];
  const attachments: string[] = [];
  let walked = 0;
  const walk = (relative: string, depth: number) => {
    if (depth > limits.depth)
      throw new HearthError(
        'LIMIT_EXCEEDED',
        `${relative} is more than ${limits.depth} folders deep; choose a folder nearer its Markdown files. Nothing was imported.`,
      );
    let names;
    try {
      names = readdirSync(join(base, relative), { withFileTypes: true });
    } catch (cause) {
      throw new HearthError(
        'BAD_REQUEST',
        `Hearth cannot read the folder ${join(base, relative)} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); choose a folder of your own Markdown files. Nothing was imported.`,
        { cause },
      );
    }
    for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (++walked > limits.entries) {
        throw new HearthError(
          'LIMIT_EXCEEDED',
          `${root} holds more than ${limits.entries} entries; choose the folder that holds your Markdown files. Nothing was imported.`,
        );
      }
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (MARKDOWN.test(entry.name)) {
        if (entry.isSymbolicLink()) throw symlinkRefused(path);
        if (!entry.isFile()) throw specialFileRefused(path);
        found.push(path);
      } else if (entry.isFile()) {
        attachments.push(path);
      }
    }
  };
  walk('', 0);
  return { markdown: found, attachments };
}

/** When a file in a folder was made and last changed (its own times, not a link's target's). */
export function fileTimes(root: string, path: string): { createdAt: number; updatedAt: number } {
  const stats = lstatSync(join(realpathSync(root), path));
  const updatedAt = Math.floor(stats.mtimeMs);
  const born = Math.floor(stats.birthtimeMs);
  // Not every file system keeps a birth time (0), and a copy can be born after its last change.
  return { createdAt: born > 0 && born <= updatedAt ? born : updatedAt, updatedAt };
}

/**
 * A .zip, read through its central directory: the entry count, each declared size, their total
 * and the expansion over the archive's own size are checked before anything is inflated, and
 * inflated bytes are counted again as they come (yauzl also refuses an entry longer than declared).
 */
export async function zipSource(file: string, limits: ImportLimits = IMPORT_LIMITS): Promise<ImportSource> {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (cause) {
    throw new HearthError('BAD_REQUEST', `${file} could not be opened (${(cause as Error).message}).`, { cause });
  }
  const archiveBytes = fstatSync(fd).size;
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new HearthError('BAD_REQUEST', `${file} is not a regular file; import a Hearth export's .zip file or folder.`);
  }
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromFdPromise(fd, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (cause) {
    closeSync(fd);
    throw new HearthError('BAD_REQUEST', `${file} is not a readable .zip file (${(cause as Error).message}).`, { cause });
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    if (zip.entryCount > limits.entries) {
      throw new HearthError(
        'LIMIT_EXCEEDED',
        `${file} holds ${zip.entryCount} entries; an import reads at most ${limits.entries}. Export one workspace at a time (hearth export --workspace W). Nothing was imported.`,
      );
    }
    let declared = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          const path = archivePath(entry.fileName);
          const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
          if (type === S_IFLNK) throw symlinkRefused(path);
          if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw specialFileRefused(path);
          if (!entry.fileName.endsWith('/') && type !== S_IFDIR) {
            if (entries.has(path)) throw new HearthError('BAD_REQUEST', `${path} appears twice in ${file}; nothing was imported.`);
            if (entry.uncompressedSize > Math.max(limits.entryBytes, limits.fileBytes)) throw tooLarge(path, Math.max(limits.entryBytes, limits.fileBytes));
            declared += entry.uncompressedSize;
            entries.set(path, entry);
          }
          zip.readEntry();
        } catch (error) {
          reject(error);
        }
      });
      zip.on('end', () => resolve());
      zip.on('error', (cause: Error) => reject(new HearthError('BAD_REQUEST', `${file} is not a readable .zip file (${cause.message}).`, { cause })));
      zip.readEntry();
    });
    if (declared > limits.totalBytes) {
      throw new HearthError(
        'TOO_LARGE',
        `${file} expands to ${mib(declared)}; one import reads at most ${mib(limits.totalBytes)}. Export one workspace at a time. Nothing was imported.`,
      );
    }
    const allowed = limits.expansionRatio * Math.max(archiveBytes, limits.expansionFloorBytes);
    if (declared > allowed) {
      throw new HearthError(
        'TOO_LARGE',
        `${file} would expand to ${mib(declared)}, more than ${limits.expansionRatio} times its own size: Hearth refuses it as a possible zip bomb. If it is your own export, import its folder form instead. Nothing was imported.`,
      );
    }
  } catch (error) {
    zip.close();
    throw error;
  }
  const budget = new ReadBudget(limits);
  const entry = (path: string) => {
    const found = entries.get(archivePath(path));
    if (!found) throw new HearthError('BAD_REQUEST', `${archivePath(path)} is missing from the .zip. Nothing was imported.`);
    return found;
  };
  const pieces = async function* (path: string, limit: number): AsyncGenerator<Uint8Array> {
    const found = entry(path);
    if (found.uncompressedSize > limit) throw tooLarge(archivePath(path), limit);
    const stream: Readable = await zip.openReadStreamPromise(found);
    try {
      yield* stream;
    } finally {
      stream.destroy();
    }
  };
  return {
    exists: (path) => entries.has(archivePath(path)),
    size: (path) => entries.get(archivePath(path))?.uncompressedSize,
    readBytes: (path) => collect(counted(pieces(path, limits.entryBytes), archivePath(path), limits.entryBytes, budget.start(archivePath(path)))),
    stream: (path) => counted(pieces(path, limits.fileBytes), archivePath(path), limits.fileBytes, budget.start(archivePath(path))),
    expectDigests: (digests) => budget.expect(digests),
    close: () => zip.close(),
  };
}
