/**
 * PostgreSQL through node-postgres. Several relay instances share one database and every
 * instance LISTENs, which is how a change pushed to one instance reaches clients on another.
 * Events go out with pg_notify after their transaction commits, batched: a NOTIFY inside the
 * transaction would take PostgreSQL's one notification lock at commit and line up every
 * instance's commits behind it. An announcement lost (an instance killed between its commit and
 * its NOTIFY, or a listening connection that dropped) is made up for by the hub's catch-up
 * (hub.ts reads what it missed from the tables), which a `resync` event starts.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { fromBase64Url, toBase64Url } from '../../common/crypto/sodium.ts';
import type { SqlDriver, SqlTransaction, SqlValue, SqlRow, StoreEvent } from './sql-driver.ts';

/** Announcements as batches: `{ origin, events }`. */
const CHANNEL = 'hearth_relay_v2';
/** Relays before batching sent `{ origin, event }` here; still heard, so instances can be upgraded one at a time. */
const LEGACY_CHANNEL = 'hearth_relay';
const INT8_OID = 20;
/** PostgreSQL's limit is 8000 bytes per payload; batches are cut below it. */
const MAX_PAYLOAD = 7600;
const RELISTEN_MAX_MS = 5000;

/** A change's bytes travel as base64url in the JSON payload. */
type WireEvent = Exclude<StoreEvent, { kind: 'change' }> | (Omit<Extract<StoreEvent, { kind: 'change' }>, 'bytes'> & { bytes?: string });

function toWire(event: StoreEvent): WireEvent {
  return event.kind === 'change' ? { ...event, bytes: event.bytes ? toBase64Url(event.bytes) : undefined } : event;
}

