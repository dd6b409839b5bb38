/**
 * Workspaces and their keys. Each workspace has its own random key, sealed under the vault's
 * records key; everything in the workspace is sealed under it, so deleting a workspace
 * destroys the one key that could read what was in it.
 */
import type { Retention } from '../../common/history/retention.ts';
import { newId, randomKey, wipeBytes } from '../../common/crypto/sodium.ts';
import { Emitter } from '../../common/emitter.ts';
import { HearthError } from '../../common/errors.ts';
import type { AuditLog } from './audit.ts';
import type { VaultConnection } from './connection.ts';
import type { Sql } from './database.ts';
import { EXTERNAL, type WorkspacesChanged } from './events.ts';
import { openBytes, openJson, sealBytes, sealJson } from './sealed-records.ts';

/**
 * What a workspace is: a personal one (never leaves this device), a team one (syncs through its
 * relay), the one that holds the documents others shared with this vault alone ("Shared with
 * me"), or the hidden record of one shared document's own relay space (see `shareOf`).
 */
export type WorkspaceKind = 'personal' | 'team' | 'shared-with-me' | 'share-space';

export interface Workspace {
  id: string;
  name: string;
  kind: WorkspaceKind;
  createdAt: number;
  /**
   * For team workspaces: the relay the workspace syncs through. On a personal workspace: the relay
   * it syncs through between this account's devices, while "Sync between my devices" is on.
   */
  relay?: string;
  /**
   * On the hidden record of a selectively shared document's own relay space (kind 'share-space',
   * the sync engine's): the id of the document it carries. Such records hold that space's sealed
   * sync state; they are not listed and not found by name, only by id.
   */
  shareOf?: string;
  /**
   * The member list an imported team workspace came with (its export's members.json), kept so
   * that exporting it again says the same. A workspace that syncs has its live roster instead.
   */
  roster?: Array<{ username: string; displayName: string; role: 'owner' | 'admin' | 'editor' | 'commenter' | 'viewer' }>;
  /**
   * Set while an import fills the workspace: it is not listed or found by name, and if the import
   * fails (or the process dies) it is removed with everything in it. Cleared when the import commits.
   */
  staged?: true;
  /** How long a personal workspace keeps edit history (common/history/retention.ts); forever when unset. A team's is in its signed index. */
  retention?: Retention;
}

/** A workspace as `list` shows it: never a shared document's hidden space record. */
export type ListedWorkspace = Workspace & { kind: Exclude<WorkspaceKind, 'share-space'> };

interface LoadedWorkspace {
  workspace: Workspace;
  key: Uint8Array;
}

export class WorkspaceStore {
  /** When another process created, renamed or deleted a workspace (origin 'external'). */
  readonly changed = new Emitter<WorkspacesChanged>();
  private loaded: Map<string, LoadedWorkspace> | undefined;
  /** The connection's generation the loaded map was read at: another process may have changed it since. */
  private loadedAt = -1;

  private readonly sql: Sql;

  constructor(
    private readonly connection: VaultConnection,
    private readonly recordsKey: Uint8Array,
    private readonly audit: AuditLog,
  ) {
    this.sql = connection.sql;
  }

  private all(): Map<string, LoadedWorkspace> {
    if (this.loaded && this.loadedAt === this.connection.generation) return this.loaded;
    const rows = this.sql('SELECT id, sealed_key, sealed FROM workspaces').all() as Array<{ id: string; sealed_key: Buffer; sealed: Buffer }>;
    const previous = this.loaded;
    this.loadedAt = this.connection.generation;
    this.loaded = new Map(
      rows.map((row) => {
        const known = previous?.get(row.id);
        return [
          row.id,
          {
            workspace: openJson<Workspace>(this.recordsKey, { kind: 'workspace', id: row.id }, row.sealed),
            // The same key object while the workspace lives: callers may hold it.
            key: known?.key ?? openBytes(this.recordsKey, { kind: 'workspace-key', id: row.id }, row.sealed_key),
          },
        ];
      }),
    );
    if (!previous) return this.loaded;
    let changed = previous.size !== this.loaded.size;
    for (const [id, { workspace, key }] of previous) {
      const now = this.loaded.get(id);
      if (!now) wipeBytes(key); // deleted by another process: its key goes with it
      if (!now || JSON.stringify(now.workspace) !== JSON.stringify(workspace)) changed = true;
    }
    if (changed) this.changed.emit({ origin: EXTERNAL });
    return this.loaded;
  }

