/**
 * The "/" menu: typing "/" at the start of a block or after a space opens a list of blocks to
 * insert (or, in a table, rows and columns to add or remove), filtered by what is typed after the
 * slash and by what applies where the cursor is. Arrow keys move through it, Enter or Tab
 * inserts the highlighted block (in place of the "/query" typed), Escape closes it and keeps the
 * text. The plugin holds the menu's state; the page draws it (components/SlashMenu.tsx).
 */
import { Plugin, PluginKey, TextSelection, type Command, type EditorState } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';
import { bulletList, orderedList, setHeading, setParagraph, toggleQuote } from './commands.ts';
import { addColumnAfter, addRowAfter, deleteRow, insertRule, insertTable, setCodeBlock, toggleTask } from './blocks.ts';

export interface SlashItem {
  id: string;
  label: string;
  hint: string;
  keywords: string;
  /** A command, or 'image': the page asks which attached file. */
  run: Command | 'image';
}

export const slashItems: readonly SlashItem[] = [
  { id: 'paragraph', label: 'Text', hint: 'A plain paragraph', keywords: 'text paragraph plain', run: setParagraph },
  { id: 'heading1', label: 'Heading 1', hint: '# at the start of a line', keywords: 'heading title h1', run: setHeading(1) },
  { id: 'heading2', label: 'Heading 2', hint: '## at the start of a line', keywords: 'heading subtitle h2', run: setHeading(2) },
  { id: 'heading3', label: 'Heading 3', hint: '### at the start of a line', keywords: 'heading h3', run: setHeading(3) },
  { id: 'task', label: 'Task list', hint: '[ ] in a list item', keywords: 'task todo checklist checkbox', run: toggleTask },
  { id: 'bullets', label: 'Bulleted list', hint: '- at the start of a line', keywords: 'bullet list unordered', run: bulletList },
  { id: 'numbers', label: 'Numbered list', hint: '1. at the start of a line', keywords: 'numbered ordered list', run: orderedList },
  { id: 'quote', label: 'Quote', hint: '> at the start of a line', keywords: 'quote blockquote citation', run: toggleQuote },
  { id: 'code', label: 'Code block', hint: '``` and Enter', keywords: 'code block fence pre snippet', run: setCodeBlock() },
  { id: 'table', label: 'Table', hint: '3 × 3, with a header row', keywords: 'table grid columns rows', run: insertTable() },
  { id: 'rule', label: 'Divider', hint: '--- on a line of its own', keywords: 'divider rule horizontal line separator hr', run: insertRule },
  { id: 'image', label: 'Image', hint: 'From this workspace’s files', keywords: 'image picture photo attachment file', run: 'image' },
  { id: 'row', label: 'Add a row', hint: 'Below this one; Tab in the last cell too', keywords: 'table row add insert', run: addRowAfter },
  { id: 'column', label: 'Add a column', hint: 'After this one', keywords: 'table column add insert', run: addColumnAfter },
  { id: 'delete-row', label: 'Delete this row', hint: 'The table goes with its last row', keywords: 'table row delete remove', run: deleteRow },
];

export interface SlashMenuState {
  /** Where the "/" is. */
  from: number;
  query: string;
  /** The highlighted item among `matches`. */
  index: number;
  matches: readonly SlashItem[];
}

export const slashMenuKey = new PluginKey<SlashMenuState | null>('slash-menu');

/** The items with a word (of their label or keywords) that starts with each word typed. */
export function matchingItems(query: string): SlashItem[] {
  const typed = query.toLowerCase().split(/\s+/).filter(Boolean);
  return slashItems.filter((item) => {
    const words = `${item.label} ${item.keywords}`.toLowerCase().split(/\s+/);
    return typed.every((prefix) => words.some((word) => word.startsWith(prefix)));
  });
}

type Meta = { open: number } | { close: true } | { move: number };

/** What was typed after the "/", or null when the menu no longer applies. */
function queryAt(state: EditorState, from: number): string | null {
  const { $head, empty } = state.selection;
  if (!empty || from >= state.doc.content.size) return null;
  const $slash = state.doc.resolve(from);
  if ($head.pos <= from || !$slash.sameParent($head) || $head.pos - from > 30) return null;
  const typed = state.doc.textBetween(from, $head.pos, '\n', '\n');
  if (!typed.startsWith('/') || typed.includes('\n')) return null;
  return typed.slice(1);
}

/** The menu's state in `state`, or null when it is closed. */
export function slashMenuState(state: EditorState): SlashMenuState | null {
  return slashMenuKey.getState(state) ?? null;
}

/** Runs an item: takes out the "/query" text, then runs its command. `onImage` asks for a file. */
export function chooseSlashItem(view: EditorView, item: SlashItem, onImage: () => void): void {
  const menu = slashMenuState(view.state);
  if (!menu) return;
  const tr = view.state.tr.delete(menu.from, view.state.selection.head).setMeta(slashMenuKey, { close: true } satisfies Meta);
  view.dispatch(tr);
  if (item.run === 'image') onImage();
  else item.run(view.state, view.dispatch, view);
  view.focus();
}

export function slashMenuPlugin(onImage: () => void): Plugin<SlashMenuState | null> {
  return new Plugin<SlashMenuState | null>({
    key: slashMenuKey,
    state: {
      init: () => null,
      apply(tr, previous, _old, state) {
        const meta = tr.getMeta(slashMenuKey) as Meta | undefined;
        if (meta && 'close' in meta) return null;
        const from = meta && 'open' in meta ? meta.open : previous ? tr.mapping.map(previous.from) : null;
        if (from === null) return null;
        const query = queryAt(state, from);
        if (query === null) return null;
        // Only what applies here: no table rows outside a table, no headings inside one.
        const matches = matchingItems(query).filter((item) => item.run === 'image' || item.run(state));
        if (matches.length === 0) return null;
        const moved = meta && 'move' in meta ? meta.move : 0;
        const index = previous && query === previous.query ? (previous.index + moved + matches.length) % matches.length : 0;
        return { from, query, index, matches };
      },
    },
    props: {
      handleTextInput(view, from, to, text) {
        if (text !== '/' || !view.editable) return false;
        const $from = view.state.doc.resolve(from);
        if ($from.parent.type.spec.code || !$from.parent.inlineContent) return false;
        const before = $from.parent.textBetween(Math.max(0, $from.parentOffset - 1), $from.parentOffset, '\n', '\n');
        if (before !== '' && !/\s/.test(before)) return false;
        // The cursor goes after the slash: the state's selection may still be where it was before
        // a click that the browser has reported but ProseMirror not yet read.
        const tr = view.state.tr.insertText('/', from, to);
        tr.setSelection(TextSelection.create(tr.doc, from + 1));
        view.dispatch(tr.setMeta(slashMenuKey, { open: from } satisfies Meta));
        return true;
      },
      handleKeyDown(view, event) {
        const menu = slashMenuState(view.state);
        if (!menu) return false;
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          view.dispatch(view.state.tr.setMeta(slashMenuKey, { move: event.key === 'ArrowDown' ? 1 : -1 } satisfies Meta));
          return true;
        }
        if (event.key === 'Enter' || event.key === 'Tab') {
          const item = menu.matches[menu.index];
          if (item) chooseSlashItem(view, item, onImage);
          return true;
        }
        if (event.key === 'Escape') {
          view.dispatch(view.state.tr.setMeta(slashMenuKey, { close: true } satisfies Meta));
          return true;
        }
        return false;
      },
    },
  });
}
