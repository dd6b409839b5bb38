/**
 * This process's one connection to the vault file, shared by every store. Other processes (the
 * app, `hearth` commands, scripts) may write the same file at any time, so:
 * - every write runs in an IMMEDIATE transaction: it takes the write lock before it reads
 *   anything it bases the write on, and a second writer waits (up to busy_timeout) instead of
 *   failing halfway;
 * - SQLite's `data_version` tells, for the price of one pragma, whether anyone else committed
 *   since this connection last looked; `generation` counts those sightings, and a store whose
 *   cache was filled at an older generation re-reads what it caches;
 * - the origin of the writes running now (a page, a peer's change, an import) rides along so the
 *   stores' change events can name it.
 */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { statementCache, vaultErrorOf, type Sql } from './database.ts';
import { LOCAL, type ChangeOrigin } from './events.ts';

export class VaultConnection {
  readonly sql: Sql;
  private readonly dataVersion: Statement;
  private seenDataVersion: number;
  private sightings = 0;
  private readonly transaction: Transaction<(fn: () => unknown) => unknown>;
  private currentOrigin: ChangeOrigin = LOCAL;

  constructor(
    readonly db: Database,
    /** The vault file, for messages. */
    readonly file: string,
  ) {
    this.sql = statementCache(db);
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.seenDataVersion = this.dataVersion.get() as number;
    this.transaction = db.transaction((fn: () => unknown) => fn());
  }

  /** Goes up each time observe() finds that another connection committed since the last look. */
  get generation(): number {
    return this.sightings;
  }

  /** Looks whether another process committed since the last look; returns the generation. */
  observe(): number {
    const version = this.dataVersion.get() as number;
    if (version !== this.seenDataVersion) {
      this.seenDataVersion = version;
      this.sightings++;
    }
    return this.sightings;
  }

  /**
   * Runs `fn` as one write transaction that holds the write lock from its start (nested: a
   * savepoint in the outer one). SQLite's failures come out as HearthErrors (VAULT_BUSY,
   * DISK_FULL, VAULT_READ_ONLY…); either all of `fn`'s writes land or none do.
   */
  write<T>(fn: () => T): T {
    try {
      return this.transaction.immediate(() => {
        this.observe();
        return fn();
      }) as T;
    } catch (error) {
      throw vaultErrorOf(error, this.file) ?? error;
    }
  }

  /**
   * write() for work that is atomic on its own (one statement, or reads and then one statement):
   * inside a transaction that already holds the lock it runs as it is, without a savepoint.
   */
  writeOne<T>(fn: () => T): T {
    if (!this.db.inTransaction) return this.write(fn);
    try {
      return fn();
    } catch (error) {
      throw vaultErrorOf(error, this.file) ?? error;
    }
  }

  /** Runs `fn`'s reads against one consistent state of the file (no other commit lands between them). */
  read<T>(fn: () => T): T {
    try {
      return this.transaction.deferred(fn) as T;
    } catch (error) {
      throw vaultErrorOf(error, this.file) ?? error;
    }
  }

  /** Where the writes running now come from (see withOrigin). */
  get origin(): ChangeOrigin {
    return this.currentOrigin;
  }

  /** Labels the change events of every write `fn` makes, synchronously, with `origin`. */
  withOrigin<T>(origin: ChangeOrigin, fn: () => T): T {
    const restore = this.enterOrigin(origin);
    try {
      return fn();
    } finally {
      restore();
    }
  }

  /** withOrigin() for a block that is already a try/finally: returns what restores the previous origin. */
  enterOrigin(origin: ChangeOrigin): () => void {
    const previous = this.currentOrigin;
    this.currentOrigin = origin;
    return () => {
      this.currentOrigin = previous;
    };
  }
}
