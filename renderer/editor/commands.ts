/** Formatting commands, shared by the toolbar, the keyboard shortcuts and Markdown-style input rules. */
import { baseKeymap, setBlockType, toggleMark, wrapIn, lift } from 'prosemirror-commands';
import { history, redo, undo } from 'prosemirror-history';
import { inputRules, textblockTypeInputRule, wrappingInputRule } from 'prosemirror-inputrules';
import { keymap } from 'prosemirror-keymap';
import type { MarkType, NodeType } from 'prosemirror-model';
import { liftListItem, sinkListItem, splitListItem, wrapInList } from 'prosemirror-schema-list';
import { TextSelection, type Command, type EditorState, type Plugin } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';
import { hearthSchema as schema } from './schema.ts';
import { blockInputRules, blockKeys } from './blocks.ts';

const node = (name: string): NodeType => {
  const type = schema.nodes[name];
  if (!type) throw new Error(`The editor schema has no ${name} node.`);
  return type;
};
const mark = (name: string): MarkType => {
  const type = schema.marks[name];
  if (!type) throw new Error(`The editor schema has no ${name} mark.`);
  return type;
};

export const marks = { strong: mark('strong'), em: mark('em'), code: mark('code'), link: mark('link') };
export const nodes = {
  paragraph: node('paragraph'),
  heading: node('heading'),
  blockquote: node('blockquote'),
  bulletList: node('bullet_list'),
  orderedList: node('ordered_list'),
  listItem: node('list_item'),
};

export const toggleBold = toggleMark(marks.strong);
export const toggleItalic = toggleMark(marks.em);
export const toggleCode = toggleMark(marks.code);
export const setParagraph = setBlockType(nodes.paragraph);
export const setHeading = (level: 1 | 2 | 3): Command => setBlockType(nodes.heading, { level });
export const bulletList = wrapInList(nodes.bulletList);
export const orderedList = wrapInList(nodes.orderedList);

/** Toggles a block quote around the selection. */
export const toggleQuote: Command = (state, dispatch) => {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth--) {
    if ($from.node(depth).type === nodes.blockquote) return lift(state, dispatch);
  }
  return wrapIn(nodes.blockquote)(state, dispatch);
};

/** Sets a link on `range` (the selection by default), or removes it when href is null. */
export function setLink(href: string | null, range?: { from: number; to: number }): Command {
  return (state, dispatch) => {
    const { from, to } = range ?? state.selection;
    if (from >= to || to > state.doc.content.size) return false;
    if (dispatch) {
      const tr = state.tr.removeMark(from, to, marks.link);
      if (href) tr.addMark(from, to, marks.link.create({ href, title: '' }));
      dispatch(tr.scrollIntoView());
    }
    return true;
  };
}

/**
 * The range the user sees selected. ProseMirror learns of DOM selection changes a moment later
 * (selectionchange is asynchronous), so a shortcut pressed right after Shift+Arrow reads the DOM.
 */
export function visibleSelection(view: EditorView): { from: number; to: number } {
  const selection = view.dom.ownerDocument.getSelection();
  if (selection && selection.anchorNode && selection.focusNode && view.dom.contains(selection.anchorNode) && view.dom.contains(selection.focusNode)) {
    try {
      const anchor = view.posAtDOM(selection.anchorNode, selection.anchorOffset);
      const head = view.posAtDOM(selection.focusNode, selection.focusOffset);
      return { from: Math.min(anchor, head), to: Math.max(anchor, head) };
    } catch {
      // Fall back to ProseMirror's own idea of the selection.
    }
  }
  return { from: view.state.selection.from, to: view.state.selection.to };
}

export function isMarkActive(state: EditorState, type: MarkType): boolean {
  const { from, $from, to, empty } = state.selection;
  if (empty) return !!type.isInSet(state.storedMarks ?? $from.marks());
  return state.doc.rangeHasMark(from, to, type);
}

/** The name of the block the cursor is in, for the toolbar's pressed states. */
export function activeBlock(state: EditorState): string {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth--) {
    const type = $from.node(depth).type;
    if (type === nodes.bulletList) return 'bullet_list';
    if (type === nodes.orderedList) return 'ordered_list';
    if (type === nodes.blockquote) return 'blockquote';
  }
  const parent = $from.parent;
  return parent.type === nodes.heading ? `heading${String(parent.attrs['level'])}` : parent.type.name;
}

/**
 * What the toolbar and the comment form show of the editor's state, as one string: the pane
 * re-renders when it changes, not on every keystroke (typing in a paragraph leaves it as it is).
 */
export function toolbarFacts(state: EditorState): string {
  const { from, to, empty } = state.selection;
  const active = Object.values(marks).map((type) => (isMarkActive(state, type) ? '1' : '0'));
  return `${activeBlock(state)} ${active.join('')} ${empty ? '' : `${from}-${to} ${state.doc.textBetween(from, to, ' ')}`}`;
}

