/**
 * The way in: a document's changes are pulled from the relay after this device's cursor, each
 * verified against the membership log this device verified (verify.ts), decrypted with the key of
 * its epoch, and applied to the vault in one transaction with its id and the cursor. What fails
 * is kept aside in the quarantine table, named in a warning, and never applied (S5). The relay's
 * own bookkeeping is checked too: a rollback, a skipped or withheld change, a reordering.
 */
import * as A from '@automerge/automerge';
import { equalBytes, fromHex } from '../../common/crypto/sodium.ts';
import { Emitter } from '../../common/emitter.ts';
import { HearthError } from '../../common/errors.ts';
import { openChange, type ParsedChange } from '../../common/protocol/change.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { canDeleteContent, canManageMembers, withArticle } from '../../common/roles.ts';
import type { CommentRecord } from '../vault/comments.ts';
import type { DocumentContent } from '../vault/documents.ts';
import type { Vault } from '../vault/vault.ts';
import { decodeChanges, decodeComment, decodeSnapshot } from './payload.ts';
import type { SpaceRegistry } from './spaces.ts';
import { reasonOf, type StatusBoard } from './status.ts';
import { signedChange, unverifiedMeta, verifyAgainst } from './verify.ts';
import { INDEX_DOC } from './workspace-index.ts';

/** The part of a relay client that pulling needs. */
export type InboundClient = Pick<RelayClient, 'pullAll'>;

/** A verified change from the relay that was applied (the index's changes as kind 'index'). */
export interface RemoteChange {
  workspaceId: string;
  documentId: string;
  kind: 'content' | 'comment' | 'snapshot' | 'index';
}

export interface InboundHost {
  readonly vault: Pick<Vault, 'syncState' | 'documents' | 'comments'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'get' | 'view' | 'index' | 'setIndex' | 'documentState' | 'shareOf'>;
  readonly status: Pick<StatusBoard, 'warn'>;
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

export class Inbound {
  private applyingNow = false;
  /** Each verified change applied here (the app tells its pages; comments have no vault listener for that). */
  readonly remote = new Emitter<RemoteChange>();

  constructor(private readonly host: InboundHost) {}

  /** True while a change from the relay is being written to the vault (its listeners are hearing a remote change). */
  get applying(): boolean {
    return this.applyingNow;
  }

  /** Pulls one document's changes after the cursor and verifies and applies each in order. */
  async pull(spaceId: string, documentId: string, client: InboundClient): Promise<{ applied: number; refused: number }> {
    const start = this.host.spaces.documentState(spaceId, documentId).cursor;
    const page = await client.pullAll(spaceId, documentId, start);
    let applied = 0;
    let refused = 0;
    let previous = start;
    if (page.snapshot) {
      // Everything up to `covers` in one encrypted, signed blob; the relay dropped those changes.
      if (page.snapshot.covers <= start) {
        refused++;
        this.refuse(spaceId, documentId, page.snapshot.covers, page.snapshot.bytes, new HearthError('RECORD_TAMPERED', `a snapshot covering ${page.snapshot.covers}, which this device had already passed`), false);
      } else if (this.receive(spaceId, documentId, page.snapshot.covers, page.snapshot.bytes, 'snapshot')) applied++;
      else refused++;
      previous = Math.max(previous, page.snapshot.covers);
    }
    if (page.latest < start) {
      this.host.status.warn(spaceId, documentId, 'RECORD_TAMPERED', `the relay says it holds changes up to ${page.latest} of a document, but this device already received up to ${start}: it rolled back or lost changes.`);
    }
    const last = page.changes.at(-1)?.seq ?? previous;
    if (last < page.latest) {
      this.host.status.warn(spaceId, documentId, 'RECORD_TAMPERED', `the relay says it holds changes up to ${page.latest} of a document but delivered only up to ${last}: it withholds changes.`);
    }
    let expected = previous + 1;
    const delivered = new Map<number, Uint8Array>();
    for (const { seq, bytes } of page.changes) {
      if (seq > expected) {
        this.host.status.warn(spaceId, documentId, 'RECORD_TAMPERED', `the relay skipped change${seq - expected > 1 ? `s ${expected}–${seq - 1}` : ` ${expected}`} of a document: it withholds changes.`);
      }
      expected = Math.max(expected, seq + 1);
      // Paging may hand the same change out twice; only a different blob under a used number is an attack.
      const earlier = delivered.get(seq);
      if (earlier && equalBytes(earlier, bytes)) continue;
      delivered.set(seq, bytes);
      if (seq <= previous) {
        refused++;
        this.refuse(spaceId, documentId, seq, bytes, new HearthError('RECORD_TAMPERED', `changes out of order (sequence ${seq} after ${previous})`), false);
        continue;
      }
      previous = seq;
      if (this.receive(spaceId, documentId, seq, bytes)) applied++;
      else refused++;
    }
    return { applied, refused };
  }

