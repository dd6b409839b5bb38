/**
 * Forgetting a document's edit history in a team workspace (or a shared document's space), and
 * taking in a member's forgetting. The forgetter pushes what it has, pulls everything, and sends
 * the relay the new generation's first snapshot (forgetHistory), which replaces the log there in
 * one step, with a signed generation record inside: who forgot, at which membership head, and the
 * old generation's clock (which changes the new one covers). A member who sees that snapshot
 * checks the record (signature, role at that head), replaces its copy (the vault drops the old
 * chunks and scrubs), and carries its own edits the forgetter never saw onto the new generation
 * (common/history/generation.ts carryEdits), or keeps them as a visible copy of the document.
 * From then on any change of an older generation is dropped unread: a relay replaying one cannot
 * bring forgotten text back, and nothing of it is kept aside to decrypt later.
 */
import * as A from '@automerge/automerge';
import { fromHex, newId } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { carryEdits, clockOf } from '../../common/history/generation.ts';
import { horizonOf, type Retention } from '../../common/history/retention.ts';
import { sealChange, type ChangeMeta, type ParsedChange } from '../../common/protocol/change.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { signGenerationRecord, verifyGenerationRecord, type GenerationRecord } from '../../common/protocol/generation.ts';
import { canForgetHistory, withArticle } from '../../common/roles.ts';
import { editToSpans } from '../../common/richtext/editToSpans.ts';
import type { CommentRecord } from '../vault/comments.ts';
import type { HearthDoc } from '../vault/documents.ts';
import { forgetHere, installGeneration, nextGeneration, reanchoredComments } from '../vault/generations.ts';
import type { Vault } from '../vault/vault.ts';
import { decodeSnapshot, encodeComment, encodeSnapshot } from './payload.ts';
import type { AccountPermissions } from './permissions.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import type { StatusBoard } from './status.ts';
import { unverifiedMeta } from './verify.ts';

/** A forget that found edits newer than what it had tries again this many times (pulling them first). */
const FORGET_ATTEMPTS = 4;

export type GenerationClient = Pick<RelayClient, 'forgetHistory'>;

export interface GenerationHost<C extends GenerationClient> {
  readonly vault: Pick<Vault, 'documents' | 'comments' | 'syncState' | 'identityKeys' | 'workspaces'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'get' | 'view' | 'documentState' | 'spacesOf' | 'changeIndex' | 'index' | 'isTeam' | 'peopleOf'>;
  readonly status: Pick<StatusBoard, 'warn'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  readonly permissions: Pick<AccountPermissions, 'assertCan'>;
  /** Ends the share space this vault made for the document if nobody else is left in it; the people it is still shared with (sharing.ts endIfAlone). */
  endShareIfAlone(documentId: string): Promise<string[]>;
  /** Catches up with the space's membership; the signed-in client, or undefined when the relay is out of reach. */
  refreshIfReachable(spaceId: string): Promise<C | undefined>;
  push(spaceId: string, client: C): Promise<unknown>;
  pull(spaceId: string, documentId: string, client: C): Promise<unknown>;
}

/** What a member's copy became when it took in a new generation. */
export type Adopted = 'replaced' | 'carried' | 'conflict-copy';

/** Why a document shared alone cannot have its history erased, and exactly what to do about it. */
function sharedAloneError(people: readonly string[]): HearthError {
  const whom =
    people.length === 0 ? 'people outside its workspace' : people.length === 1 ? people[0]! : `${people.slice(0, -1).join(', ')} and ${people.at(-1)}`;
  return new HearthError(
    'CONFLICT',
    `Nothing was erased: this document is also shared on its own with ${whom}. Stop sharing it first (Share, then Revoke beside ${people.length === 1 ? 'them' : 'each person'}; or \`hearth share revoke DOC --user USERNAME\`), then erase its edit history. You can share it again afterwards; it goes without its history.`,
  );
}

export class Generations<C extends GenerationClient = RelayClient> {
  constructor(private readonly host: GenerationHost<C>) {}

  /** Everyone whose edits a document's history may hold: the members, past and present, of the spaces it travels through. */
  people(documentId: string): Array<{ account: string; username?: string; displayName?: string }> {
    return this.host.spaces.peopleOf(documentId);
  }

  /** The generation this vault holds of a document (0 for one it does not have). */
  generationOf(documentId: string): number {
    return this.host.vault.documents.has(documentId) ? this.host.vault.documents.generationOf(documentId) : 0;
  }

