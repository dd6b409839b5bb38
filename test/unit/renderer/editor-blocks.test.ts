/**
 * The editor's block commands on a real ProseMirror state in the editor's schema, read back as
 * the Markdown the document would hold: tables grow rows and columns and lose rows, tasks toggle,
 * a fence becomes a code block, and the "/" menu offers only what applies where the cursor is.
 */
import { describe, expect, test } from 'vitest';
import { pmDocFromSpans, pmNodeToSpans } from '@automerge/prosemirror';
import { EditorState, TextSelection, type Command } from 'prosemirror-state';
import { markdownToSpans, spansToMarkdown } from '../../../common/richtext/index.ts';
import { addColumnAfter, addRowAfter, deleteRow, fenceToCodeBlock, insertRule, insertTable, toggleTask } from '../../../renderer/editor/blocks.ts';
import { hearthSchemaAdapter as adapter } from '../../../renderer/editor/schema.ts';
import { matchingItems, slashItems } from '../../../renderer/editor/slashMenu.ts';

/** A state of `markdown` with the cursor right after the first `anchor`. */
function stateAt(markdown: string, anchor: string): EditorState {
  const doc = pmDocFromSpans(adapter, markdownToSpans(markdown));
  let at = -1;
  doc.descendants((node, pos) => {
    const index = node.isTextblock ? node.textContent.indexOf(anchor) : -1;
    if (at < 0 && index >= 0) at = pos + 1 + index + anchor.length;
    return at < 0;
  });
  return EditorState.create({ schema: adapter.schema, doc, selection: TextSelection.create(doc, at) });
}

function run(state: EditorState, command: Command): string {
  let next = state;
  expect(command(state, (tr) => (next = state.apply(tr)))).toBe(true);
  return spansToMarkdown(pmNodeToSpans(adapter, next.doc));
}

const table = '| a | b |\n| :--- | ---: |\n| 1 | 2 |\n';

describe('block commands', () => {
  test('a row goes below the cursor’s, with the header’s alignments; a column after the cursor’s', () => {
    expect(run(stateAt(table, 'a'), addRowAfter)).toBe('| a | b |\n| :--- | ---: |\n|  |  |\n| 1 | 2 |\n');
    expect(run(stateAt(table, '1'), addColumnAfter)).toBe('| a |  | b |\n| :--- | --- | ---: |\n| 1 |  | 2 |\n');
  });

  test('deleting a row keeps the others; deleting the last one takes the table', () => {
    expect(run(stateAt(table, '1'), deleteRow)).toBe('| a | b |\n| :--- | ---: |\n');
    expect(run(stateAt('before\n\n| only |\n| --- |\n', 'only'), deleteRow)).toBe('before\n');
  });

  test('a new table has a header row and as many rows and columns as asked', () => {
    expect(run(stateAt('x\n\n\u200b\n', '\u200b'), insertTable(2, 2))).toBe('x\n\n\u200b\n\n|  |  |\n| --- | --- |\n|  |  |\n');
  });

  test('Mod-Enter makes an item a task, ticks it and unticks it; a paragraph becomes an open task', () => {
    const ticked = run(stateAt('- milk\n', 'milk'), toggleTask);
    expect(ticked).toBe('- [ ] milk\n');
    expect(run(stateAt(ticked, 'milk'), toggleTask)).toBe('- [x] milk\n');
    expect(run(stateAt('- [x] milk\n', 'milk'), toggleTask)).toBe('- [ ] milk\n');
    expect(run(stateAt('one\n\ntwo\n', 'two'), toggleTask)).toBe('one\n\n- [ ] two\n');
  });

  test('three backticks and a language, then Enter, make a code block in that language', () => {
    expect(run(stateAt('one\n\n```py\n'.replace('```py\n', '\\`\\`\\`py\n'), 'py'), fenceToCodeBlock)).toBe('one\n\n```py\n```\n');
  });

  test('a rule goes after the cursor’s block, in a paragraph of its own', () => {
    expect(run(stateAt('one\n\ntwo\n', 'one'), insertRule)).toBe('one\n\n---\n\ntwo\n');
  });
});

describe('the "/" menu', () => {
  test('matches the start of a word of an item’s name or keywords', () => {
    expect(matchingItems('ta').map((item) => item.id)).toEqual(['task', 'table', 'row', 'column', 'delete-row']);
    expect(matchingItems('table co').map((item) => item.id)).toEqual(['table', 'column']);
    expect(matchingItems('div').map((item) => item.id)).toEqual(['rule']);
    expect(matchingItems('xyz')).toEqual([]);
  });

  test('offers only what applies: rows in a table, no table in a table', () => {
    const applicable = (state: EditorState) => slashItems.filter((item) => item.run === 'image' || item.run(state)).map((item) => item.id);
    const inCell = applicable(stateAt(table, '1'));
    expect(inCell).toEqual(expect.arrayContaining(['row', 'column', 'delete-row', 'image']));
    expect(inCell).not.toContain('table');
    expect(inCell).not.toContain('heading1');
    const inParagraph = applicable(stateAt('words\n', 'words'));
    expect(inParagraph).toEqual(expect.arrayContaining(['table', 'task', 'code', 'rule', 'heading1']));
    expect(inParagraph).not.toContain('row');
  });
});
