/**
 * The status board: each synced space's state as the pages show it (synced, syncing n, offline,
 * error with the reason, paused; progress of a long round, a file on its way) and the warnings
 * about what the relay delivered that was kept aside.
 *
 * A status is told to listeners only when it changed: an event per keystroke or per received
 * change made every page redraw (and re-read every role) for nothing. When it last synced is
 * not news on its own; the time travels with the next change, and `get` always has it.
 */
import type { SyncStatus, SyncWarning } from '../../common/api/contract.ts';
import { Emitter } from '../../common/emitter.ts';
import { HearthError, isHearthError, type ErrorCode } from '../../common/errors.ts';

export type StatusChange = Partial<Pick<SyncStatus, 'state' | 'reason' | 'lastSyncedAt' | 'transfer' | 'progress'>>;

/** Where the board reads what it does not keep itself. */
export interface StatusSources {
  /** The space's relay and whether it is paused; undefined once the space is gone. */
  spaceOf(spaceId: string): { relay: string; paused: boolean } | undefined;
  /** The workspace's name, or the shared document's title. */
  name(spaceId: string): string;
  /** Local changes waiting to be sent. */
  pending(spaceId: string): number;
  /** Changes kept aside (refused, and held for missing history). */
  quarantined(spaceId: string): number;
  /** Of those, genuine changes held until the history they build on arrives. */
  waiting(spaceId: string): number;
}

/** An error as a status reason or warning: its stable code and a message (with its cause, if any). */
export function reasonOf(error: unknown): { code: ErrorCode; message: string } {
  if (isHearthError(error))
    return { code: error.code, message: error.cause ? `${error.message} (${(error.cause as Error).message ?? String(error.cause)})` : error.message };
  return { code: 'INTERNAL', message: (error as Error)?.message ?? String(error) };
}

/** What makes two statuses different for a page (everything but when it last synced). */
function newsOf(status: SyncStatus): string {
  const { lastSyncedAt: _time, ...rest } = status;
  return JSON.stringify(rest);
}

export class StatusBoard {
  private readonly known = new Map<string, SyncStatus>();
  private readonly told = new Map<string, string>();
  readonly statuses = new Emitter<SyncStatus>();
  readonly warnings = new Emitter<SyncWarning>();

  constructor(private readonly sources: StatusSources) {}

  /** The space's status now: what was set, with the outbox and quarantine counted afresh. */
  get(spaceId: string): SyncStatus {
    const space = this.sources.spaceOf(spaceId);
    if (!space) throw new HearthError('BAD_REQUEST', `Workspace ${spaceId} is not a team workspace; only team workspaces sync.`);
    const pending = this.sources.pending(spaceId);
    const base = this.known.get(spaceId) ?? {
      workspaceId: spaceId,
      name: '',
      relay: space.relay,
      state: space.paused ? 'paused' : 'offline',
      pending: 0,
      quarantined: 0,
    };
    const state = base.state === 'synced' && pending > 0 ? 'syncing' : base.state;
    const waiting = this.sources.waiting(spaceId);
    const { waiting: _before, ...rest } = base;
    return { ...rest, name: this.sources.name(spaceId), state, pending, quarantined: this.sources.quarantined(spaceId), ...(waiting > 0 ? { waiting } : {}) };
  }

  /** The state last set for the space, if any (not counting the outbox). */
  stateOf(spaceId: string): SyncStatus['state'] | undefined {
    return this.known.get(spaceId)?.state;
  }

  /** Moves a space's status; `{}` recounts what waits and what was kept aside. Listeners hear it only if it changed. */
  set(spaceId: string, change: StatusChange): void {
    if (!this.sources.spaceOf(spaceId)) return;
    const next: SyncStatus = { ...(this.known.get(spaceId) ?? this.get(spaceId)), ...change };
    if (change.state === 'synced' || change.state === 'syncing' || change.state === 'paused') delete next.reason;
    if ('reason' in change && change.reason === undefined) delete next.reason;
    if ('transfer' in change && change.transfer === undefined) delete next.transfer;
    if (('progress' in change && change.progress === undefined) || (change.state !== undefined && change.state !== 'syncing')) delete next.progress;
    this.known.set(spaceId, next);
    const status = this.get(spaceId);
    const news = newsOf(status);
    if (this.told.get(spaceId) === news) return;
    this.told.set(spaceId, news);
    this.statuses.emit(status);
  }

  /** Tells listeners what the relay delivered that was not applied, naming the space. */
  warn(spaceId: string, documentId: string, code: ErrorCode, message: string): void {
    const workspaceName = this.sources.name(spaceId);
    this.warnings.emit({ workspaceId: spaceId, workspaceName, documentId, code, message: `${workspaceName}: ${message}`, at: Date.now() });
    this.set(spaceId, {});
  }

  /** The space is gone here: nothing more is told about it. */
  forget(spaceId: string): void {
    this.known.delete(spaceId);
    this.told.delete(spaceId);
  }
}
