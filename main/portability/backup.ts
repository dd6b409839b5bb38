/**
 * Encrypted backup: one file, restorable on another machine with the backup passphrase alone.
 *
 *   "HEARTHBK" | u8 version | u32 header length | header JSON (Argon2id parameters)
 *   | secretstream header (24 bytes) | frames: u32 length, XChaCha20-Poly1305 secretstream ciphertext
 *
 * Version 2: the frames carry a copy of the vault that holds no key material at all
 * (Vault.copyWithoutKey), in 1 MiB pieces, then one final frame with the master key wrapped under
 * the backup passphrase (Vault.keyMaterialFor). Version 1 (still restored) carried the copy with
 * the wrapped key inside it. The stream hides even the copy's structure and sizes; a truncated
 * or altered file fails to open.
 *
 * Nothing readable is left behind by a backup that is killed half-way: the copy is made inside
 * the vault's own folder (so a wipe removes it) and is ciphertext without a key; the key comes
 * last, so a truncated backup (written as FILE.partial, renamed when whole) holds no key either.
 * A restore likewise writes vault.sqlite.partial and puts the key in before renaming it.
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cryptoBackend, fromUtf8, loadSodium, newId, sodium, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import type { OpenOptions } from '../vault/database.ts';
import { deriveKek, newKdfParams, type KdfParams } from '../vault/keys.ts';
import { VAULT_FILE_NAME, Vault, type KeyMaterial } from '../vault/vault.ts';

const MAGIC = 'HEARTHBK';
const VERSION = 2;
const FRAME_BYTES = 1024 * 1024;
/** The temporary copy a backup streams, in the vault's folder. */
const COPY_PREFIX = 'backup-copy-';

export interface BackupProgress {
  done: number;
  total: number;
}

interface BackupHeader {
  kdf: KdfParams;
  createdAt: string;
}

function streamKey(passphrase: string, kdf: KdfParams): Uint8Array {
  return cryptoBackend().deriveSubkey(32, 1, 'hearthbk', deriveKek(passphrase, kdf));
}

/** Removes copies that earlier backups killed half-way left in the vault's folder (ciphertext without a key). */
function removeStaleCopies(vaultDir: string): void {
  for (const name of readdirSync(vaultDir)) {
    if (!name.startsWith(COPY_PREFIX)) continue;
    try {
      rmSync(join(vaultDir, name), { force: true });
    } catch {
      // Still open in a backup that runs elsewhere (Windows); that backup removes it when done.
    }
  }
}

