/**
 * The page's Automerge replica of one open document. It is the DocHandle that
 * @automerge/prosemirror binds the editor to: every local change is sent to main at once with
 * applyChanges (in order, one request in flight, the rest batched behind it), and remote changes
 * from the documentChanged event are applied and patched into the editor.
 */
import * as A from '@automerge/automerge/slim';
import type { DocHandle } from '@automerge/prosemirror';
import type { DocHandleChangePayload } from '@automerge/prosemirror/dist/DocHandle.js';
import type { DocumentSummary } from '../../common/api/contract.ts';
import { ApiFailure, call, hearth, messageOf } from '../state/api.ts';
import { parkChanges } from './unsent.ts';

export interface DocumentBody {
  body: string;
}

export type SaveState = { kind: 'saved' } | { kind: 'saving' } | { kind: 'failed'; message: string };

export const WAITING_FOR_UNLOCK = 'The vault locked before these edits were saved. They are kept in this page and saved when you unlock.';

/** Short, for the status line beside the title; the connection banner says the rest. */
export const WAITING_FOR_CONNECTION = 'waiting for Hearth to answer.';

type ChangeListener = (payload: DocHandleChangePayload<DocumentBody>) => void;

export class DocumentReplica implements DocHandle<DocumentBody> {
  private current: A.Doc<DocumentBody>;
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly saveListeners = new Set<(state: SaveState) => void>();
  private outbox: Uint8Array[] = [];
  /** The batch applyChanges is carrying now (until main answers). */
  private inFlight: Uint8Array[] | null = null;
  private sending: Promise<void> | null = null;
  private state: SaveState = { kind: 'saved' };

  constructor(
    readonly documentId: string,
    bytes: Uint8Array,
    private readonly onSaved: (summary: DocumentSummary) => void,
    /** The actor id main chose for this replica: it tells whose edits these were (common/history/authors.ts). */
    actor?: string,
  ) {
    this.current = A.load<DocumentBody>(bytes, actor ? { actor } : undefined);
    if (typeof this.current.body !== 'string') {
      // A document made elsewhere without a body yet: give it one, as an ordinary change.
      this.change((doc) => {
        doc.body = '';
      });
    }
  }

  doc(): A.Doc<DocumentBody> {
    return this.current;
  }

  change(fn: (doc: DocumentBody) => void): void {
    this.commit(fn, true);
  }

  /**
   * A change the editor already shows: saved and sent, but not patched back into the editor.
   * Returns its patches (a splice patch says which marks the inserted text took).
   */
  changeQuietly(fn: (doc: DocumentBody) => void): A.Patch[] {
    return this.commit(fn, false);
  }

  private commit(fn: (doc: DocumentBody) => void, notify: boolean): A.Patch[] {
    const before = this.current;
    let patches: A.Patch[] = [];
    let patchInfo: A.PatchInfo<DocumentBody> | null = null;
    this.current = A.change(this.current, { patchCallback: (p, info) => ((patches = p), (patchInfo = info)) }, fn);
    if (this.current === before) return [];
    const change = A.getLastLocalChange(this.current);
    if (change) this.send(change);
    if (notify && patchInfo) this.emit({ handle: this, doc: this.current, patches, patchInfo });
    return patches;
  }

  /** Changes made elsewhere (another window, the CLI, a peer). */
  applyRemote(changes: Uint8Array[]): void {
    let patches: A.Patch[] = [];
    let patchInfo: A.PatchInfo<DocumentBody> | null = null;
    const [next] = A.applyChanges(this.current, changes, { patchCallback: (p, info) => ((patches = p), (patchInfo = info)) });
    this.current = next;
    if (patchInfo && patches.length > 0) this.emit({ handle: this, doc: this.current, patches, patchInfo });
  }

  on(_event: 'change', listener: ChangeListener): void {
    this.changeListeners.add(listener);
  }

  off(_event: 'change', listener: ChangeListener): void {
    this.changeListeners.delete(listener);
  }

  onSaveState(listener: (state: SaveState) => void): () => void {
    this.saveListeners.add(listener);
    listener(this.state);
    return () => this.saveListeners.delete(listener);
  }

  /** Resolves when every change made so far has reached main (or failed). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /** Sends the changes that failed to save again. */
  retry(): void {
    if (this.outbox.length > 0 && !this.sending) this.pump();
  }

  private send(change: Uint8Array): void {
    this.outbox.push(change);
    if (!this.sending) this.pump();
  }

  /**
   * The vault locked: hands what main has not confirmed (the batch in flight, then the queue) to
   * the page's unsent edits, which send it again after the next unlock. Sending the batch in
   * flight twice does no harm: Automerge ignores a change it already has.
   */
  park(): void {
    parkChanges(this.documentId, [...(this.inFlight ?? []), ...this.outbox]);
    this.outbox = [];
    if (!this.sending) this.setState({ kind: 'failed', message: WAITING_FOR_UNLOCK });
  }

  /**
   * Main's copy after the connection was down: applies what this page missed meanwhile (changes
   * it already has are ignored), then sends again what did not get through.
   */
  catchUp(bytes: Uint8Array): void {
    this.applyRemote(A.getAllChanges(A.load<DocumentBody>(bytes)));
    this.retry();
  }

  private pump(): void {
    // Automerge's Change is a Uint8Array; the contract types it over a plain ArrayBuffer.
    const batch = this.outbox as Uint8Array<ArrayBuffer>[];
    this.outbox = [];
    this.inFlight = batch;
    this.setState({ kind: 'saving' });
    this.sending = call(hearth().applyChanges(this.documentId, batch)).then(
      (summary) => {
        this.inFlight = null;
        this.onSaved(summary);
        this.sending = null;
        if (this.outbox.length > 0) this.pump();
        else this.setState({ kind: 'saved' });
      },
      (error: unknown) => {
        this.sending = null;
        if (error instanceof ApiFailure && error.code === 'VAULT_LOCKED') {
          // Locked while these were on their way: they wait, in this page, for the unlock.
          this.park();
          this.inFlight = null;
          return;
        }
        this.inFlight = null;
        // Keep the changes, in order, ahead of anything typed since; the user can retry (and the
        // page does, when a dropped connection comes back).
        this.outbox = [...batch, ...this.outbox];
        const offline = error instanceof ApiFailure && error.code === 'UNAVAILABLE';
        this.setState({ kind: 'failed', message: offline ? WAITING_FOR_CONNECTION : messageOf(error) });
      },
    );
  }

  private setState(state: SaveState): void {
    this.state = state;
    for (const listener of this.saveListeners) listener(state);
  }

  private emit(payload: DocHandleChangePayload<DocumentBody>): void {
    for (const listener of this.changeListeners) listener(payload);
  }
}

/** Replicas of the documents open in this page, for the documentChanged event to reach. */
export const openReplicas = new Map<string, DocumentReplica>();
