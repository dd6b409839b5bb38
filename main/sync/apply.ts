/**
 * Applying a verified, decrypted change to the vault, in one transaction with its id and the
 * document's cursor: a document's content (changes or a whole snapshot), a comment change
 * (comment-changes.ts: written, resolved or deleted, under the comment rules), or the space's
 * index (where a dropped document or file is a deletion only a role that may delete can make).
 * A change whose history is not here yet says so (MissingHistory) instead of sitting invisible in
 * the document; inbound.ts holds it until that history arrives.
 */
import * as A from '@automerge/automerge';
import { Emitter } from '../../common/emitter.ts';
import { HearthError, type ErrorCode } from '../../common/errors.ts';
import { countOf } from '../../common/wording.ts';
import type { ParsedChange } from '../../common/protocol/change.ts';
import { verifyGenerationRecord, type GenerationRecord } from '../../common/protocol/generation.ts';
import { canDeleteContent, canForgetHistory, canManageMembers, withArticle } from '../../common/roles.ts';
import type { CommentRecord } from '../vault/comments.ts';
import type { DocumentContent } from '../vault/documents.ts';
import type { ChangeOrigin } from '../vault/events.ts';
import type { Vault } from '../vault/vault.ts';
import { CommentChanges, type CommentLedger } from './comment-changes.ts';
import { decodeChanges, decodeSnapshot } from './payload.ts';
import type { SpaceRegistry } from './spaces.ts';
import { directoryRefusal, generationOf, INDEX_DOC, type IndexDoc, type WorkspaceIndex } from './workspace-index.ts';

/** A verified change from the relay that was applied (the index's changes as kind 'index'). */
const REMOTE: ChangeOrigin = { kind: 'remote' };

export interface RemoteChange {
  workspaceId: string;
  documentId: string;
  kind: 'content' | 'comment' | 'snapshot' | 'index';
}

/** A genuine change that builds on history this device does not have (yet): held, not refused. */
export class MissingHistory extends HearthError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

export interface ApplierHost {
  readonly vault: Pick<Vault, 'syncState' | 'documents' | 'comments' | 'enterOrigin'>;
  readonly spaces: Pick<SpaceRegistry, 'get' | 'put' | 'view' | 'index' | 'setIndex' | 'docsOf' | 'changeIndex' | 'documentState' | 'shareOf'>;
  /** After a comment from the relay was stored (main/sync/account.ts: a deleted account's comment reads "Deleted user"). */
  afterRemoteComment(spaceId: string, record: CommentRecord, signer: string | undefined): void;
  /** A verified index change dropped documents or files: their local copies go too. */
  removed(spaceId: string, documents: string[], files: string[]): void;
  /** A document's change arrived through one space: pass it on to the others it travels through. */
  forward(spaceId: string, documentId: string): void;
}

/** The changes of a whole-document snapshot, so they merge like any other changes. */
function snapshotChanges(bytes: Uint8Array): Uint8Array[] {
  try {
    return A.getAllChanges(A.load(bytes));
  } catch (cause) {
    throw new HearthError('BAD_REQUEST', 'a snapshot that is not a readable document', { cause });
  }
}

export class ChangeApplier {
  /** Each verified change applied here (the app tells its pages; comments have no vault listener for that). */
  readonly remote = new Emitter<RemoteChange>();

  private readonly comments: CommentChanges;

  constructor(private readonly host: ApplierHost) {
    this.comments = new CommentChanges(host);
  }

