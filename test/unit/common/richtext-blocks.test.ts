/**
 * The blocks beyond text — code blocks with a language, task items, GFM tables, rules and images
 * of attached files — each round-trips through Markdown (what `hearth doc show/edit` and the
 * Markdown export read and write), through the JSON export (validated against its schema) and
 * through the editor's own layout; and each merges when two replicas edit the same block at once,
 * through Markdown edits and through the editor's transactions.
 */
import { describe, expect, it } from 'vitest';
import * as A from '@automerge/automerge';
import { pmDocFromSpans, pmNodeToSpans, syncPlugin, type DocHandle } from '@automerge/prosemirror';
import type { Node as PmNode } from 'prosemirror-model';
import { EditorState, TextSelection, type Command, type Transaction } from 'prosemirror-state';
import { DocumentFileSchema } from '../../../common/export/schema.ts';
import { spanForExport, spansFromExport } from '../../../common/export/spans.ts';
import { bodyAsMarkdown, markdownToSpans, setBodyFromMarkdown, spansToMarkdown, type Span } from '../../../common/richtext/index.ts';
import { editToSpans } from '../../../common/richtext/editToSpans.ts';
import { addRowAfter, insertFileImage, insertRule, setTaskState } from '../../../renderer/editor/blocks.ts';
import { hearthSchemaAdapter as adapter } from '../../../renderer/editor/schema.ts';

type BodyDoc = { body: string };

const actors = ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'];

function docWithBody(markdown: string): A.Doc<BodyDoc> {
  return A.change(A.from<BodyDoc>({ body: '' }, 'dddddddddddddddddddddddddddddddd'), (doc) => setBodyFromMarkdown(doc, markdown));
}

/** Spans in a comparable form: plain strings for block fields, no empty mark sets. */
function comparable(spans: readonly Span[]): unknown[] {
  return spans.map((span) => {
    if (span.type === 'text') return span.marks && Object.keys(span.marks).length > 0 ? { text: span.value, marks: span.marks } : { text: span.value };
    return JSON.parse(JSON.stringify(span.value)) as unknown;
  });
}

const blocks: Record<string, string> = {
  'code block with a language': '```ts\nconst answer = 42;\n\nconsole.log(answer);\n```\n',
  'code block without one': '```\nplain\n```\n',
  'code block whose code holds a fence': '````md\n```js\nx\n```\n````\n',
  'task items, open and done, with marks': '- [ ] buy **oat** milk\n- [x] mend the net\n- an ordinary item\n',
  'ordered task items': '1. [x] first\n2. [ ] second\n',
  'a nested task list': '- [ ] pack\n  - [x] rope\n  - [ ] lamp\n',
  'an empty task item': '- [ ]\n- [x] b\n',
  'an ordinary item that starts with brackets': '- \\[ \\] not a task\n',
  'a table with alignments, marks and an escaped pipe':
    '| Port | Depth | Note |\n| :--- | ---: | :---: |\n| **Oban** | 12 m | a \\| b |\n| `Mallaig` |  | [tide](https://example.org) |\n',
  'a table with an empty first cell': '|  | b |\n| --- | --- |\n|  | d |\n',
  'a table in a list item': '- item\n\n  | a |\n  | --- |\n  | b |\n',
  'a rule between paragraphs': 'one\n\n---\n\ntwo\n',
  'a rule alone': '---\n',
  'a rule in a list item': '- ***\n- b\n',
  'an image of an attached file, with a title': 'See ![the harbour](hearth-file:f1Le_id-2 "At dawn") here.\n',
  'an image from a URL': '![logo](https://example.org/logo.png)\n',
  'every block at once':
    '# Notes\n\n```py\nprint(1)\n```\n\n- [x] done\n- [ ] open\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n---\n\n![x](hearth-file:abc)\n\n> quoted\n',
};

