/**
 * The way in: a document's changes are pulled from the relay after this device's cursor, each
 * verified against the membership log this device verified (verify.ts), decrypted with the key of
 * its epoch, and applied (apply.ts). What fails verification is refused: kept aside in the
 * quarantine table, named in a warning, never applied (S5). The relay's own bookkeeping is
 * checked too: a rollback, a skipped or withheld change, a reordering.
 *
 * One refused change must not freeze its document: a genuine change that builds on it (or on any
 * history not here) is held, not refused, and applies as soon as that history arrives: when the
 * relay serves a good copy of what it refused (asked again at the next round) or when a member
 * who has it sends it again (history-requests.ts asks them). Changes that do not build on it
 * apply as they come.
 */
import * as A from '@automerge/automerge';
import { equalBytes, fromHex } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import { openChange, type ParsedChange } from '../../common/protocol/change.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import type { QuarantinedChange } from '../vault/sync-state.ts';
import type { Vault } from '../vault/vault.ts';
import { ChangeApplier, MissingHistory, type ApplierHost } from './apply.ts';
import { decodeChanges } from './payload.ts';
import type { SpaceRegistry } from './spaces.ts';
import { reasonOf, type StatusBoard } from './status.ts';
import { signedChange, unverifiedMeta, verifyAgainst } from './verify.ts';
import { INDEX_DOC } from './workspace-index.ts';

export type { RemoteChange } from './apply.ts';

/** The part of a relay client that pulling needs. */
export type InboundClient = Pick<RelayClient, 'pullAll' | 'pull'>;

/** What became of a change from the relay. */
export type Outcome = 'applied' | 'refused' | 'waiting';

export interface PullResult {
  applied: number;
  refused: number;
  /** Genuine changes held until the history they build on arrives. */
  waiting: number;
}

export interface InboundHost extends ApplierHost {
  readonly vault: Pick<Vault, 'syncState' | 'documents' | 'comments' | 'enterOrigin'>;
  readonly account: string;
  readonly spaces: ApplierHost['spaces'] & Pick<SpaceRegistry, 'get'>;
  readonly status: Pick<StatusBoard, 'warn'>;
  /** The first snapshot of a newer generation of a document this vault holds: replace the copy (generations.ts). */
  adoptGeneration(spaceId: string, documentId: string, change: ParsedChange, plaintext: Uint8Array, seq: number): void;
}

/** How the relay handed a change out: in the log, as a snapshot, or as a comment change kept under a snapshot. */
type Delivered = 'change' | 'snapshot' | 'kept';

/** A change of a generation of a document whose history was forgotten since: dropped unread, never kept. */
class StaleGeneration extends HearthError {}

/** A change verified and decrypted, ready to apply; 'own' for this vault's own change coming back. */
type Opened = { change: ParsedChange; plaintext: Uint8Array } | 'own';

export class Inbound {
  private readonly applier: ChangeApplier;
  /** Per space, read from the vault once: document → quarantine rows (their seq) holding changes that wait for history. */
  private readonly held = new Map<string, Map<string, Set<number>>>();

  constructor(private readonly host: InboundHost) {
    this.applier = new ChangeApplier(host);
  }

  /** True while a change from the relay is being written to the vault (its listeners are hearing a remote change). */

  /** Each verified change applied here. */
  get remote(): ChangeApplier['remote'] {
    return this.applier.remote;
  }

