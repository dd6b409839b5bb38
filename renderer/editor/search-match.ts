/**
 * Where a search hit is in the open document: the words searched for are found in the text,
 * highlighted, selected and scrolled into view, so opening a hit shows why it matched. The
 * highlight goes with the next change to the text.
 */
import { Plugin, PluginKey, TextSelection } from 'prosemirror-state';
import type { Node } from 'prosemirror-model';
import { Decoration, DecorationSet, type EditorView } from 'prosemirror-view';

const key = new PluginKey<DecorationSet>('search-match');

export const searchMatchHighlight = new Plugin<DecorationSet>({
  key,
  state: {
    init: () => DecorationSet.empty,
    apply(tr, set) {
      const next = tr.getMeta(key) as DecorationSet | undefined;
      if (next) return next;
      return tr.docChanged ? DecorationSet.empty : set;
    },
  },
  props: {
    decorations: (state) => key.getState(state),
  },
});

/** The words of a query as search splits them (letters and digits), lower-cased. */
function termsOf(query: string): string[] {
  return query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

/**
 * The first place in the document where the whole query stands, else where its first word that
 * occurs does (search matches words by their start, so "froz" finds "froze"); null if nowhere.
 */
export function findText(doc: Node, query: string): { from: number; to: number } | null {
  // Each textblock as one string, with the document position of every character.
  const blocks: Array<{ text: string; positions: number[] }> = [];
  doc.descendants((node, pos) => {
    if (!node.isTextblock) return true;
    let text = '';
    const positions: number[] = [];
    node.forEach((child, offset) => {
      const start = pos + 1 + offset;
      if (!child.isText) {
        // An image or a line break: one position, matched by nothing.
        text += '\ufffc';
        positions.push(start);
        return;
      }
      // Character by character: lower-casing may lengthen one (İ), and each piece keeps its position.
      let at = start;
      for (const char of child.text!) {
        const lower = char.toLowerCase();
        for (let i = 0; i < lower.length; i++) positions.push(at);
        text += lower;
        at += char.length;
      }
    });
    blocks.push({ text, positions });
    return false;
  });
  const find = (needle: string) => {
    if (!needle) return null;
    for (const { text, positions } of blocks) {
      const at = text.indexOf(needle);
      if (at >= 0) return { from: positions[at]!, to: positions[at + needle.length - 1]! + 1 };
    }
    return null;
  };
  const terms = termsOf(query);
  for (const needle of [terms.join(' '), ...terms]) {
    const found = find(needle);
    if (found) return found;
  }
  return null;
}

/** Highlights and selects the query's first match, puts the focus there and scrolls to it; false when it is not in the text. */
export function showSearchMatch(view: EditorView, query: string): boolean {
  const range = findText(view.state.doc, query);
  if (!range) return false;
  const { state } = view;
  const tr = state.tr
    .setMeta(key, DecorationSet.create(state.doc, [Decoration.inline(range.from, range.to, { class: 'search-match' })]))
    .setMeta('addToHistory', false)
    .setSelection(TextSelection.create(state.doc, range.from, range.to));
  view.dispatch(tr);
  view.focus();
  // ProseMirror scrolls to a selection only once the page's selection is in the editor; the
  // highlight itself is what the person looks for, so it is brought to the middle.
  view.dom.querySelector('.search-match')?.scrollIntoView({ block: 'center' });
  return true;
}