  /**
   * Forgets a document's history here and, where it syncs, at the relay and every member.
   * Needs the relay (UNAVAILABLE otherwise: nothing changes). Returns the new generation.
   */
  async forget(documentId: string, horizon?: number): Promise<number | undefined> {
    const { vault, spaces } = this.host;
    let through = spaces.spacesOf(documentId);
    if (through.length === 0) return forgetHere(vault, documentId, horizon);
    if (through.length > 1) {
      // Shared alone too: one generation cannot be put in two spaces at once. A share nobody is left in ends here.
      const people = await this.host.endShareIfAlone(documentId);
      if (people.length > 0) throw sharedAloneError(people);
      through = spaces.spacesOf(documentId);
      if (through.length > 1) throw sharedAloneError([]);
    }
    const [spaceId] = through as [string];
    const client = await this.host.refreshIfReachable(spaceId);
    if (!client)
      throw new HearthError(
        'UNAVAILABLE',
        'Erasing edit history needs the relay, which cannot be reached now; nothing was changed. Try again when you are online.',
      );
    this.host.permissions.assertCan(vault.documents.workspaceOf(documentId), 'delete', documentId);
    return this.host.queues.run(spaceId, async () => {
      // Everything of ours reaches the relay first, and everything of others reaches us: the new
      // generation is made from the whole document, so no edit falls between the two.
      for (let attempt = 1; ; attempt++) {
        await this.host.push(spaceId, client);
        await this.host.pull(spaceId, documentId, client);
        let generation: number | undefined;
        try {
          generation = await this.sendGeneration(spaceId, documentId, client, horizon);
        } catch (error) {
          if (!isHearthError(error, 'CONFLICT') || attempt >= FORGET_ATTEMPTS) throw error;
          continue;
        }
        if (generation === undefined) return undefined;
        // The signed index says so too: a member new to the document refuses its older generations.
        this.host.spaces.changeIndex(spaceId, (d) => {
          const entry = d.docs?.[documentId];
          if (entry) entry.gen = generation;
        });
        await this.host.push(spaceId, client);
        return generation;
      }
    });
  }

  private async sendGeneration(spaceId: string, documentId: string, client: C, horizon: number | undefined): Promise<number | undefined> {
    const { vault, spaces, account } = this.host;
    const at = Date.now();
    const made = nextGeneration(vault.documents, documentId, at, horizon);
    if (!made) return undefined;
    const { old, next, generation } = made;
    const view = spaces.view(spaceId);
    const epoch = view.currentEpoch;
    const keyHex = spaces.get(spaceId).epochKeys[epoch];
    if (!keyHex) throw new HearthError('UNAVAILABLE', `The key for epoch ${epoch} of this workspace has not reached this device yet; try again once it has.`);
    const keys = vault.identityKeys();
    const record = signGenerationRecord(
      {
        space: spaceId,
        doc: documentId,
        gen: generation,
        horizon: horizon ?? null,
        at,
        by: account,
        head: view.head,
        clock: clockOf(old),
        heads: A.getHeads(next),
      },
      keys.signSecretKey,
    );
    const comments = reanchoredComments(vault.comments.records(documentId), old, next, at);
    const changeId = newId();
    const seal = (meta: Omit<ChangeMeta, 'space' | 'doc' | 'epoch' | 'head' | 'author' | 'at' | 'gen'>, payload: Uint8Array) =>
      sealChange(
        { space: spaceId, doc: documentId, epoch, head: view.head, author: account, at, gen: generation, ...meta },
        payload,
        fromHex(keyHex),
        keys.signSecretKey,
      );
    // The snapshot holds the document alone; each comment goes beside it as a change of its own,
    // which the relay keeps under the snapshot and drops when the comment is deleted (S9).
    const blob = seal({ kind: 'snapshot', id: changeId }, encodeSnapshot(A.save(next), [], record));
    const carried = comments.map((c) => seal({ kind: 'comment', id: newId(), comment: { id: c.id, thread: c.threadId, op: 'write' } }, encodeComment(c)));
    const covers = spaces.documentState(spaceId, documentId).cursor;
    const seq = await client.forgetHistory(spaceId, documentId, generation, covers, blob, carried);
    this.install(spaceId, documentId, { next, generation, comments, seq, changeId, record });
    return generation;
  }

  /** Puts a new generation in place of the document, with the space's bookkeeping for it, in one transaction; then scrubs. */
  private install(
    spaceId: string,
    documentId: string,
    what: { next: HearthDoc; generation: number; comments: readonly CommentRecord[]; seq: number; changeId: string; record: GenerationRecord },
  ): void {
    const { vault, spaces } = this.host;
    vault.syncState.transaction(() => {
      const state = spaces.documentState(spaceId, documentId);
      vault.syncState.dropGeneration(spaceId, documentId, (bytes) => (unverifiedMeta(bytes)?.gen ?? 0) >= what.generation);
      installGeneration(vault, documentId, what.next, what.generation, what.comments);
      const sent = { ...state.comments };
      for (const record of what.comments) sent[record.id] = Math.max(sent[record.id] ?? 0, record.updatedAt);
      vault.syncState.putDocument(spaceId, documentId, {
        cursor: Math.max(what.seq, state.cursor),
        heads: A.getHeads(what.next),
        comments: sent,
        snapshotAt: what.seq,
        generation: what.record,
      });
      vault.syncState.markSeen(spaceId, documentId, what.changeId);
    });
    vault.documents.scrub();
  }

