/**
 * Where an export is written to: a folder, or a .zip holding the same tree (import-source.ts
 * reads them back). Paths inside are always relative, with "/" separators, and never leave the
 * root. Every file written is hashed on its way out, for the manifest's digests.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
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
  /** Resolves once `source` has been read to its end, so its digest is known. */
  writeStream(path: string, source: AsyncIterable<Uint8Array>): Promise<void>;
  finish(): Promise<void>;
  /** The SHA-256 (hex) of each file written so far, by path. */
  digests(): Record<string, string>;
}

type RawSink = Omit<ExportSink, 'digests'>;

/** Hashes what passes through `sink`. */
function hashing(sink: RawSink): ExportSink {
  const digests = new Map<string, string>();
  return {
    async write(path, data) {
      digests.set(archivePath(path), createHash('sha256').update(data).digest('hex'));
      await sink.write(path, data);
    },
    async writeStream(path, source) {
      const hash = createHash('sha256');
      await sink.writeStream(
        path,
        (async function* () {
          for await (const piece of source) {
            hash.update(piece);
            yield piece;
          }
          digests.set(archivePath(path), hash.digest('hex'));
        })(),
      );
    },
    finish: () => sink.finish(),
    digests: () => Object.fromEntries([...digests].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

export function folderSink(root: string): ExportSink {
  mkdirSync(root, { recursive: true });
  const target = (path: string) => {
    const full = join(root, archivePath(path));
    mkdirSync(dirname(full), { recursive: true });
    return full;
  };
  return hashing({
    async write(path, data) {
      writeFileSync(target(path), data, { mode: 0o600 });
    },
    async writeStream(path, source) {
      await pipeline(source, createWriteStream(target(path), { mode: 0o600 }));
    },
    async finish() {},
  });
}

/** A .zip written as a stream; entries carry `mtime` so the same export gives the same bytes. */
export function zipSink(file: string, mtime: Date): ExportSink {
  mkdirSync(dirname(file), { recursive: true });
  const zip = new yazl.ZipFile();
  const out = createWriteStream(file, { mode: 0o600 });
  const done = pipeline(zip.outputStream, out);
  // Until finish() awaits it, a failed write surfaces through writeStream's race below.
  done.catch(() => undefined);
  return hashing({
    async write(path, data) {
      zip.addBuffer(Buffer.from(data), archivePath(path), { mtime, mode: 0o100600 });
    },
    async writeStream(path, source) {
      // yazl reads entries one after another, so the stream is consumed in order, never held whole.
      const readable = Readable.from(source);
      zip.addReadStream(readable, archivePath(path), { mtime, mode: 0o100600 });
      await Promise.race([finished(readable), done]);
    },
    async finish() {
      zip.end();
      await done;
    },
  });
}
