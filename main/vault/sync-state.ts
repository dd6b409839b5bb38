/**
 * What the sync engine keeps between runs, sealed like every other record: the relays and the
 * account on each, per team workspace its key epochs and verified membership log, per document
 * the relay cursor and the heads already handed to the relay, the outbox of local changes not yet
 * on the relay, the ids of changes already applied, and the changes refused by verification.
 *
 * Space, document, outbox and quarantine records are sealed under the workspace's own key, so
 * deleting the workspace (which destroys that key) shreds them too.
 */
import { fromBase64Url, newId, toBase64Url } from '../../common/crypto/sodium.ts';
import type { MembershipEntry } from '../../common/membership/log.ts';
import type { GenerationRecord } from '../../common/protocol/generation.ts';
import type { VaultConnection } from './connection.ts';
import type { Sql } from './database.ts';
import { openJson, sealJson } from './sealed-records.ts';
import type { WorkspaceStore } from './workspaces.ts';

export interface RelayAccount {
  id: string;
  url: string;
  /** The account id (base64url Ed25519 public key) once registered there. */
  account?: string;
  registeredAt?: number;
  /** How many entries of this account's device log the relay has (main/sync/devices.ts). */
  devices?: number;
  /** The version of this vault's profile the relay has (main/sync/profile.ts); a newer one waits to be sent. */
  profileVersion?: number;
}

export interface SpaceState {
  relay: string;
  /** Space keys by epoch, hex; the envelope each came in was sealed to this vault's identity. */
  epochKeys: Record<string, string>;
  /** The membership log as verified so far (every entry checked by applyMembershipEntry). */
  membership: MembershipEntry[];
  /** The space's index document (name, document list, member directory) as Automerge bytes, base64url. */
  index: string;
  paused: boolean;
  /**
   * For the relay space of one selectively shared document: the document it carries, the local
   * workspace that holds it, and whether this vault received it (a share accepted) or made it.
   */
  share?: { document: string; workspace: string; received: boolean };
  /** Files that were here when the workspace became a team one: they stay on this device. */
  localFiles?: string[];
  /** Synced files this device holds (uploaded or downloaded). */
  haveFiles?: string[];
  /** Uploads begun and not yet listed in the index: file id → the key epoch its chunks are sealed under. */
  uploads?: Record<string, number>;
  /**
   * Hashes (BLAKE2b, hex) of the usernames of members whose accounts were deleted: a comment
   * arriving later in one of these names is shown as a deleted user's (main/sync/account.ts).
   */
  deletedAuthors?: string[];
  /** Deleted accounts whose directory entries the index still has in its history: an Owner or Admin rebuilds it without them (Outbox.rebuildIndexIfDue). */
  forgetInIndex?: string[];
}

export interface DocumentSyncState {
  /** The highest relay sequence number applied or refused. */
  cursor: number;
  /** Heads already in the outbox or received from the relay: anything after them is local and unsent. */
  heads: string[];
  /** Comment id → updatedAt of the version last sent or received. */
  comments: Record<string, number>;
  /** The relay sequence number the last snapshot (made or received here) covers. */
  snapshotAt?: number;
  /** Comments deleted here or by a peer: their deletion went out (or came in), and no copy of them is taken in again. */
  erased?: string[];
  /**
   * The signed record of the document's current generation (its history erased), as it came in
   * its first snapshot: every later snapshot made here carries it, so a member who missed that
   * first one can still check who erased the history and take the new generation in.
   */
  generation?: GenerationRecord;
}

export type OutgoingKind = 'content' | 'comment';

export interface OutboxEntry {
  seq: number;
  workspaceId: string;
  documentId: string;
  kind: OutgoingKind;
  /** Chosen when the change is queued, so a retried push is recognised by the relay. */
  changeId: string;
  payload: Uint8Array;
  queuedAt: number;
}

export interface QuarantinedChange {
  seq: number;
  workspaceId: string;
  documentId: string;
  relaySeq: number;
  code: string;
  reason: string;
  at: number;
  bytes: Uint8Array;
  /**
   * A genuine change held because a change it builds on is missing here (refused, or withheld):
   * it applies once that history arrives. Without it, the change was refused.
   */
  waiting?: true;
}