export const shortcuts: Record<string, string> = {
  bold: 'Mod-b',
  italic: 'Mod-i',
  code: 'Mod-e',
  link: 'Mod-Shift-k',
  heading1: 'Mod-Alt-1',
  heading2: 'Mod-Alt-2',
  heading3: 'Mod-Alt-3',
  paragraph: 'Mod-Alt-0',
  bulletList: 'Mod-Shift-8',
  orderedList: 'Mod-Shift-7',
  quote: 'Mod-Shift-9',
  comment: 'Mod-Alt-m',
};

/** Renders a ProseMirror key name for people, on this platform. */
export function shortcutLabel(key: string): string {
  const mac = /Mac|iPhone|iPad/.test(navigator.platform);
  return key
    .replace('Mod', mac ? '⌘' : 'Ctrl')
    .replace('Alt', mac ? '⌥' : 'Alt')
    .replace('Shift', mac ? '⇧' : 'Shift')
    .replaceAll('-', mac ? '' : '+')
    .replace(/\+?([a-z0-9])$/, (_m, k: string) => (mac ? k.toUpperCase() : `+${k.toUpperCase()}`));
}

/**
 * A selection just made with the keyboard (Shift+arrows) lives in the DOM first; the editor reads
 * it when the browser's selectionchange event comes, which can still be queued behind the next
 * keydown. A command that acts on the selection takes it from the DOM first, or a shortcut pressed
 * at once (a fast typist, a busy machine) would quote a part of it.
 */
function takeDomSelection(view: EditorView): void {
  const dom = view.dom.ownerDocument.getSelection();
  if (!dom || dom.rangeCount === 0 || !dom.anchorNode || !dom.focusNode) return;
  if (!view.dom.contains(dom.anchorNode) || !view.dom.contains(dom.focusNode)) return;
  let anchor: number;
  let head: number;
  try {
    anchor = view.posAtDOM(dom.anchorNode, dom.anchorOffset);
    head = view.posAtDOM(dom.focusNode, dom.focusOffset);
  } catch {
    return; // a node the editor does not own (a widget): keep the editor's own selection
  }
  const { selection } = view.state;
  if (selection.anchor === anchor && selection.head === head) return;
  view.dispatch(view.state.tr.setSelection(TextSelection.between(view.state.doc.resolve(anchor), view.state.doc.resolve(head))));
}

/** Plugins for editing: history, shortcuts, Markdown-style input rules. */
export function editingPlugins(onLinkRequest: () => void, onCommentRequest: () => void): Plugin[] {
  return [
    history(),
    // Code fences, table cells and tasks first: their Enter and Tab win over the lists'.
    keymap(blockKeys),
    keymap({
      'Mod-z': undo,
      'Mod-y': redo,
      'Mod-Shift-z': redo,
      [shortcuts['bold']!]: toggleBold,
      [shortcuts['italic']!]: toggleItalic,
      [shortcuts['code']!]: toggleCode,
      [shortcuts['link']!]: (_state, _dispatch, view) => {
        if (view) takeDomSelection(view);
        onLinkRequest();
        return true;
      },
      // Comment on the selection from the keyboard: the comments open with the box focused.
      [shortcuts['comment']!]: (_state, _dispatch, view) => {
        if (view) takeDomSelection(view);
        onCommentRequest();
        return true;
      },
      [shortcuts['heading1']!]: setHeading(1),
      [shortcuts['heading2']!]: setHeading(2),
      [shortcuts['heading3']!]: setHeading(3),
      [shortcuts['paragraph']!]: setParagraph,
      [shortcuts['bulletList']!]: bulletList,
      [shortcuts['orderedList']!]: orderedList,
      [shortcuts['quote']!]: toggleQuote,
      Enter: splitListItem(nodes.listItem),
      Tab: sinkListItem(nodes.listItem),
      'Shift-Tab': liftListItem(nodes.listItem),
    }),
    keymap(baseKeymap),
    inputRules({
      rules: [
        ...blockInputRules,
        textblockTypeInputRule(/^(#{1,3})\s$/, nodes.heading, (match) => ({ level: match[1]?.length ?? 1 })),
        wrappingInputRule(/^\s*>\s$/, nodes.blockquote),
        wrappingInputRule(/^\s*([-+*])\s$/, nodes.bulletList),
        wrappingInputRule(
          /^(\d+)\.\s$/,
          nodes.orderedList,
          (match) => ({ order: Number(match[1]) }),
          (match, n) => n.childCount + Number(n.attrs['order']) === Number(match[1]),
        ),
      ],
    }),
  ];
}