  /** Verifies, decrypts and applies one change; false when it was refused (and quarantined). */
  receive(spaceId: string, documentId: string, seq: number, bytes: Uint8Array, as: 'change' | 'snapshot' = 'change'): boolean {
    let change: ParsedChange;
    let plaintext: Uint8Array;
    try {
      // This vault's own change coming back (pulled after a push): genuine, signed by this vault and
      // already here; skipped before the role checks, which would refuse it once this vault's role was lowered.
      // Looked at unverified first, so each change's signature is checked once: here for our own, in verifyWith otherwise.
      const claimed = unverifiedMeta(bytes);
      if (claimed?.author === this.host.account && claimed.space === spaceId && claimed.doc === documentId && this.host.vault.syncState.hasSeen(spaceId, documentId, claimed.id) && signedChange(bytes)) {
        this.advance(spaceId, documentId, seq);
        return true;
      }
      change = verifyAgainst(this.host.spaces.view(spaceId), spaceId, documentId, bytes);
      if ((change.meta.kind === 'snapshot') !== (as === 'snapshot')) throw new HearthError('RECORD_TAMPERED', as === 'snapshot' ? 'a change passed off as a snapshot' : 'a snapshot passed off as a change');
      if (this.host.vault.syncState.hasSeen(spaceId, documentId, change.meta.id)) {
        if (change.meta.author === this.host.account) {
          this.advance(spaceId, documentId, seq);
          return true; // our own change coming back
        }
        throw new HearthError('RECORD_TAMPERED', 'a change delivered a second time (a replay)');
      }
      const key = this.host.spaces.get(spaceId).epochKeys[change.meta.epoch];
      if (!key) throw new HearthError('RECORD_TAMPERED', `a change under key epoch ${change.meta.epoch}, whose key this device was never given`);
      const opened = openChange(change, fromHex(key));
      if (!opened) throw new HearthError('RECORD_TAMPERED', 'a change whose ciphertext does not decrypt (altered bytes)');
      plaintext = opened;
    } catch (error) {
      this.refuse(spaceId, documentId, seq, bytes, error);
      return false;
    }
    try {
      this.apply(spaceId, documentId, change, plaintext, seq);
      return true;
    } catch (error) {
      this.refuse(spaceId, documentId, seq, bytes, error);
      return false;
    }
  }

  private advance(spaceId: string, documentId: string, seq: number): void {
    const state = this.host.spaces.documentState(spaceId, documentId);
    if (seq > state.cursor) this.host.vault.syncState.putDocument(spaceId, documentId, { ...state, cursor: seq });
  }

  private refuse(spaceId: string, documentId: string, seq: number, bytes: Uint8Array, error: unknown, advance = true): void {
    const { code, message } = reasonOf(error);
    this.host.vault.syncState.transaction(() => {
      this.host.vault.syncState.quarantine(spaceId, { documentId, relaySeq: seq, code, reason: message, at: Date.now(), bytes });
      if (advance) this.advance(spaceId, documentId, seq);
    });
    this.host.status.warn(spaceId, documentId, code === 'FORBIDDEN' ? 'FORBIDDEN' : 'RECORD_TAMPERED', `The relay delivered ${message}; it was not applied and is kept aside.`);
  }

