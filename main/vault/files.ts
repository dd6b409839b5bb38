/**
 * Attachments, sealed in 1 MiB chunks and streamed in and out, so a file of any size passes
 * through without being held whole in memory. The chunk count and a hash are sealed with the
 * file's metadata, so a missing, reordered or swapped chunk is detected on read.
 */
import { cryptoBackend, fromUtf8, newId, toHex, tryOpen } from '../../common/crypto/sodium.ts';
import type { FileInfo } from '../../common/api/contract.ts';
import { Emitter } from '../../common/emitter.ts';
import { HearthError } from '../../common/errors.ts';
import type { AuditLog } from './audit.ts';
import type { VaultConnection } from './connection.ts';
import type { Sql } from './database.ts';
import { EXTERNAL, type ChangeOrigin, type FileAdded, type FileDeleted } from './events.ts';
import { associatedData, openBytes, openJson, sealBytes, sealJson } from './sealed-records.ts';
import type { WorkspaceStore } from './workspaces.ts';

export const FILE_CHUNK_BYTES = 1024 * 1024;
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_NAME_CHARS = 255;

export type { FileInfo };

interface FileMeta extends Omit<FileInfo, 'id' | 'workspaceId'> {
  chunks: number;
  /** BLAKE2b-256 of the plaintext, hex. */
  hash: string;
}

/** A file whose chunks are stored but which is not shown yet (see FileStore.stage). */
export interface StagedFile {
  id: string;
  workspaceId: string;
  meta: FileMeta;
  /** Where the file comes from, for the `added` event once it is announced. */
  origin: ChangeOrigin;
}

export interface AddFileInput {
  name: string;
  type?: string;
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Keeps the id and time a file had in an export (import); a new id otherwise. */
  id?: string;
  createdAt?: number;
  /** Called after each stored chunk with the bytes stored so far. */
  onProgress?: (bytes: number) => void;
  /** Where the file comes from, for the `added` event (the upload runs past any withOrigin scope). */
  origin?: ChangeOrigin;
}

export class FileStore {
  /** After each file is added in full (the sync engine uploads team workspaces' files). */
  readonly added = new Emitter<FileAdded>();
  /** After a file is deleted (the sync engine carries a team workspace's deletions to the relay). */
  readonly deleted = new Emitter<FileDeleted>();
  private readonly sql: Sql;
  /** Complete files as the last look for other processes' changes found them (see noticeExternalChanges). */
  private known: Map<string, string> | undefined;

  constructor(
    private readonly connection: VaultConnection,
    private readonly workspaces: WorkspaceStore,
    private readonly audit: AuditLog,
  ) {
    this.sql = connection.sql;
  }

  async add(workspaceIdOrName: string, input: AddFileInput): Promise<FileInfo> {
    const staged = await this.stage(workspaceIdOrName, input);
    this.complete(staged);
    return this.announce(staged);
  }

