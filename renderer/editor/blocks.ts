/**
 * Commands, input rules and keys for the blocks beyond text: code blocks with a language, task
 * items, tables, rules and images of attached files, and Markdown pasted as plain text. The "/"
 * menu (slashMenu.ts) offers the same commands.
 */
import { pmDocFromSpans } from '@automerge/prosemirror';
import { setBlockType } from 'prosemirror-commands';
import { InputRule } from 'prosemirror-inputrules';
import { Fragment, Slice, type Node, type NodeType, type ResolvedPos } from 'prosemirror-model';
import { TextSelection, type Command, type EditorState, type Transaction } from 'prosemirror-state';
import { markdownToSpans } from '../../common/richtext/index.ts';
import { fileImagePrefix } from '../../common/richtext/schema.ts';
import { hearthSchemaAdapter, hearthSchema as schema } from './schema.ts';

const nodeType = (name: string): NodeType => {
  const type = schema.nodes[name];
  if (!type) throw new Error(`The editor schema has no ${name} node.`);
  return type;
};

export const blockNodes = {
  paragraph: nodeType('paragraph'),
  codeBlock: nodeType('code_block'),
  listItem: nodeType('list_item'),
  bulletList: nodeType('bullet_list'),
  table: nodeType('table'),
  tableRow: nodeType('table_row'),
  tableCell: nodeType('table_cell'),
  rule: nodeType('horizontal_rule'),
  image: nodeType('image'),
};

/** A code block with this language (empty: none). */
export const setCodeBlock = (language = ''): Command => setBlockType(blockNodes.codeBlock, { language });

/**
 * Enter at the end of a paragraph that reads ```` ```lang ```` makes it a code block in that
 * language, as Markdown editors do (three backticks alone: no language).
 */
export const fenceToCodeBlock: Command = (state, dispatch) => {
  const { $from, empty } = state.selection;
  if (!empty || $from.parent.type !== blockNodes.paragraph || $from.parentOffset !== $from.parent.content.size) return false;
  const fence = /^```([^\s`]*)$/.exec($from.parent.textContent);
  if (!fence) return false;
  if (dispatch) {
    const start = $from.start();
    const tr = state.tr.delete(start, $from.end());
    tr.setBlockType(start, start, blockNodes.codeBlock, { language: fence[1] ?? '' });
    dispatch(tr.scrollIntoView());
  }
  return true;
};

/** The depth of the list item around `$pos`, or null. */
function listItemDepth($pos: ResolvedPos): number | null {
  for (let depth = $pos.depth; depth > 0; depth--) if ($pos.node(depth).type === blockNodes.listItem) return depth;
  return null;
}

/** Sets a list item's task state through a replace-around step, which the Automerge binding writes. */
export function setTaskState(tr: Transaction, itemPos: number, checked: boolean | null): Transaction {
  const item = tr.doc.nodeAt(itemPos);
  if (!item || item.type !== blockNodes.listItem) return tr;
  return tr.setNodeMarkup(itemPos, undefined, { ...item.attrs, checked });
}

/**
 * Toggles the task state of the list item at the cursor: an ordinary item becomes an open task,
 * an open task done, a done one open again. Outside a list, makes the paragraph an open task.
 */
export const toggleTask: Command = (state, dispatch) => {
  const { $from } = state.selection;
  const depth = listItemDepth($from);
  if (depth === null) {
    if ($from.parent.type !== blockNodes.paragraph) return false;
    if (dispatch) {
      const range = $from.blockRange();
      if (!range) return false;
      // The item carries the marker (with its task state) and the paragraph becomes its implicit
      // text, as Markdown writes a task; a paragraph that kept its own marker would leave the
      // item without one, and its state would be lost.
      const paragraph = blockNodes.paragraph.create({ ...$from.parent.attrs, isAmgBlock: false }, $from.parent.content, $from.parent.marks);
      const item = blockNodes.listItem.create({ checked: false, isAmgBlock: true }, paragraph);
      const tr = state.tr.replaceWith(range.start, range.end, blockNodes.bulletList.create(null, item));
      tr.setSelection(TextSelection.create(tr.doc, range.start + 3 + $from.parentOffset));
      dispatch(tr.scrollIntoView());
    }
    return true;
  }
  if (dispatch) {
    const checked = $from.node(depth).attrs['checked'] as boolean | null;
    dispatch(setTaskState(state.tr, $from.before(depth), checked === null ? false : !checked));
  }
  return true;
};

/** `[ ] ` or `[x] ` typed at the start of a list item makes it a task. */
const taskRule = new InputRule(/^\[([ xX]?)\]\s$/, (state, match, start, end) => {
  const $start = state.doc.resolve(start);
  const depth = listItemDepth($start);
  if (depth === null || $start.index(depth) !== 0 || $start.parentOffset !== 0) return null;
  const tr = state.tr.delete(start, end);
  return setTaskState(tr, $start.before(depth), (match[1] ?? '').toLowerCase() === 'x');
});

