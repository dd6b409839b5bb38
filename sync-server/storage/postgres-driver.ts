/**
 * PostgreSQL through node-postgres. Several relay instances share one database; each commit's
 * events go out with pg_notify inside the transaction (so they are delivered only on commit) and
 * every instance LISTENs, which is how a change pushed to one instance reaches clients on another.
 */
import pg from 'pg';
import type { SqlDriver, SqlTransaction, SqlValue, SqlRow, StoreEvent } from './sql-driver.ts';

const CHANNEL = 'hearth_relay';
const INT8_OID = 20;

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function params(values: readonly SqlValue[]): unknown[] {
  return values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private listener: pg.Client | undefined;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  /** `instanceId` marks this instance's own notifications so it does not act on them twice. */
  constructor(
    private readonly connectionString: string,
    private readonly instanceId: string,
  ) {
    this.pool = new pg.Pool({ connectionString, types, max: 10 });
    // An idle client that loses its server must not crash the relay; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async all<T extends SqlRow = SqlRow>(sql: string, values: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.pool.query(numbered(sql), params(values))).rows as T[];
  }

  async run(sql: string, values: readonly SqlValue[] = []): Promise<number> {
    return (await this.pool.query(numbered(sql), params(values))).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: SqlTransaction = {
        all: async <R extends SqlRow = SqlRow>(sql: string, values: readonly SqlValue[] = []) => (await client.query(numbered(sql), params(values))).rows as R[],
        run: async (sql: string, values: readonly SqlValue[] = []) => (await client.query(numbered(sql), params(values))).rowCount ?? 0,
        notify: (event) => {
          void client.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ origin: this.instanceId, event })]).catch(() => undefined);
        },
      };
      const value = await work(tx);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Starts listening for other instances' events; resolves once LISTEN is in place. */
  async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, types });
    client.on('error', () => undefined);
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        const { origin, event } = JSON.parse(message.payload) as { origin: string; event: StoreEvent };
        if (origin === this.instanceId) return;
        for (const listener of this.listeners) listener(event);
      } catch {
        // A foreign payload on our channel is ignored rather than trusted.
      }
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  onEvent(listener: (event: StoreEvent) => void): void {
    this.listeners.add(listener);
  }

  /** NOTIFY outside a transaction: delivered to the listening instances, kept in no table. */
  publish(event: StoreEvent): void {
    void this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ origin: this.instanceId, event })]).catch(() => undefined);
  }

  private scrubbing: Promise<void> | undefined;
  private scrubAgain = false;

  /**
   * VACUUM FULL rewrites each table into new files, so deleted tuples do not stay in old pages.
   * It locks each table while it runs, so it goes in the background, one at a time, coalesced.
   */
  scrub(): Promise<void> {
    if (this.scrubbing) {
      this.scrubAgain = true;
      return Promise.resolve();
    }
    this.scrubbing = (async () => {
      do {
        this.scrubAgain = false;
        for (const table of ['accounts', 'spaces', 'members', 'membership_log', 'envelopes', 'docs', 'changes', 'files', 'file_chunks', 'links']) {
          await this.pool.query(`VACUUM FULL ${table}`).catch(() => undefined);
        }
      } while (this.scrubAgain);
    })().finally(() => {
      this.scrubbing = undefined;
    });
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.scrubbing;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
