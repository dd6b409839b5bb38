/**
 * The relay schema moves only forward, by numbered migrations. Each is written once with
 * {BLOB} and {INT} placeholders that each dialect fills in, so both backends hold the same tables.
 */
import { HearthError } from '../../common/errors.ts';
import type { SqlDriver } from './sql-driver.ts';

export const migrations: ReadonlyArray<{ version: number; statements: readonly string[] }> = [
  {
    version: 1,
    statements: [
      `CREATE TABLE relay_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE accounts (
        account TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
        box_public_key TEXT NOT NULL, avatar {BLOB}, created_at {INT} NOT NULL,
        last_sign_in_at {INT}, deleted_at {INT})`,
      `CREATE TABLE spaces (
        space TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at {INT} NOT NULL,
        next_membership_seq {INT} NOT NULL, head TEXT NOT NULL, bytes_used {INT} NOT NULL)`,
      `CREATE TABLE members (space TEXT NOT NULL, account TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (space, account))`,
      `CREATE INDEX members_by_account ON members (account)`,
      `CREATE TABLE membership_log (space TEXT NOT NULL, seq {INT} NOT NULL, hash TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (space, seq))`,
      `CREATE INDEX membership_by_hash ON membership_log (space, hash)`,
      `CREATE TABLE envelopes (space TEXT NOT NULL, epoch {INT} NOT NULL, recipient TEXT NOT NULL, sealed {BLOB} NOT NULL, PRIMARY KEY (space, epoch, recipient))`,
      `CREATE INDEX envelopes_by_recipient ON envelopes (recipient)`,
      `CREATE TABLE docs (space TEXT NOT NULL, doc TEXT NOT NULL, last_seq {INT} NOT NULL, snapshot_covers {INT}, snapshot {BLOB}, PRIMARY KEY (space, doc))`,
      `CREATE TABLE changes (
        space TEXT NOT NULL, doc TEXT NOT NULL, seq {INT} NOT NULL, change_id TEXT NOT NULL,
        author TEXT, bytes {BLOB} NOT NULL, PRIMARY KEY (space, doc, seq), UNIQUE (space, doc, change_id))`,
      `CREATE INDEX changes_by_author ON changes (author)`,
      `CREATE TABLE files (
        space TEXT NOT NULL, file TEXT NOT NULL, size {INT} NOT NULL, chunk_size {INT} NOT NULL,
        chunk_count {INT} NOT NULL, uploader TEXT, created_at {INT} NOT NULL, PRIMARY KEY (space, file))`,
      `CREATE TABLE file_chunks (space TEXT NOT NULL, file TEXT NOT NULL, idx {INT} NOT NULL, bytes {BLOB} NOT NULL, PRIMARY KEY (space, file, idx))`,
      `CREATE TABLE links (
        link TEXT PRIMARY KEY, space TEXT NOT NULL, created_by TEXT, ciphertext {BLOB},
        created_at {INT} NOT NULL, expires_at {INT}, revoked {INT} NOT NULL)`,
      `CREATE INDEX links_by_space ON links (space)`,
    ],
  },
  {
    version: 2,
    statements: [
      // The document a link publishes (the relay already knows document ids from the change logs),
      // so deleting the document drops its links too, whoever created them. NULL for older links.
      `ALTER TABLE links ADD COLUMN doc TEXT`,
      `CREATE INDEX links_by_doc ON links (space, doc)`,
      `CREATE INDEX links_by_creator ON links (created_by)`,
    ],
  },
  {
    version: 3,
    statements: [
      // Signed-in connections of every instance, so an account's connection limit holds across
      // instances; an instance's rows go when it stops, or when its heartbeat goes stale (killed).
      `CREATE TABLE sessions (instance TEXT NOT NULL, connection {INT} NOT NULL, account TEXT NOT NULL, opened_at {INT} NOT NULL, PRIMARY KEY (instance, connection))`,
      `CREATE INDEX sessions_by_account ON sessions (account)`,
      `CREATE TABLE instances (instance TEXT PRIMARY KEY, seen_at {INT} NOT NULL)`,
    ],
  },
  {
    version: 4,
    statements: [
      // Each account's device log as its devices signed it (common/devices/log.ts), and what it
      // says now per device, so a sign-in checks one row instead of replaying the log.
      `CREATE TABLE device_log (account TEXT NOT NULL, seq {INT} NOT NULL, hash TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (account, seq))`,
      `CREATE TABLE devices (account TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, added_at {INT} NOT NULL, revoked_at {INT}, last_seen_at {INT}, PRIMARY KEY (account, device))`,
    ],
  },
  {
    version: 5,
    statements: [
      // A new device's pairing with the account while it lasts (sync-server/storage/pairings.ts):
      // its public keys and commitment, the approver's nonce, its revealed secret, and the account
      // material sealed to it. Gone once read, declined, or PAIRING_TTL_MS old.
      `CREATE TABLE pairings (id TEXT PRIMARY KEY, account TEXT NOT NULL, offer TEXT NOT NULL, nonce TEXT, secret TEXT, material {BLOB}, created_at {INT} NOT NULL)`,
      `CREATE INDEX pairings_by_account ON pairings (account)`,
    ],
  },
  {
    version: 6,
    statements: [
      // Comments by id (from each comment change's readable metadata), so the relay applies the
      // comment rules and a deletion drops every blob of the comment. Blobs stored before carry NULL.
      `ALTER TABLE changes ADD COLUMN comment TEXT`,
      `CREATE INDEX changes_by_comment ON changes (space, doc, comment)`,
      `CREATE TABLE comments (
        space TEXT NOT NULL, doc TEXT NOT NULL, comment TEXT NOT NULL, thread TEXT NOT NULL,
        author TEXT, deleted_at {INT}, PRIMARY KEY (space, doc, comment))`,
      `CREATE INDEX comments_by_thread ON comments (space, doc, thread)`,
      `CREATE INDEX comments_by_author ON comments (author)`,
    ],
  },
  {
    version: 7,
    statements: [
      // Each document's generation: how many times its history was forgotten. A push or snapshot
      // of an older generation is refused, so forgotten history cannot come back through the relay.
      `ALTER TABLE docs ADD COLUMN gen {INT} NOT NULL DEFAULT 0`,
    ],
  },
  {
    version: 8,
    statements: [
      // The account material sealed to the account's recovery key (recovery-material.ts): ciphertext
      // only, one row per account, gone when the recovery key is revoked or the account deleted.
      `CREATE TABLE recovery_material (account TEXT PRIMARY KEY, device TEXT NOT NULL, material {BLOB} NOT NULL, updated_at {INT} NOT NULL)`,
    ],
  },
  {
    version: 9,
    statements: [
      // The version of the newest signed profile update the relay keeps (storage/profiles.ts); 0: the profile from registration.
      `ALTER TABLE accounts ADD COLUMN profile_version {INT} NOT NULL DEFAULT 0`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version;

export function dialectSql(statement: string, dialect: 'sqlite' | 'postgres'): string {
  return statement.replaceAll('{BLOB}', dialect === 'sqlite' ? 'BLOB' : 'BYTEA').replaceAll('{INT}', dialect === 'sqlite' ? 'INTEGER' : 'BIGINT');
}

/** Brings the schema to the latest version; safe when several instances start at once. */
export async function migrate(driver: SqlDriver, target = LATEST_SCHEMA_VERSION): Promise<number> {
  return driver.transaction(async (tx) => {
    // Two PostgreSQL instances starting together must not both run a migration.
    if (driver.dialect === 'postgres') await tx.all(`SELECT pg_advisory_xact_lock(7413)`);
    await tx.run(`CREATE TABLE IF NOT EXISTS relay_schema (version ${driver.dialect === 'sqlite' ? 'INTEGER' : 'BIGINT'} NOT NULL)`);
    const [row] = await tx.all(`SELECT version FROM relay_schema`);
    let version = row ? Number(row.version) : 0;
    if (!row) await tx.run(`INSERT INTO relay_schema (version) VALUES (0)`);
    if (version > LATEST_SCHEMA_VERSION)
      throw new HearthError('CONFLICT', `The relay database is at schema ${version}, newer than this relay (${LATEST_SCHEMA_VERSION}); upgrade the relay.`);
    for (const migration of migrations) {
      if (migration.version <= version || migration.version > target) continue;
      for (const statement of migration.statements) await tx.run(dialectSql(statement, driver.dialect));
      version = migration.version;
      await tx.run(`UPDATE relay_schema SET version = ?`, [version]);
    }
    return version;
  });
}