/** A new table: a header row and `rows - 1` rows of `columns` empty cells, the cursor in the first. */
export function insertTable(rows = 3, columns = 3): Command {
  return (state, dispatch) => {
    const { $from } = state.selection;
    if ($from.parent.type.spec.code || listItemDepth($from) !== null || cellDepth($from) !== null) return false;
    if (dispatch) {
      const row = (): Node =>
        blockNodes.tableRow.create(
          { isAmgBlock: true },
          Array.from({ length: columns }, () => emptyCell()),
        );
      const table = blockNodes.table.create(null, Array.from({ length: rows }, row));
      dispatch(replaceBlockWith(state, [table, blockNodes.paragraph.create()], 3));
    }
    return true;
  };
}

/**
 * Every cell carries its own block marker (see schema.ts), so it is made explicit from the start;
 * so is every row, or the binding would see a row of explicit cells as needing no marker of its
 * own, and the rows would run together.
 */
function emptyCell(align: unknown = null): Node {
  return blockNodes.tableCell.create({ align, isAmgBlock: true });
}

/**
 * Replaces the empty paragraph at the cursor with `nodes` (or inserts them after the cursor's
 * block) and puts the cursor `offset` positions into the first one.
 */
function replaceBlockWith(state: EditorState, nodes: Node[], offset: number): Transaction {
  const { $from } = state.selection;
  const tr = state.tr;
  let at: number;
  if ($from.parent.type === blockNodes.paragraph && $from.parent.content.size === 0) {
    at = $from.before();
    tr.replaceWith(at, $from.after(), nodes);
  } else {
    at = $from.after();
    tr.insert(at, nodes);
  }
  tr.setSelection(TextSelection.near(tr.doc.resolve(Math.min(at + offset, tr.doc.content.size))));
  return tr.scrollIntoView();
}

/** A rule after the cursor's block, in a paragraph of its own, and the cursor in a new paragraph after it. */
export const insertRule: Command = (state, dispatch) => {
  const { $from } = state.selection;
  if ($from.parent.type.spec.code || cellDepth($from) !== null) return false;
  if (dispatch) dispatch(replaceBlockWith(state, [blockNodes.paragraph.create(null, blockNodes.rule.create()), blockNodes.paragraph.create()], 4));
  return true;
};

/** `---` typed alone in a paragraph becomes a rule. */
const ruleRule = new InputRule(/^---$/, (state, _match, start, end) => {
  const $start = state.doc.resolve(start);
  if ($start.parent.type !== blockNodes.paragraph || $start.parentOffset !== 0 || end !== $start.end() - 0) return null;
  const tr = state.tr.replaceWith(start, end, blockNodes.rule.create());
  const after = tr.mapping.map($start.after());
  tr.insert(after, blockNodes.paragraph.create());
  return tr.setSelection(TextSelection.create(tr.doc, after + 1));
});

/** An image of an attached file of the workspace, at the cursor. */
export function insertFileImage(fileId: string, alt: string): Command {
  return (state, dispatch) => {
    const { $from } = state.selection;
    if ($from.parent.type.spec.code || !$from.parent.inlineContent) return false;
    if (dispatch) dispatch(state.tr.replaceSelectionWith(blockNodes.image.create({ src: fileImagePrefix + fileId, alt, title: '' })).scrollIntoView());
    return true;
  };
}

/** The cell around `$pos`: its depth, or null outside a table. */
function cellDepth($pos: ResolvedPos): number | null {
  for (let depth = $pos.depth; depth > 0; depth--) if ($pos.node(depth).type === blockNodes.tableCell) return depth;
  return null;
}

/** The start positions of every cell of the table around `$pos`, in reading order. */
function cellStarts($pos: ResolvedPos, depth: number): number[] {
  const tableStart = $pos.start(depth - 2);
  const starts: number[] = [];
  $pos.node(depth - 2).descendants((node, pos) => {
    if (node.type === blockNodes.tableCell) {
      starts.push(tableStart + pos + 1);
      return false;
    }
    return true;
  });
  return starts;
}

/** Adds a row of empty cells after the cursor's row, with the header's column alignments. */
export const addRowAfter: Command = (state, dispatch) => {
  const { $from } = state.selection;
  const depth = cellDepth($from);
  if (depth === null) return false;
  if (dispatch) {
    const row = $from.node(depth - 1);
    const cells: Node[] = [];
    row.forEach((cell) => cells.push(emptyCell(cell.attrs['align'])));
    const at = $from.after(depth - 1);
    const tr = state.tr.insert(at, blockNodes.tableRow.create({ isAmgBlock: true }, cells));
    dispatch(tr.setSelection(TextSelection.create(tr.doc, at + 2)).scrollIntoView());
  }
  return true;
};

