/**
 * Highlights the text that comment threads are anchored to. Anchors arrive as Automerge text
 * indexes (what main stores, as cursors that follow edits); this maps them to ProseMirror
 * positions and keeps the decorations mapped through local edits until the next refresh.
 */
// Not re-exported by the package's index, but part of its published build.
import { amSpliceIdxToPmIdx } from '@automerge/prosemirror/dist/traversal.js';
import * as A from '@automerge/automerge/slim';
import { Plugin, type EditorState } from 'prosemirror-state';
import { Decoration, DecorationSet } from 'prosemirror-view';
import { decorationLayer } from './decorationLayer.ts';
import { hearthSchemaAdapter } from './schema.ts';

export interface AnchorRange {
  threadId: string;
  from: number;
  to: number;
}

const layer = decorationLayer('comment-highlights');

export const commentHighlights = layer.plugin;

/** Automerge text range → ProseMirror range, or null when the text is gone. */
export function pmRangeOf(doc: A.Doc<unknown>, from: number, to: number): { from: number; to: number } | null {
  const spans = A.spans(doc, ['body']);
  const pmFrom = amSpliceIdxToPmIdx(hearthSchemaAdapter, spans, from);
  const pmTo = amSpliceIdxToPmIdx(hearthSchemaAdapter, spans, to);
  if (pmFrom === null || pmTo === null || pmTo <= pmFrom) return null;
  return { from: pmFrom, to: pmTo };
}

/** A transaction that replaces the highlights with these anchors. */
export function setHighlights(state: EditorState, doc: A.Doc<unknown>, anchors: AnchorRange[], activeThreadId: string | null) {
  const decorations: Decoration[] = [];
  for (const anchor of anchors) {
    const range = pmRangeOf(doc, anchor.from, anchor.to);
    if (!range || range.to > state.doc.content.size) continue;
    decorations.push(
      Decoration.inline(range.from, range.to, {
        class: anchor.threadId === activeThreadId ? 'comment-anchor comment-anchor-active' : 'comment-anchor',
        'data-thread': anchor.threadId,
      }),
    );
  }
  return layer.replace(state, decorations);
}

/** "Start writing…" in an empty document, as a decoration (nothing is written to the text). */
export const emptyDocumentHint = new Plugin({
  props: {
    decorations(state) {
      const { doc } = state;
      const only = doc.firstChild;
      if (doc.childCount !== 1 || !only?.isTextblock || only.content.size > 0) return null;
      return DecorationSet.create(doc, [Decoration.node(0, only.nodeSize, { class: 'empty-hint', 'data-hint': 'Start writing…' })]);
    },
  },
});