  /** Pulls one document's changes after the cursor and verifies and applies each in order. */
  async pull(spaceId: string, documentId: string, client: Pick<RelayClient, 'pullAll'>): Promise<PullResult> {
    const { status } = this.host;
    const start = this.host.spaces.documentState(spaceId, documentId).cursor;
    const page = await client.pullAll(spaceId, documentId, start);
    const result: PullResult = { applied: 0, refused: 0, waiting: 0 };
    const count = (outcome: Outcome) => result[outcome]++;
    let previous = start;
    if (page.snapshot) {
      // Everything up to `covers` in one encrypted, signed blob; the relay dropped those changes.
      if (page.snapshot.covers <= start) {
        count(
          this.refuse(
            spaceId,
            documentId,
            page.snapshot.covers,
            page.snapshot.bytes,
            new HearthError('RECORD_TAMPERED', `a snapshot covering ${page.snapshot.covers}, which this device had already passed`),
            false,
          ),
        );
      } else count(this.receive(spaceId, documentId, page.snapshot.covers, page.snapshot.bytes, 'snapshot'));
      previous = Math.max(previous, page.snapshot.covers);
    }
    if (page.latest < start) {
      status.warn(
        spaceId,
        documentId,
        'RECORD_TAMPERED',
        `the relay says it holds changes up to ${page.latest} of a document, but this device already received up to ${start}: it rolled back or lost changes.`,
      );
    }
    const last = page.changes.at(-1)?.seq ?? previous;
    if (last < page.latest) {
      status.warn(
        spaceId,
        documentId,
        'RECORD_TAMPERED',
        `the relay says it holds changes up to ${page.latest} of a document but delivered only up to ${last}: it withholds changes.`,
      );
    }
    let expected = previous + 1;
    // A comment's deletion drops its earlier changes at the relay: a gap before a deletion is that.
    const lastDeletion = Math.max(0, ...page.changes.filter((c) => unverifiedMeta(c.bytes)?.comment?.op === 'delete').map((c) => c.seq));
    // Comment changes stay under a snapshot (it carries none) and come with it, in order, before the changes after it.
    let keptUpTo = start;
    const delivered = new Map<number, Uint8Array>();
    // Consecutive plain changes go in together (receiveRun); anything else first takes in what came before it.
    let run: Array<{ seq: number; bytes: Uint8Array }> = [];
    const flush = () => {
      for (const outcome of this.receiveRun(spaceId, documentId, run)) count(outcome);
      run = [];
    };
    for (const { seq, bytes } of page.changes) {
      if (page.snapshot && seq <= page.snapshot.covers && seq > keptUpTo) {
        flush();
        keptUpTo = seq;
        count(this.receive(spaceId, documentId, seq, bytes, 'kept'));
        continue;
      }
      if (seq > expected && seq > lastDeletion)
        status.warn(
          spaceId,
          documentId,
          'RECORD_TAMPERED',
          `the relay skipped change${seq - expected > 1 ? `s ${expected}–${seq - 1}` : ` ${expected}`} of a document: it withholds changes.`,
        );
      expected = Math.max(expected, seq + 1);
      // Paging may hand the same change out twice; only a different blob under a used number is an attack.
      const earlier = delivered.get(seq);
      if (earlier && equalBytes(earlier, bytes)) continue;
      delivered.set(seq, bytes);
      if (seq <= previous) {
        flush();
        count(
          this.refuse(spaceId, documentId, seq, bytes, new HearthError('RECORD_TAMPERED', `changes out of order (sequence ${seq} after ${previous})`), false),
        );
        continue;
      }
      previous = seq;
      run.push({ seq, bytes });
    }
    flush();
    return result;
  }

  /**
   * receive() for consecutive changes of one document, in order, with the same outcomes: each is
   * verified and decrypted on its own, and a run of content changes is applied to the document in
   * one step. Automerge takes time that grows with the document, not the change, to apply a peer's
   * change (100–200 ms on a 100k-character one), and about the same for ten at once, so a reader
   * that applies what arrived meanwhile in one go keeps up where one at a time falls behind.
   * A run that does not apply as a whole is taken change by change, as receive() would.
   */
  receiveRun(spaceId: string, documentId: string, items: ReadonlyArray<{ seq: number; bytes: Uint8Array }>): Outcome[] {
    if (items.length < 2 || documentId === INDEX_DOC || !this.host.vault.documents.has(documentId))
      return items.map(({ seq, bytes }) => this.receive(spaceId, documentId, seq, bytes));
    const outcomes: Outcome[] = [];
    let run: Array<{ seq: number; bytes: Uint8Array; opened: Exclude<Opened, 'own'> }> = [];
    const flush = () => {
      const taken = run;
      run = [];
      if (taken.length > 1 && this.applyRun(spaceId, documentId, taken)) outcomes.push(...taken.map(() => 'applied' as const));
      else for (const { seq, bytes } of taken) outcomes.push(this.receive(spaceId, documentId, seq, bytes));
    };
    for (const item of items) {
      let opened: Opened | undefined;
      try {
        opened = this.open(spaceId, documentId, item.bytes, 'change');
      } catch {
        opened = undefined;
      }
      const generation = (o: Exclude<Opened, 'own'>) => o.change.meta.gen ?? 0;
      if (opened && opened !== 'own' && opened.change.meta.kind === 'content' && (run.length === 0 || generation(run[0]!.opened) === generation(opened))) {
        run.push({ ...item, opened });
        continue;
      }
      // Anything else (refused, this vault's own, a comment, another generation) takes its usual way, after what came before it.
      flush();
      outcomes.push(this.receive(spaceId, documentId, item.seq, item.bytes));
    }
    flush();
    return outcomes;
  }

