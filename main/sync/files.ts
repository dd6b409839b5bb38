/**
 * Files of a team workspace on the relay: each 1 MiB chunk sealed on this device with the space's
 * key of one epoch (XChaCha20-Poly1305), the associated data binding it to the space, the file, its
 * place and the chunk count, so the relay stores ciphertext only and cannot drop, swap, reorder or
 * move chunks between files unnoticed. Name, type and size travel in the encrypted index document.
 */
import { NONCE_BYTES, seal, TAG_BYTES, tryOpen, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import type { RelayClient } from '../../common/protocol/client.ts';

/** Plaintext bytes per chunk (the vault stores files in chunks of the same size). */
export const SYNC_CHUNK_BYTES = 1024 * 1024;
const OVERHEAD = NONCE_BYTES + TAG_BYTES;

/** What the index document says about a synced file (all of it encrypted with the index). */
export interface SyncedFile {
  name: string;
  type: string;
  /** Plaintext bytes. */
  size: number;
  createdAt: number;
  /** The key epoch its chunks are sealed under. */
  epoch: number;
}

export function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / SYNC_CHUNK_BYTES));
}

function place(space: string, file: string, index: number, count: number): Uint8Array {
  return utf8(`hearth-file-chunk|v1|${space}|${file}|${index}|${count}`);
}

/** Re-chunks a stream into SYNC_CHUNK_BYTES pieces (the last may be shorter). */
async function* rechunk(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(SYNC_CHUNK_BYTES);
  let filled = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(piece.length - offset, SYNC_CHUNK_BYTES - filled);
      buffer.set(piece.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === SYNC_CHUNK_BYTES) {
        yield buffer;
        buffer = new Uint8Array(SYNC_CHUNK_BYTES);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

/**
 * Uploads a file's bytes, sealed chunk by chunk; resumes where the relay's fileStatus says it
 * stopped. `source` yields the plaintext (read and verified from the vault).
 */
export async function uploadFile(
  client: Pick<RelayClient, 'fileBegin' | 'fileChunk'>,
  space: string,
  file: string,
  size: number,
  key: Uint8Array,
  source: AsyncIterable<Uint8Array>,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  const count = chunkCount(size);
  const status = await client.fileBegin(space, file, size + count * OVERHEAD, SYNC_CHUNK_BYTES + OVERHEAD);
  if (status.complete) return;
  const have = new Set(status.received);
  let index = 0;
  let done = 0;
  for await (const plain of rechunk(source)) {
    if (index >= count) throw new HearthError('CONFLICT', 'The file grew while it was being uploaded; try again.');
    if (!have.has(index)) await client.fileChunk(space, file, index, seal(key, plain, place(space, file, index, count)));
    done += plain.length;
    onProgress?.(done);
    index++;
  }
  // An empty file is one empty chunk.
  if (index === 0 && !have.has(0)) await client.fileChunk(space, file, 0, seal(key, new Uint8Array(0), place(space, file, 0, count)));
  else if (index !== count) throw new HearthError('CONFLICT', 'The file changed size while it was being uploaded; try again.');
}

/**
 * The plaintext of a synced file, chunk by chunk, each opened and checked against its place;
 * undefined when the relay does not hold all of it yet (the uploader is still sending).
 */
export async function downloadFile(
  client: Pick<RelayClient, 'fileStatus' | 'fileGet'>,
  space: string,
  file: string,
  meta: SyncedFile,
  key: Uint8Array,
): Promise<AsyncGenerator<Uint8Array> | undefined> {
  const count = chunkCount(meta.size);
  const status = await client.fileStatus(space, file);
  if (!status.complete) return undefined;
  if (status.size !== meta.size + count * OVERHEAD)
    throw new HearthError('RECORD_TAMPERED', 'a file whose size on the relay does not match what its uploader recorded');
  return (async function* () {
    let total = 0;
    for (let index = 0; index < count; index++) {
      const sealed = await client.fileGet(space, file, index);
      const plain = tryOpen(key, sealed, place(space, file, index, count));
      if (!plain)
        throw new HearthError(
          'RECORD_TAMPERED',
          `a file chunk (${index + 1} of ${count}) that does not decrypt in its place: altered, swapped or from another file`,
        );
      total += plain.length;
      yield plain;
    }
    if (total !== meta.size) throw new HearthError('RECORD_TAMPERED', 'a file whose chunks do not add up to its recorded size');
  })();
}