describe('each block round-trips', () => {
  it.each(Object.entries(blocks))('%s: through Markdown and an Automerge document', (_name, markdown) => {
    expect(spansToMarkdown(markdownToSpans(markdown))).toBe(markdown);
    const doc = docWithBody(markdown);
    expect(bodyAsMarkdown(doc)).toBe(markdown);
    expect(comparable(A.spans(doc, ['body']))).toEqual(comparable(markdownToSpans(markdown)));
    // Writing the same Markdown again changes nothing.
    expect(A.getHeads(A.change(doc, (d) => setBodyFromMarkdown(d, markdown)))).toEqual(A.getHeads(doc));
  });

  it.each(Object.entries(blocks))('%s: through the JSON export and its schema', (_name, markdown) => {
    const doc = docWithBody(markdown);
    const exported = JSON.parse(JSON.stringify(A.spans(doc, ['body']).map(spanForExport))) as unknown;
    const file = DocumentFileSchema.parse({ id: 'doc1', title: 'T', tags: [], createdAt: 1, updatedAt: 2, spans: exported, comments: [] });
    const imported = A.change(A.from<BodyDoc>({ body: '' }), (d) => editToSpans(d, ['body'], spansFromExport(file.spans)));
    expect(comparable(A.spans(imported, ['body']))).toEqual(comparable(A.spans(doc, ['body'])));
    expect(bodyAsMarkdown(imported)).toBe(markdown);
    // Strings read back as the immutable strings the editor writes, never as collaborative text.
    for (const span of A.spans(imported, ['body'])) {
      if (span.type !== 'block') continue;
      for (const value of Object.values(span.value['attrs'] as Record<string, unknown>)) expect(typeof value).not.toBe('string');
    }
  });

  it.each(Object.entries(blocks))('%s: through the editor, which reads and writes the same layout', (_name, markdown) => {
    const spans = markdownToSpans(markdown);
    const pmDoc = pmDocFromSpans(adapter, spans);
    expect(comparable(pmNodeToSpans(adapter, pmDoc))).toEqual(comparable(spans));
  });

  it('a body exported before tables and tasks (format 2) still imports', () => {
    const version2 = [
      { type: 'block', value: { attrs: { level: 1 }, isEmbed: false, parents: [], type: 'heading' } },
      { type: 'text', value: 'Plan' },
      { type: 'block', value: { attrs: {}, isEmbed: false, parents: [], type: 'unordered-list-item' } },
      { type: 'text', value: 'milk', marks: { strong: true } },
      { type: 'block', value: { attrs: { language: 'sh' }, isEmbed: false, parents: [], type: 'code-block' } },
      { type: 'text', value: 'ls' },
    ];
    const file = DocumentFileSchema.parse({ id: 'doc1', title: 'T', tags: [], createdAt: 1, updatedAt: 2, spans: version2, comments: [] });
    const imported = A.change(A.from<BodyDoc>({ body: '' }), (d) => editToSpans(d, ['body'], spansFromExport(file.spans)));
    expect(bodyAsMarkdown(imported)).toBe('# Plan\n\n- **milk**\n\n```sh\nls\n```\n');
  });

  it('the JSON schema refuses a task state or alignment that is not one', () => {
    const withBlock = (attrs: object) =>
      DocumentFileSchema.safeParse({
        id: 'd',
        title: 'T',
        tags: [],
        createdAt: 1,
        updatedAt: 2,
        comments: [],
        spans: [{ type: 'block', value: { type: 'table-cell', parents: ['table-row'], attrs, isEmbed: false } }],
      });
    expect(withBlock({ align: 'left' }).success).toBe(true);
    expect(withBlock({ align: 'middle' }).success).toBe(false);
    expect(withBlock({ checked: 'yes' }).success).toBe(false);
    expect(withBlock({ futureAttribute: [1, 2] }).success).toBe(true);
  });
});

/** Forks `base`, applies one Markdown edit per replica, merges both ways; returns the merged Markdown. */
function mergeMarkdownEdits(base: string, first: string, second: string): string {
  const start = docWithBody(base);
  const [left, right] = [first, second].map((markdown, index) => {
    const replica = A.change(A.clone(start, actors[index]), (doc) => setBodyFromMarkdown(doc, markdown));
    expect(bodyAsMarkdown(replica)).toBe(markdown);
    return replica;
  }) as [A.Doc<BodyDoc>, A.Doc<BodyDoc>];
  const merged = A.merge(A.clone(left), right);
  expect(bodyAsMarkdown(A.merge(A.clone(right), left))).toBe(bodyAsMarkdown(merged));
  // The editor can show what the merge made.
  pmDocFromSpans(adapter, A.spans(merged, ['body']));
  return bodyAsMarkdown(merged);
}

