/**
 * The space registry: what this vault knows about each relay space it syncs — its sealed state
 * (decrypted once and kept while the engine runs), its verified membership view and its index
 * document — and which relay spaces carry which local documents. Every "which space carries
 * this document" and "whose share is this" question is answered here, once.
 *
 * A relay space is either a team workspace (a local workspace with sync state) or the space of
 * one selectively shared document (a hidden share-space record whose state says which document
 * it carries, which local workspace holds it, and whether this vault made or received it).
 */
import * as A from '@automerge/automerge';
import { HearthError } from '../../common/errors.ts';
import { Emitter } from '../../common/emitter.ts';
import type { DocumentSyncState, SpaceState } from '../vault/sync-state.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import { MembershipView } from './membership-view.ts';
import { encodeChanges } from './payload.ts';
import { INDEX_DOC, loadIndex, saveIndex, type IndexDoc, type WorkspaceIndex } from './workspace-index.ts';

/** A shared document's space: the document it carries, the local workspace holding it, and whether this vault received it. */
export type ShareInfo = NonNullable<SpaceState['share']>;

/** A share space with what it carries. */
export interface Share extends ShareInfo {
  space: string;
}

/** What the registry needs of the vault. */
export type SpaceVault = Pick<Vault, 'syncState' | 'workspaces' | 'documents' | 'deleteWorkspace'>;

export class SpaceRegistry {
  private readonly states = new Map<string, SpaceState>();
  private readonly views = new Map<string, MembershipView>();
  private readonly indexes = new Map<string, IndexDoc>();
  /** A space's verified membership moved (an entry was verified, a space was joined or forgotten). */
  readonly membershipChanged = new Emitter<string>();
  /** A space was forgotten here (left, deleted, or its share ended). */
  readonly forgotten = new Emitter<string>();

  constructor(private readonly vault: SpaceVault) {}

  /** The space's state, decrypted once and kept while the engine runs (every write goes through put). */
  state(spaceId: string): SpaceState | undefined {
    let state = this.states.get(spaceId);
    if (!state) {
      state = this.vault.syncState.space(spaceId);
      if (state) this.states.set(spaceId, state);
    }
    return state;
  }

  /** The space's state; BAD_REQUEST for a workspace that does not sync. */
  get(spaceId: string): SpaceState {
    const state = this.state(spaceId);
    if (!state) throw new HearthError('BAD_REQUEST', `Workspace ${spaceId} is not a team workspace; only team workspaces sync.`);
    return state;
  }

  put(spaceId: string, state: SpaceState): void {
    this.vault.syncState.putSpace(spaceId, state);
    this.states.set(spaceId, state);
  }

  /** Writes the state with `change` applied to what is stored now. */
  update(spaceId: string, change: (state: SpaceState) => Partial<SpaceState>): void {
    const state = this.get(spaceId);
    this.put(spaceId, { ...state, ...change(state) });
  }

  /** A space this vault has just founded or joined: its state, verified membership and (for a founder) index. */
  register(spaceId: string, state: SpaceState, view: MembershipView, index?: IndexDoc): void {
    this.put(spaceId, state);
    this.views.set(spaceId, view);
    if (index) this.indexes.set(spaceId, index);
    this.membershipChanged.emit(spaceId);
  }

  /** The space's membership log as verified so far. */
  view(spaceId: string): MembershipView {
    let view = this.views.get(spaceId);
    if (!view) {
      view = MembershipView.replay(spaceId, this.get(spaceId).membership);
      this.views.set(spaceId, view);
    }
    return view;
  }

  /** Keeps a newly verified membership view, in memory and sealed in the vault. */
  setView(spaceId: string, view: MembershipView): void {
    this.put(spaceId, { ...this.get(spaceId), membership: [...view.entries] });
    this.views.set(spaceId, view);
    this.membershipChanged.emit(spaceId);
  }

  /** The space's index document (name, documents, member directory, files). */
  index(spaceId: string): IndexDoc {
    let index = this.indexes.get(spaceId);
    if (!index) {
      index = loadIndex(this.get(spaceId).index);
      this.indexes.set(spaceId, index);
    }
    return index;
  }

