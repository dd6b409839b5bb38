/**
 * The vault's schema moves only forward, one numbered migration at a time, each in its own
 * transaction. Every table holds ids, sizes and sealed blobs — never content in clear, so a
 * migration that changes what a sealed record says (`reseal`) runs only with the records key:
 * when the vault is created or unlocked, never on a locked file.
 */
import type { Database } from 'better-sqlite3';
import { openJson, sealJson } from './sealed-records.ts';

export interface Migration {
  version: number;
  description: string;
  up: string;
  /** Rewrites sealed records, in the same transaction as `up`, with the vault's records key. */
  reseal?: (db: Database, recordsKey: Uint8Array) => void;
}

/** A workspace record as migration 7 finds it (the fields it looks at). */
interface WorkspaceRecord {
  kind: string;
  relay?: string;
  shareOf?: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'key material, identity, workspaces, audit log',
    up: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
      CREATE TABLE identity (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL) STRICT;
      CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        sealed_key BLOB NOT NULL,
        sealed BLOB NOT NULL
      ) STRICT;
      CREATE TABLE audit (seq INTEGER PRIMARY KEY, sealed BLOB NOT NULL) STRICT;
      -- Written while locked (a failed unlock), so it cannot be sealed: time and action only.
      CREATE TABLE pending_audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, action TEXT NOT NULL) STRICT;
    `,
  },
  {
    version: 2,
    description: 'documents stored as sealed Automerge snapshots and incremental change chunks; comments',
    up: `
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        sealed_head BLOB NOT NULL
      ) STRICT;
      CREATE INDEX documents_by_workspace ON documents(workspace_id);
      CREATE TABLE document_chunks (
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'changes')),
        sealed BLOB NOT NULL,
        PRIMARY KEY (document_id, seq)
      ) STRICT;
      CREATE TABLE comments (
        id TEXT PRIMARY KEY,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        sealed BLOB NOT NULL
      ) STRICT;
      CREATE INDEX comments_by_document ON comments(document_id);
    `,
  },
  {
    version: 3,
    description: 'files as sealed chunks',
    up: `
      CREATE TABLE files (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        complete INTEGER NOT NULL DEFAULT 0,
        sealed_meta BLOB
      ) STRICT;
      CREATE INDEX files_by_workspace ON files(workspace_id);
      CREATE TABLE file_chunks (
        file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        sealed BLOB NOT NULL,
        PRIMARY KEY (file_id, idx)
      ) STRICT;
    `,
  },
  {
    version: 4,
    description: 'a sealed plain-text copy of each document for rebuilding the search index after unlock',
    up: `
      ALTER TABLE documents ADD COLUMN sealed_text BLOB;
      -- The chunk seq the text reflects; older than the newest chunk means: reindex from the document.
      ALTER TABLE documents ADD COLUMN text_seq INTEGER NOT NULL DEFAULT -1;
    `,
  },
  {
    version: 5,
    description: 'team sync: relays, per-space state with epoch keys, per-document cursors, the outbox, seen change ids, quarantine',
    up: `
      CREATE TABLE sync_relays (id TEXT PRIMARY KEY, sealed BLOB NOT NULL) STRICT;
      CREATE TABLE sync_spaces (
        workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        sealed BLOB NOT NULL
      ) STRICT;
      -- Not a foreign key to documents: the space's index document has no row there.
      CREATE TABLE sync_documents (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        document_id TEXT NOT NULL,
        sealed BLOB NOT NULL,
        PRIMARY KEY (workspace_id, document_id)
      ) STRICT;
      -- Local changes waiting for the relay, in the order they were made; removed once the relay has them.
      CREATE TABLE sync_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        sealed BLOB NOT NULL
      ) STRICT;
      CREATE INDEX sync_outbox_by_workspace ON sync_outbox(workspace_id, seq);
      -- Ids of changes already applied (random ids the relay sees anyway): a replay is recognised.
      CREATE TABLE sync_seen (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        document_id TEXT NOT NULL,
        change_id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, document_id, change_id)
      ) STRICT, WITHOUT ROWID;
      -- Changes refused by client-side verification, kept aside (sealed) for the user to see.
      CREATE TABLE sync_quarantine (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        sealed BLOB NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    description: 'public links this vault published: sealed records (document, relay URL with its key, expiry, revocation)',
    up: `
      -- Sealed under the workspace's key, so deleting the workspace shreds its links' keys too.
      CREATE TABLE sync_links (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        sealed BLOB NOT NULL
      ) STRICT;
      CREATE INDEX sync_links_by_workspace ON sync_links(workspace_id);
    `,
  },
  {
    version: 7,
    description: 'a second factor: the secret it adds to the key derivation, sealed per security key (PRF) and per one-time recovery code',
    up: `
      -- main/vault/second-factor.ts: each row seals the same 32-byte secret; ids are not secret.
      CREATE TABLE second_factor_credentials (
        credential_id TEXT PRIMARY KEY,
        wrapped BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE recovery_codes (
        id TEXT PRIMARY KEY,
        kdf TEXT NOT NULL,
        wrapped BLOB NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 8,
    description:
      "workspace records say their kind: 'share-space' for a shared document's hidden space record, 'shared-with-me' for the holder of documents shared with this vault (both were 'team' before, told apart by a field or by a name)",
    up: '',
    reseal(db, recordsKey) {
      const rows = db.prepare('SELECT id, sealed FROM workspaces').all() as Array<{ id: string; sealed: Buffer }>;
      const synced = new Set((db.prepare('SELECT workspace_id AS id FROM sync_spaces').all() as Array<{ id: string }>).map((r) => r.id));
      const update = db.prepare('UPDATE workspaces SET sealed = ? WHERE id = ?');
      for (const row of rows) {
        const place = { kind: 'workspace' as const, id: row.id };
        const record = openJson<WorkspaceRecord>(recordsKey, place, row.sealed);
        if (record.kind !== 'team') continue;
        // A team workspace always has its relay and its sync state; the holder of shared documents has neither.
        const kind = record.shareOf ? 'share-space' : !record.relay && !synced.has(row.id) ? 'shared-with-me' : 'team';
        if (kind !== 'team') update.run(sealJson(recordsKey, place, { ...record, kind }), row.id);
      }
    },
  },
  {
    version: 9,
    description: "each document's generation: how many times its edit history was forgotten (a new generation holds the state, not the history before it)",
    up: `
      -- Not secret: the relay sees it in every change's metadata. Other processes compare it to see that a document was replaced.
      ALTER TABLE documents ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
/**
 * Applies every migration above the file's version, up to `target` (tests stop part way). Each
 * looks at the version under the write lock: two processes opening an old vault at once must
 * not both run it. One that rewrites sealed records needs `recordsKey`; without it, migrating
 * stops before that one.
 */
export function migrate(db: Database, target = LATEST_SCHEMA_VERSION, recordsKey?: Uint8Array): void {
  for (const migration of migrations) {
    if (migration.version <= schemaVersion(db) || migration.version > target) continue;
    if (migration.reseal && !recordsKey) return;
    db.transaction(() => {
      if (migration.version <= schemaVersion(db)) return;
      db.exec(migration.up);
      migration.reseal?.(db, recordsKey!);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