  /**
   * How long a workspace keeps edit history: a personal one's in its vault record, a team's in its
   * signed index. With `set`, changes it (the person of a personal workspace; Owner or Admin of a team).
   */
  retention(workspaceId: string, set?: Retention): Retention {
    const { vault, spaces } = this.host;
    const team = spaces.isTeam(workspaceId);
    if (set !== undefined) {
      this.host.permissions.assertCan(workspaceId, 'delete');
      if (team) {
        spaces.changeIndex(workspaceId, (d) => {
          if (set === 'forever') delete d.retention;
          else d.retention = set;
        });
      } else vault.workspaces.setRetention(workspaceId, set);
    }
    return (team ? spaces.index(workspaceId).retention : vault.workspaces.get(workspaceId).retention) ?? 'forever';
  }

  /**
   * Forgets, in every document of the workspace, the edits older than its retention allows. In a
   * team workspace only an Owner's or Admin's device does it, while the relay answers (else next
   * time). Returns the documents whose history was forgotten.
   */
  async applyRetention(workspaceId: string, now = Date.now()): Promise<string[]> {
    const horizon = horizonOf(this.retention(workspaceId), now);
    if (horizon === undefined) return [];
    if (this.host.spaces.isTeam(workspaceId)) {
      const role = this.host.spaces.view(workspaceId).role(this.host.account);
      if (!role || !canForgetHistory(role)) return [];
    }
    const forgotten: string[] = [];
    for (const { id } of this.host.vault.documents.list(workspaceId)) {
      try {
        if ((await this.forget(id, horizon)) !== undefined) forgotten.push(id);
      } catch (error) {
        if (!isHearthError(error, 'UNAVAILABLE') && !isHearthError(error, 'CONFLICT')) throw error;
      }
    }
    return forgotten;
  }

  /**
   * Takes in the first snapshot of a newer generation of a document this vault holds: checks its
   * record, replaces the copy, and carries this vault's edits the forgetter did not have.
   */
  adopt(spaceId: string, documentId: string, change: ParsedChange, plaintext: Uint8Array, seq: number): Adopted {
    const { vault } = this.host;
    const snapshot = decodeSnapshot(plaintext);
    const record = this.checkRecord(spaceId, documentId, change, snapshot.generation);
    let next: HearthDoc;
    try {
      next = A.load(snapshot.documentBytes, { actor: vault.documents.newActor() });
    } catch (cause) {
      throw new HearthError('BAD_REQUEST', 'a new generation whose snapshot is not a readable document', { cause });
    }
    if (!A.hasHeads(next, record.heads)) throw new HearthError('RECORD_TAMPERED', 'a new generation whose snapshot does not hold the state its record names');
    const old = vault.documents.get(documentId);
    const carried = carryEdits(old, record.clock, next, record.heads, vault.documents.newActor());
    // Comments only this vault has (written offline) keep their anchors where their text is in the carried state.
    const known = new Set(snapshot.comments.map((c) => c.id));
    const own = vault.comments.records(documentId).filter((c) => !known.has(c.id));
    const comments = [...snapshot.comments, ...reanchoredComments(own, old, carried.doc, Date.now())];
    this.install(spaceId, documentId, { next, generation: record.gen, comments, seq, changeId: change.meta.id, record });
    if (carried.kind === 'carried') {
      // A local edit of the new generation: the outbox sends it like any other.
      vault.documents.applyChanges(documentId, A.getChanges(next, carried.doc));
      return 'carried';
    }
    if (carried.kind === 'conflict') {
      const title = `${carried.mine.title || 'Untitled'} — your offline edits`;
      const copy = vault.documents.create(vault.documents.workspaceOf(documentId), { title, tags: carried.mine.tags });
      vault.documents.change(copy.id, (doc) => editToSpans(doc, ['body'], carried.mine.spans));
      this.host.status.warn(
        spaceId,
        documentId,
        'CONFLICT',
        `The edit history of a document was erased while you edited it offline; your edits could not be placed in it and are kept in “${title}”.`,
      );
      return 'conflict-copy';
    }
    return 'replaced';
  }

  /** The snapshot's generation record, checked: signed by the snapshot's author, for this document, by a role that may forget. */
  private checkRecord(spaceId: string, documentId: string, change: ParsedChange, value: unknown): GenerationRecord {
    if (value === undefined) throw new HearthError('RECORD_TAMPERED', 'a new generation of a document without the record that says who erased its history');
    const record = verifyGenerationRecord(value);
    const { meta } = change;
    // The record is signed by the forgetter; a later snapshot of the generation, by whichever writer made it, carries it too.
    if (record.space !== spaceId || record.doc !== documentId || record.gen !== meta.gen) {
      throw new HearthError('RECORD_TAMPERED', 'a new generation whose record names another document or generation');
    }
    if (record.gen <= this.generationOf(documentId)) throw new HearthError('RECORD_TAMPERED', 'a generation of a document this device has already passed');
    const role = this.host.spaces.view(spaceId).roleAt(record.head, record.by);
    if (!role || !canForgetHistory(role)) {
      throw new HearthError(
        'FORBIDDEN',
        `an erasure of a document's edit history by ${role ? `${withArticle(role)}, who may not erase it` : 'someone who was not a member'}`,
      );
    }
    return record;
  }
}
