/**
 * Updates from outside the editor (a peer's edit, their caret, comment highlights) dispatched on
 * top of the selection the page shows now. ProseMirror hears of Shift+End from the page's
 * `selectionchange` event, a task of its own; on a busy page a message handled before that task
 * had ProseMirror draw its older selection back over the new one, and the selection was lost.
 * Reading the page first, as that event would, keeps it.
 */
import type { EditorState, Transaction } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';

/** The part of prosemirror-view's DOM observer this uses: internal, so each is checked before use. */
interface DomObserver {
  flush(): void;
  pendingRecords(): readonly unknown[];
}

/**
 * Brings the page's selection into the editor's state now (a transaction of its own, as the
 * `selectionchange` event would dispatch). Does nothing while typed text waits to be read or an
 * input method composes: ProseMirror reads those in its own time, and reading typed text here
 * would apply it in the middle of someone else's change.
 */
function takePageSelection(view: EditorView): void {
  if (view.isDestroyed || view.composing) return;
  const observer = (view as unknown as { domObserver?: Partial<DomObserver> }).domObserver;
  if (typeof observer?.flush !== 'function' || typeof observer.pendingRecords !== 'function') return;
  if (observer.pendingRecords().length > 0) return;
  observer.flush();
}

/** Dispatches the transaction `build` makes from the editor's state once the page's selection is in it. */
export function dispatchFromOutside(view: EditorView, build: (state: EditorState) => Transaction): void {
  takePageSelection(view);
  view.dispatch(build(view.state));
}
