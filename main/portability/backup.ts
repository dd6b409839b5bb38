/**
 * Encrypted backup: one file, restorable on another machine with the backup passphrase alone.
 *
 *   "HEARTHBK" | u8 version | u32 header length | header JSON (Argon2id parameters)
 *   | secretstream header (24 bytes) | frames: u32 length, XChaCha20-Poly1305 secretstream ciphertext
 *
 * Inside is a copy of the vault whose master key is wrapped under the backup passphrase; the
 * stream hides even its structure and sizes. A truncated or altered file fails to open.
 * Nothing is ever written in clear: the copy is sealed record by record before it is streamed.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, writeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSodium, sodium, utf8, fromUtf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import type { OpenOptions } from '../vault/database.ts';
import { deriveKek, newKdfParams, type KdfParams } from '../vault/keys.ts';
import { VAULT_FILE_NAME, Vault } from '../vault/vault.ts';
import { mkdtempSync } from 'node:fs';

const MAGIC = 'HEARTHBK';
const VERSION = 1;
const FRAME_BYTES = 1024 * 1024;

export interface BackupProgress {
  done: number;
  total: number;
}

interface BackupHeader {
  kdf: KdfParams;
  createdAt: string;
}

function streamKey(passphrase: string, kdf: KdfParams): Uint8Array {
  return sodium().crypto_kdf_derive_from_key(32, 1, 'hearthbk', deriveKek(passphrase, kdf));
}

/** Writes an encrypted backup of the unlocked vault to `file`. */
export async function createBackup(vault: Vault, file: string, passphrase: string, onProgress?: (p: BackupProgress) => void): Promise<void> {
  await loadSodium();
  if (existsSync(file)) throw new HearthError('ALREADY_EXISTS', `${file} already exists; choose a new file name for the backup.`);
  const work = mkdtempSync(join(tmpdir(), 'hearth-backup-'));
  const copy = join(work, VAULT_FILE_NAME);
  try {
    await vault.copyRewrapped(copy, passphrase);
    const s = sodium();
    const header: BackupHeader = { kdf: newKdfParams(), createdAt: new Date().toISOString() };
    const key = streamKey(passphrase, header.kdf);
    const { state, header: streamHeader } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
    s.memzero(key);
    mkdirSync(dirname(file), { recursive: true });
    const out = openSync(file, 'wx', 0o600);
    try {
      const headerBytes = utf8(JSON.stringify(header));
      const prefix = Buffer.alloc(MAGIC.length + 1 + 4);
      prefix.write(MAGIC, 0, 'latin1');
      prefix.writeUInt8(VERSION, MAGIC.length);
      prefix.writeUInt32BE(headerBytes.length, MAGIC.length + 1);
      writeSync(out, prefix);
      writeSync(out, headerBytes);
      writeSync(out, streamHeader);
      const total = statSync(copy).size;
      let done = 0;
      const source = openSync(copy, 'r');
      try {
        const buffer = Buffer.alloc(FRAME_BYTES);
        for (;;) {
          const read = readSync(source, buffer, 0, FRAME_BYTES, done);
          done += read;
          const last = done >= total;
          const sealed = s.crypto_secretstream_xchacha20poly1305_push(state, buffer.subarray(0, read), null, last ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
          const length = Buffer.alloc(4);
          length.writeUInt32BE(sealed.length);
          writeSync(out, length);
          writeSync(out, sealed);
          onProgress?.({ done, total });
          if (last) break;
        }
      } finally {
        closeSync(source);
      }
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  vault.audit.record('export', 'encrypted backup');
}

async function* frames(file: string, offset: number): AsyncGenerator<Uint8Array> {
  let pending = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { start: offset, highWaterMark: FRAME_BYTES })) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const length = pending.readUInt32BE(0);
      yield pending.subarray(4, 4 + length);
      pending = pending.subarray(4 + length);
    }
  }
  if (pending.length > 0) throw new HearthError('VAULT_CORRUPT', 'The backup file is truncated; nothing was restored.');
}

/**
 * Restores a backup into `targetDir` (which must not hold a vault) and sets `newPassphrase`
 * as the restored vault's passphrase. Returns the unlocked vault.
 */
export async function restoreBackup(
  file: string,
  passphrase: string,
  targetDir: string,
  newPassphrase: string,
  onProgress?: (p: BackupProgress) => void,
  /** How the restored vault is opened (Electron passes its own SQLite build). */
  openOptions: OpenOptions = {},
): Promise<Vault> {
  await loadSodium();
  if (!existsSync(file)) throw new HearthError('NOT_FOUND', `No backup file at ${file}.`);
  if (Vault.exists(targetDir)) throw new HearthError('VAULT_EXISTS', `A vault already exists at ${targetDir}; restore into an empty folder.`);
  const s = sodium();
  const fd = openSync(file, 'r');
  let header: BackupHeader;
  let streamHeader: Buffer;
  let offset: number;
  try {
    const prefix = Buffer.alloc(MAGIC.length + 5);
    readSync(fd, prefix, 0, prefix.length, 0);
    if (prefix.toString('latin1', 0, MAGIC.length) !== MAGIC || prefix.readUInt8(MAGIC.length) !== VERSION) {
      throw new HearthError('VAULT_CORRUPT', `${file} is not a Hearth backup (or one from a newer version).`);
    }
    const headerLength = prefix.readUInt32BE(MAGIC.length + 1);
    if (headerLength > 64 * 1024) throw new HearthError('VAULT_CORRUPT', `${file} has a damaged header; nothing was restored.`);
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, prefix.length);
    try {
      header = JSON.parse(fromUtf8(headerBytes)) as BackupHeader;
    } catch {
      throw new HearthError('VAULT_CORRUPT', `${file} has a damaged header; nothing was restored.`);
    }
    streamHeader = Buffer.alloc(s.crypto_secretstream_xchacha20poly1305_HEADERBYTES);
    readSync(fd, streamHeader, 0, streamHeader.length, prefix.length + headerLength);
    offset = prefix.length + headerLength + streamHeader.length;
  } finally {
    closeSync(fd);
  }
  const key = streamKey(passphrase, header.kdf);
  const state = s.crypto_secretstream_xchacha20poly1305_init_pull(streamHeader, key);
  s.memzero(key);
  mkdirSync(targetDir, { recursive: true, mode: 0o700 });
  const target = join(targetDir, VAULT_FILE_NAME);
  const out = openSync(target, 'wx', 0o600);
  const total = statSync(file).size - offset;
  let finished = false;
  try {
    let done = 0;
    let first = true;
    for await (const frame of frames(file, offset)) {
      const opened = s.crypto_secretstream_xchacha20poly1305_pull(state, frame, null);
      if (!opened) {
        throw first
          ? new HearthError('WRONG_PASSPHRASE', 'That backup passphrase does not open this backup. Check it and try again.')
          : new HearthError('VAULT_CORRUPT', 'The backup file is damaged; nothing was restored.');
      }
      first = false;
      writeSync(out, opened.message);
      done += frame.length + 4;
      onProgress?.({ done, total });
      if (opened.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        finished = true;
        break;
      }
    }
    if (!finished) throw new HearthError('VAULT_CORRUPT', 'The backup file is truncated; nothing was restored.');
    fsyncSync(out);
  } catch (error) {
    closeSync(out);
    rmSync(target, { force: true });
    throw error;
  }
  closeSync(out);
  const vault = await Vault.unlock(targetDir, passphrase, openOptions);
  await vault.changePassphrase(passphrase, newPassphrase);
  vault.audit.record('import', 'restored from an encrypted backup');
  return vault;
}