  /** Applies a run of opened content changes as one; false when it must be taken change by change instead (nothing of it applied). */
  private applyRun(spaceId: string, documentId: string, run: ReadonlyArray<{ seq: number; opened: Exclude<Opened, 'own'> }>): boolean {
    // The same change twice in one run is a replay: receive() refuses the second.
    if (new Set(run.map(({ opened }) => opened.change.meta.id)).size !== run.length) return false;
    try {
      this.applier.applyContentRun(
        spaceId,
        documentId,
        run.map(({ seq, opened }) => ({ ...opened, seq })),
      );
    } catch {
      return false;
    }
    this.retryHeld(spaceId, documentId);
    return true;
  }

  /** Verifies, decrypts and applies one change: applied, refused (kept aside) or held until its history arrives. */
  receive(spaceId: string, documentId: string, seq: number, bytes: Uint8Array, as: Delivered = 'change'): Outcome {
    let opened: Opened;
    try {
      opened = this.open(spaceId, documentId, bytes, as);
    } catch (error) {
      if (error instanceof StaleGeneration) return this.dropStale(spaceId, documentId, seq, error);
      return this.refuse(spaceId, documentId, seq, bytes, error);
    }
    if (opened === 'own') {
      this.advance(spaceId, documentId, seq);
      return 'applied';
    }
    const outcome = this.newGeneration(opened) ? this.tryAdopt(spaceId, documentId, seq, opened) : this.tryApply(spaceId, documentId, seq, opened);
    if (outcome instanceof MissingHistory) return this.hold(spaceId, documentId, seq, bytes, outcome);
    if (outcome instanceof Error) return this.refuse(spaceId, documentId, seq, bytes, outcome);
    this.retryHeld(spaceId, documentId);
    return 'applied';
  }

  /** Checks a change (throws the refusal); 'own' for this vault's own change coming back. */
  private open(spaceId: string, documentId: string, bytes: Uint8Array, as: Delivered): Opened {
    const { vault, account, spaces } = this.host;
    // This vault's own change coming back (pulled after a push): genuine, signed by this vault and
    // already here; skipped before the role checks, which would refuse it once this vault's role was lowered.
    // Looked at unverified first, so each change's signature is checked once: here for our own, in verifyAgainst otherwise.
    const claimed = unverifiedMeta(bytes);
    if (
      claimed?.author === account &&
      claimed.space === spaceId &&
      claimed.doc === documentId &&
      vault.syncState.hasSeen(spaceId, documentId, claimed.id) &&
      signedChange(bytes)
    )
      return 'own';
    const change = verifyAgainst(spaces.view(spaceId), spaceId, documentId, bytes);
    // Before anything else about it: a change of a forgotten generation is not even decrypted.
    const held = Math.max(vault.documents.has(documentId) ? vault.documents.generationOf(documentId) : 0, this.indexedGeneration(spaceId, documentId));
    if ((change.meta.gen ?? 0) < held) {
      throw new StaleGeneration(
        'RECORD_TAMPERED',
        `a change to generation ${change.meta.gen ?? 0} of a document whose edit history was erased (it is at generation ${held} here): a replay`,
      );
    }
    if ((change.meta.kind === 'snapshot') !== (as === 'snapshot'))
      throw new HearthError('RECORD_TAMPERED', as === 'snapshot' ? 'a change passed off as a snapshot' : 'a snapshot passed off as a change');
    if (as === 'kept' && change.meta.kind !== 'comment') throw new HearthError('RECORD_TAMPERED', 'a content change under a snapshot that covers it');
    if (vault.syncState.hasSeen(spaceId, documentId, change.meta.id)) {
      if (change.meta.author === account) return 'own';
      throw new HearthError('RECORD_TAMPERED', 'a change delivered a second time (a replay)');
    }
    const key = spaces.get(spaceId).epochKeys[change.meta.epoch];
    if (!key) throw new HearthError('RECORD_TAMPERED', `a change under key epoch ${change.meta.epoch}, whose key this device was never given`);
    const plaintext = openChange(change, fromHex(key));
    if (!plaintext) throw new HearthError('RECORD_TAMPERED', 'a change whose ciphertext does not decrypt (altered bytes)');
    return { change, plaintext };
  }

