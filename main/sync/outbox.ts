/**
 * The way out: local edits are captured into the vault's sealed outbox in the same tick they are
 * persisted (and, after a crash or edits made without the engine, by comparing each document with
 * the heads already handed over), then pushed in order, sealed under the space's current key and
 * signed by this vault. A document travelling through several spaces passes on what arrived
 * through one to the others; a writer uploads a snapshot once enough changes piled up.
 */
import * as A from '@automerge/automerge';
import { fromHex, hash, newId, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { capitalise, countOf } from '../../common/wording.ts';
import { sealChange } from '../../common/protocol/change.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { canManageMembers, canPush, canWriteContent, type CommentOp } from '../../common/roles.ts';
import type { OutboxEntry } from '../vault/sync-state.ts';
import type { Vault } from '../vault/vault.ts';
import {
  decodeOutgoingComment,
  encodeChanges,
  encodeComment,
  encodeOutgoingComment,
  encodeSnapshot,
  encodeTombstone,
  joinChanges,
  type OutgoingComment,
} from './payload.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import { reasonOf, type StatusBoard } from './status.ts';
import { INDEX_DOC, rebuiltIndex } from './workspace-index.ts';

/** The part of a relay client that sending needs. */
export type OutboxClient = Pick<RelayClient, 'push' | 'putSnapshot'>;

export interface OutboxHost<C extends OutboxClient> {
  readonly vault: Pick<Vault, 'syncState' | 'documents' | 'comments' | 'identityKeys' | 'profile'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'get' | 'put' | 'view' | 'index' | 'setIndex' | 'changeIndex' | 'documentState' | 'spacesOf' | 'docsOf'>;
  readonly status: Pick<StatusBoard, 'set' | 'warn'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  /** Largest blob consecutive queued changes are coalesced into. */
  readonly maxBlobBytes: number;
  /** After this many relay changes past the last snapshot, a writer uploads one. */
  readonly snapshotEvery: number;
  /** Whether live sync runs (a push is scheduled only then; otherwise the next round sends it). */
  isLive(): boolean;
  /** The open client of a relay, if any (a live push never connects; the reconnect loop does). */
  openClient(url: string): Promise<C | undefined>;
  /** A document this vault pushed for the first time: follow it now, so peers' edits to it arrive live. */
  pushedNew(spaceId: string, documentId: string, client: C): Promise<void>;
}

/** Consecutive outbox entries of one document and kind, up to `maxBytes`; comments travel one by one. */
export function takeGroup(entries: OutboxEntry[], maxBytes: number): OutboxEntry[] {
  const first = entries[0]!;
  if (first.kind === 'comment') return [first];
  const group = [first];
  let bytes = first.payload.length;
  for (const entry of entries.slice(1)) {
    if (entry.documentId !== first.documentId || entry.kind !== first.kind || bytes + entry.payload.length > maxBytes) break;
    group.push(entry);
    bytes += entry.payload.length;
  }
  return group;
}

/** What a queued comment change sends (sealed) and says about itself in the change's metadata. */
function commentPayload(outgoing: OutgoingComment): { payload: Uint8Array; comment: { id: string; thread: string; op: CommentOp } } {
  if (outgoing.op === 'delete') return { payload: encodeTombstone(outgoing), comment: { id: outgoing.id, thread: outgoing.id, op: 'delete' } };
  return { payload: encodeComment(outgoing.record), comment: { id: outgoing.record.id, thread: outgoing.record.threadId, op: outgoing.op } };
}

export class Outbox<C extends OutboxClient = RelayClient> {
  /** Spaces whose documents were compared with the handed-over heads since this engine started. */
  private readonly reconciled = new Set<string>();
  private readonly pushQueued = new Set<string>();

  constructor(private readonly host: OutboxHost<C>) {}

  /** A local edit was persisted: queue it in every space the document travels through. */
  documentChanged(documentId: string, changes: readonly Uint8Array[]): void {
    for (const spaceId of this.host.spaces.spacesOf(documentId)) {
      if (!this.reconciled.has(spaceId)) {
        // First edit since this engine started: first queue anything a crash left behind (this edit included).
        this.captureAll(spaceId);
      } else {
        this.captureChanges(spaceId, documentId, changes);
      }
      this.schedule(spaceId);
    }
  }

  /** A local comment was written or changed. */
  commentChanged(documentId: string): void {
    for (const spaceId of this.host.spaces.spacesOf(documentId)) {
      this.captureComments(spaceId, documentId);
      this.schedule(spaceId);
    }
  }

  /** After a crash or edits made without the engine (the CLI): queue everything not yet handed over. */
  captureAll(spaceId: string): void {
    this.reconciled.add(spaceId);
    for (const id of this.host.spaces.docsOf(spaceId)) {
      this.captureDocument(spaceId, id);
      this.captureComments(spaceId, id);
    }
  }

  /** Lists a document in the space's index the first time it goes out. */
  private listInIndex(spaceId: string, documentId: string): void {
    if (this.host.spaces.index(spaceId).docs?.[documentId]) return;
    const createdAt = this.host.vault.documents.summary(documentId).createdAt;
    this.host.spaces.changeIndex(spaceId, (d) => {
      if (!d.docs) d.docs = {};
      d.docs[documentId] = { createdAt };
    });
  }

  /**
   * Queues the changes a listener was just told about, without reading the document (which would
   * force the vault to apply an editor's changes at once; see DocumentStore.appendChanges). The
   * handed-over heads move past them: add each change, drop what it depends on.
   */
  private captureChanges(spaceId: string, documentId: string, changes: readonly Uint8Array[]): void {
    const { vault, spaces } = this.host;
    const state = spaces.documentState(spaceId, documentId);
    if (state.heads.length === 0 || changes.length === 0) {
      this.captureDocument(spaceId, documentId);
      return;
    }
    const heads = new Set(state.heads);
    for (const change of changes) {
      const decoded = A.decodeChange(change);
      for (const dep of decoded.deps) heads.delete(dep);
      heads.add(decoded.hash!);
    }
    vault.syncState.transaction(() => {
      this.listInIndex(spaceId, documentId);
      vault.syncState.enqueue(spaceId, { documentId, kind: 'content', payload: encodeChanges([...changes]) });
      vault.syncState.putDocument(spaceId, documentId, { ...state, heads: [...heads].sort() });
    });
  }

  /** Queues whatever the document has beyond the heads already handed over; lists new documents in the index. */
  captureDocument(spaceId: string, documentId: string): number {
    const { vault, spaces } = this.host;
    const doc = vault.documents.get(documentId);
    const state = spaces.documentState(spaceId, documentId);
    const changes = state.heads.length === 0 ? A.getAllChanges(doc) : A.getChanges(A.view(doc, state.heads), doc);
    if (changes.length === 0) return 0;
    vault.syncState.transaction(() => {
      this.listInIndex(spaceId, documentId);
      vault.syncState.enqueue(spaceId, { documentId, kind: 'content', payload: encodeChanges(changes) });
      vault.syncState.putDocument(spaceId, documentId, { ...state, heads: A.getHeads(doc) });
    });
    return changes.length;
  }

  /**
   * Queues the comments written, changed or deleted since they were last sent or received: a
   * comment this space had (its version is recorded) that is no longer here was deleted here, and
   * its deletion goes out. A change to someone else's comment can only be a resolve or reopen.
   */
  captureComments(spaceId: string, documentId: string): number {
    const { vault, spaces } = this.host;
    const state = spaces.documentState(spaceId, documentId);
    const records = vault.comments.records(documentId);
    const erased = new Set(state.erased ?? []);
    const here = new Set(records.map((r) => r.id));
    const changed = records.filter((r) => state.comments[r.id] !== r.updatedAt && !erased.has(r.id));
    const deleted = Object.keys(state.comments).filter((id) => !here.has(id));
    if (changed.length + deleted.length === 0) return 0;
    const me = vault.profile.username;
    vault.syncState.transaction(() => {
      const comments = { ...state.comments };
      for (const record of changed) {
        const op = comments[record.id] === undefined || record.author === me ? 'write' : 'resolve';
        vault.syncState.enqueue(spaceId, { documentId, kind: 'comment', payload: encodeOutgoingComment({ op, record }) });
        comments[record.id] = record.updatedAt;
      }
      for (const id of deleted) {
        vault.syncState.enqueue(spaceId, { documentId, kind: 'comment', payload: encodeOutgoingComment({ op: 'delete', id, documentId }) });
        delete comments[id];
      }
      // Re-read: capturing the comments may follow capturing the document in the same tick.
      vault.syncState.putDocument(spaceId, documentId, { ...spaces.documentState(spaceId, documentId), comments, erased: [...erased, ...deleted] });
    });
    return changed.length + deleted.length;
  }

  /**
   * A document that travels through several spaces (a team workspace's document also shared with
   * people outside it) passes what arrived through one space on to the others, signed by this vault.
   */
  forward(fromSpace: string, documentId: string): void {
    const { vault, spaces, account } = this.host;
    if (!vault.documents.has(documentId)) return;
    for (const spaceId of spaces.spacesOf(documentId)) {
      if (spaceId === fromSpace) continue;
      const role = spaces.view(spaceId).role(account);
      if (!role || !canWriteContent(role)) continue;
      this.captureDocument(spaceId, documentId);
      this.captureComments(spaceId, documentId);
      this.schedule(spaceId);
    }
  }

  /** While live: pushes the space's outbox soon, once for a burst of edits, through the open connection. */
  schedule(spaceId: string): void {
    const { host } = this;
    if (!host.isLive() || this.pushQueued.has(spaceId) || host.spaces.get(spaceId).paused) return;
    this.pushQueued.add(spaceId);
    host.status.set(spaceId, {});
    void host.queues
      .run(spaceId, async () => {
        this.pushQueued.delete(spaceId);
        const client = await host.openClient(host.spaces.get(spaceId).relay);
        if (!client) return; // the reconnect loop pushes when the relay is back
        await this.push(spaceId, client);
      })
      .catch((error) => host.status.set(spaceId, { state: 'error', reason: reasonOf(error) }));
  }

  /** Sends the outbox in order, coalescing consecutive entries of one document and kind into one blob. */
  async push(spaceId: string, client: C): Promise<number> {
    const { vault, spaces, status, account } = this.host;
    let pushed = 0;
    const keys = vault.identityKeys();
    for (;;) {
      const queued = vault.syncState.outbox(spaceId, 500);
      if (queued.length === 0) break;
      const view = spaces.view(spaceId);
      const role = view.role(account);
      const epoch = view.currentEpoch;
      const keyHex = spaces.get(spaceId).epochKeys[epoch];
      if (!keyHex)
        throw new HearthError(
          'UNAVAILABLE',
          `The key for epoch ${epoch} of this workspace has not reached this device yet; changes wait in the outbox until it does.`,
        );
      const group = takeGroup(queued, this.host.maxBlobBytes);
      const first = group[0]!;
      const outgoing = first.kind === 'comment' ? decodeOutgoingComment(first.payload, vault.profile.username) : undefined;
      if (!role || !canPush(role, first.kind, outgoing?.op)) {
        // A change this role may not make never goes out; it stays in this vault's copy only.
        vault.syncState.transaction(() => group.forEach((e) => vault.syncState.dequeue(e.seq)));
        status.warn(
          spaceId,
          first.documentId,
          'FORBIDDEN',
          `${capitalise(countOf(group.length, `local ${first.kind} change`))} ${group.length === 1 ? 'was' : 'were'} not sent: as ${role ?? 'a non-member'} you cannot write ${first.kind} in this workspace.`,
        );
        continue;
      }
      const { payload, comment } = outgoing ? commentPayload(outgoing) : { payload: joinChanges(group.map((e) => e.payload)), comment: undefined };
      // The same group always gets the same id, so a push retried after a lost answer is not stored twice.
      const changeId = group.length === 1 ? first.changeId : toBase64Url(hash(utf8(group.map((e) => e.changeId).join(',')), 16));
      const blob = sealChange(
        {
          space: spaceId,
          doc: first.documentId,
          kind: first.kind,
          epoch,
          head: view.head,
          author: account,
          id: changeId,
          at: Math.floor(Date.now()),
          ...(comment ? { comment } : {}),
          ...this.generationMeta(first.documentId),
        },
        payload,
        fromHex(keyHex),
        keys.signSecretKey,
      );
      try {
        await client.push(spaceId, first.documentId, blob);
      } catch (error) {
        // The document's history was forgotten meanwhile: the pull that follows brings its new
        // generation and carries these edits onto it (generations.ts); until then they wait here.
        if (isHearthError(error, 'STALE_GENERATION')) break;
        // The relay's comment rules (or a comment deleted meanwhile) refused it: it stays here only; the rest goes on.
        if (!outgoing || !(isHearthError(error, 'FORBIDDEN') || isHearthError(error, 'NOT_FOUND'))) throw error;
        vault.syncState.dequeue(first.seq);
        const what = outgoing.op === 'delete' ? 'Your deletion of a comment' : outgoing.op === 'resolve' ? 'Your resolving of a thread' : 'Your comment';
        status.warn(
          spaceId,
          first.documentId,
          error.code,
          `${what} did not reach the others: the relay refused it (${error.message}) It stays on this device only.`,
        );
        continue;
      }
      vault.syncState.transaction(() => {
        for (const entry of group) vault.syncState.dequeue(entry.seq);
        vault.syncState.markSeen(spaceId, first.documentId, changeId);
      });
      pushed += group.length;
      status.set(spaceId, {});
      await this.host.pushedNew(spaceId, first.documentId, client);
    }
    return pushed;
  }

  /** The `gen` a change of the document carries: its generation here, absent while it has all its history. */
  private generationMeta(documentId: string): { gen?: number } {
    const documents = this.host.vault.documents;
    const gen = documentId !== INDEX_DOC && documents.has(documentId) ? documents.generationOf(documentId) : 0;
    return gen > 0 ? { gen } : {};
  }

  /**
   * An Owner or Admin with every index change up to its cursor (nothing of its own unsent) uploads
   * the index's next generation (rebuiltIndex: the present state, without deleted accounts'
   * directory entries) as a snapshot covering every index change it has; the relay drops those,
   * and every member replaces its copy on applying it (apply.ts). Tried again next round if the
   * relay holds a newer snapshot or a change came in between.
   */
  async rebuildIndexIfDue(spaceId: string, client: C): Promise<void> {
    const { vault, spaces, account } = this.host;
    const forget = spaces.get(spaceId).forgetInIndex ?? [];
    if (forget.length === 0) return;
    const view = spaces.view(spaceId);
    const role = view.role(account);
    const keyHex = spaces.get(spaceId).epochKeys[view.currentEpoch];
    if (!role || !canManageMembers(role) || !keyHex) return;
    if (vault.syncState.outbox(spaceId).some((e) => e.documentId === INDEX_DOC)) return;
    const state = spaces.documentState(spaceId, INDEX_DOC);
    if (state.cursor <= (state.snapshotAt ?? 0)) return;
    const next = rebuiltIndex(spaces.index(spaceId), forget);
    const blob = sealChange(
      { space: spaceId, doc: INDEX_DOC, kind: 'snapshot', epoch: view.currentEpoch, head: view.head, author: account, id: newId(), at: Date.now() },
      encodeSnapshot(A.save(next), []),
      fromHex(keyHex),
      vault.identityKeys().signSecretKey,
    );
    try {
      await client.putSnapshot(spaceId, INDEX_DOC, state.cursor, blob);
    } catch (error) {
      if (isHearthError(error, 'CONFLICT')) return;
      throw error;
    }
    vault.syncState.transaction(() => {
      spaces.setIndex(spaceId, next);
      vault.syncState.putDocument(spaceId, INDEX_DOC, { ...spaces.documentState(spaceId, INDEX_DOC), heads: A.getHeads(next), snapshotAt: state.cursor });
      const { forgetInIndex: _done, ...rest } = spaces.get(spaceId);
      spaces.put(spaceId, rest);
    });
  }

  /**
   * A writer that has everything up to its cursor uploads the whole document, encrypted and
   * signed, once enough changes piled up after the last snapshot; the relay then drops the
   * changes it covers, so a new member downloads one snapshot and a short tail.
   */
  async snapshotIfDue(spaceId: string, documentId: string, client: C): Promise<void> {
    const { vault, spaces, account } = this.host;
    const state = spaces.documentState(spaceId, documentId);
    if (state.cursor - (state.snapshotAt ?? 0) < this.host.snapshotEvery) return;
    const view = spaces.view(spaceId);
    const role = view.role(account);
    const keyHex = spaces.get(spaceId).epochKeys[view.currentEpoch];
    if (!role || !canWriteContent(role) || !keyHex) return;
    if (!vault.documents.has(documentId) && documentId !== INDEX_DOC) return;
    // A document whose history was erased: its snapshots carry the generation's signed record, so a
    // member who missed the first can take the generation in (generations.ts adopt); without it, none.
    const gen = documentId === INDEX_DOC ? 0 : vault.documents.generationOf(documentId);
    if (gen > 0 && state.generation?.gen !== gen) return;
    // Comments stay out of snapshots: each travels in its own changes, which a deletion can reach
    // (payload.ts); a new generation's comments too (generations.ts sends them beside its snapshot).
    const bytes = encodeSnapshot(documentId === INDEX_DOC ? A.save(spaces.index(spaceId)) : vault.documents.save(documentId), [], state.generation);
    const blob = sealChange(
      {
        space: spaceId,
        doc: documentId,
        kind: 'snapshot',
        epoch: view.currentEpoch,
        head: view.head,
        author: account,
        id: newId(),
        at: Date.now(),
        ...this.generationMeta(documentId),
      },
      bytes,
      fromHex(keyHex),
      vault.identityKeys().signSecretKey,
    );
    try {
      await client.putSnapshot(spaceId, documentId, state.cursor, blob);
    } catch (error) {
      // Another member's snapshot got there first; theirs serves as well. Or the history was forgotten: the next pull brings the new generation.
      if (!isHearthError(error, 'CONFLICT') && !isHearthError(error, 'STALE_GENERATION')) throw error;
    }
    vault.syncState.putDocument(spaceId, documentId, { ...spaces.documentState(spaceId, documentId), snapshotAt: state.cursor });
  }
}
