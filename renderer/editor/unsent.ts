/**
 * Edits that could not reach main because the vault locked while they were queued or in flight.
 * They are kept here, in this page's memory only (never localStorage or IndexedDB: they are
 * plaintext), across the lock, and sent again to the same document once the user unlocks in this
 * page. Automerge changes are idempotent, so one that did arrive after all is simply ignored by
 * main, and the document may have moved on meanwhile: Automerge merges. If the page is closed or
 * reloaded while they wait, they are lost; the unlock screen says so, and the page asks before
 * it unloads.
 */
import type { Result } from '../../common/errors.ts';

/** Per document, the changes in the order they were made (a Set keeps insertion order and drops repeats). */
const parked = new Map<string, Set<Uint8Array>>();
const listeners = new Set<() => void>();
let snapshot: UnsentSummary = { documents: 0, changes: 0 };

export interface UnsentSummary {
  documents: number;
  changes: number;
}

export interface ResendOutcome {
  /** Documents whose edits main now holds. */
  saved: string[];
  /** Documents main refused for good (deleted, no longer editable): their edits are dropped, and why. */
  refused: Array<{ documentId: string; message: string }>;
}

function changed(): void {
  let changes = 0;
  for (const set of parked.values()) changes += set.size;
  snapshot = { documents: parked.size, changes };
  for (const listener of listeners) listener();
}

/** Keeps `changes` (in their order) for `documentId` until the next unlock. Repeats are kept once. */
export function parkChanges(documentId: string, changes: readonly Uint8Array[]): void {
  if (changes.length === 0) return;
  const set = parked.get(documentId) ?? new Set<Uint8Array>();
  parked.set(documentId, set);
  for (const change of changes) set.add(change);
  changed();
}

export function unsentSummary(): UnsentSummary {
  return snapshot;
}

export function onUnsentChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Codes after which sending again later can still succeed: the edits stay parked. */
const TRANSIENT = new Set(['VAULT_LOCKED', 'UNAVAILABLE']);

/**
 * Sends every parked document's changes with `send` (the API's applyChanges), one document at a
 * time. Saved ones are forgotten; on VAULT_LOCKED or UNAVAILABLE they stay for the next try;
 * on any other refusal they are dropped and reported, since trying again cannot help.
 */
export async function resendParked(send: (documentId: string, changes: Uint8Array<ArrayBuffer>[]) => Promise<Result<unknown>>): Promise<ResendOutcome> {
  const outcome: ResendOutcome = { saved: [], refused: [] };
  for (const [documentId, set] of [...parked]) {
    const batch = [...set];
    let result: Result<unknown>;
    try {
      result = await send(documentId, batch as Uint8Array<ArrayBuffer>[]);
    } catch (error) {
      result = { ok: false, error: { code: 'UNAVAILABLE', message: String(error) } };
    }
    if (!result.ok && TRANSIENT.has(result.error.code)) continue;
    // Only what was sent is settled: anything parked meanwhile stays.
    for (const change of batch) set.delete(change);
    if (set.size === 0) parked.delete(documentId);
    if (result.ok) outcome.saved.push(documentId);
    else outcome.refused.push({ documentId, message: result.error.message });
  }
  changed();
  return outcome;
}

/** For tests: forgets everything parked. */
export function clearParked(): void {
  parked.clear();
  changed();
}
