/**
 * The erasure scans (issue 11): where a marker can still be read, decoded the way an attacker
 * holding the keys would decode it, so that "it is only encrypted" or "it is only in the history"
 * does not count.
 * - the relay's files (database, WAL, log files) as bytes, and the sealed changes carved out of
 *   those bytes (live rows and freed pages alike), opened with every key given;
 * - every row of the relay's database read through SQLite, each blob opened with every key given
 *   and decoded (a comment, a batch of Automerge changes, a snapshot's full history);
 * - a member's vault opened: comments, every document's full Automerge history, the outbox and
 *   what sync kept aside; and its files as bytes for sealed records captured beforehand;
 * - an export made now.
 * Each test runs the scan once before the erasure as its control.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { openChange, parseChange } from '../../common/protocol/change.ts';
import { fromUtf8 } from '../../common/crypto/sodium.ts';
import { decodeChanges, decodeSnapshot } from '../../main/sync/payload.ts';
import { exportVault } from '../../main/portability/export.ts';
import { VAULT_FILE_NAME, type Vault } from '../../main/vault/vault.ts';
import { filesUnder, tempDir } from './vault.ts';

/** Everything readable in a decrypted change payload: its bytes as text, and any Automerge history or comment it holds, decoded. */
export function readablePayload(plaintext: Uint8Array): string {
  const parts = [Buffer.from(plaintext).toString('utf8')];
  try {
    const { documentBytes, comments } = decodeSnapshot(plaintext);
    parts.push(JSON.stringify(comments), fullHistory(A.load(documentBytes)));
  } catch {
    // not a snapshot
  }
  try {
    parts.push(...decodeChanges(plaintext).map((c) => JSON.stringify(A.decodeChange(c))));
  } catch {
    // not a batch of Automerge changes
  }
  return parts.join('\n');
}

/**
 * A document's whole Automerge history, decoded: every change's operations, the characters each
 * change inserted joined up (text arrives one character per operation), and every state the
 * history passed through (the document as of each change).
 */
export function fullHistory(doc: A.Doc<unknown>): string {
  const changes = A.getAllChanges(doc).map((c) => A.decodeChange(c));
  return [
    ...changes.map((c) => JSON.stringify(c)),
    ...changes.map((c) => c.ops.map((op) => ('value' in op && typeof op.value === 'string' ? op.value : '')).join('')),
    ...changes.map((c) => JSON.stringify(A.toJS(A.view(doc, [c.hash!])))),
  ].join('\n');
}

/** A sealed change opened with whichever of `keys` opens it, decoded; '' when none does or it is no change. */
function openedChange(bytes: Uint8Array, keys: readonly Uint8Array[]): string {
  let change;
  try {
    change = parseChange(bytes);
  } catch {
    return '';
  }
  for (const key of keys) {
    const plaintext = openChange(change, key);
    if (plaintext) return readablePayload(plaintext);
  }
  return '';
}

const META_START = Buffer.from('{"at":');

/**
 * Sealed changes carved out of raw bytes: wherever a change's metadata sits (version byte, length,
 * canonical JSON, which starts with "at"), the ciphertext after it is tried at every length up to
 * `maxCiphertext` with every key. This reads what SQLite freed but did not overwrite, too.
 */
export function carvedChanges(raw: Buffer, keys: readonly Uint8Array[], maxCiphertext = 2048): string[] {
  const found: string[] = [];
  for (let at = raw.indexOf(META_START); at !== -1; at = raw.indexOf(META_START, at + 1)) {
    if (at < 5 || raw[at - 5] !== 1) continue;
    const metaLength = raw.readUInt32BE(at - 4);
    if (metaLength > 4096 || at + metaLength > raw.length) continue;
    const metaBytes = raw.subarray(at, at + metaLength);
    let meta: { kind?: string };
    try {
      meta = JSON.parse(fromUtf8(metaBytes)) as { kind?: string };
    } catch {
      continue;
    }
    if (meta.kind !== 'comment') continue; // content and snapshots are read through SQLite; carving them would take too long
    const start = at + metaLength;
    for (let length = 40; length <= maxCiphertext && start + length <= raw.length; length++) {
      const sealed = raw.subarray(start, start + length);
      const plaintext = keys.map((key) => openChangeBytes(sealed, metaBytes, key)).find((p) => p !== undefined);
      if (plaintext) {
        found.push(readablePayload(plaintext));
        break;
      }
    }
  }
  return found;
}

