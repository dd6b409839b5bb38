/**
 * The seam between the relay's storage and its two databases. RelayStore writes its SQL once,
 * with `?` placeholders and portable statements (INSERT … ON CONFLICT, UPDATE … RETURNING);
 * each driver adapts placeholders, types and notifications to its database.
 */
export type SqlValue = string | number | null | Uint8Array;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  all<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** What one relay instance tells the others (PostgreSQL) after a commit. */
export type StoreEvent =
  /** `bytes`: the change itself when it is small, so the instances that hear of it need not read it back. */
  | { kind: 'change'; space: string; doc: string; seq: number; bytes?: Uint8Array | undefined }
  /** The membership log or key envelopes changed; `removed`: accounts the new entry took out (told too). */
  | { kind: 'membership'; space: string; removed?: string[] }
  | { kind: 'spaceDeleted'; space: string }
  /** A document and its changes were deleted: its sequence numbers start over if it is written again. */
  | { kind: 'docDeleted'; space: string; doc: string }
  /** A document's history was forgotten: generation `gen` starts with the snapshot at `seq`. */
  | { kind: 'docReplaced'; space: string; doc: string; gen: number; seq: number }
  /** A sealed presence payload (base64url) or null when its sender went away; relayed, never stored. */
  | { kind: 'presence'; space: string; doc: string; from: string; payload: string | null }
  /** Devices of an account were revoked: every instance ends their sessions. */
  | { kind: 'devicesRevoked'; account: string; devices: string[] }
  /** This instance may have missed announcements (its listening connection dropped): drop caches and catch up from the tables. */
  | { kind: 'resync' };

export interface SqlTransaction extends SqlExecutor {
  /** Queues an event for other relay instances; announced after the transaction commits, never before. */
  notify(event: StoreEvent): void;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Tells other instances soon (batched), outside any transaction, storing nothing: presence, or a write that has committed. */
  publish(event: StoreEvent): void;
  /** Events committed by other relay instances sharing this database. */
  onEvent(listener: (event: StoreEvent) => void): void;
  /** Makes deleted rows unrecoverable from the database files; may finish in the background (PostgreSQL). */
  scrub(): Promise<void>;
  close(): Promise<void>;
}
