/**
 * Opens the vault's SQLite file with the settings the privacy promises depend on, and refuses
 * a damaged, read-only or too-new file before anything writes to it. Also turns SQLite's own
 * failures (busy, full, read-only, I/O) into HearthErrors that say what to do.
 */
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, fstatSync, openSync, readSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { HearthError } from '../../common/errors.ts';
import { LATEST_SCHEMA_VERSION } from './migrations.ts';

const SQLITE_MAGIC = 'SQLite format 3\u0000';
/** How long a write waits for another process's write lock before VAULT_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;
/** Below this much free space, a failed write is reported as a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024;

export interface OpenOptions {
  /** Lets Electron load a better-sqlite3 build for its own ABI, kept apart from Node's. */
  nativeBinding?: string;
}

function corrupt(file: string, what: string, cause?: unknown): HearthError {
  return new HearthError('VAULT_CORRUPT', `The vault file ${file} is damaged (${what}). Hearth has not changed it; restore it from a backup.`, { cause });
}

/**
 * Reads the file's header without SQLite: the magic, the page size, and whether the file holds
 * whole pages. A file cut short (even by one byte) is refused here; SQLite's quick_check would
 * pass it, and opening it read-write would write to it.
 */
function assertWholeFile(file: string): void {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let size: number;
  let read: number;
  try {
    size = fstatSync(fd).size;
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 16 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw new HearthError('VAULT_CORRUPT', `${file} is not a Hearth vault (it is not an SQLite database). Hearth has not changed it.`);
  }
  if (read < 100) throw corrupt(file, `it ends inside its header, after ${size} bytes`);
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(file, `its header names an impossible page size, ${rawPageSize}`);
  if (size % pageSize !== 0) {
    throw corrupt(file, `${size} bytes is not a whole number of ${pageSize}-byte pages: part of it is missing or something was added`);
  }
  // The header's page count holds when its change counter matches "version valid for" (SQLite's rule).
  const pages = header.readUInt32BE(28);
  const countValid = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
  // With changes still in the write-ahead log, the file may lag the header until SQLite replays them.
  const wal = `${file}-wal`;
  const walPending = existsSync(wal) && statSync(wal).size > 0;
  if (countValid && !walPending && size < pages * pageSize) {
    throw corrupt(file, `it holds ${size / pageSize} of its ${pages} pages: it was cut short`);
  }
}

/** Throws VAULT_READ_ONLY when the vault's folder or file (or its log files) cannot be written. */
function assertWritable(file: string): void {
  const dir = dirname(file);
  for (const path of [dir, file, `${file}-wal`, `${file}-shm`]) {
    if (path !== dir && path !== file && !existsSync(path)) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (cause) {
      throw readOnly(dir, cause);
    }
  }
}

function readOnly(dir: string, cause?: unknown): HearthError {
  return new HearthError(
    'VAULT_READ_ONLY',
    `Hearth cannot write to the vault in ${dir}: the folder or the vault file is read-only. Nothing was changed; make the folder writable (or copy the vault to a writable folder) and try again.`,
    { cause },
  );
}

function applySettings(db: Database): void {
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a crash of the process (what SIGKILL tests); only a power cut
  // can roll back the last commits, and it never corrupts the file.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Freed pages are zeroed, so deleted ciphertext does not linger in the file.
  db.pragma('secure_delete = ON');
  // Sorts and temporary tables stay in memory: nothing lands in a temp file.
  db.pragma('temp_store = MEMORY');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
}

export function createDatabase(file: string, options: OpenOptions = {}): Database {
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (cause) {
    throw readOnly(dirname(file), cause);
  }
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file, { ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
    applySettings(db);
    return db;
  } catch (error) {
    db?.close();
    throw vaultErrorOf(error, file) ?? error;
  }
}

/**
 * Opens an existing vault file. A truncated or damaged file, a read-only one and one with a
 * schema newer than this Hearth are refused and left as they were.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (!existsSync(file)) {
    throw new HearthError('VAULT_NOT_FOUND', `No vault at ${file}. Create one with \`hearth init\`, or point --vault at the right folder.`);
  }
  assertWholeFile(file);
  assertWritable(file);
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
    // Reads only: proves every page is present and well-formed before we change anything.
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw corrupt(file, check);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_SCHEMA_VERSION) {
      throw new HearthError(
        'VAULT_TOO_NEW',
        `The vault in ${dirname(file)} was written by a newer Hearth (vault schema ${version}; this Hearth knows schemas up to ${LATEST_SCHEMA_VERSION}). Hearth has not changed it; update Hearth to open it.`,
      );
    }
    applySettings(db);
    return db;
  } catch (cause) {
    db?.close();
    if (cause instanceof HearthError) throw cause;
    throw vaultErrorOf(cause, file) ?? corrupt(file, (cause as Error).message, cause);
  }
}

/**
 * What an error from SQLite means for the person using the vault, as a HearthError; undefined
 * for anything that is not SQLite's (a bug stays a bug). `file` is the vault file, when known.
 */
export function vaultErrorOf(error: unknown, file?: string): HearthError | undefined {
  if (error instanceof HearthError) return error;
  if (!(error instanceof BetterSqlite3.SqliteError)) return undefined;
  const code = error.code;
  const where = file ? dirname(file) : 'its folder';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new HearthError(
      'VAULT_BUSY',
      `Another Hearth process (the app or a \`hearth\` command) kept this vault busy for more than ${BUSY_TIMEOUT_MS / 1000} s; nothing was changed. Try again in a moment.`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && file && freeBytes(file) < NEARLY_FULL_BYTES)) {
    return new HearthError(
      'DISK_FULL',
      `The disk holding the vault (${where}) is full, so that change was not saved; everything saved before is intact. Free some space and try again.`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_READONLY') || (code === 'SQLITE_CANTOPEN' && file && !writable(file))) return readOnly(where, error);
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') {
    return new HearthError(
      'VAULT_WRITE_FAILED',
      `Hearth could not write to the vault in ${where} (${error.message}: an I/O error, or a limit on file size). That change was not saved; everything saved before is intact. Check the disk and try again.`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new HearthError(
      'NOT_FOUND',
      'What that belongs to is gone (deleted here or by another Hearth process); nothing was changed. Reload and try again.',
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new HearthError('VAULT_CORRUPT', `The vault file${file ? ` ${file}` : ''} is damaged (${error.message}). Restore it from a backup.`, {
      cause: error,
    });
  }
  return undefined;
}

function freeBytes(file: string): number {
  try {
    const stats = statfsSync(dirname(file));
    return stats.bavail * stats.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function writable(file: string): boolean {
  try {
    assertWritable(file);
    return true;
  } catch {
    return false;
  }
}

/** Prepares each SQL string once per connection; preparing on every call cost more than the write. */
export type Sql = (text: string) => Statement;

export function statementCache(db: Database): Sql {
  const statements = new Map<string, Statement>();
  return (text) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
}