interface SealedOutbox {
  documentId: string;
  kind: OutgoingKind;
  changeId: string;
  payload: string;
  queuedAt: number;
}

export class SyncStateStore {
  private readonly sql: Sql;

  constructor(
    private readonly connection: VaultConnection,
    private readonly recordsKey: Uint8Array,
    private readonly workspaces: WorkspaceStore,
  ) {
    this.sql = connection.sql;
  }

  /** One write transaction (IMMEDIATE: it holds the write lock before it reads what it writes from). */
  transaction<T>(fn: () => T): T {
    return this.connection.write(fn);
  }

  relays(): RelayAccount[] {
    const rows = this.sql('SELECT id, sealed FROM sync_relays').all() as Array<{ id: string; sealed: Buffer }>;
    return rows.map((row) => openJson<RelayAccount>(this.recordsKey, { kind: 'sync-relay', id: row.id }, row.sealed));
  }

  relay(url: string): RelayAccount | undefined {
    return this.relays().find((r) => r.url === url);
  }

  /** Adds the relay, or updates it when its url is already known; returns what is stored. */
  putRelay(input: Omit<RelayAccount, 'id'>): RelayAccount {
    return this.connection.write(() => {
      const relay: RelayAccount = { ...input, id: this.relay(input.url)?.id ?? newId() };
      this.sql('INSERT INTO sync_relays (id, sealed) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed').run(
        relay.id,
        sealJson(this.recordsKey, { kind: 'sync-relay', id: relay.id }, relay),
      );
      return relay;
    });
  }

  /** Forgets that a workspace syncs (its space state, cursors, outbox, seen ids, quarantine); what it holds stays. */
  dropSpace(workspaceId: string): void {
    this.connection.write(() => {
      for (const table of ['sync_spaces', 'sync_documents', 'sync_outbox', 'sync_seen', 'sync_quarantine'])
        this.sql(`DELETE FROM ${table} WHERE workspace_id = ?`).run(workspaceId);
    });
  }

  space(workspaceId: string): SpaceState | undefined {
    const row = this.sql('SELECT sealed FROM sync_spaces WHERE workspace_id = ?').get(workspaceId) as { sealed: Buffer } | undefined;
    return row ? openJson<SpaceState>(this.workspaces.keyOf(workspaceId), { kind: 'sync-space', id: workspaceId, workspaceId }, row.sealed) : undefined;
  }

  spaceIds(): string[] {
    return (this.sql('SELECT workspace_id AS id FROM sync_spaces').all() as Array<{ id: string }>).map((r) => r.id);
  }

  putSpace(workspaceId: string, state: SpaceState): void {
    this.connection.writeOne(() =>
      this.sql('INSERT INTO sync_spaces (workspace_id, sealed) VALUES (?, ?) ON CONFLICT (workspace_id) DO UPDATE SET sealed = excluded.sealed').run(
        workspaceId,
        sealJson(this.workspaces.keyOf(workspaceId), { kind: 'sync-space', id: workspaceId, workspaceId }, state),
      ),
    );
  }

  document(workspaceId: string, documentId: string): DocumentSyncState | undefined {
    const row = this.sql('SELECT sealed FROM sync_documents WHERE workspace_id = ? AND document_id = ?').get(workspaceId, documentId) as
      { sealed: Buffer } | undefined;
    return row
      ? openJson<DocumentSyncState>(this.workspaces.keyOf(workspaceId), { kind: 'sync-document', id: documentId, workspaceId }, row.sealed)
      : undefined;
  }

  documentIds(workspaceId: string): string[] {
    return (this.sql('SELECT document_id AS id FROM sync_documents WHERE workspace_id = ?').all(workspaceId) as Array<{ id: string }>).map((r) => r.id);
  }

