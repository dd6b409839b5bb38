/**
 * A layer of decorations that the page replaces as a whole (comment highlights, other people's
 * carets): between replacements it is mapped through local edits so it stays on the same text.
 */
import { Plugin, PluginKey, type EditorState, type Transaction } from 'prosemirror-state';
import { DecorationSet, type Decoration } from 'prosemirror-view';

export interface DecorationLayer {
  plugin: Plugin<DecorationSet>;
  /** A transaction that replaces the layer with these decorations (kept out of undo history). */
  replace(state: EditorState, decorations: Decoration[]): Transaction;
}

export function decorationLayer(name: string): DecorationLayer {
  const key = new PluginKey<DecorationSet>(name);
  const plugin = new Plugin<DecorationSet>({
    key,
    state: {
      init: () => DecorationSet.empty,
      apply(tr, set) {
        const next = tr.getMeta(key) as DecorationSet | undefined;
        return next ?? set.map(tr.mapping, tr.doc);
      },
    },
    props: {
      decorations: (state) => key.getState(state),
    },
  });
  return {
    plugin,
    replace: (state, decorations) => state.tr.setMeta(key, DecorationSet.create(state.doc, decorations)).setMeta('addToHistory', false),
  };
}