describe('two replicas editing the same block through Markdown (hearth doc edit)', () => {
  it('code block: one changes the language, the other a line', () => {
    expect(mergeMarkdownEdits('```ts\nline one\nline two\n```\n', '```py\nline one\nline two\n```\n', '```ts\nline one\nline 2, changed\n```\n')).toBe(
      '```py\nline one\nline 2, changed\n```\n',
    );
  });

  it('task item: one ticks it, the other edits its words', () => {
    expect(mergeMarkdownEdits('- [ ] buy milk\n- [ ] mend net\n', '- [x] buy milk\n- [ ] mend net\n', '- [ ] buy oat milk\n- [ ] mend net\n')).toBe(
      '- [x] buy oat milk\n- [ ] mend net\n',
    );
  });

  it('table: two cells of one row edited, and a row added while a cell changes', () => {
    const base = '| a | b |\n| --- | --- |\n| 1 | 2 |\n';
    expect(mergeMarkdownEdits(base, '| a | b |\n| --- | --- |\n| one | 2 |\n', '| a | b |\n| --- | --- |\n| 1 | two |\n')).toBe(
      '| a | b |\n| --- | --- |\n| one | two |\n',
    );
    expect(mergeMarkdownEdits(base, '| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n', '| a | B! |\n| --- | --- |\n| 1 | 2 |\n')).toBe(
      '| a | B! |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n',
    );
  });

  it('rule: one puts a rule after a paragraph while the other extends that paragraph', () => {
    expect(mergeMarkdownEdits('one\n\ntwo\n', 'one\n\n---\n\ntwo\n', 'one and more\n\ntwo\n')).toBe('one and more\n\n---\n\ntwo\n');
  });

  it('image: one rewrites its description, the other adds words after it', () => {
    expect(
      mergeMarkdownEdits(
        'See ![cat](hearth-file:abc) here.\n',
        'See ![a sleeping cat](hearth-file:abc) here.\n',
        'See ![cat](hearth-file:abc) here and there.\n',
      ),
    ).toBe('See ![a sleeping cat](hearth-file:abc) here and there.\n');
  });
});

/** An editor on its own replica, bound by the real @automerge/prosemirror sync plugin. */
function editorOn(doc: A.Doc<BodyDoc>) {
  let current = doc;
  const handle = {
    doc: () => current,
    change: (fn: A.ChangeFn<BodyDoc>) => {
      current = A.change(current, fn);
    },
    on: () => undefined,
    off: () => undefined,
  };
  let state = EditorState.create({
    schema: adapter.schema,
    doc: pmDocFromSpans(adapter, A.spans(current, ['body'])),
    plugins: [syncPlugin({ adapter, handle: handle as unknown as DocHandle<unknown>, path: ['body'] })],
  });
  const apply = (tr: Transaction): void => {
    state = state.applyTransaction(tr).state;
  };
  return {
    doc: () => current,
    state: () => state,
    run(command: Command): void {
      expect(command(state, apply)).toBe(true);
    },
    /** Types `text` right after the first `anchor` in the text. */
    typeAfter(anchor: string, text: string): void {
      apply(state.tr.insertText(text, positionAfter(state.doc, anchor)));
    },
    cursorAt(prefix: string): void {
      apply(state.tr.setSelection(TextSelection.create(state.doc, endOfTextblock(state.doc, prefix))));
    },
  };
}

function endOfTextblock(doc: PmNode, prefix: string): number {
  let found = -1;
  doc.descendants((node, pos) => {
    if (found < 0 && node.isTextblock && node.textContent.startsWith(prefix)) found = pos + 1 + node.content.size;
    return found < 0;
  });
  if (found < 0) throw new Error(`No block starts with ${prefix}`);
  return found;
}