  /** Re-reads the workspaces if another process may have changed them (and tells listeners if it did). */
  noticeExternalChanges(): void {
    this.all();
  }

  list(): ListedWorkspace[] {
    this.connection.observe();
    return [...this.all().values()]
      .filter((w) => w.workspace.kind !== 'share-space' && !w.workspace.staged)
      .map((w) => ({ ...w.workspace }) as ListedWorkspace)
      .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  create(input: { name: string; kind?: WorkspaceKind; relay?: string }, options: { audit?: boolean } = {}): Workspace {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) throw new HearthError('BAD_REQUEST', 'A workspace name is 1–100 characters.');
    const workspace: Workspace = { id: newId(), name, kind: input.kind ?? 'personal', createdAt: Date.now(), ...(input.relay ? { relay: input.relay } : {}) };
    const key = randomKey();
    this.connection.write(() => {
      this.sql('INSERT INTO workspaces (id, sealed_key, sealed) VALUES (?, ?, ?)').run(
        workspace.id,
        sealBytes(this.recordsKey, { kind: 'workspace-key', id: workspace.id }, key),
        sealJson(this.recordsKey, { kind: 'workspace', id: workspace.id }, workspace),
      );
      if (options.audit !== false) this.audit.record('workspace.created', workspace.id);
    });
    this.all().set(workspace.id, { workspace, key });
    return { ...workspace };
  }

  /** Brings in a workspace under its own id (a team joined through the relay); false when it is already here. */
  adopt(workspace: Workspace): boolean {
    if (this.all().has(workspace.id)) return false;
    const key = randomKey();
    const adopted: Workspace = {
      id: workspace.id,
      name: workspace.name,
      kind: workspace.kind,
      createdAt: workspace.createdAt,
      ...(workspace.relay ? { relay: workspace.relay } : {}),
      ...(workspace.roster ? { roster: workspace.roster.map((m) => ({ ...m })) } : {}),
    };
    const inserted = this.connection.write(
      () =>
        this.sql('INSERT OR IGNORE INTO workspaces (id, sealed_key, sealed) VALUES (?, ?, ?)').run(
          adopted.id,
          sealBytes(this.recordsKey, { kind: 'workspace-key', id: adopted.id }, key),
          sealJson(this.recordsKey, { kind: 'workspace', id: adopted.id }, adopted),
        ).changes === 1,
    );
    // Another process adopted it a moment ago: it is here now, with that process's key.
    if (!inserted) {
      this.loadedAt = -1;
      return false;
    }
    this.all().set(adopted.id, { workspace: adopted, key });
    return true;
  }

  /**
   * A workspace that an import fills before anyone sees it (see `staged`), with a new key, under
   * the id the import chose. publish() shows it; delete() removes it with what it holds.
   */
  createStaged(workspace: Omit<Workspace, 'staged' | 'shareOf'>): Workspace {
    if (this.all().has(workspace.id)) throw new HearthError('ALREADY_EXISTS', `A workspace ${workspace.id} is already in this vault.`);
    const name = workspace.name.trim();
    if (name.length === 0 || name.length > 100) throw new HearthError('BAD_REQUEST', 'A workspace name is 1–100 characters.');
    const staged: Workspace = {
      id: workspace.id,
      name,
      kind: workspace.kind,
      createdAt: workspace.createdAt,
      ...(workspace.relay ? { relay: workspace.relay } : {}),
      ...(workspace.roster ? { roster: workspace.roster.map((m) => ({ ...m })) } : {}),
      staged: true,
    };
    const key = randomKey();
    this.connection.writeOne(() =>
      this.sql('INSERT INTO workspaces (id, sealed_key, sealed) VALUES (?, ?, ?)').run(
        staged.id,
        sealBytes(this.recordsKey, { kind: 'workspace-key', id: staged.id }, key),
        sealJson(this.recordsKey, { kind: 'workspace', id: staged.id }, staged),
      ),
    );
    this.all().set(staged.id, { workspace: staged, key });
    return { ...staged };
  }