function openChangeBytes(sealed: Uint8Array, metaBytes: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  return openChange({ metaBytes, ciphertext: sealed } as Parameters<typeof openChange>[0], key);
}

/** Every row of every table of a SQLite database (its WAL too), blobs opened with `keys` and decoded. */
export function databaseRows(file: string, keys: readonly Uint8Array[]): string {
  // A copy with its WAL, so the reader neither blocks the relay nor checkpoints its WAL away.
  const copy = join(tempDir('hearth-scan-'), basename(file));
  copyFileSync(file, copy);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
  const db = new BetterSqlite3(copy);
  const parts: string[] = [];
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
        for (const value of Object.values(row)) {
          if (Buffer.isBuffer(value)) parts.push(value.toString('utf8'), openedChange(new Uint8Array(value), keys));
          else parts.push(String(value));
        }
      }
    }
  } finally {
    db.close();
  }
  return parts.join('\n');
}

/** Where in the relay's keeping `marker` can be read: its files as bytes, sealed changes carved from them, its rows decoded. */
export function relayPlaces(dataDir: string, logLines: readonly string[], keys: readonly Uint8Array[], marker: string): string[] {
  const places: string[] = [];
  const files = filesUnder(dataDir);
  for (const file of files) {
    const raw = readFileSync(file);
    if (raw.includes(marker)) places.push(`relay file ${basename(file)} (bytes)`);
    if (carvedChanges(raw, keys).some((text) => text.includes(marker)))
      places.push(`relay file ${basename(file)} (a sealed change carved from its bytes, opened)`);
  }
  if (logLines.some((line) => line.includes(marker))) places.push('relay log output');
  for (const file of files.filter((f) => f.endsWith('.sqlite'))) {
    if (databaseRows(file, keys).includes(marker)) places.push(`relay database ${basename(file)} (rows, opened)`);
  }
  return places;
}

/** Where in a member's vault `marker` can be read once it is open, and whether its files still hold any of `sealed` (records captured before). */
export async function vaultPlaces(name: string, vault: Vault, marker: string, sealed: readonly Uint8Array[] = []): Promise<string[]> {
  const places: string[] = [];
  const keys = vault.syncState.spaceIds().flatMap((id) => Object.values(vault.syncState.space(id)?.epochKeys ?? {}).map((hex) => Buffer.from(hex, 'hex')));
  for (const workspace of vault.workspaces.list()) {
    for (const summary of vault.documents.list(workspace.id)) {
      if (vault.comments.records(summary.id).some((r) => JSON.stringify(r).includes(marker))) places.push(`${name}'s comments`);
      if (fullHistory(vault.documents.get(summary.id)).includes(marker)) places.push(`${name}'s document history`);
    }
  }
  for (const spaceId of vault.syncState.spaceIds()) {
    if (vault.syncState.outbox(spaceId, 10_000).some((e) => Buffer.from(e.payload).toString('utf8').includes(marker))) places.push(`${name}'s outbox`);
    if (vault.syncState.quarantined(spaceId).some((q) => openedChange(q.bytes, keys).includes(marker))) places.push(`${name}'s changes kept aside`);
  }
  if (vault.search(marker.toLowerCase()).length > 0) places.push(`${name}'s search index`);
  // A stretch of each sealed record: random-looking bytes that occur nowhere else.
  const stretches = sealed.map((s) => Buffer.from(s.subarray(s.length - 48, s.length - 16)));
  const files = filesUnder(vault.dir).map((f) => readFileSync(f));
  if (files.some((raw) => raw.includes(marker) || stretches.some((s) => raw.includes(s)))) places.push(`${name}'s vault files (bytes)`);
  const out = join(tempDir('hearth-scan-export-'), 'export');
  mkdirSync(out, { recursive: true });
  await exportVault(vault, out);
  if (filesUnder(out).some((f) => readFileSync(f).includes(marker))) places.push(`${name}'s export made now`);
  return places;
}

/** The sealed rows of a vault's table whose id is one of `ids`, read from its file (WAL included) as they are at rest. */
export function sealedVaultRows(vault: Vault, table: string, ids: readonly string[]): Uint8Array[] {
  const db = new BetterSqlite3(join(vault.dir, VAULT_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    return ids.flatMap((id) =>
      (db.prepare(`SELECT sealed FROM "${table}" WHERE id = ?`).all(id) as Array<{ sealed: Buffer }>).map((r) => new Uint8Array(r.sealed)),
    );
  } finally {
    db.close();
  }
}