  /** Keeps an index that changes from the relay produced (already verified). */
  setIndex(spaceId: string, index: IndexDoc): void {
    this.put(spaceId, { ...this.get(spaceId), index: saveIndex(index) });
    this.indexes.set(spaceId, index);
  }

  /** Changes the index document locally and queues the change for the relay, in one transaction. */
  changeIndex(spaceId: string, fn: (d: WorkspaceIndex) => void): void {
    const before = this.index(spaceId);
    const after = A.change(before, fn);
    if (after === before) return;
    const change = A.getLastLocalChange(after)!;
    this.vault.syncState.transaction(() => {
      this.put(spaceId, { ...this.get(spaceId), index: saveIndex(after) });
      this.vault.syncState.enqueue(spaceId, { documentId: INDEX_DOC, kind: 'content', payload: encodeChanges([change]) });
      this.vault.syncState.putDocument(spaceId, INDEX_DOC, { ...this.documentState(spaceId, INDEX_DOC), heads: A.getHeads(after) });
    });
    this.indexes.set(spaceId, after);
  }

  /** What the space keeps about one document (a fresh state when nothing yet). */
  documentState(spaceId: string, documentId: string): DocumentSyncState {
    return this.vault.syncState.document(spaceId, documentId) ?? { cursor: 0, heads: [], comments: {} };
  }

  /** Deletes the space's local record (and with it everything sealed under its key) and forgets it. */
  forget(spaceId: string): void {
    this.vault.deleteWorkspace(spaceId);
    this.states.delete(spaceId);
    this.views.delete(spaceId);
    this.indexes.delete(spaceId);
    this.forgotten.emit(spaceId);
    this.membershipChanged.emit(spaceId);
  }

  // ---------------------------------------------------------------- kinds and lookups

  /**
   * Whether `workspaceId` is a whole workspace that syncs: a team one, or a personal one with "Sync
   * between my devices" on (not "Shared with me", not a share space's record).
   */
  isTeam(workspaceId: string): boolean {
    return (
      this.vault.workspaces.list().some((w) => w.id === workspaceId && (w.kind === 'team' || w.kind === 'personal')) && this.state(workspaceId) !== undefined
    );
  }

  /** Whether `workspaceId` is a personal workspace that syncs between this account's devices (its space's only member is this account). */
  isDevicesOnly(workspaceId: string): boolean {
    return this.vault.workspaces.list().some((w) => w.id === workspaceId && w.kind === 'personal') && this.state(workspaceId) !== undefined;
  }

  /** Stops syncing a workspace here: its sync state goes, what it holds stays (turning "Sync between my devices" off). */
  stopSyncing(spaceId: string): void {
    this.vault.syncState.dropSpace(spaceId);
    this.states.delete(spaceId);
    this.views.delete(spaceId);
    this.indexes.delete(spaceId);
    this.forgotten.emit(spaceId);
    this.membershipChanged.emit(spaceId);
  }

  /** The team workspaces this vault syncs. */
  teamWorkspaces(): Workspace[] {
    const ids = new Set(this.vault.syncState.spaceIds());
    return this.vault.workspaces.list().filter((w) => ids.has(w.id));
  }

  /** The spaces of selectively shared documents this vault made or accepted (whose holder still exists). */
  shares(): Share[] {
    const ids = new Set(this.vault.syncState.spaceIds());
    const holders = new Set(this.vault.workspaces.list().map((w) => w.id));
    const found: Share[] = [];
    for (const record of this.vault.workspaces.shareSpaces()) {
      const share = ids.has(record.id) ? this.state(record.id)?.share : undefined;
      if (share && holders.has(share.workspace)) found.push({ space: record.id, ...share });
    }
    return found;
  }

  /** Every space this vault syncs: its team workspaces, then its shared documents' spaces. */
  syncedSpaceIds(): string[] {
    return [...this.teamWorkspaces().map((w) => w.id), ...this.shares().map((s) => s.space)];
  }

  /** The share a space carries; undefined for a team workspace. */
  shareOf(spaceId: string): ShareInfo | undefined {
    return this.state(spaceId)?.share;
  }