function positionAfter(doc: PmNode, anchor: string): number {
  let found = -1;
  doc.descendants((node, pos) => {
    const at = node.isTextblock ? node.textContent.indexOf(anchor) : -1;
    if (found < 0 && at >= 0) found = pos + 1 + at + anchor.length;
    return found < 0;
  });
  if (found < 0) throw new Error(`No text ${anchor}`);
  return found;
}

function itemPos(doc: PmNode, prefix: string): number {
  let found = -1;
  doc.descendants((node, pos) => {
    if (found < 0 && node.type.name === 'list_item' && node.textContent.startsWith(prefix)) found = pos;
    return found < 0;
  });
  return found;
}

/** Two editors on forks of `base`; `edit` works on each; returns the merged Markdown, shown by a third editor. */
function mergeEditorEdits(base: string, left: (editor: ReturnType<typeof editorOn>) => void, right: (editor: ReturnType<typeof editorOn>) => void): string {
  const start = docWithBody(base);
  const a = editorOn(A.clone(start, actors[0]));
  const b = editorOn(A.clone(start, actors[1]));
  left(a);
  right(b);
  const merged = A.merge(A.clone(a.doc()), b.doc());
  expect(bodyAsMarkdown(A.merge(A.clone(b.doc()), a.doc()))).toBe(bodyAsMarkdown(merged));
  pmDocFromSpans(adapter, A.spans(merged, ['body']));
  return bodyAsMarkdown(merged);
}

describe('two people editing the same block in the editor', () => {
  it('code block: each types on a line of their own', () => {
    expect(
      mergeEditorEdits(
        '```ts\nconst a = 1;\nconst b = 2;\n```\n\nafter\n',
        (a) => a.typeAfter('a = 1;', ' // left'),
        (b) => b.typeAfter('b = 2;', ' // right'),
      ),
    ).toBe('```ts\nconst a = 1; // left\nconst b = 2; // right\n```\n\nafter\n');
  });

  it('task item: one ticks the box, the other types in the item', () => {
    const merged = mergeEditorEdits(
      '- [ ] buy milk\n- [ ] mend net\n',
      (a) => a.run((state, dispatch) => (dispatch?.(setTaskState(state.tr, itemPos(state.doc, 'buy'), true)), true)),
      (b) => b.typeAfter('buy milk', ' and bread'),
    );
    expect(merged).toBe('- [x] buy milk and bread\n- [ ] mend net\n');
  });

  it('table: two cells of one row typed at once, and a row added while a cell is typed in', () => {
    const base = '| a | b |\n| --- | --- |\n| 1 | 2 |\n';
    expect(
      mergeEditorEdits(
        base,
        (a) => a.typeAfter('1', '00'),
        (b) => b.typeAfter('2', '22'),
      ),
    ).toBe('| a | b |\n| --- | --- |\n| 100 | 222 |\n');
    expect(
      mergeEditorEdits(
        base,
        (a) => {
          a.cursorAt('1');
          a.run(addRowAfter);
        },
        (b) => b.typeAfter('b', ' (m)'),
      ),
    ).toBe('| a | b (m) |\n| --- | --- |\n| 1 | 2 |\n|  |  |\n');
  });

  it('rule: one inserts a rule after a paragraph while the other types at its end', () => {
    const merged = mergeEditorEdits(
      'one\n\ntwo\n',
      (a) => {
        a.cursorAt('one');
        a.run(insertRule);
      },
      (b) => b.typeAfter('one', ' more'),
    );
    expect(merged).toMatch(/^one more\n\n---\n\n(\n)?two\n$/);
  });

  it('image: one inserts an image in a paragraph while the other types in it', () => {
    const merged = mergeEditorEdits(
      'See here.\n',
      (a) => {
        a.cursorAt('See here.');
        a.run(insertFileImage('file1', 'harbour'));
      },
      (b) => b.typeAfter('See', ' it'),
    );
    expect(merged).toBe('See it here.![harbour](hearth-file:file1)\n');
  });
});
