/**
 * Every payload in the vault is sealed with XChaCha20-Poly1305 and associated data naming the
 * record kind, workspace, id and format version, so a ciphertext moved to another row, another
 * workspace or another kind of record fails to open and is reported, never used.
 */
import { fromUtf8, NONCE_BYTES, seal, tryOpen, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';

export const RECORD_FORMAT = 1;

export type RecordKind =
  | 'identity'
  | 'workspace'
  | 'workspace-key'
  | 'audit'
  | 'document-head'
  | 'document-chunk'
  | 'document-text'
  | 'comment'
  | 'file'
  | 'file-chunk'
  | 'sync-relay'
  | 'sync-space'
  | 'sync-document'
  | 'sync-outbox'
  | 'sync-quarantine'
  | 'sync-link'
  | 'device-log'
  | 'linked-spaces';

export interface RecordPlace {
  kind: RecordKind;
  id: string;
  workspaceId?: string;
}

export function associatedData(place: RecordPlace): Uint8Array {
  return utf8(`hearth/${RECORD_FORMAT}|${place.kind}|${place.workspaceId ?? '-'}|${place.id}`);
}

export function sealBytes(key: Uint8Array, place: RecordPlace, bytes: Uint8Array): Uint8Array {
  return seal(key, bytes, associatedData(place));
}

export function openBytes(key: Uint8Array, place: RecordPlace, sealed: Uint8Array): Uint8Array {
  const bytes = tryOpen(key, sealed, associatedData(place));
  if (!bytes) {
    throw new HearthError(
      'RECORD_TAMPERED',
      `The ${place.kind} record ${place.id} failed its integrity check and was not used. ` +
        'The vault file was changed outside Hearth; restore it from a backup or export what is still readable.',
    );
  }
  return bytes;
}

export function sealJson(key: Uint8Array, place: RecordPlace, value: unknown): Uint8Array {
  return sealBytes(key, place, utf8(JSON.stringify(value)));
}

export function openJson<T>(key: Uint8Array, place: RecordPlace, sealed: Uint8Array): T {
  return JSON.parse(fromUtf8(openBytes(key, place, sealed))) as T;
}

/**
 * Names one sealed version of a record: every seal starts with a fresh random nonce, so a record
 * rewritten by anyone (this process or another) gets a new stamp. Compared, never decrypted.
 */
export function sealedStamp(sealed: Uint8Array): string {
  return Buffer.from(sealed.subarray(0, NONCE_BYTES)).toString('hex').toUpperCase();
}

/** sealedStamp() of a blob column in SQL, to compare many rows without reading their blobs. */
export function sqlStamp(column: string): string {
  return `hex(substr(${column}, 1, ${NONCE_BYTES}))`;
}