  /** Applies a verified change, records its id and the cursor, all in one transaction. */
  apply(spaceId: string, documentId: string, change: ParsedChange, plaintext: Uint8Array, seq: number): void {
    const { meta } = change;
    let deleted: string[] = [];
    let deletedFiles: string[] = [];
    let erasedComments = false;
    // The vault's listeners hear these writes as 'remote': the outbox does not send them back.
    const restoreOrigin = this.host.vault.enterOrigin(REMOTE);
    try {
      this.host.vault.syncState.transaction(() => {
        const state = this.host.spaces.documentState(spaceId, documentId);
        let heads = state.heads;
        let generation: GenerationRecord | undefined;
        const ledger: CommentLedger = { comments: { ...state.comments }, erased: new Set(state.erased ?? []) };
        const snapshot = meta.kind === 'snapshot' ? decodeSnapshot(plaintext) : undefined;
        const automergeChanges = () => (snapshot ? snapshotChanges(snapshot.documentBytes) : decodeChanges(plaintext));
        if (documentId === INDEX_DOC) {
          if (meta.kind === 'comment') throw new HearthError('RECORD_TAMPERED', 'a comment on the workspace index');
          const before = this.host.spaces.index(spaceId);
          const generation = snapshot ? A.load<WorkspaceIndex>(snapshot.documentBytes) : undefined;
          if (generation && generationOf(generation) !== generationOf(before)) {
            // A new generation of the index replaces this copy, history and all; an older one is not merged back in.
            if (generationOf(generation) > generationOf(before)) heads = this.replaceIndex(spaceId, generation, meta);
          } else {
            // On a clone: a refused change must leave the index as it was (applyChanges retires `before`).
            const [next] = A.applyChanges(A.clone(before), automergeChanges());
            if (A.getMissingDeps(next, []).length > 0)
              throw new MissingHistory('RECORD_TAMPERED', 'a change to the workspace index whose earlier history the relay has not delivered');
            // A document dropped from the index was deleted; only a role that may delete content can do that.
            deleted = Object.keys(before.docs ?? {}).filter((d) => !next.docs?.[d]);
            deletedFiles = Object.keys(before.files ?? {}).filter((f) => !next.files?.[f]);
            const signer = this.host.spaces.view(spaceId).roleAt(meta.head, meta.author);
            if (deleted.length + deletedFiles.length > 0 && (!signer || !canDeleteContent(signer))) {
              throw new HearthError(
                'FORBIDDEN',
                `a deletion of ${countOf(deleted.length, 'document')} and ${countOf(deletedFiles.length, 'file')} by ${signer ? `${withArticle(signer)}, who may not delete content` : 'someone who was not a member'}`,
              );
            }
            // Raising a document's generation erases its history: only a role that may do that can.
            const raised = Object.keys(next.docs ?? {}).filter((d) => (next.docs[d]?.gen ?? 0) > (before.docs?.[d]?.gen ?? 0));
            if ((raised.length > 0 || (next.retention ?? 'forever') !== (before.retention ?? 'forever')) && (!signer || !canForgetHistory(signer))) {
              throw new HearthError(
                'FORBIDDEN',
                `an erasure of edit history (or a change of how long it is kept) in ${countOf(raised.length, 'document')} by ${signer ? `${withArticle(signer)}, who may not erase it` : 'someone who was not a member'}`,
              );
            }
            // A member's directory entry is theirs: only they change their name, username or avatar (invitations add entries, removals drop them).
            const refusal = directoryRefusal(before.members, next.members, meta.author);
            if (refusal) throw new HearthError('FORBIDDEN', refusal);
            this.host.spaces.setIndex(spaceId, next);
            heads = A.getHeads(next);
          }
        } else if (meta.kind !== 'comment') {
          heads = this.applyContent(
            spaceId,
            documentId,
            snapshot ? { snapshot: snapshot.documentBytes } : { changes: decodeChanges(plaintext) },
            meta.at,
            meta.gen ?? 0,
          );
          // A generation's signed record, kept so snapshots made here carry it on (generations.ts checks it where it replaces a copy).
          if (snapshot?.generation !== undefined && (meta.gen ?? 0) > 0) {
            const record = verifyGenerationRecord(snapshot.generation);
            if (record.space !== spaceId || record.doc !== documentId || record.gen !== meta.gen)
              throw new HearthError('RECORD_TAMPERED', 'a snapshot whose generation record names another document or generation');
            generation = record;
          }
          // The snapshot's author vouches for the comments in it (older snapshots carry them; they were verified when it took them in).
          for (const record of snapshot?.comments ?? []) {
            const taken = this.comments.fromSnapshot(documentId, record, ledger);
            if (taken) this.host.afterRemoteComment(spaceId, taken, undefined);
          }
        } else {
          if (meta.comment?.op !== 'delete' && !this.host.vault.documents.has(documentId))
            throw new MissingHistory('CONFLICT', 'a comment on a document this device does not have');
          const erasedBefore = ledger.erased.size;
          const taken = this.comments.apply(spaceId, documentId, change, plaintext, ledger);
          if (taken) this.host.afterRemoteComment(spaceId, taken, meta.author);
          erasedComments = ledger.erased.size > erasedBefore;
        }
        this.host.vault.syncState.markSeen(spaceId, documentId, meta.id);
        this.host.vault.syncState.putDocument(spaceId, documentId, {
          cursor: Math.max(seq, state.cursor),
          heads,
          comments: ledger.comments,
          ...(meta.kind === 'snapshot' ? { snapshotAt: seq } : state.snapshotAt !== undefined ? { snapshotAt: state.snapshotAt } : {}),
          ...(ledger.erased.size ? { erased: [...ledger.erased] } : {}),
          ...(generation ? { generation } : {}),
        });
      });
    } finally {
      restoreOrigin();
    }
    // A deleted comment's sealed bytes leave the vault's WAL once the deletion is committed.
    if (erasedComments) this.host.vault.comments.scrub();
    if (deleted.length + deletedFiles.length > 0) this.host.removed(spaceId, deleted, deletedFiles);
    if (documentId !== INDEX_DOC) this.host.forward(spaceId, documentId);
    // A listener's trouble is not the change's: it is applied and recorded (Emitter swallows it).
    this.remote.emit({ workspaceId: spaceId, documentId, kind: documentId === INDEX_DOC ? 'index' : meta.kind });
  }