/** Gives the finished `partial` its name `file`, never replacing a file that appeared under that name meanwhile. */
function publishWhole(partial: string, file: string): void {
  const taken = () => new HearthError('ALREADY_EXISTS', `${file} already exists; choose a new file name for the backup.`);
  try {
    linkSync(partial, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw taken();
    // A file system without hard links (FAT on a USB stick): check, then rename.
    if (existsSync(file)) throw taken();
    renameSync(partial, file);
  }
}

/** Writes an encrypted backup of the unlocked vault to `file`. */
export async function createBackup(vault: Vault, file: string, passphrase: string, onProgress?: (p: BackupProgress) => void): Promise<void> {
  await loadSodium();
  if (existsSync(file)) throw new HearthError('ALREADY_EXISTS', `${file} already exists; choose a new file name for the backup.`);
  removeStaleCopies(vault.dir);
  const copy = join(vault.dir, `${COPY_PREFIX}${newId()}.sqlite`);
  const partial = `${file}.partial`;
  try {
    vault.copyWithoutKey(copy);
    const keyMaterial = utf8(JSON.stringify(vault.keyMaterialFor(passphrase)));
    const s = sodium();
    const header: BackupHeader = { kdf: newKdfParams(), createdAt: new Date().toISOString() };
    const key = streamKey(passphrase, header.kdf);
    const { state, header: streamHeader } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
    s.memzero(key);
    mkdirSync(dirname(file), { recursive: true });
    const out = openSync(partial, 'w', 0o600);
    try {
      const headerBytes = utf8(JSON.stringify(header));
      const prefix = Buffer.alloc(MAGIC.length + 1 + 4);
      prefix.write(MAGIC, 0, 'latin1');
      prefix.writeUInt8(VERSION, MAGIC.length);
      prefix.writeUInt32BE(headerBytes.length, MAGIC.length + 1);
      writeSync(out, prefix);
      writeSync(out, headerBytes);
      writeSync(out, streamHeader);
      const writeFrame = (plain: Uint8Array, tag: number) => {
        const sealed = s.crypto_secretstream_xchacha20poly1305_push(state, plain, null, tag);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(sealed.length);
        writeSync(out, length);
        writeSync(out, sealed);
      };
      const total = statSync(copy).size;
      let done = 0;
      const source = openSync(copy, 'r');
      try {
        const buffer = Buffer.alloc(FRAME_BYTES);
        while (done < total) {
          const read = readSync(source, buffer, 0, FRAME_BYTES, done);
          if (read === 0) throw new HearthError('INTERNAL', 'The vault copy for the backup ended early; nothing was written. Try again.');
          done += read;
          writeFrame(buffer.subarray(0, read), s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
          onProgress?.({ done, total });
          // Lets a progress bar (and anything else waiting) move between frames.
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        closeSync(source);
      }
      writeFrame(keyMaterial, s.crypto_secretstream_xchacha20poly1305_TAG_FINAL);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    publishWhole(partial, file);
  } finally {
    rmSync(partial, { force: true });
    rmSync(copy, { force: true });
  }
  vault.audit.record('export', 'encrypted backup');
  vault.audit.record('copy.written', resolve(file));
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

/** The last frame of a version 2 backup: the master key wrapped under the backup passphrase. */
function keyMaterialOf(frame: Uint8Array): KeyMaterial {
  try {
    const material = JSON.parse(fromUtf8(frame)) as Partial<KeyMaterial>;
    if (material.kdf && typeof material.masterKey === 'string' && typeof material.check === 'string') return material as KeyMaterial;
  } catch {
    // Reported below like any other damage.
  }
  throw new HearthError('VAULT_CORRUPT', 'The backup file is damaged (its key is unreadable); nothing was restored.');
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
  let version: number;
  let header: BackupHeader;
  let streamHeader: Buffer;
  let offset: number;
  try {
    const prefix = Buffer.alloc(MAGIC.length + 5);
    readSync(fd, prefix, 0, prefix.length, 0);
    version = prefix.readUInt8(MAGIC.length);
    if (prefix.toString('latin1', 0, MAGIC.length) !== MAGIC || (version !== 1 && version !== VERSION)) {
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
  // Named vault.sqlite only once it is whole and (version 2) holds its key.
  const partial = join(targetDir, `${VAULT_FILE_NAME}.partial`);
  const out = openSync(partial, 'w', 0o600);
  const total = statSync(file).size - offset;
  let keyMaterial: KeyMaterial | undefined;
  try {
    let done = 0;
    let first = true;
    let finished = false;
    for await (const frame of frames(file, offset)) {
      const opened = s.crypto_secretstream_xchacha20poly1305_pull(state, frame, null);
      if (!opened) {
        throw first
          ? new HearthError('WRONG_PASSPHRASE', 'That backup passphrase does not open this backup. Check it and try again.')
          : new HearthError('VAULT_CORRUPT', 'The backup file is damaged; nothing was restored.');
      }
      first = false;
      done += frame.length + 4;
      finished = opened.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
      if (finished && version === VERSION) keyMaterial = keyMaterialOf(opened.message);
      else writeSync(out, opened.message);
      onProgress?.({ done, total });
      if (finished) break;
    }
    if (!finished) throw new HearthError('VAULT_CORRUPT', 'The backup file is truncated; nothing was restored.');
    fsyncSync(out);
    closeSync(out);
    if (keyMaterial) Vault.installKeyMaterial(partial, keyMaterial, openOptions);
    renameSync(partial, join(targetDir, VAULT_FILE_NAME));
  } catch (error) {
    try {
      closeSync(out);
    } catch {
      // Already closed before the step that failed.
    }
    for (const name of readdirSync(targetDir)) if (name.startsWith(`${VAULT_FILE_NAME}.partial`)) rmSync(join(targetDir, name), { force: true });
    throw error;
  }
  const vault = await Vault.unlock(targetDir, passphrase, openOptions);
  await vault.changePassphrase(passphrase, newPassphrase);
  vault.audit.record('import', 'restored from an encrypted backup');
  return vault;
}