  /**
   * Stores a document's sync state. Another process (the app's engine, `hearth sync`, a CLI edit)
   * may have moved the stored record on since the caller read it, so what only moves forward
   * stays forward: the cursor, the snapshot mark and each comment's version. A cursor moved
   * back would pull changes again and take them for a relay's replay.
   */
  putDocument(workspaceId: string, documentId: string, state: DocumentSyncState): void {
    this.connection.write(() => {
      const stored = this.document(workspaceId, documentId);
      const merged = stored ? laterDocumentState(stored, state) : state;
      this.sql(
        'INSERT INTO sync_documents (workspace_id, document_id, sealed) VALUES (?, ?, ?) ON CONFLICT (workspace_id, document_id) DO UPDATE SET sealed = excluded.sealed',
      ).run(workspaceId, documentId, sealJson(this.workspaces.keyOf(workspaceId), { kind: 'sync-document', id: documentId, workspaceId }, merged));
    });
  }

  enqueue(workspaceId: string, entry: { documentId: string; kind: OutgoingKind; payload: Uint8Array; changeId?: string }): number {
    // The seq is only known after the insert; the sealed payload is bound to it, so write twice in one transaction.
    return this.connection.write(() => {
      const seq = Number(this.sql("INSERT INTO sync_outbox (workspace_id, sealed) VALUES (?, x'')").run(workspaceId).lastInsertRowid);
      const sealed: SealedOutbox = {
        documentId: entry.documentId,
        kind: entry.kind,
        changeId: entry.changeId ?? newId(),
        payload: toBase64Url(entry.payload),
        queuedAt: Date.now(),
      };
      this.sql('UPDATE sync_outbox SET sealed = ? WHERE seq = ?').run(
        sealJson(this.workspaces.keyOf(workspaceId), { kind: 'sync-outbox', id: String(seq), workspaceId }, sealed),
        seq,
      );
      return seq;
    });
  }

  outbox(workspaceId: string, limit = 100): OutboxEntry[] {
    const rows = this.sql('SELECT seq, sealed FROM sync_outbox WHERE workspace_id = ? ORDER BY seq LIMIT ?').all(workspaceId, limit) as Array<{
      seq: number;
      sealed: Buffer;
    }>;
    const key = this.workspaces.keyOf(workspaceId);
    return rows.map((row) => {
      const entry = openJson<SealedOutbox>(key, { kind: 'sync-outbox', id: String(row.seq), workspaceId }, row.sealed);
      return {
        seq: row.seq,
        workspaceId,
        documentId: entry.documentId,
        kind: entry.kind,
        changeId: entry.changeId,
        payload: fromBase64Url(entry.payload),
        queuedAt: entry.queuedAt,
      };
    });
  }

  outboxCount(workspaceId: string): number {
    return (this.sql('SELECT count(*) AS n FROM sync_outbox WHERE workspace_id = ?').get(workspaceId) as { n: number }).n;
  }

  dequeue(seq: number): void {
    this.connection.writeOne(() => this.sql('DELETE FROM sync_outbox WHERE seq = ?').run(seq));
  }

  /** Records a change id as applied; false when it was already (a replay). */
  markSeen(workspaceId: string, documentId: string, changeId: string): boolean {
    return this.connection.writeOne(
      () =>
        this.sql('INSERT OR IGNORE INTO sync_seen (workspace_id, document_id, change_id) VALUES (?, ?, ?)').run(workspaceId, documentId, changeId).changes ===
        1,
    );
  }

  hasSeen(workspaceId: string, documentId: string, changeId: string): boolean {
    return (
      this.sql('SELECT 1 FROM sync_seen WHERE workspace_id = ? AND document_id = ? AND change_id = ?').get(workspaceId, documentId, changeId) !== undefined
    );
  }

  /** Keeps a change aside; returns its number in the quarantine. */
  quarantine(workspaceId: string, item: Omit<QuarantinedChange, 'seq' | 'workspaceId'>): number {
    return this.connection.write(() => {
      const seq = Number(this.sql("INSERT INTO sync_quarantine (workspace_id, sealed) VALUES (?, x'')").run(workspaceId).lastInsertRowid);
      const sealed = { ...item, bytes: toBase64Url(item.bytes) };
      this.sql('UPDATE sync_quarantine SET sealed = ? WHERE seq = ?').run(
        sealJson(this.workspaces.keyOf(workspaceId), { kind: 'sync-quarantine', id: String(seq), workspaceId }, sealed),
        seq,
      );
      return seq;
    });
  }

