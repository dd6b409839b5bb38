/** SQLite through better-sqlite3: one file, WAL, fsync on every commit, secure_delete on. */
import Database from 'better-sqlite3';
import type { SqlDriver, SqlTransaction, SqlValue, SqlRow, StoreEvent } from './sql-driver.ts';

/** How long scrub() waits for a checkpoint another connection is running before it tries again. */
const SCRUB_RETRY_MS = 5;
const SCRUB_TRIES = 2000;

function bind(params: readonly SqlValue[]): unknown[] {
  // better-sqlite3 binds Buffers as BLOBs; a plain Uint8Array must be wrapped without copying.
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  // better-sqlite3 is synchronous on one connection; async transactions must not interleave.
  private queue: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly joinWindow: (run: () => void) => void;

  /**
   * `checkpoints: 'elsewhere'`: another connection (storage/checkpoint-thread.ts) copies the WAL into the file, so commits never wait for it.
   * `joins: 'batch'`: the storage thread, whose calls arrive a batch per message, all queued before the first microtask; a
   * group commit starts as soon as the batch is in (and the previous commit ended) rather than a turn of the event loop later.
   */
  constructor(
    readonly path: string,
    options: { checkpoints?: 'on-commit' | 'elsewhere'; joins?: 'turn' | 'batch' } = {},
  ) {
    this.joinWindow = options.joins === 'batch' ? queueMicrotask : setImmediate;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: every acknowledged commit is on disk before the relay answers, even if it is killed.
    this.db.pragma('synchronous = FULL');
    // Deleted rows are overwritten with zeros, so deletion leaves nothing readable in the file.
    this.db.pragma('secure_delete = ON');
    this.db.pragma('busy_timeout = 5000');
    if (options.checkpoints === 'elsewhere') this.db.pragma('wal_autocheckpoint = 0');
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private allNow<T>(sql: string, params: readonly SqlValue[]): T[] {
    const statement = this.prepare(sql);
    if (statement.reader) return statement.all(...bind(params)) as T[];
    statement.run(...bind(params));
    return [];
  }

  private runNow(sql: string, params: readonly SqlValue[]): number {
    const statement = this.prepare(sql);
    if (statement.reader) {
      statement.all(...bind(params));
      return 0;
    }
    return statement.run(...bind(params)).changes;
  }

  private serialize<T>(work: () => Promise<T> | T): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  all<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.serialize(() => this.allNow<T>(sql, params));
  }

  /** A write outside a transaction still joins the next group commit: no write pays for its own fsync. */
  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    let reader: boolean;
    try {
      reader = this.prepare(sql).reader;
    } catch (error) {
      return Promise.reject(error);
    }
    if (reader) return this.serialize(() => this.runNow(sql, params));
    return this.transaction((tx) => tx.run(sql, params));
  }

  /**
   * Group commit: transactions that arrive while the disk is busy are run together, each inside
   * its own savepoint (so one failing leaves the others intact), under one COMMIT and one fsync.
   * Every caller still hears back only after its writes are durable.
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingTransactions.push({ work: work as (tx: SqlTransaction) => Promise<unknown>, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Wait until the requests already received are queued too, so they join this commit.
        this.joinWindow(() => {
          this.flushScheduled = false;
          void this.serialize(() => this.commitPending());
        });
      }
    });
  }

  private readonly pendingTransactions: Array<{
    work: (tx: SqlTransaction) => Promise<unknown>;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }> = [];
  private flushScheduled = false;

  private async commitPending(): Promise<void> {
    const batch = this.pendingTransactions.splice(0);
    if (batch.length === 0) return;
    const tx: SqlTransaction = {
      all: async <R extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []) => this.allNow<R>(sql, params),
      run: async (sql: string, params: readonly SqlValue[] = []) => this.runNow(sql, params),
      // One process owns the file: there is nobody to notify.
      notify: () => undefined,
    };
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const item of batch) {
        this.db.exec('SAVEPOINT one');
        try {
          outcomes.push({ ok: true, value: await item.work(tx) });
          this.db.exec('RELEASE one');
        } catch (error) {
          this.db.exec('ROLLBACK TO one');
          this.db.exec('RELEASE one');
          outcomes.push({ ok: false, error });
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  /** One process owns a SQLite file, so there are no other instances to hear from… */
  onEvent(_listener: (event: StoreEvent) => void): void {}

  /** …or to tell. */
  publish(_event: StoreEvent): void {}

  scrub(): Promise<void> {
    return this.serialize(() => {
      // secure_delete has already zeroed the freed cells and pages; copying the WAL into the
      // main file and truncating it removes the last copies of the deleted rows. (No VACUUM:
      // rewriting a large relay database on every deletion would stall it for no gain.) While
      // another connection runs its own checkpoint, TRUNCATE reports busy: wait and try again.
      for (let attempt = 0; attempt < SCRUB_TRIES; attempt++) {
        const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        if (!result || result.busy === 0) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SCRUB_RETRY_MS);
      }
      throw new Error('the WAL could not be truncated: another connection kept it busy');
    });
  }

  async close(): Promise<void> {
    await this.serialize(() => this.db.close());
  }
}