  /**
   * apply() for a run of verified content changes to one document that this vault holds: one
   * Automerge application for all of them, each recorded as seen, the cursor moved past the last,
   * in one transaction (so all of it lands or none).
   */
  applyContentRun(spaceId: string, documentId: string, run: ReadonlyArray<{ change: ParsedChange; plaintext: Uint8Array; seq: number }>): void {
    const last = run.at(-1)!;
    const restoreOrigin = this.host.vault.enterOrigin(REMOTE);
    try {
      this.host.vault.syncState.transaction(() => {
        const state = this.host.spaces.documentState(spaceId, documentId);
        const changes = run.flatMap(({ plaintext }) => decodeChanges(plaintext));
        const heads = this.applyContent(spaceId, documentId, { changes }, last.change.meta.at, last.change.meta.gen ?? 0);
        for (const { change } of run) this.host.vault.syncState.markSeen(spaceId, documentId, change.meta.id);
        this.host.vault.syncState.putDocument(spaceId, documentId, {
          cursor: Math.max(last.seq, state.cursor),
          heads,
          comments: { ...state.comments },
          ...(state.snapshotAt !== undefined ? { snapshotAt: state.snapshotAt } : {}),
          ...(state.erased?.length ? { erased: [...state.erased] } : {}),
        });
      });
    } finally {
      restoreOrigin();
    }
    this.host.forward(spaceId, documentId);
    this.remote.emit({ workspaceId: spaceId, documentId, kind: 'content' });
  }