  /** Shows a staged workspace: from now on it is listed like any other. */
  publish(id: string): void {
    const loaded = this.all().get(id);
    if (!loaded?.workspace.staged) throw new HearthError('NOT_FOUND', `No staged workspace ${id}.`);
    const { staged: _staged, ...published } = loaded.workspace;
    this.connection.writeOne(() =>
      this.sql('UPDATE workspaces SET sealed = ? WHERE id = ?').run(sealJson(this.recordsKey, { kind: 'workspace', id }, published), id),
    );
    loaded.workspace = published;
  }

  /** Ids of workspaces an import left staged (it failed, or its process died). */
  stagedIds(): string[] {
    return [...this.all().values()].filter((w) => w.workspace.staged).map((w) => w.workspace.id);
  }

  /**
   * Makes the loaded records agree with the file again after a transaction that changed them
   * was rolled back: records are re-read; keys of workspaces that are still there are kept.
   */
  reload(): void {
    const previous = this.loaded;
    this.loaded = undefined;
    const fresh = this.all();
    for (const [id, entry] of previous ?? []) {
      const now = fresh.get(id);
      if (now) now.key = entry.key;
      else wipeBytes(entry.key);
    }
  }

  rename(idOrName: string, name: string): Workspace {
    const { workspace } = this.find(idOrName);
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100) throw new HearthError('BAD_REQUEST', 'A workspace name is 1–100 characters.');
    const renamed = { ...workspace, name: trimmed };
    this.connection.writeOne(() =>
      this.sql('UPDATE workspaces SET sealed = ? WHERE id = ?').run(sealJson(this.recordsKey, { kind: 'workspace', id: workspace.id }, renamed), workspace.id),
    );
    this.all().get(workspace.id)!.workspace = renamed;
    return { ...renamed };
  }

  /** Sets how long a personal workspace keeps edit history. */
  setRetention(idOrName: string, retention: Retention): Workspace {
    const { workspace } = this.find(idOrName);
    const { retention: _old, ...rest } = workspace;
    const updated: Workspace = retention === 'forever' ? rest : { ...rest, retention };
    this.connection.writeOne(() =>
      this.sql('UPDATE workspaces SET sealed = ? WHERE id = ?').run(sealJson(this.recordsKey, { kind: 'workspace', id: workspace.id }, updated), workspace.id),
    );
    this.all().get(workspace.id)!.workspace = updated;
    return { ...updated };
  }

  /** The hidden record of a shared document's relay space (see `shareOf`), with its own key. */
  createShareSpace(id: string, relay: string, documentId: string): Workspace {
    const workspace: Workspace = { id, name: 'Shared document', kind: 'share-space', createdAt: Date.now(), relay, shareOf: documentId };
    const key = randomKey();
    this.connection.write(() =>
      this.sql('INSERT INTO workspaces (id, sealed_key, sealed) VALUES (?, ?, ?)').run(
        id,
        sealBytes(this.recordsKey, { kind: 'workspace-key', id }, key),
        sealJson(this.recordsKey, { kind: 'workspace', id }, workspace),
      ),
    );
    this.all().set(id, { workspace, key });
    return { ...workspace };
  }

  /** The hidden records of shared documents' relay spaces. */
  shareSpaces(): Workspace[] {
    return [...this.all().values()].filter((w) => w.workspace.kind === 'share-space').map((w) => ({ ...w.workspace }));
  }

  /** Marks a personal workspace as a team workspace syncing through `relay` (the sync engine's explicit conversion). */
  makeTeam(id: string, relay: string): Workspace {
    const { workspace } = this.find(id);
    const team: Workspace = { ...workspace, kind: 'team', relay };
    this.connection.writeOne(() =>
      this.sql('UPDATE workspaces SET sealed = ? WHERE id = ?').run(sealJson(this.recordsKey, { kind: 'workspace', id: workspace.id }, team), workspace.id),
    );
    this.all().get(workspace.id)!.workspace = team;
    return { ...team };
  }

  /** Turns "Sync between my devices" on (through `relay`) or off (undefined) for a personal workspace. */
  setDeviceSync(id: string, relay: string | undefined): Workspace {
    const { workspace } = this.find(id);
    if (workspace.kind !== 'personal') throw new HearthError('BAD_REQUEST', `${workspace.name} is not a personal workspace.`);
    const { relay: _previous, ...rest } = workspace;
    const changed: Workspace = relay ? { ...rest, relay } : rest;
    this.connection.writeOne(() =>
      this.sql('UPDATE workspaces SET sealed = ? WHERE id = ?').run(sealJson(this.recordsKey, { kind: 'workspace', id: workspace.id }, changed), workspace.id),
    );
    this.all().get(workspace.id)!.workspace = changed;
    return { ...changed };
  }

  /** Resolves a workspace by id, or by name when exactly one workspace has it. */
  find(idOrName: string): LoadedWorkspace {
    try {
      return this.findIn(this.all(), idOrName);
    } catch (error) {
      // Not here, or ambiguous: another process may have created, renamed or deleted one since the last look.
      if (this.connection.observe() === this.loadedAt) throw error;
      return this.findIn(this.all(), idOrName);
    }
  }

  private findIn(all: Map<string, LoadedWorkspace>, idOrName: string): LoadedWorkspace {
    const byId = all.get(idOrName);
    if (byId) return byId;
    const byName = [...all.values()].filter((w) => w.workspace.name === idOrName && w.workspace.kind !== 'share-space' && !w.workspace.staged);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) throw new HearthError('CONFLICT', `Several workspaces are named "${idOrName}"; use the workspace id instead.`);
    throw new HearthError('NOT_FOUND', `No workspace "${idOrName}". \`hearth workspace list\` shows the workspaces in this vault.`);
  }

  get(id: string): Workspace {
    return { ...this.find(id).workspace };
  }

  keyOf(workspaceId: string): Uint8Array {
    let loaded = this.all().get(workspaceId);
    if (!loaded && this.connection.observe() !== this.loadedAt) loaded = this.all().get(workspaceId);
    if (!loaded) throw new HearthError('NOT_FOUND', `No workspace ${workspaceId}.`);
    return loaded.key;
  }

  /**
   * Deletes the workspace, its key and everything in it (the foreign keys cascade). `quiet`: no
   * audit entry and no checkpoint, for an import's own staging (which may run in a transaction).
   */
  delete(idOrName: string, options: { quiet?: boolean } = {}): void {
    const { workspace, key } = this.find(idOrName);
    this.connection.write(() => {
      this.sql('DELETE FROM workspaces WHERE id = ?').run(workspace.id);
      if (!options.quiet) this.audit.record('workspace.deleted', workspace.id);
    });
    wipeBytes(key);
    this.all().delete(workspace.id);
    // Not inside an import's own transaction: a checkpoint cannot run there, and the import's commit does.
    if (!options.quiet) this.connection.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  forget(): void {
    for (const { key } of this.loaded?.values() ?? []) wipeBytes(key);
    this.loaded = undefined;
    this.loadedAt = -1;
  }
}
