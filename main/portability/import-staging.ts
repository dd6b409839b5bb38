/**
 * Where an import keeps what it brings until it commits, so that an import lands whole or not at
 * all, with files streamed in chunks and never held in memory, and without holding SQLite's write
 * lock (or the app's other writes) hostage while it reads:
 *
 * - a workspace new to this vault is created staged (WorkspaceStore: not listed, not found by
 *   name) and filled directly;
 * - a document for a workspace that is already here waits in one staged holding workspace, and
 *   moves (sealed again for its workspace) when the import commits; one that merges into a
 *   document already here waits there too, under a temporary id;
 * - files are stored staged (FileStore.stage: not listed, read or synced) in their workspace.
 *
 * commit() then shows all of it in one synchronous SQLite transaction; discard() removes it.
 * What a killed process leaves staged is removed at the next unlock (Vault.discardStagedImports).
 */
import * as A from '@automerge/automerge';
import { newId } from '../../common/crypto/sodium.ts';
import type { CommentRecord } from '../vault/comments.ts';
import type { HearthDoc } from '../vault/documents.ts';
import type { ChangeOrigin } from '../vault/events.ts';
import type { AddFileInput, StagedFile } from '../vault/files.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';

interface Times {
  createdAt: number;
  updatedAt: number;
}

const IMPORT: ChangeOrigin = { kind: 'import' };

export class ImportStage {
  private readonly created: string[] = [];
  private holdingId: string | undefined;
  private readonly moves: Array<{ id: string; to: string }> = [];
  private readonly merges: Array<{ temporary: string; into: string }> = [];
  private readonly files: StagedFile[] = [];
  private readonly replaced: string[] = [];
  /** Documents new to this vault, announced once the import commits. */
  private readonly added: string[] = [];

  constructor(private readonly vault: Vault) {}

  /** Every write of an import says so in its change events (the app tells its pages; sync leaves imports to its own rounds). */
  private asImport<T>(fn: () => T): T {
    return this.vault.withOrigin(IMPORT, fn);
  }

  /** A workspace new to this vault, under the id the import chose. */
  createWorkspace(workspace: Omit<Workspace, 'staged' | 'shareOf'>): void {
    this.asImport(() => this.vault.workspaces.createStaged(workspace));
    this.created.push(workspace.id);
  }

  /** How many workspaces commit() will show. */
  get workspacesCreated(): number {
    return this.created.length;
  }

  /**
   * An untouched personal workspace named `name` (the empty "Personal" a new vault starts with)
   * that a personal workspace of the same name in the import should replace rather than sit
   * beside; each is claimed once. commit() removes it unless something was put in it meanwhile.
   */
  claimNamesake(name: string): string | undefined {
    const found = this.vault.workspaces.list().find((w) => w.name === name && !this.replaced.includes(w.id) && this.isUntouched(w.id));
    if (found) this.replaced.push(found.id);
    return found?.id;
  }

  /**
   * Stores a document new to this vault, for the workspace `workspaceId` (staged or already here);
   * `saved` is `A.save(doc)` when the caller has those bytes.
   */
  addDocument(workspaceId: string, id: string, doc: HearthDoc, times: Times, saved?: Uint8Array): void {
    const staged = this.created.includes(workspaceId);
    this.asImport(() => this.vault.documents.adoptLoaded(staged ? workspaceId : this.holding(), id, doc, times, saved));
    // Not kept loaded: an import of many documents holds one at a time.
    this.vault.documents.forgetDocuments([id]);
    if (!staged) this.moves.push({ id, to: workspaceId });
    this.added.push(id);
  }

  /** Holds `doc` to merge into the document `into` at commit; returns the id its comments are staged on. */
  addMerge(into: string, doc: HearthDoc, times: Times): string {
    const temporary = newId();
    this.asImport(() => this.vault.documents.adoptLoaded(this.holding(), temporary, doc, times));
    this.vault.documents.forgetDocuments([temporary]);
    this.merges.push({ temporary, into });
    return temporary;
  }

  /** Stores a comment on a document staged by addDocument or addMerge; false when its id is taken. */
  addComment(record: CommentRecord): boolean {
    return this.asImport(() => this.vault.comments.adopt(record));
  }

  async addFile(workspaceId: string, input: AddFileInput): Promise<void> {
    this.files.push(await this.vault.files.stage(workspaceId, { ...input, origin: IMPORT }));
  }

  /** Shows everything staged, and runs `alsoInTransaction` (audit entries), in one transaction. */
  commit(alsoInTransaction: () => void): void {
    const touched = [...this.moves.map((m) => m.id), ...this.merges.flatMap((m) => [m.temporary, m.into])];
    try {
      this.asImport(() =>
        this.vault.transaction(() => {
          // Something put in it meanwhile keeps it: then both stay.
          for (const empty of this.replaced) if (this.isUntouched(empty)) this.vault.deleteWorkspace(empty, { quiet: true });
          for (const id of this.created) this.vault.workspaces.publish(id);
          for (const { id, to } of this.moves) {
            this.vault.documents.rehome(id, to);
            this.vault.comments.reseal({ documentId: id, workspaceId: this.holdingId! }, { documentId: id, workspaceId: to });
          }
          for (const { temporary, into } of this.merges) {
            this.vault.documents.applyChanges(into, A.getAllChanges(this.vault.documents.get(temporary)));
            this.vault.comments.reseal(
              { documentId: temporary, workspaceId: this.holdingId! },
              { documentId: into, workspaceId: this.vault.documents.workspaceOf(into) },
            );
          }
          for (const file of this.files) this.vault.files.complete(file);
          if (this.holdingId) this.vault.deleteWorkspace(this.holdingId, { quiet: true });
          alsoInTransaction();
        }),
      );
    } catch (error) {
      this.vault.reloadAfterRollback(touched);
      this.discard();
      throw error;
    }
    this.vault.documents.announce(this.added, IMPORT);
    for (const file of this.files) this.vault.files.announce(file);
  }

  /** Removes everything staged (the import failed). */
  discard(): void {
    if (this.vault.isLocked) return; // unlock removes it (Vault.discardStagedImports)
    for (const id of [...this.created, ...(this.holdingId ? [this.holdingId] : [])]) {
      if (this.vault.workspaces.stagedIds().includes(id)) this.vault.deleteWorkspace(id, { quiet: true });
    }
    for (const file of this.files) this.vault.files.discard(file.id);
  }

  /** Whether a workspace is as a new vault makes its first one: personal, empty, never synced. */
  private isUntouched(workspaceId: string): boolean {
    const workspace = this.vault.workspaces.list().find((w) => w.id === workspaceId);
    return (
      workspace !== undefined &&
      workspace.kind === 'personal' &&
      this.vault.syncState.space(workspaceId) === undefined &&
      !this.vault.documents.allIds().some((d) => d.workspaceId === workspaceId) &&
      this.vault.files.list(workspaceId).length === 0
    );
  }

  private holding(): string {
    if (!this.holdingId) {
      const id = newId();
      this.vault.workspaces.createStaged({ id, name: 'Import in progress', kind: 'personal', createdAt: Date.now() });
      this.holdingId = id;
    }
    return this.holdingId;
  }
}
