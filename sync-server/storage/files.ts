/**
 * Encrypted files at the relay: a file's declared size and chunking, then its chunks, uploaded in
 * any order and resumable. The whole declared size is charged to the space's quota when the
 * upload starts, and given back when the file is deleted. Every write checks its writer inside
 * its own transaction (writers.ts).
 */
import { HearthError } from '../../common/errors.ts';
import type { SqlDriver } from './sql-driver.ts';
import { chargeQuota, requireRole, type Writer } from './writers.ts';

export interface FileRecord {
  file: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  received: number[];
  complete: boolean;
}

export interface NewFile {
  space: string;
  file: string;
  size: number;
  chunkSize: number;
  uploader: string;
  quota: number;
  at: number;
  writer: Writer | undefined;
}

/** Starts (or resumes) an upload; a file id already used with another size or chunking is a conflict. */
export async function beginFile(driver: SqlDriver, { space, file, size, chunkSize, uploader, quota, at, writer }: NewFile): Promise<FileRecord> {
  await driver.transaction(async (tx) => {
    await requireRole(tx, driver.dialect, space, writer);
    const [existing] = await tx.all(`SELECT size, chunk_size FROM files WHERE space = ? AND file = ?`, [space, file]);
    if (existing) {
      if (Number(existing.size) !== size || Number(existing.chunk_size) !== chunkSize)
        throw new HearthError('CONFLICT', 'A file with this id exists with another size; upload under a new id.');
      return;
    }
    await chargeQuota(tx, space, size, quota);
    await tx.run(`INSERT INTO files (space, file, size, chunk_size, chunk_count, uploader, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      space,
      file,
      size,
      chunkSize,
      Math.max(1, Math.ceil(size / chunkSize)),
      uploader,
      at,
    ]);
  });
  return (await getFile(driver, space, file))!;
}

/** The file's size and chunking and which chunks arrived. */
export async function getFile(driver: SqlDriver, space: string, file: string): Promise<FileRecord | undefined> {
  const [row] = await driver.all(`SELECT size, chunk_size, chunk_count FROM files WHERE space = ? AND file = ?`, [space, file]);
  if (!row) return undefined;
  const chunks = await driver.all(`SELECT idx FROM file_chunks WHERE space = ? AND file = ? ORDER BY idx`, [space, file]);
  const received = chunks.map((c) => Number(c.idx));
  const chunkCount = Number(row.chunk_count);
  return { file, size: Number(row.size), chunkSize: Number(row.chunk_size), chunkCount, received, complete: received.length === chunkCount };
}

/** Stores one chunk; a chunk sent again (a resumed upload) is kept as first stored. */
export async function putChunk(driver: SqlDriver, space: string, file: string, index: number, chunk: Uint8Array, writer?: Writer): Promise<void> {
  await driver.transaction(async (tx) => {
    await requireRole(tx, driver.dialect, space, writer);
    await tx.run(`INSERT INTO file_chunks (space, file, idx, bytes) VALUES (?, ?, ?, ?) ON CONFLICT (space, file, idx) DO NOTHING`, [
      space,
      file,
      index,
      chunk,
    ]);
  });
}

export async function getChunk(driver: SqlDriver, space: string, file: string, index: number): Promise<Uint8Array | undefined> {
  const [row] = await driver.all(`SELECT bytes FROM file_chunks WHERE space = ? AND file = ? AND idx = ?`, [space, file, index]);
  return row ? (row.bytes as Uint8Array) : undefined;
}

/** Deletes the file and its chunks and gives its declared size back to the space's quota. */
export async function deleteFile(driver: SqlDriver, space: string, file: string, writer?: Writer): Promise<void> {
  await driver.transaction(async (tx) => {
    await requireRole(tx, driver.dialect, space, writer);
    const [row] = await tx.all(`SELECT size FROM files WHERE space = ? AND file = ?`, [space, file]);
    if (!row) return;
    await tx.run(`DELETE FROM file_chunks WHERE space = ? AND file = ?`, [space, file]);
    await tx.run(`DELETE FROM files WHERE space = ? AND file = ?`, [space, file]);
    await tx.run(`UPDATE spaces SET bytes_used = bytes_used - ? WHERE space = ?`, [Number(row.size), space]);
  });
}