  /**
   * Stores the file's chunks without showing it: it is not listed, read or synced until
   * complete(), and unlock (discardIncomplete) removes it if the process dies first. An import
   * stages its files this way, then completes them all in the transaction that commits it.
   */
  async stage(workspaceIdOrName: string, input: AddFileInput): Promise<StagedFile> {
    const workspaceId = this.workspaces.find(workspaceIdOrName).workspace.id;
    const name = input.name.trim();
    if (name.length === 0 || name.length > MAX_NAME_CHARS || /[/\\\u0000]/.test(name)) {
      throw new HearthError('BAD_REQUEST', 'A file name is 1–255 characters without slashes.');
    }
    const key = this.workspaces.keyOf(workspaceId);
    const id = input.id ?? newId();
    if (input.id && this.sql('SELECT 1 FROM files WHERE id = ?').get(input.id)) {
      throw new HearthError('ALREADY_EXISTS', `A file with id ${input.id} is already in this vault.`);
    }
    const origin = input.origin ?? this.connection.origin;
    const hasher = cryptoBackend().hasher(32);
    // Until it is complete, the row's meta says when the upload last moved: another process's unlock leaves a live upload alone.
    const progress = () => sealJson(key, uploadPlace(workspaceId, id), { touchedAt: Date.now() } satisfies UploadProgress);
    this.connection.writeOne(() =>
      this.sql('INSERT INTO files (id, workspace_id, complete, sealed_meta) VALUES (?, ?, 0, ?)').run(id, workspaceId, progress()),
    );
    const insertChunk = this.sql('INSERT INTO file_chunks (file_id, idx, sealed) VALUES (?, ?, ?)');
    const touch = this.sql('UPDATE files SET sealed_meta = ? WHERE id = ? AND complete = 0');
    let size = 0;
    let chunks = 0;
    let buffer = new Uint8Array(FILE_CHUNK_BYTES);
    let filled = 0;
    const flush = () => {
      const plain = buffer.subarray(0, filled);
      hasher.update(plain);
      const sealed = sealBytes(key, chunkPlace(workspaceId, id, chunks), plain);
      this.connection.write(() => {
        insertChunk.run(id, chunks, sealed);
        touch.run(progress(), id);
      });
      chunks += 1;
      filled = 0;
      input.onProgress?.(size);
    };
    try {
      for await (const piece of input.source) {
        let offset = 0;
        size += piece.length;
        if (size > MAX_FILE_BYTES) throw new HearthError('TOO_LARGE', `Files are limited to ${MAX_FILE_BYTES / 1024 ** 3} GiB.`);
        while (offset < piece.length) {
          const take = Math.min(piece.length - offset, FILE_CHUNK_BYTES - filled);
          buffer.set(piece.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === FILE_CHUNK_BYTES) flush();
        }
      }
      if (filled > 0 || chunks === 0) flush();
    } catch (error) {
      try {
        this.discard(id);
      } catch {
        // Left half-written (the disk is full, say): discardIncomplete() removes it at the next unlock.
      }
      throw error;
    } finally {
      buffer.fill(0);
      buffer = new Uint8Array(0);
    }
    const meta: FileMeta = { name, type: input.type ?? guessType(name), size, createdAt: input.createdAt ?? Date.now(), chunks, hash: toHex(hasher.digest()) };
    return { id, workspaceId, meta, origin };
  }

  /** Shows a staged file: listed, readable, synced. */
  complete(staged: StagedFile): void {
    const key = this.workspaces.keyOf(staged.workspaceId);
    const sealedMeta = sealJson(key, { kind: 'file', id: staged.id, workspaceId: staged.workspaceId }, staged.meta);
    const { changes } = this.connection.writeOne(() =>
      this.sql('UPDATE files SET complete = 1, sealed_meta = ? WHERE id = ? AND complete = 0').run(sealedMeta, staged.id),
    );
    if (changes !== 1) throw new HearthError('NOT_FOUND', `The staged file ${staged.meta.name} is gone; nothing was added.`);
  }

  /** Tells the listeners about a completed file (after the transaction that completed it). */
  announce(staged: StagedFile): FileInfo {
    this.known?.set(staged.id, staged.workspaceId);
    const info = infoOf(staged.id, staged.workspaceId, staged.meta);
    this.added.emit({ info, origin: staged.origin });
    return info;
  }

  /** Removes a staged file that will not be completed. */
  discard(id: string): void {
    this.connection.writeOne(() => this.sql('DELETE FROM files WHERE id = ? AND complete = 0').run(id));
  }

  has(id: string): boolean {
    return this.sql('SELECT 1 FROM files WHERE id = ? AND complete = 1').get(id) !== undefined;
  }

