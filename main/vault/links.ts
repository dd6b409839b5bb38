/**
 * The public links this vault published. Each record holds the full URL (with the key after '#'),
 * so it is sealed under the workspace's own key like the other sync records: deleting the
 * workspace destroys that key and, with it, every way to read the link from this device.
 */
import type { VaultConnection } from './connection.ts';
import type { Sql } from './database.ts';
import { openJson, sealJson } from './sealed-records.ts';
import type { WorkspaceStore } from './workspaces.ts';

export interface LinkRecord {
  id: string;
  documentId: string;
  workspaceId: string;
  /** The relay space hosting the copy when it is not the workspace (a selectively shared document's space). */
  space?: string;
  /** The document's title when the copy was published. */
  title: string;
  /** The viewer address on the relay, with the decryption key in the fragment. */
  url: string;
  /** The relay (ws:// or wss://) that hosts the copy. */
  relay: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  /**
   * Its document was deleted and the relay has not yet confirmed the revocation (offline, relay
   * down): the next sync round retries it. The key is already gone from `url`.
   */
  pendingRevocation?: true;
}

export class LinkRecordStore {
  private readonly sql: Sql;

  constructor(
    private readonly connection: VaultConnection,
    private readonly workspaces: WorkspaceStore,
  ) {
    this.sql = connection.sql;
  }

  put(record: LinkRecord): void {
    const sealed = sealJson(this.workspaces.keyOf(record.workspaceId), { kind: 'sync-link', id: record.id, workspaceId: record.workspaceId }, record);
    this.connection.writeOne(() =>
      this.sql('INSERT INTO sync_links (id, workspace_id, sealed) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed').run(
        record.id,
        record.workspaceId,
        sealed,
      ),
    );
  }

  /** Forgets a link record (its document was deleted and the relay dropped the copy). */
  delete(id: string): void {
    this.connection.writeOne(() => this.sql('DELETE FROM sync_links WHERE id = ?').run(id));
  }

  get(id: string): LinkRecord | undefined {
    const row = this.sql('SELECT workspace_id AS workspaceId, sealed FROM sync_links WHERE id = ?').get(id) as
      { workspaceId: string; sealed: Buffer } | undefined;
    return row ? this.open(id, row.workspaceId, row.sealed) : undefined;
  }

  /** Every link record, oldest first. */
  list(): LinkRecord[] {
    const rows = this.sql('SELECT id, workspace_id AS workspaceId, sealed FROM sync_links').all() as Array<{ id: string; workspaceId: string; sealed: Buffer }>;
    return rows.map((row) => this.open(row.id, row.workspaceId, row.sealed)).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** The link records of one workspace's documents, oldest first (only that workspace's key is needed). */
  ofWorkspace(workspaceId: string): LinkRecord[] {
    const rows = this.sql('SELECT id, sealed FROM sync_links WHERE workspace_id = ?').all(workspaceId) as Array<{ id: string; sealed: Buffer }>;
    return rows.map((row) => this.open(row.id, workspaceId, row.sealed)).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  private open(id: string, workspaceId: string, sealed: Uint8Array): LinkRecord {
    return openJson<LinkRecord>(this.workspaces.keyOf(workspaceId), { kind: 'sync-link', id, workspaceId }, sealed);
  }
}
