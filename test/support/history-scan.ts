/**
 * Looking for an erased marker everywhere it could be, decoded: in a document's full Automerge
 * history (every string any change ever inserted), in a vault's or relay's SQLite file and WAL as
 * bytes (the marker itself, and the ciphertext that held it, so "it is only encrypted" does not
 * count), and in the relay's stored changes and snapshots opened with every key a member held.
 */
import * as A from '@automerge/automerge';
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openChange, parseChange } from '../../common/protocol/change.ts';
import { decodeChanges, decodeSnapshot } from '../../main/sync/payload.ts';
import { VAULT_FILE_NAME } from '../../main/vault/vault.ts';

/** Every run of text any change of `doc` inserted (per change, its inserted characters in order), and every string it set. */
export function insertedTexts(changes: readonly Uint8Array[]): string[] {
  const texts: string[] = [];
  for (const change of changes) {
    let run = '';
    for (const op of A.decodeChange(change).ops) if (typeof op.value === 'string') run += op.value;
    texts.push(run);
  }
  return texts;
}

/** Whether any change in the document's whole history ever held `marker`. */
export function historyHolds(doc: A.Doc<unknown>, marker: string): boolean {
  return insertedTexts(A.getAllChanges(doc)).some((text) => text.includes(marker));
}

/** An SQLite database's file and WAL (and its shared-memory index), as bytes. */
export function sqliteBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

export function vaultFile(vaultDir: string): string {
  return join(vaultDir, VAULT_FILE_NAME);
}

export function relayFile(dataDir: string): string {
  return join(dataDir, 'relay.sqlite');
}

/** Whether `haystack` holds the marker as UTF-8 or UTF-16. */
export function bytesHold(haystack: Buffer, marker: string): boolean {
  return haystack.includes(Buffer.from(marker, 'utf8')) || haystack.includes(Buffer.from(marker, 'utf16le'));
}

/** Pieces of ciphertext to look for: a 32-byte window from the middle of each blob long enough to have one. */
export function fingerprints(blobs: readonly Uint8Array[]): Buffer[] {
  return blobs.filter((b) => b.length >= 64).map((b) => Buffer.from(b.subarray(Math.floor(b.length / 2) - 16, Math.floor(b.length / 2) + 16)));
}

/** Fingerprints of change blobs taken from their ciphertext (their metadata is much alike from one change to the next). */
export function ciphertextPrints(blobs: readonly Uint8Array[]): Buffer[] {
  return fingerprints(blobs.map((blob) => parseChange(blob).ciphertext));
}

/** How many of `prints` occur in `haystack`. */
export function countFound(haystack: Buffer, prints: readonly Buffer[]): number {
  return prints.filter((p) => haystack.includes(p)).length;
}

/** The sealed chunks a vault stores for one document (read through a connection of its own, closed again). */
export function vaultChunks(vaultDir: string, documentId: string): Buffer[] {
  const db = new Database(vaultFile(vaultDir), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT sealed FROM document_chunks WHERE document_id = ?').all(documentId) as Array<{ sealed: Buffer }>).map((r) => r.sealed);
  } finally {
    db.close();
  }
}

/** Every change and snapshot blob the relay stores for a document. */
export function relayBlobs(dataDir: string, space: string, doc: string): Buffer[] {
  const db = new Database(relayFile(dataDir), { readonly: true, fileMustExist: true });
  try {
    const changes = (db.prepare('SELECT bytes FROM changes WHERE space = ? AND doc = ?').all(space, doc) as Array<{ bytes: Buffer }>).map((r) => r.bytes);
    const snapshots = (
      db.prepare('SELECT snapshot FROM docs WHERE space = ? AND doc = ? AND snapshot IS NOT NULL').all(space, doc) as Array<{ snapshot: Buffer }>
    ).map((r) => r.snapshot);
    return [...snapshots, ...changes];
  } finally {
    db.close();
  }
}

/**
 * Opens each blob with every key in `keys` and reads the Automerge history it carries (a
 * snapshot's whole document, or a content change's changes): whether any of it held `marker`.
 * Returns how many blobs opened, so a scan that decrypted nothing does not pass for a clean one.
 */
export function ciphertextHolds(blobs: readonly Uint8Array[], keys: readonly Uint8Array[], marker: string): { opened: number; found: boolean } {
  let opened = 0;
  let found = false;
  for (const blob of blobs) {
    const change = parseChange(blob);
    for (const key of keys) {
      const plaintext = openChange(change, key);
      if (!plaintext) continue;
      opened++;
      const history =
        change.meta.kind === 'snapshot'
          ? A.getAllChanges(A.load(decodeSnapshot(plaintext).documentBytes))
          : change.meta.kind === 'content'
            ? decodeChanges(plaintext)
            : [];
      if (insertedTexts(history).some((t) => t.includes(marker)) || Buffer.from(plaintext).includes(Buffer.from(marker))) found = true;
    }
  }
  return { opened, found };
}