  quarantined(workspaceId: string): QuarantinedChange[] {
    const rows = this.sql('SELECT seq, sealed FROM sync_quarantine WHERE workspace_id = ? ORDER BY seq').all(workspaceId) as Array<{
      seq: number;
      sealed: Buffer;
    }>;
    const key = this.workspaces.keyOf(workspaceId);
    return rows.map((row) => {
      const item = openJson<Omit<QuarantinedChange, 'seq' | 'workspaceId' | 'bytes'> & { bytes: string }>(
        key,
        { kind: 'sync-quarantine', id: String(row.seq), workspaceId },
        row.sealed,
      );
      return { ...item, seq: row.seq, workspaceId, bytes: fromBase64Url(item.bytes) };
    });
  }

  /** Drops what the space keeps about one document: its cursor and heads, queued changes, seen ids (the document was deleted). */
  forgetDocument(workspaceId: string, documentId: string): void {
    this.connection.write(() => {
      for (;;) {
        const queued = this.outbox(workspaceId, 100_000).filter((e) => e.documentId === documentId);
        if (queued.length === 0) break;
        for (const entry of queued) this.dequeue(entry.seq);
      }
      this.sql('DELETE FROM sync_documents WHERE workspace_id = ? AND document_id = ?').run(workspaceId, documentId);
      this.sql('DELETE FROM sync_seen WHERE workspace_id = ? AND document_id = ?').run(workspaceId, documentId);
    });
  }

  /**
   * A document's history was forgotten: what the space queued or kept aside of its old generation
   * goes (queued edits were carried onto the new one first; nothing of the old is kept to decrypt).
   * Changes kept aside that `isNewer` says are of the new generation stay (they wait for its start).
   */
  dropGeneration(workspaceId: string, documentId: string, isNewer: (bytes: Uint8Array) => boolean): void {
    this.connection.write(() => {
      for (const entry of this.outbox(workspaceId, 1_000_000)) if (entry.documentId === documentId && entry.kind === 'content') this.dequeue(entry.seq);
      for (const row of this.quarantined(workspaceId)) if (row.documentId === documentId && !isNewer(row.bytes)) this.release(row.seq);
    });
  }

  /** Takes a change off the quarantine: it was applied after all (its history arrived, or the relay served a good copy). */
  release(seq: number): void {
    this.connection.writeOne(() => this.sql('DELETE FROM sync_quarantine WHERE seq = ?').run(seq));
  }

  quarantineCount(workspaceId: string): number {
    return (this.sql('SELECT count(*) AS n FROM sync_quarantine WHERE workspace_id = ?').get(workspaceId) as { n: number }).n;
  }
}

/** `next` as the caller wrote it, with what only moves forward kept at the later of the two. */
function laterDocumentState(stored: DocumentSyncState, next: DocumentSyncState): DocumentSyncState {
  const comments = { ...stored.comments };
  for (const [id, version] of Object.entries(next.comments)) comments[id] = Math.max(comments[id] ?? 0, version);
  // A deletion is final: the erased set only grows, and an erased comment has no version any more.
  const erased = [...new Set([...(stored.erased ?? []), ...(next.erased ?? [])])].sort();
  for (const id of erased) delete comments[id];
  const snapshotAt = Math.max(stored.snapshotAt ?? -1, next.snapshotAt ?? -1);
  const generation = (next.generation?.gen ?? 0) >= (stored.generation?.gen ?? 0) ? next.generation : stored.generation;
  return {
    ...next,
    cursor: Math.max(stored.cursor, next.cursor),
    comments,
    ...(snapshotAt >= 0 ? { snapshotAt } : {}),
    ...(erased.length ? { erased } : {}),
    ...(generation ? { generation } : {}),
  };
}