  /** Applies a verified change, records its id and the cursor, all in one transaction. */
  private apply(spaceId: string, documentId: string, change: ParsedChange, plaintext: Uint8Array, seq: number): void {
    const { meta } = change;
    let deleted: string[] = [];
    let deletedFiles: string[] = [];
    this.applyingNow = true;
    try {
      this.host.vault.syncState.transaction(() => {
        const state = this.host.spaces.documentState(spaceId, documentId);
        let heads = state.heads;
        const comments = { ...state.comments };
        const snapshot = meta.kind === 'snapshot' ? decodeSnapshot(plaintext) : undefined;
        const automergeChanges = () => (snapshot ? snapshotChanges(snapshot.documentBytes) : decodeChanges(plaintext));
        if (documentId === INDEX_DOC) {
          if (meta.kind === 'comment') throw new HearthError('RECORD_TAMPERED', 'a comment on the workspace index');
          const before = this.host.spaces.index(spaceId);
          // On a clone: a refused change must leave the index as it was (applyChanges retires `before`).
          const [next] = A.applyChanges(A.clone(before), automergeChanges());
          // A document dropped from the index was deleted; only a role that may delete content can do that.
          deleted = Object.keys(before.docs ?? {}).filter((d) => !next.docs?.[d]);
          deletedFiles = Object.keys(before.files ?? {}).filter((f) => !next.files?.[f]);
          const signer = this.host.spaces.view(spaceId).roleAt(meta.head, meta.author);
          if (deleted.length + deletedFiles.length > 0 && (!signer || !canDeleteContent(signer))) {
            throw new HearthError(
              'FORBIDDEN',
              `a deletion of ${deleted.length} document(s) and ${deletedFiles.length} file(s) by ${signer ? `${withArticle(signer)}, who may not delete content` : 'someone who was not a member'}`,
            );
          }
          this.host.spaces.setIndex(spaceId, next);
          heads = A.getHeads(next);
        } else if (meta.kind !== 'comment') {
          heads = this.applyContent(spaceId, documentId, snapshot ? { snapshot: snapshot.documentBytes } : { changes: decodeChanges(plaintext) }, meta.at);
          // The snapshot's author vouches for the comments in it (they were verified when it took them in).
          for (const record of snapshot?.comments ?? []) {
            this.applyComment(spaceId, documentId, record, undefined);
            this.host.afterRemoteComment(spaceId, record, undefined);
            comments[record.id] = Math.max(comments[record.id] ?? 0, record.updatedAt);
          }
        } else {
          const record = decodeComment(plaintext);
          // An Owner or Admin passing on comments between a workspace and a shared document's space vouches for them.
          const signer = this.host.spaces.view(spaceId).roleAt(meta.head, meta.author);
          this.applyComment(spaceId, documentId, record, signer && canManageMembers(signer) && record.author !== this.host.spaces.index(spaceId).members?.[meta.author]?.username ? undefined : meta.author);
          this.host.afterRemoteComment(spaceId, record, meta.author);
          comments[record.id] = record.updatedAt;
        }
        this.host.vault.syncState.markSeen(spaceId, documentId, meta.id);
        this.host.vault.syncState.putDocument(spaceId, documentId, {
          cursor: Math.max(seq, state.cursor),
          heads,
          comments,
          ...(meta.kind === 'snapshot' ? { snapshotAt: seq } : state.snapshotAt !== undefined ? { snapshotAt: state.snapshotAt } : {}),
        });
      });
    } finally {
      this.applyingNow = false;
    }
    if (deleted.length + deletedFiles.length > 0) this.host.removed(spaceId, deleted, deletedFiles);
    if (documentId !== INDEX_DOC) this.host.forward(spaceId, documentId);
    // A listener's trouble is not the change's: it is applied and recorded (Emitter swallows it).
    this.remote.emit({ workspaceId: spaceId, documentId, kind: documentId === INDEX_DOC ? 'index' : meta.kind });
  }

  private applyContent(spaceId: string, documentId: string, content: { snapshot: Uint8Array } | { changes: Uint8Array[] }, at: number): string[] {
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
        if (!decoded.deps.every((dep) => inBatch.has(dep) || has(dep))) throw new HearthError('RECORD_TAMPERED', 'a change whose earlier history the relay has not delivered');
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
    if (A.getMissingDeps(doc, []).length > 0) throw new HearthError('RECORD_TAMPERED', 'a change whose earlier history the relay has not delivered');
    this.host.vault.documents.adoptLoaded(holder, documentId, doc, { createdAt: at, updatedAt: at }, 'snapshot' in content ? content.snapshot : undefined);
    return A.getHeads(doc);
  }

  private applyComment(spaceId: string, documentId: string, record: CommentRecord, author: string | undefined): void {
    if (record.documentId !== documentId) throw new HearthError('RECORD_TAMPERED', 'a comment filed under another document');
    if (!this.host.vault.documents.has(documentId)) throw new HearthError('CONFLICT', 'a comment on a document this device does not have');
    const directory = this.host.spaces.index(spaceId).members ?? {};
    const username = author === undefined ? undefined : directory[author]?.username;
    const existing = this.host.vault.comments.records(documentId).find((r) => r.id === record.id);
    if (!existing) {
      // A new comment must be in its signer's own name.
      if (username && record.author !== username) throw new HearthError('FORBIDDEN', `a comment signed by ${username} but written in the name of ${record.author}`);
      this.host.vault.comments.adopt(record);
      return;
    }
    if (record.updatedAt <= existing.updatedAt) return;
    // Someone else may resolve or reopen a thread, but only its author may change what it says.
    if (record.text !== existing.text && author !== undefined && username !== existing.author) throw new HearthError('FORBIDDEN', `an edit of ${existing.author}'s comment by someone else`);
    this.host.vault.comments.replace({ ...existing, text: record.text, resolved: record.resolved, updatedAt: record.updatedAt });
  }
}