  list(workspaceIdOrName: string): FileInfo[] {
    const workspaceId = this.workspaces.find(workspaceIdOrName).workspace.id;
    const rows = this.sql('SELECT id, sealed_meta FROM files WHERE workspace_id = ? AND complete = 1').all(workspaceId) as Array<{
      id: string;
      sealed_meta: Buffer;
    }>;
    const key = this.workspaces.keyOf(workspaceId);
    return rows
      .map((row) => infoOf(row.id, workspaceId, openJson<FileMeta>(key, { kind: 'file', id: row.id, workspaceId }, row.sealed_meta)))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  info(id: string): FileInfo {
    const { workspaceId, meta } = this.meta(id);
    return infoOf(id, workspaceId, meta);
  }

  /** Streams the file's bytes, verifying every chunk, the count and the whole-file hash. */
  async *read(id: string): AsyncGenerator<Uint8Array> {
    const { workspaceId, meta } = this.meta(id);
    const key = this.workspaces.keyOf(workspaceId);
    const hasher = cryptoBackend().hasher(32);
    const select = this.sql('SELECT sealed FROM file_chunks WHERE file_id = ? AND idx = ?');
    for (let idx = 0; idx < meta.chunks; idx++) {
      const row = select.get(id, idx) as { sealed: Buffer } | undefined;
      if (!row) throw new HearthError('RECORD_TAMPERED', `File ${meta.name} is missing part ${idx + 1} of ${meta.chunks}; it was not used.`);
      const plain = openBytes(key, chunkPlace(workspaceId, id, idx), row.sealed);
      hasher.update(plain);
      yield plain;
    }
    if (toHex(hasher.digest()) !== meta.hash) {
      throw new HearthError('RECORD_TAMPERED', `File ${meta.name} does not match its recorded hash; it was not used.`);
    }
  }

  delete(id: string): void {
    const info = this.info(id);
    this.connection.write(() => {
      // Another process may have deleted it since: then there is nothing left to delete or audit.
      if (this.sql('DELETE FROM files WHERE id = ?').run(info.id).changes === 0) throw new HearthError('NOT_FOUND', `No file ${id} (it was just deleted).`);
      this.audit.record('file.deleted', info.id);
    });
    this.known?.delete(info.id);
    this.connection.db.pragma('wal_checkpoint(TRUNCATE)');
    this.deleted.emit({ fileId: info.id, workspaceId: info.workspaceId, origin: this.connection.origin });
  }

  /**
   * Removes uploads that a crash or error left half-written: those that have not moved for
   * `idleMs` (a younger one may be another process's upload in progress).
   */
  discardIncomplete(idleMs = 0): void {
    const rows = this.sql('SELECT id, workspace_id AS workspaceId, sealed_meta AS sealedMeta FROM files WHERE complete = 0').all() as Array<{
      id: string;
      workspaceId: string;
      sealedMeta: Buffer | null;
    }>;
    const now = Date.now();
    const doomed = rows
      .filter((row) => {
        const key = this.workspaces.keyOf(row.workspaceId);
        const progress = row.sealedMeta && tryOpen(key, row.sealedMeta, associatedData(uploadPlace(row.workspaceId, row.id)));
        const touchedAt = progress ? (JSON.parse(fromUtf8(progress)) as UploadProgress).touchedAt : 0;
        return now - touchedAt >= idleMs;
      })
      .map((row) => row.id);
    if (doomed.length === 0) return;
    this.connection.write(() => {
      for (const id of doomed) this.sql('DELETE FROM files WHERE id = ? AND complete = 0').run(id);
    });
    this.connection.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Looks for files other processes added or deleted since the last look and tells listeners
   * (origin 'external'). The first look only notes what is there.
   */
  noticeExternalChanges(): void {
    const rows = this.sql('SELECT id, workspace_id AS workspaceId FROM files WHERE complete = 1').all() as Array<{ id: string; workspaceId: string }>;
    const previous = this.known;
    this.known = new Map(rows.map((row) => [row.id, row.workspaceId]));
    if (!previous) return;
    for (const row of rows) if (!previous.has(row.id)) this.added.emit({ info: this.info(row.id), origin: EXTERNAL });
    for (const [fileId, workspaceId] of previous) if (!this.known.has(fileId)) this.deleted.emit({ fileId, workspaceId, origin: EXTERNAL });
  }

  /** Forgets what the last look saw (on lock). */
  forget(): void {
    this.known = undefined;
  }

  private meta(id: string): { workspaceId: string; meta: FileMeta } {
    const row = this.sql('SELECT workspace_id AS workspaceId, sealed_meta AS sealedMeta FROM files WHERE id = ? AND complete = 1').get(id) as
      { workspaceId: string; sealedMeta: Buffer } | undefined;
    if (!row) throw new HearthError('NOT_FOUND', `No file ${id}. \`hearth file list --workspace W\` shows the files.`);
    return {
      workspaceId: row.workspaceId,
      meta: openJson<FileMeta>(this.workspaces.keyOf(row.workspaceId), { kind: 'file', id, workspaceId: row.workspaceId }, row.sealedMeta),
    };
  }
}

/** What an incomplete file's row holds in place of its meta. */
interface UploadProgress {
  touchedAt: number;
}

function uploadPlace(workspaceId: string, fileId: string) {
  return { kind: 'file' as const, id: `${fileId}/upload`, workspaceId };
}

function chunkPlace(workspaceId: string, fileId: string, idx: number) {
  return { kind: 'file-chunk' as const, id: `${fileId}/${idx}`, workspaceId };
}

function infoOf(id: string, workspaceId: string, meta: FileMeta): FileInfo {
  return { id, workspaceId, name: meta.name, type: meta.type, size: meta.size, createdAt: meta.createdAt };
}

const TYPES: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  json: 'application/json',
  zip: 'application/zip',
  csv: 'text/csv',
};

function guessType(name: string): string {
  return TYPES[name.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}