  /** The spaces `documentId` is shared through (made or received here). */
  sharesOf(documentId: string): Share[] {
    return this.shares().filter((s) => s.document === documentId);
  }

  /** The share space of `documentId` that this vault made (and owns), if any. */
  ownShareOf(documentId: string): string | undefined {
    return this.sharesOf(documentId).find((s) => !s.received)?.space;
  }

  /** The share space through which `documentId` was shared with this vault, if any. */
  receivedShareOf(documentId: string): string | undefined {
    return this.sharesOf(documentId).find((s) => s.received)?.space;
  }

  /** The share spaces of documents held in the local workspace `workspaceId`. */
  sharesHeldIn(workspaceId: string): Share[] {
    return this.shares().filter((s) => s.workspace === workspaceId);
  }

  /** The spaces a local document travels through: its team workspace (if any) and the spaces it is shared in. */
  spacesOf(documentId: string): string[] {
    const holder = this.vault.documents.workspaceOf(documentId);
    return [...(this.isTeam(holder) ? [holder] : []), ...this.sharesOf(documentId).map((s) => s.space)];
  }

  /**
   * Everyone who is or was a member of a space `documentId` travels through, with the profile
   * they published when the index still lists it: whose edits its history may hold.
   */
  peopleOf(documentId: string): Array<{ account: string; username?: string; displayName?: string }> {
    const people = new Map<string, { account: string; username?: string; displayName?: string }>();
    for (const spaceId of this.spacesOf(documentId)) {
      let directory: WorkspaceIndex['members'] = {};
      try {
        directory = this.index(spaceId).members ?? {};
      } catch {
        // an index not synced yet: accounts without names
      }
      for (const entry of this.view(spaceId).entries) {
        for (const account of [entry.actor, entry.subject]) {
          const known = directory[account];
          if (!people.has(account) || (known && !people.get(account)!.username)) {
            people.set(account, { account, ...(known ? { username: known.username, displayName: known.displayName } : {}) });
          }
        }
      }
    }
    return [...people.values()];
  }

  /** The local documents a space carries. */
  docsOf(spaceId: string): string[] {
    const share = this.shareOf(spaceId);
    const all = this.vault.documents.allIds();
    if (share) return all.some((d) => d.id === share.document) ? [share.document] : [];
    return all.filter((d) => d.workspaceId === spaceId).map((d) => d.id);
  }

  /** The documents a space's index lists; a shared document's space carries that one document only. */
  indexedDocs(spaceId: string): string[] {
    const listed = Object.keys(this.index(spaceId).docs ?? {});
    const share = this.shareOf(spaceId);
    return share ? listed.filter((d) => d === share.document) : listed;
  }

  /** What a space is called in statuses and warnings: the workspace's name, or the shared document's title. */
  name(spaceId: string): string {
    const share = this.shareOf(spaceId);
    if (share) {
      let title = this.index(spaceId).name ?? '';
      try {
        title = this.vault.documents.summary(share.document).title || title;
      } catch {
        // the document is not here (yet)
      }
      return `Shared document "${title || 'Untitled'}"`;
    }
    try {
      return this.vault.workspaces.get(spaceId).name;
    } catch {
      return spaceId;
    }
  }

  /**
   * The spaces to sync for a workspace named by the user: the team workspace itself and the
   * spaces of its documents shared selectively (or, for "Shared with me", of the documents in it).
   */
  spacesFor(workspaceIdOrName: string): string[] {
    const { workspace } = this.vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind === 'share-space') return this.state(workspace.id) ? [workspace.id] : [];
    const ids = [...(this.state(workspace.id) ? [workspace.id] : []), ...this.sharesHeldIn(workspace.id).map((s) => s.space)];
    // "Shared with me" with nothing in it right now has nothing to sync; anything else without a space never leaves this device.
    if (ids.length === 0 && workspace.kind !== 'shared-with-me')
      throw new HearthError('BAD_REQUEST', `${workspace.name} is a personal workspace; it never leaves this device.`);
    return ids;
  }
}
