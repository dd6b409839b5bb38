/**
 * Where an export is written to and read from: a folder, or a .zip holding the same tree.
 * Paths inside are always relative, with "/" separators, and never leave the root.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { HearthError } from '../../common/errors.ts';

/** Refuses a path that is absolute or climbs out of the archive. */
export function archivePath(path: string): string {
  const normal = posix.normalize(path.split(sep).join('/'));
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../') || /^[A-Za-z]:/.test(normal)) {
    throw new HearthError('BAD_REQUEST', `The import refers to ${path}, outside its folder; nothing was imported from it.`);
  }
  return normal;
}

export interface ExportSink {
  write(path: string, data: string | Uint8Array): Promise<void>;
  writeStream(path: string, source: AsyncIterable<Uint8Array>): Promise<void>;
  finish(): Promise<void>;
}

export function folderSink(root: string): ExportSink {
  mkdirSync(root, { recursive: true });
  const target = (path: string) => {
    const full = join(root, archivePath(path));
    mkdirSync(dirname(full), { recursive: true });
    return full;
  };
  return {
    async write(path, data) {
      writeFileSync(target(path), data, { mode: 0o600 });
    },
    async writeStream(path, source) {
      await pipeline(source, createWriteStream(target(path), { mode: 0o600 }));
    },
    async finish() {},
  };
}

/** A .zip written as a stream; entries carry `mtime` so the same export gives the same bytes. */
export function zipSink(file: string, mtime: Date): ExportSink {
  mkdirSync(dirname(file), { recursive: true });
  const zip = new yazl.ZipFile();
  const out = createWriteStream(file, { mode: 0o600 });
  const done = pipeline(zip.outputStream, out);
  return {
    async write(path, data) {
      zip.addBuffer(Buffer.from(data), archivePath(path), { mtime, mode: 0o100600 });
    },
    async writeStream(path, source) {
      // yazl reads entries one after another, so the stream is consumed in order, never held whole.
      zip.addReadStream(Readable.from(source), archivePath(path), { mtime, mode: 0o100600 });
    },
    async finish() {
      zip.end();
      await done;
    },
  };
}

export interface ImportSource {
  exists(path: string): boolean;
  size(path: string): number | undefined;
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Buffer>;
  stream(path: string): Promise<NodeJS.ReadableStream>;
  close(): void;
}

export function folderSource(root: string): ImportSource {
  const full = (path: string) => join(root, archivePath(path));
  return {
    exists: (path) => existsSync(full(path)),
    size: (path) => (existsSync(full(path)) ? statSync(full(path)).size : undefined),
    readText: async (path) => readFileSync(full(path), 'utf8'),
    readBytes: async (path) => readFileSync(full(path)),
    stream: async (path) => createReadStream(full(path), { highWaterMark: 1024 * 1024 }),
    close() {},
  };
}

/** Every Markdown-like file under a folder, as archive paths (for the plain-folder import). */
export function folderFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(root, name)).isFile())
    .map((name) => relative(root, join(root, name)).split(sep).join('/'))
    .sort();
}

export async function zipSource(file: string): Promise<ImportSource> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (cause) {
    throw new HearthError('BAD_REQUEST', `${file} is not a readable .zip file (${(cause as Error).message}).`, { cause });
  }
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/')) entries.set(archivePath(entry.fileName), entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  const entry = (path: string) => {
    const found = entries.get(archivePath(path));
    if (!found) throw new HearthError('BAD_REQUEST', `${path} is missing from the .zip; nothing was imported from it.`);
    return found;
  };
  const readBytes = async (path: string) => {
    const stream = await zip.openReadStreamPromise(entry(path));
    const parts: Buffer[] = [];
    stream.on('data', (part: Buffer) => parts.push(part));
    await finished(stream);
    return Buffer.concat(parts);
  };
  return {
    exists: (path) => entries.has(archivePath(path)),
    size: (path) => entries.get(archivePath(path))?.uncompressedSize,
    readBytes,
    readText: async (path) => (await readBytes(path)).toString('utf8'),
    stream: (path) => zip.openReadStreamPromise(entry(path)),
    close: () => zip.close(),
  };
}