  /** Applies an opened change; the error instead of throwing it. */
  private tryApply(spaceId: string, documentId: string, seq: number, opened: Exclude<Opened, 'own'>): 'applied' | Error {
    try {
      this.applier.apply(spaceId, documentId, opened.change, opened.plaintext, seq);
      return 'applied';
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** The generation the space's signed index names for a document (0 when none, or for the index itself). */
  private indexedGeneration(spaceId: string, documentId: string): number {
    if (documentId === INDEX_DOC) return 0;
    try {
      return this.host.spaces.index(spaceId).docs?.[documentId]?.gen ?? 0;
    } catch {
      return 0;
    }
  }

  /** Whether an opened change starts a newer generation of a document this vault holds. */
  private newGeneration(opened: Exclude<Opened, 'own'>): boolean {
    const { meta } = opened.change;
    const documents = this.host.vault.documents;
    return meta.kind === 'snapshot' && documents.has(meta.doc) && (meta.gen ?? 0) > documents.generationOf(meta.doc);
  }

  private tryAdopt(spaceId: string, documentId: string, seq: number, opened: Exclude<Opened, 'own'>): 'applied' | Error {
    try {
      this.host.adoptGeneration(spaceId, documentId, opened.change, opened.plaintext, seq);
      return 'applied';
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Drops a change of a forgotten generation: the cursor moves past it, and its bytes are not kept (they may hold erased text). */
  private dropStale(spaceId: string, documentId: string, seq: number, error: StaleGeneration): 'refused' {
    this.advance(spaceId, documentId, seq);
    this.host.status.warn(spaceId, documentId, 'RECORD_TAMPERED', `The relay delivered ${error.message}; it was dropped unread.`);
    return 'refused';
  }

  private advance(spaceId: string, documentId: string, seq: number): void {
    const state = this.host.spaces.documentState(spaceId, documentId);
    if (seq > state.cursor) this.host.vault.syncState.putDocument(spaceId, documentId, { ...state, cursor: seq });
  }

  private refuse(spaceId: string, documentId: string, seq: number, bytes: Uint8Array, error: unknown, advance = true): 'refused' {
    const { code, message } = reasonOf(error);
    this.host.vault.syncState.transaction(() => {
      this.host.vault.syncState.quarantine(spaceId, { documentId, relaySeq: seq, code, reason: message, at: Date.now(), bytes });
      if (advance) this.advance(spaceId, documentId, seq);
    });
    this.host.status.warn(
      spaceId,
      documentId,
      code === 'FORBIDDEN' ? 'FORBIDDEN' : 'RECORD_TAMPERED',
      `The relay delivered ${message}; it was not applied and is kept aside.`,
    );
    return 'refused';
  }

  /** Keeps a genuine change whose history is missing, to apply it once that history arrives. */
  private hold(spaceId: string, documentId: string, seq: number, bytes: Uint8Array, error: MissingHistory, warn = true): 'waiting' {
    const { code, message } = reasonOf(error);
    const row = this.host.vault.syncState.transaction(() => {
      this.advance(spaceId, documentId, seq);
      return this.host.vault.syncState.quarantine(spaceId, { documentId, relaySeq: seq, code, reason: message, at: Date.now(), bytes, waiting: true });
    });
    const held = this.heldIn(spaceId);
    if (!held.has(documentId)) held.set(documentId, new Set());
    held.get(documentId)!.add(row);
    if (warn) {
      this.host.status.warn(
        spaceId,
        documentId,
        code,
        `The relay delivered ${message}; it is kept aside until that history arrives (the relay serving it again, or a member who has it sending it).`,
      );
    }
    return 'waiting';
  }

  /** Document → held rows of a space, read from the vault the first time. */
  private heldIn(spaceId: string): Map<string, Set<number>> {
    let held = this.held.get(spaceId);
    if (!held) {
      held = new Map();
      for (const row of this.host.vault.syncState.quarantined(spaceId)) {
        if (!row.waiting) continue;
        if (!held.has(row.documentId)) held.set(row.documentId, new Set());
        held.get(row.documentId)!.add(row.seq);
      }
      this.held.set(spaceId, held);
    }
    return held;
  }

  private heldRows(spaceId: string, documentId: string): QuarantinedChange[] {
    const seqs = this.heldIn(spaceId).get(documentId);
    if (!seqs?.size) return [];
    return this.host.vault.syncState.quarantined(spaceId).filter((row) => seqs.has(row.seq));
  }

  /** Takes a row off the quarantine (its change applied after all). */
  private release(spaceId: string, row: QuarantinedChange): void {
    this.host.vault.syncState.release(row.seq);
    this.heldIn(spaceId).get(row.documentId)?.delete(row.seq);
  }

  /** Applies what a document holds, as far as the history now here allows. */
  private retryHeld(spaceId: string, documentId: string): void {
    let rows = this.heldRows(spaceId, documentId);
    for (let progress = true; progress && rows.length > 0;) {
      progress = false;
      for (const row of rows) {
        const outcome = this.reapply(spaceId, documentId, row.relaySeq, row.bytes);
        if (outcome === 'waiting') continue;
        this.release(spaceId, row);
        if (outcome === 'applied') progress = true;
        else this.refuse(spaceId, documentId, row.relaySeq, row.bytes, outcome, false);
      }
      rows = this.heldRows(spaceId, documentId);
    }
  }

  /** Checks and applies a change already past the cursor (held, or served again); its refusal, if it has one. */
  private reapply(spaceId: string, documentId: string, seq: number, bytes: Uint8Array, as: Delivered = 'change'): 'applied' | 'waiting' | Error {
    let opened: Opened;
    try {
      opened = this.open(spaceId, documentId, bytes, as);
    } catch (error) {
      // Here by another way meanwhile (a member sent it again): nothing is missing any more.
      if (error instanceof HearthError && /a second time/.test(error.message)) return 'applied';
      // Of a generation forgotten since it was held: nothing waits for it any more, and it is not kept.
      if (error instanceof StaleGeneration) return 'applied';
      return error instanceof Error ? error : new Error(String(error));
    }
    if (opened === 'own') return 'applied';
    const outcome = this.newGeneration(opened) ? this.tryAdopt(spaceId, documentId, seq, opened) : this.tryApply(spaceId, documentId, seq, opened);
    return outcome instanceof MissingHistory ? 'waiting' : outcome;
  }

  /** The documents of a space that hold changes waiting for history. */
  waitingDocuments(spaceId: string): string[] {
    return [...this.heldIn(spaceId)].filter(([, seqs]) => seqs.size > 0).map(([documentId]) => documentId);
  }

  /** How many changes wait for history in a space. */
  waitingCount(spaceId: string): number {
    let count = 0;
    for (const seqs of this.heldIn(spaceId).values()) count += seqs.size;
    return count;
  }

  /**
   * The Automerge changes (hashes) a document's held changes build on that are nowhere here: what
   * to ask the space's members for. Empty when nothing waits (or what waits names no history).
   */
  missingHistory(spaceId: string, documentId: string): string[] {
    const deps = new Set<string>();
    const holding = new Set<string>();
    for (const row of this.heldRows(spaceId, documentId)) {
      let opened: Opened;
      try {
        opened = this.open(spaceId, documentId, row.bytes, 'change');
      } catch {
        continue;
      }
      if (opened === 'own' || opened.change.meta.kind !== 'content') continue;
      for (const change of decodeChanges(opened.plaintext)) {
        const decoded = A.decodeChange(change);
        holding.add(decoded.hash!);
        for (const dep of decoded.deps) deps.add(dep);
      }
    }
    const documents = this.host.vault.documents;
    const doc = documents.has(documentId) ? documents.get(documentId) : undefined;
    return [...deps].filter((hash) => !holding.has(hash) && (!doc || A.getMissingDeps(doc, [hash]).length > 0)).sort();
  }

  /**
   * Asks the relay again for the changes it served altered (or refused for another reason) in
   * documents where later changes wait: a good copy applies now, and what waited for it after it.
   * Returns how many changes applied.
   */
  async recover(spaceId: string, client: Pick<RelayClient, 'pull'>): Promise<number> {
    let applied = 0;
    for (const documentId of this.waitingDocuments(spaceId)) {
      const refused = this.host.vault.syncState.quarantined(spaceId).filter((row) => row.documentId === documentId && !row.waiting);
      for (const row of refused) {
        const page = await client.pull(spaceId, documentId, row.relaySeq - 1, 1);
        const served = page.changes.find((c) => c.seq === row.relaySeq);
        const copy = served
          ? { bytes: served.bytes, as: 'change' as const }
          : page.snapshot && page.snapshot.covers >= row.relaySeq
            ? { bytes: page.snapshot.bytes, as: 'snapshot' as const }
            : undefined;
        if (!copy || equalBytes(copy.bytes, row.bytes)) continue; // the same altered copy still (or none)
        const outcome = this.reapply(spaceId, documentId, row.relaySeq, copy.bytes, copy.as);
        if (outcome instanceof Error) continue;
        this.release(spaceId, row);
        if (outcome === 'waiting')
          this.hold(
            spaceId,
            documentId,
            row.relaySeq,
            copy.bytes,
            new MissingHistory('RECORD_TAMPERED', 'a change whose earlier history the relay has not delivered'),
            false,
          );
        else applied++;
      }
      const before = this.waitingCount(spaceId);
      this.retryHeld(spaceId, documentId);
      applied += before - this.waitingCount(spaceId);
    }
    return applied;
  }
}