  /**
   * Takes an Owner's or Admin's new generation of the index in place of this copy (Outbox.rebuildIndexIfDue),
   * dropping this vault's index changes not sent yet (they were made on the old one): whatever of
   * this vault's documents the new one does not list is listed again, as a change on it.
   */
  private replaceIndex(spaceId: string, next: IndexDoc, meta: ParsedChange['meta']): string[] {
    const signer = this.host.spaces.view(spaceId).roleAt(meta.head, meta.author);
    if (!signer || !canManageMembers(signer))
      throw new HearthError(
        'FORBIDDEN',
        `a new generation of the workspace index by ${signer ? `${withArticle(signer)}, who may not rebuild it` : 'someone who was not a member'}`,
      );
    const { syncState } = this.host.vault;
    for (const entry of syncState.outbox(spaceId, 10_000)) if (entry.documentId === INDEX_DOC) syncState.dequeue(entry.seq);
    this.host.spaces.setIndex(spaceId, next);
    // The accounts whose entries this generation left behind need no other one.
    const { forgetInIndex, ...space } = this.host.spaces.get(spaceId);
    const waiting = (forgetInIndex ?? []).filter((account) => next.members?.[account]);
    this.host.spaces.put(spaceId, waiting.length > 0 ? { ...space, forgetInIndex: waiting } : space);
    syncState.putDocument(spaceId, INDEX_DOC, { ...this.host.spaces.documentState(spaceId, INDEX_DOC), heads: A.getHeads(next) });
    const unlisted = this.host.spaces.docsOf(spaceId).filter((id) => !next.docs?.[id]);
    if (unlisted.length > 0) {
      this.host.spaces.changeIndex(spaceId, (d) => {
        if (!d.docs) d.docs = {};
        for (const id of unlisted) d.docs[id] = { createdAt: this.host.vault.documents.summary(id).createdAt };
      });
    }
    return A.getHeads(this.host.spaces.index(spaceId));
  }

  private applyContent(
    spaceId: string,
    documentId: string,
    content: { snapshot: Uint8Array } | { changes: Uint8Array[] },
    at: number,
    generation: number,
  ): string[] {
    const share = this.host.spaces.shareOf(spaceId);
    if (share && documentId !== share.document) throw new HearthError('RECORD_TAMPERED', 'a change to another document than the one shared in this space');
    const holder = share ? share.workspace : spaceId;
    const exists = this.host.vault.documents.has(documentId);
    if (exists) {
      if (this.host.vault.documents.workspaceOf(documentId) !== holder) throw new HearthError('RECORD_TAMPERED', 'a change to a document of another workspace');
      const changes = 'snapshot' in content ? snapshotChanges(content.snapshot) : content.changes;
      const doc = this.host.vault.documents.get(documentId);
      const has = (hash: string) => A.getMissingDeps(doc, [hash]).length === 0;
      const fresh: Uint8Array[] = [];
      const inBatch = new Set<string>();
      for (const change of changes) {
        let decoded: A.DecodedChange;
        try {
          decoded = A.decodeChange(change);
        } catch (cause) {
          throw new HearthError('BAD_REQUEST', 'malformed document changes', { cause });
        }
        if (has(decoded.hash!)) continue; // already here (a snapshot overlaps what this device has)
        // The relay hands changes out in the order they were pushed, which is causal; a change whose
        // history is missing was withheld or reordered, and would sit invisible in the document.
        if (!decoded.deps.every((dep) => inBatch.has(dep) || has(dep)))
          throw new MissingHistory('RECORD_TAMPERED', 'a change whose earlier history the relay has not delivered');
        inBatch.add(decoded.hash!);
        fresh.push(change);
      }
      if (fresh.length === 0) return A.getHeads(doc);
      return A.getHeads(this.host.vault.documents.applyChanges(documentId, fresh));
    }
    // New here: the document is built once and stored as it came (a snapshot's bytes are already its save).
    let doc: A.Doc<DocumentContent>;
    try {
      doc = 'snapshot' in content ? A.load<DocumentContent>(content.snapshot) : A.applyChanges(A.init<DocumentContent>(), content.changes)[0];
    } catch (cause) {
      throw new HearthError('BAD_REQUEST', 'snapshot' in content ? 'a snapshot that is not a readable document' : 'malformed document changes', { cause });
    }
    if (A.getHeads(doc).length === 0) throw new HearthError('RECORD_TAMPERED', 'changes to a document whose beginning is missing');
    if (A.getMissingDeps(doc, []).length > 0) throw new MissingHistory('RECORD_TAMPERED', 'a change whose earlier history the relay has not delivered');
    // New here at the generation it arrives in: an older one's changes are refused from now on.
    this.host.vault.documents.adoptLoaded(
      holder,
      documentId,
      doc,
      { createdAt: at, updatedAt: at },
      'snapshot' in content ? content.snapshot : undefined,
      generation,
    );
    return A.getHeads(doc);
  }
}