/** Adds a column of empty cells after the cursor's column. */
export const addColumnAfter: Command = (state, dispatch) => {
  const { $from } = state.selection;
  const depth = cellDepth($from);
  if (depth === null) return false;
  if (dispatch) {
    const column = $from.index(depth - 1);
    const tableStart = $from.start(depth - 2);
    const tr = state.tr;
    const inserts: number[] = [];
    $from.node(depth - 2).forEach((row, rowOffset) => {
      let pos = tableStart + rowOffset + 1;
      row.forEach((cell, cellOffset, index) => {
        if (index === column) pos = tableStart + rowOffset + 1 + cellOffset + cell.nodeSize;
      });
      inserts.push(pos);
    });
    for (const pos of inserts.reverse()) tr.insert(pos, emptyCell());
    dispatch(tr.scrollIntoView());
  }
  return true;
};

/** Removes the cursor's row (the table too, when it was the last). */
export const deleteRow: Command = (state, dispatch) => {
  const { $from } = state.selection;
  const depth = cellDepth($from);
  if (depth === null) return false;
  if (dispatch) {
    const table = $from.node(depth - 2);
    const tr =
      table.childCount === 1
        ? state.tr.delete($from.before(depth - 2), $from.after(depth - 2))
        : state.tr.delete($from.before(depth - 1), $from.after(depth - 1));
    dispatch(tr.scrollIntoView());
  }
  return true;
};

/** Tab and Shift+Tab move between cells; Tab in the last cell adds a row. */
function moveCell(direction: 1 | -1): Command {
  return (state, dispatch) => {
    const { $from } = state.selection;
    const depth = cellDepth($from);
    if (depth === null) return false;
    const starts = cellStarts($from, depth);
    const index = starts.indexOf($from.start(depth));
    const target = starts[index + direction];
    if (target === undefined) return direction === 1 ? addRowAfter(state, dispatch) : true;
    if (dispatch) {
      const cell = state.doc.nodeAt(target - 1);
      dispatch(state.tr.setSelection(TextSelection.create(state.doc, target, target + (cell?.content.size ?? 0))).scrollIntoView());
    }
    return true;
  };
}

/** Enter in a cell goes to the cell below (a new row after the last); a cell holds one line. */
const enterInCell: Command = (state, dispatch) => {
  const { $from } = state.selection;
  const depth = cellDepth($from);
  if (depth === null) return false;
  const rowIndex = $from.index(depth - 2);
  const table = $from.node(depth - 2);
  if (rowIndex === table.childCount - 1) return addRowAfter(state, dispatch);
  if (dispatch) {
    const column = $from.index(depth - 1);
    const starts = cellStarts($from, depth);
    const perRow = table.child(0).childCount;
    const target = starts[(rowIndex + 1) * perRow + column] ?? starts[starts.length - 1]!;
    dispatch(state.tr.setSelection(TextSelection.create(state.doc, target)).scrollIntoView());
  }
  return true;
};

export const blockKeys: Record<string, Command> = {
  Enter: (state, dispatch) => fenceToCodeBlock(state, dispatch) || enterInCell(state, dispatch),
  Tab: moveCell(1),
  'Shift-Tab': moveCell(-1),
  'Mod-Enter': (state, dispatch) => (state.selection.$from.parent.type.spec.code ? false : toggleTask(state, dispatch)),
};

export const blockInputRules: InputRule[] = [
  new InputRule(/^```([^\s`]*)\s$/, (state, match, start, end) => {
    const $start = state.doc.resolve(start);
    if ($start.parent.type !== blockNodes.paragraph) return null;
    return state.tr.delete(start, end).setBlockType(start, start, blockNodes.codeBlock, { language: match[1] ?? '' });
  }),
  taskRule,
  ruleRule,
];

/**
 * Plain text pasted outside a code block is read as Markdown, so a pasted note keeps its
 * headings, lists, tables and tasks (Shift+paste, or a paste into code, keeps it plain).
 */
export function markdownClipboardParser(text: string, $context: ResolvedPos, plain: boolean): Slice | null {
  if (plain || $context.parent.type.spec.code) return null;
  let content = pmDocFromSpans(hearthSchemaAdapter, markdownToSpans(text)).content;
  // A pasted paragraph at either end joins the text around the cursor; other blocks stay whole,
  // with an empty paragraph after a trailing one (a table, a list) for the text after the cursor.
  if (content.lastChild?.type !== blockNodes.paragraph) content = content.addToEnd(blockNodes.paragraph.create());
  const openStart = content.firstChild?.type === blockNodes.paragraph ? 1 : 0;
  return withExplicitCells(new Slice(content, openStart, 1));
}

/** Pasted rows and cells get their own markers (see emptyCell); other pasted nodes are new blocks. */
export function withExplicitCells(slice: Slice): Slice {
  const mark = (fragment: Fragment): Fragment => {
    const nodes: Node[] = [];
    fragment.forEach((node) => {
      if (node.isText) nodes.push(node);
      else {
        const explicit = node.type === blockNodes.tableCell || node.type === blockNodes.tableRow;
        nodes.push(node.type.create({ ...node.attrs, isAmgBlock: explicit }, mark(node.content), node.marks));
      }
    });
    return Fragment.from(nodes);
  };
  return new Slice(mark(slice.content), slice.openStart, slice.openEnd);
}
