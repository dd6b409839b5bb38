/**
 * Opens the vault's SQLite file with the settings the privacy promises depend on, and refuses
 * a damaged file before anything writes to it.
 */
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { HearthError } from '../../common/errors.ts';

const SQLITE_MAGIC = 'SQLite format 3\u0000';

export interface OpenOptions {
  /** Lets Electron load a better-sqlite3 build for its own ABI, kept apart from Node's. */
  nativeBinding?: string;
}

function assertLooksLikeSqlite(file: string): void {
  const header = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    const read = readSync(fd, header, 0, 16, 0);
    if (read < 16 || header.toString('latin1') !== SQLITE_MAGIC) {
      throw new HearthError('VAULT_CORRUPT', `${file} is not a Hearth vault (it is not an SQLite database). Hearth has not changed it.`);
    }
  } finally {
    closeSync(fd);
  }
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
  db.pragma('busy_timeout = 5000');
}

export function createDatabase(file: string, options: OpenOptions = {}): Database {
  const db = new BetterSqlite3(file, { ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  applySettings(db);
  return db;
}

/** Opens an existing vault file; a truncated or damaged file is refused and left as it was. */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (!existsSync(file)) {
    throw new HearthError('VAULT_NOT_FOUND', `No vault at ${file}. Create one with \`hearth init\`, or point --vault at the right folder.`);
  }
  assertLooksLikeSqlite(file);
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
    // Reads only: proves every page is present and well-formed before we change anything.
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new Error(check);
    applySettings(db);
    return db;
  } catch (cause) {
    db?.close();
    if (cause instanceof HearthError) throw cause;
    throw new HearthError(
      'VAULT_CORRUPT',
      `The vault file ${file} is damaged (${(cause as Error).message}). Hearth has not changed it; restore it from a backup.`,
      { cause },
    );
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

/** One reusable transaction wrapper per connection (better-sqlite3 builds a new one per call otherwise). */
export type InTransaction = <T>(fn: () => T) => T;

export function transactionRunner(db: Database): InTransaction {
  const run = db.transaction((fn: () => unknown) => fn());
  return <T>(fn: () => T) => run(fn) as T;
}