function fromWire(event: WireEvent): StoreEvent {
  return event.kind === 'change' ? { ...event, bytes: typeof event.bytes === 'string' ? fromBase64Url(event.bytes) : undefined } : event;
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Statements that read or write rows, naming their columns: not DDL, and not `SELECT *`, whose
 * prepared result type a newer instance's migration (a column added) would break mid-upgrade.
 */
const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;
const UNPREPARABLE = /SELECT\s+\*/i;
/** Past this many distinct statements, new ones run unprepared (the relay's own are far fewer). */
const MAX_PREPARED = 1000;
const statements = new Map<string, { text: string; name: string | undefined }>();

/**
 * The query for `sql`: with `$n` placeholders and, for a statement that reads or writes rows, a
 * name under which each pooled connection prepares it once. Unnamed, PostgreSQL parsed and
 * planned a push's statement (six CTEs) anew for every push.
 */
function query(sql: string, values: readonly SqlValue[]): pg.QueryConfig {
  let known = statements.get(sql);
  if (!known) {
    const text = numbered(sql);
    const name =
      PREPARABLE.test(sql) && !UNPREPARABLE.test(sql) && statements.size < MAX_PREPARED
        ? `hearth_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
        : undefined;
    known = { text, name };
    if (name) statements.set(sql, known);
  }
  return { text: known.text, values: params(values), ...(known.name ? { name: known.name } : {}) };
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
  /** Announcements waiting, as JSON; one NOTIFY is in flight at a time and takes all that fit. */
  private outbox: string[] = [];
  private sending: Promise<void> | undefined;
  private closed = false;

  /** `instanceId` marks this instance's own notifications so it does not act on them twice. */
  constructor(
    private readonly connectionString: string,
    private readonly instanceId: string,
    poolSize = 10,
  ) {
    this.pool = new pg.Pool({ connectionString, types, max: poolSize, application_name: 'hearth-relay', keepAlive: true });
    // An idle client that loses its server must not crash the relay; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async all<T extends SqlRow = SqlRow>(sql: string, values: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.pool.query(query(sql, values))).rows as T[];
  }

  async run(sql: string, values: readonly SqlValue[] = []): Promise<number> {
    return (await this.pool.query(query(sql, values))).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const committed: StoreEvent[] = [];
    try {
      await client.query('BEGIN');
      const tx: SqlTransaction = {
        all: async <R extends SqlRow = SqlRow>(sql: string, values: readonly SqlValue[] = []) => (await client.query(query(sql, values))).rows as R[],
        run: async (sql: string, values: readonly SqlValue[] = []) => (await client.query(query(sql, values))).rowCount ?? 0,
        notify: (event) => committed.push(event),
      };
      const value = await work(tx);
      await client.query('COMMIT');
      // Membership news is rare and others act on it (roles, keys): it goes out before the writer
      // hears back. Changes wait for the next batch.
      const urgent: StoreEvent[] = [];
      for (const event of committed) {
        if (event.kind === 'change') this.publish(event);
        else urgent.push(event);
      }
      if (urgent.length > 0) {
        for (const event of urgent) this.publish(event);
        while (this.sending) await this.sending;
      }
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Starts listening for other instances' events; resolves once LISTEN is in place. A listening
   * connection that drops is replaced (with backoff), and a `resync` event tells the hub to
   * catch up on what it may have missed meanwhile.
   */
  async listen(): Promise<void> {
    await this.connectListener();
  }

  private async connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, types, application_name: 'hearth-relay-listen', keepAlive: true });
    client.on('notification', (message) => this.hear(message.channel, message.payload));
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
      if (!this.closed) void this.relisten();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    await client.query(`LISTEN ${LEGACY_CHANNEL}`);
    this.listener = client;
  }

  private async relisten(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(RELISTEN_MAX_MS, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      if (this.closed) return;
      try {
        await this.connectListener();
        for (const listener of this.listeners) listener({ kind: 'resync' });
        return;
      } catch {
        // The database is still away; the next attempt waits longer.
      }
    }
  }

  private hear(channel: string, payload: string | undefined): void {
    if (!payload) return;
    let events: WireEvent[];
    try {
      const parsed = JSON.parse(payload) as { origin: string; events?: WireEvent[]; event?: WireEvent };
      if (parsed.origin === this.instanceId) return;
      events = channel === LEGACY_CHANNEL ? [parsed.event!] : parsed.events!;
      if (!Array.isArray(events)) return;
    } catch {
      return; // A foreign payload on our channel is ignored rather than trusted.
    }
    for (const wire of events) {
      if (!wire || typeof wire !== 'object' || typeof wire.kind !== 'string') continue;
      let event: StoreEvent;
      try {
        event = fromWire(wire);
      } catch {
        continue;
      }
      for (const listener of this.listeners) listener(event);
    }
  }

  onEvent(listener: (event: StoreEvent) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Queues an announcement. One NOTIFY is in flight at a time, and the next takes everything that
   * queued meanwhile (as many as fit): few NOTIFYs under load, each of which commits through
   * PostgreSQL's one notification lock, and no wait at all when the relay is quiet.
   */
  publish(event: StoreEvent): void {
    const json = JSON.stringify(toWire(event));
    // The one event that can outgrow a payload: a membership change that took out many accounts.
    if (json.length > MAX_PAYLOAD && event.kind === 'membership' && event.removed && event.removed.length > 1) {
      const half = Math.ceil(event.removed.length / 2);
      this.publish({ ...event, removed: event.removed.slice(0, half) });
      this.publish({ ...event, removed: event.removed.slice(half) });
      return;
    }
    this.outbox.push(json);
    this.kick();
  }

  private kick(): void {
    if (this.sending || this.closed) return;
    this.sending = this.send().finally(() => {
      this.sending = undefined;
      // Queued just as the last NOTIFY went out.
      if (this.outbox.length > 0) this.kick();
    });
  }

  private async send(): Promise<void> {
    // Let what the current turn of the event loop commits join the first NOTIFY.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.outbox.length > 0 && !this.closed) {
      let size = 0;
      let count = 0;
      while (count < this.outbox.length && (count === 0 || size + this.outbox[count]!.length < MAX_PAYLOAD)) size += this.outbox[count++]!.length + 1;
      const events = this.outbox.splice(0, count);
      const payload = `{"origin":${JSON.stringify(this.instanceId)},"events":[${events.join(',')}]}`;
      // A NOTIFY outside any transaction: delivered to the listening instances, kept in no table.
      await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch(() => undefined);
    }
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
        for (const table of ['accounts', 'spaces', 'members', 'membership_log', 'envelopes', 'docs', 'changes', 'comments', 'files', 'file_chunks', 'links']) {
          await this.pool.query(`VACUUM FULL ${table}`).catch(() => undefined);
        }
      } while (this.scrubAgain);
    })().finally(() => {
      this.scrubbing = undefined;
    });
    return Promise.resolve();
  }

  async close(): Promise<void> {
    while (this.sending) await this.sending;
    this.closed = true;
    await this.scrubbing;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
