import { describe, expect, it } from 'vitest';
import * as A from '@automerge/automerge';
import { basicSchemaAdapter, init, pmNodeToSpans, type DocHandle } from '@automerge/prosemirror';
import type { Node as PmNode } from 'prosemirror-model';
import { bodyAsMarkdown, markdownToSpans, plainText, setBodyFromMarkdown, spansToMarkdown, type Span } from '../../../common/richtext/index.ts';
import { denseDocument, proseDocument } from '../../support/markdown-documents.ts';

type BodyDoc = { body: string };

function docWithBody(markdown: string): A.Doc<BodyDoc> {
  return A.change(A.from<BodyDoc>({ body: '' }), (doc) => setBodyFromMarkdown(doc, markdown));
}

/** Markdown → spans → Automerge document → A.spans → Markdown. */
function throughAutomerge(markdown: string): string {
  return bodyAsMarkdown(docWithBody(markdown));
}

/** Spans in a comparable form: plain strings for block fields, no empty mark sets. */
function comparable(spans: readonly unknown[]): unknown[] {
  return spans.map((span) => {
    const { type, value, marks } = span as { type: string; value: unknown; marks?: Record<string, unknown> };
    if (type === 'text') return marks && Object.keys(marks).length > 0 ? { type, value, marks } : { type, value };
    const block = value as { type: unknown; parents: unknown[]; attrs: unknown; isEmbed?: unknown };
    return {
      type,
      value: {
        type: String(block.type),
        parents: block.parents.map(String),
        attrs: JSON.parse(JSON.stringify(block.attrs)) as unknown,
        isEmbed: block.isEmbed === true,
      },
    };
  });
}

/** What the editor shows for a document, through the real @automerge/prosemirror `init`. */
function openInEditor(doc: A.Doc<BodyDoc>): PmNode {
  let current = doc;
  const handle = {
    doc: () => current,
    docSync: () => current,
    change: (fn: A.ChangeFn<BodyDoc>) => {
      current = A.change(current, fn);
    },
    on: () => undefined,
    off: () => undefined,
  };
  return init(handle as unknown as DocHandle<unknown>, ['body']).pmDoc;
}

/** The node tree as text, e.g. `doc(bullet_list(list_item(paragraph("a"))))`. */
function shape(node: PmNode): string {
  if (node.isText) return JSON.stringify(node.text);
  const children: string[] = [];
  node.forEach((child) => children.push(shape(child)));
  const level = node.type.name === 'heading' ? String(node.attrs['level']) : '';
  return `${node.type.name}${level}(${children.join(', ')})`;
}

/** Rebuilds a ProseMirror document as if typed fresh in the editor, forgetting which nodes came from markers. */
function asTypedInEditor(pmDoc: PmNode): PmNode {
  const forget = (json: Record<string, unknown>): Record<string, unknown> => {
    const attrs = json['attrs'] as Record<string, unknown> | undefined;
    const content = json['content'] as Record<string, unknown>[] | undefined;
    return {
      ...json,
      ...(attrs ? { attrs: { ...attrs, isAmgBlock: false } } : {}),
      ...(content ? { content: content.map(forget) } : {}),
    };
  };
  return basicSchemaAdapter.schema.nodeFromJSON(forget(pmDoc.toJSON() as Record<string, unknown>));
}

describe('Markdown round trip through an Automerge document', () => {
  const normalised: Record<string, string> = {
    paragraphs: 'First paragraph.\n\nSecond paragraph.\n',
    'headings 1–6': '# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six\n',
    'bold, italic, code': 'Some **bold**, *italic*, `code`, ***both*** and **bold *nested* bold**.\n',
    links: 'A [link](https://example.com/a?b=1&c=2 "Title") and [bare](https://example.com) and [**bold link**](https://x.y).\n',
    'link needing angle brackets': 'See [this](<https://example.com/a b (c)>).\n',
    'bulleted list with nesting': '- one\n- two\n  - two a\n    - two a i\n  - two b\n- three\n',
    'numbered list with nesting': '1. first\n2. second\n   1. inner\n   2. inner two\n3. third\n',
    'mixed lists': '- bullet\n  1. numbered inside\n  2. again\n- back\n',
    'list item with several blocks': '- item\n\n  second paragraph\n\n  ```js\n  code()\n  ```\n- next\n',
    blockquote: '> quoted\n>\n> second quoted paragraph\n',
    'nested blockquote': '> outer\n>\n> > inner\n',
    'list in blockquote': '> - a\n> - b\n\nafter\n',
    'heading in blockquote': '> # Title\n>\n> text\n',
    'fenced code': '```ts\nconst x = 1;\n\n// `ticks` and **stars**\n```\n',
    'code containing a fence': '````\n```\ninner\n```\n````\n',
    'hard breaks': 'line one\\\nline two\\\n**bold** line three\n',
    'specials escaped': 'Literal \\*stars\\*, \\_under\\_, \\[brackets\\], \\`ticks\\`, back\\\\slash, \\<tag>, \\&amp;\n',
    'line-start specials': '\\# not a heading\n\n\\> not a quote\n\n\\- not a list\n\n1\\. not a list\n\n\\+ nor this\n',
    'leading spaces kept': '&#32;&#32;indented text\n',
    'inline code with backticks': 'Use ``a`b`` and `` `x` `` here.\n',
    'empty heading and empty code': '#\n\n```\n```\n',
  };

  for (const [construct, markdown] of Object.entries(normalised)) {
    it(`keeps ${construct}`, () => {
      expect(throughAutomerge(markdown)).toBe(markdown);
    });
  }

  it('normalises what has no place in the schema, and the result is then stable', () => {
    const cases: [string, string][] = [
      ['* star bullets\n+ plus\n', '- star bullets\n- plus\n'],
      ['Setext\n======\n', '# Setext\n'],
      ['soft\nwrapped\nlines\n', 'soft wrapped lines\n'],
      ['__bold__ and _em_\n', '**bold** and *em*\n'],
      ['3. starts at three\n4. four\n', '1. starts at three\n2. four\n'],
      ['a\n\n___\n\nb\n', 'a\n\n---\n\nb\n'],
      ['[ref link][r]\n\n[r]: https://r.example "R"\n', '[ref link](https://r.example "R")\n'],
      ['![alt text](<pic.png>)\n', '![alt text](pic.png)\n'],
      ['|a|b|\n|-|:-:|\n|1|2|\n', '| a | b |\n| --- | :---: |\n| 1 | 2 |\n'],
      ['- [X] done\n', '- [x] done\n'],
      ['    indented code\n', '```\nindented code\n```\n'],
    ];
    for (const [input, expected] of cases) {
      expect(throughAutomerge(input)).toBe(expected);
      expect(throughAutomerge(expected)).toBe(expected);
    }
  });

  it('degrades unsupported Markdown to its text and never throws', () => {
    const inputs = [
      '| a | b |\n|---|---|\n| 1 | 2 |\n',
      '<div>\n<b>html</b>\n</div>\n',
      'inline <span>html</span> here',
      '- [ ] task\n~~strike~~\n[^1]\n\n[^1]: note',
      '\u0000\uFFFF\uD800 broken surrogates and nulls',
      '>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> deep',
      '*'.repeat(5000),
      '',
    ];
    for (const input of inputs) {
      const spans = markdownToSpans(input);
      const markdown = spansToMarkdown(spans);
      expect(spansToMarkdown(markdownToSpans(markdown))).toBe(markdown);
    }
    expect(plainText(markdownToSpans('<div>\n<b>html</b>\n</div>\n'))).toContain('html');
    // A table is a table now (richtext-blocks.test.ts); its words are each cell's line.
    expect(plainText(markdownToSpans('| a | b |\n|---|---|\n| 1 | 2 |\n')).split('\n')).toEqual(['a', 'b', '1', '2']);
  });

  it('keeps every word of Markdown nested deeper than the parser goes', () => {
    const depth = 1200;
    const list = Array.from({ length: depth }, (_, level) => `${'  '.repeat(level)}- item${level}`).join('\n');
    const quotes = Array.from({ length: depth }, (_, level) => `${'>'.repeat(level + 1)} quote${level}`).join('\n');
    for (const [markdown, word] of [
      [list, 'item'],
      [quotes, 'quote'],
    ] as const) {
      const text = plainText(markdownToSpans(markdown));
      for (const level of [0, depth / 2, depth - 1]) expect(text).toContain(`${word}${level}`);
    }
  });

  it('reads a byte order mark as encoding, not text', () => {
    expect(throughAutomerge('\uFEFF# Title\n\nBody.\n')).toBe('# Title\n\nBody.\n');
  });
});

describe('emphasis that nests or meets', () => {
  const text = (value: string, marks?: Record<string, unknown>): Span => (marks ? { type: 'text', value, marks } : { type: 'text', value }) as Span;
  const paragraph: Span = { type: 'block', value: { type: 'paragraph', parents: [], attrs: {}, isEmbed: false } };
  const link = JSON.stringify({ href: 'https://e.x', title: '' });

  it('is written so that a CommonMark reader sees the same marks', () => {
    const samples: Span[][] = [
      // A lone paragraph has no marker of its own.
      [text('Some '), text('bold ', { strong: true }), text('nested', { strong: true, em: true }), text(' bold', { strong: true }), text('.')],
      [text('both', { strong: true, em: true }), text(' and '), text('bold', { strong: true }), text('italic', { em: true })],
    ];
    for (const spans of samples) {
      const markdown = spansToMarkdown(spans);
      expect(comparable(markdownToSpans(markdown)), markdown).toEqual(comparable(spans));
    }
  });

  it('where no Markdown holds the marks (the rule of 3), keeps the text exact and drops only emphasis', () => {
    const samples: Span[][] = [
      // `***a*b*c***` would read as nested emphasis and two literal asterisks.
      [paragraph, text('wa', { strong: true, em: true }), text('wb', { strong: true }), text('wc', { strong: true, em: true })],
      // `*a **b*****c**` would read with a literal asterisk.
      [paragraph, text('wa', { em: true }), text('wb', { strong: true, em: true }), text('wc', { strong: true })],
      [
        paragraph,
        text('wbz'),
        text('w&aa)\nz', { strong: true }),
        text('waz', { strong: true, em: true }),
        text('w-_z', { link, em: true }),
        text('w1[é-\\<z', { em: true }),
      ],
    ];
    for (const spans of samples) {
      const markdown = spansToMarkdown(spans);
      const back = markdownToSpans(markdown);
      expect(plainText(back), markdown).toBe(plainText(spans));
      expect(spansToMarkdown(back), markdown).toBe(markdown);
      const linked = (spans: Span[]): string[] => spans.flatMap((span) => (span.type === 'text' && span.marks?.['link'] ? [span.value] : []));
      expect(linked(back)).toEqual(linked(spans));
    }
  });
});

describe('text with Markdown specials survives', () => {
  const nastyTexts = [
    '*not bold* _not em_ # not heading [not](link) `not code`',
    '# starts with hash',
    '> starts like a quote',
    '- starts like a list',
    '1. starts like a numbered list',
    '1) also',
    '===',
    '---',
    '```',
    '~~~',
    '    four spaces',
    'trailing spaces   ',
    '\ttab first',
    'back\\slash at end\\',
    '<http://not.autolink> <b>not html</b>',
    '&amp; &#42; &copy; stay literal',
    '![not](an image)',
    '[x]: /not-a-definition',
    '**',
    '`',
    'a*b*c_d_e',
  ];

  it('as plain text in a paragraph', () => {
    for (const text of nastyTexts) {
      const spans: Span[] = [
        { type: 'block', value: { type: 'paragraph', parents: [], attrs: {}, isEmbed: false } },
        { type: 'text', value: text },
        { type: 'block', value: { type: 'paragraph', parents: [], attrs: {}, isEmbed: false } },
        { type: 'text', value: 'after' },
      ];
      const markdown = spansToMarkdown(spans);
      expect(comparable(markdownToSpans(markdown)), `${JSON.stringify(text)} via ${JSON.stringify(markdown)}`).toEqual(comparable(spans));
    }
  });

  it('inside marks, headings, list items and code', () => {
    for (const text of nastyTexts) {
      const trimmed = text.trim();
      const spans: Span[] = [
        { type: 'block', value: { type: 'heading', parents: [], attrs: { level: 2 }, isEmbed: false } },
        { type: 'text', value: trimmed },
        { type: 'block', value: { type: 'unordered-list-item', parents: [], attrs: {}, isEmbed: false } },
        { type: 'text', value: 'x ' },
        { type: 'text', value: trimmed, marks: { strong: true } },
        { type: 'text', value: ' ' },
        { type: 'text', value: trimmed, marks: { code: true } },
        { type: 'text', value: ' ' },
        { type: 'text', value: trimmed, marks: { link: JSON.stringify({ href: 'https://e.x/(a)', title: 'say "hi"' }) } },
        { type: 'block', value: { type: 'code-block', parents: [], attrs: {}, isEmbed: false } },
        { type: 'text', value: text },
      ];
      const markdown = spansToMarkdown(spans);
      const back = markdownToSpans(markdown);
      expect(plainText(back), JSON.stringify(markdown)).toBe(plainText(spans));
      expect(spansToMarkdown(back)).toBe(markdown);
    }
  });

  it('for random texts and marks (seeded), text is exact and the Markdown is stable', () => {
    let seed = 20240601;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const alphabet = ['a', 'b', ' ', '*', '_', '#', '[', ']', '`', '\\', '<', '>', '&', '!', '(', ')', '"', '-', '1', '.', '\n', 'é'];
    const markChoices: Record<string, string | boolean>[] = [
      {},
      { strong: true },
      { em: true },
      { code: true },
      { strong: true, em: true },
      { link: JSON.stringify({ href: 'https://e.x', title: '' }) },
      { link: JSON.stringify({ href: 'https://e.x', title: '' }), em: true },
    ];
    for (let round = 0; round < 400; round++) {
      const spans: Span[] = [{ type: 'block', value: { type: 'paragraph', parents: [], attrs: {}, isEmbed: false } }];
      const runs = 1 + Math.floor(random() * 5);
      for (let run = 0; run < runs; run++) {
        let text = 'w';
        const length = 1 + Math.floor(random() * 6);
        for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
        text += 'z';
        const marks = markChoices[Math.floor(random() * markChoices.length)] ?? {};
        spans.push(Object.keys(marks).length > 0 ? { type: 'text', value: text, marks } : { type: 'text', value: text });
      }
      const markdown = spansToMarkdown(spans);
      const back = markdownToSpans(markdown);
      const context = `${JSON.stringify(spans)}\n${JSON.stringify(markdown)}`;
      // Text survives exactly; only a line break inside inline code becomes a plain break.
      expect(plainText(back), context).toBe(plainText(spans));
      expect(spansToMarkdown(back), context).toBe(markdown);
    }
  });
});

describe('compatibility with @automerge/prosemirror', () => {
  const everything = [
    '# Title',
    'Intro with **bold**, *em*, `code` and a [link](https://example.com).',
    '- one\n- two\n  - nested\n- three',
    '1. first\n2. second',
    '> quoted\n>\n> more',
    '```ts\nconst x = 1;\n```',
    'break\\\nhere',
  ].join('\n\n');

  it('opens in the editor with the expected node types', () => {
    const pmDoc = openInEditor(docWithBody(everything));
    expect(shape(pmDoc)).toBe(
      'doc(' +
        [
          'heading1("Title")',
          'paragraph("Intro with ", "bold", ", ", "em", ", ", "code", " and a ", "link", ".")',
          'bullet_list(list_item(paragraph("one")), list_item(paragraph("two"), bullet_list(list_item(paragraph("nested")))), list_item(paragraph("three")))',
          'ordered_list(list_item(paragraph("first")), list_item(paragraph("second")))',
          'blockquote(paragraph("quoted"), paragraph("more"))',
          'code_block("const x = 1;")',
          'paragraph("break\\nhere")',
        ].join(', ') +
        ')',
    );
    const marksOf = (needle: string): string[] => {
      let names: string[] = [];
      pmDoc.descendants((node) => {
        if (node.isText && node.text === needle) names = node.marks.map((mark) => mark.type.name);
      });
      return names;
    };
    expect(marksOf('bold')).toEqual(['strong']);
    expect(marksOf('em')).toEqual(['em']);
    expect(marksOf('link')).toEqual(['link']);
    // basicSchema has no Automerge mapping for code; the editor keeps it as an unknown mark.
    expect(marksOf('code')).toEqual(['unknownMark']);
    pmDoc.descendants((node) => {
      if (node.type.name === 'link') expect(node.attrs['href']).toBe('https://example.com');
    });
  });

  it('writes exactly the spans the editor itself would write for the same document', () => {
    const samples = [
      everything,
      'just one paragraph',
      '',
      '> # heading first\n>\n> - list\n\nafter',
      '- a\n\n  para in item\n\n  - nested\n\n  more\n- b',
      '> > deep\n>\n> shallow',
    ];
    for (const markdown of samples) {
      const doc = docWithBody(markdown);
      const ours = comparable(A.spans(doc, ['body']));
      expect(ours).toEqual(comparable(markdownToSpans(markdown)));
      const editors = pmNodeToSpans(basicSchemaAdapter, asTypedInEditor(openInEditor(doc)));
      expect(comparable(editors), markdown).toEqual(ours);
    }
  });

  it('gives a list item that starts with a heading or code the paragraph the editor requires', () => {
    const markdown = '- # heading item\n- ```\n  code item\n  ```\n';
    const pmDoc = openInEditor(docWithBody(markdown));
    expect(shape(pmDoc)).toBe('doc(bullet_list(list_item(paragraph(), heading1("heading item")), list_item(paragraph(), code_block("code item"))))');
    expect(throughAutomerge(markdown)).toBe(markdown);
  });

  it('reads what the editor writes', () => {
    const { schema } = basicSchemaAdapter;
    const { nodes, marks } = schema;
    const typed = nodes['doc']!.create(null, [
      nodes['heading']!.create({ level: 3 }, [schema.text('Notes')]),
      nodes['bullet_list']!.create(null, [
        nodes['list_item']!.create(null, [nodes['paragraph']!.create(null, [schema.text('item '), schema.text('strong', [marks['strong']!.create()])])]),
      ]),
      nodes['blockquote']!.create(null, [nodes['paragraph']!.create(null, [schema.text('q')])]),
    ]);
    let doc = A.from<BodyDoc>({ body: '' });
    doc = A.change(doc, (d) => A.updateSpans(d, ['body'], pmNodeToSpans(basicSchemaAdapter, typed)));
    expect(bodyAsMarkdown(doc)).toBe('### Notes\n\n- item **strong**\n\n> q\n');
  });
});

describe('setBodyFromMarkdown merges as character edits', () => {
  it('keeps two concurrent edits of different paragraphs', () => {
    const base = docWithBody('Alpha paragraph.\n\nBeta paragraph.\n\nGamma paragraph.\n');
    const alice = A.change(A.clone(base), (doc) => setBodyFromMarkdown(doc, 'Alpha paragraph, **edited by Alice**.\n\nBeta paragraph.\n\nGamma paragraph.\n'));
    const bob = A.change(A.clone(base), (doc) => setBodyFromMarkdown(doc, 'Alpha paragraph.\n\nBeta paragraph.\n\nGamma paragraph, edited by Bob.\n'));
    const merged = A.merge(A.clone(alice), bob);
    expect(bodyAsMarkdown(merged)).toBe('Alpha paragraph, **edited by Alice**.\n\nBeta paragraph.\n\nGamma paragraph, edited by Bob.\n');
    expect(bodyAsMarkdown(A.merge(A.clone(bob), alice))).toBe(bodyAsMarkdown(merged));
  });

  it('keeps concurrent edits within one paragraph and a concurrent list change', () => {
    const base = docWithBody('The quick fox.\n\n- one\n- two\n');
    const alice = A.change(A.clone(base), (doc) => setBodyFromMarkdown(doc, 'The quick brown fox.\n\n- one\n- two\n'));
    const bob = A.change(A.clone(base), (doc) => setBodyFromMarkdown(doc, 'The quick fox jumps.\n\n- one\n- two\n- three\n'));
    expect(bodyAsMarkdown(A.merge(A.clone(alice), bob))).toBe('The quick brown fox jumps.\n\n- one\n- two\n- three\n');
  });

  it('changes only what changed', () => {
    const base = docWithBody('# Title\n\nUnchanged paragraph that is fairly long.\n\nTail.\n');
    const patches: A.Patch[] = [];
    A.change(base, { patchCallback: (p) => patches.push(...p) }, (doc) =>
      setBodyFromMarkdown(doc, '# Title\n\nUnchanged paragraph that is fairly long.\n\nTail!\n'),
    );
    const inserted = patches
      .filter((patch): patch is A.SpliceTextPatch => patch.action === 'splice')
      .map((patch) => patch.value)
      .join('');
    expect(inserted).toBe('!');
  });

  it('creates the body when the document has none', () => {
    const doc = A.change(A.from<{ title: string; body?: string }>({ title: 't' }), (d) => setBodyFromMarkdown(d, 'hi **there**'));
    expect(bodyAsMarkdown(doc)).toBe('hi **there**\n');
  });
});

describe('plainText', () => {
  it('turns blocks into newlines for the search index', () => {
    expect(plainText(markdownToSpans('# Title\n\nBody **bold** [link](x).\n\n- a\n- b\n\n```\ncode\n```'))).toBe('Title\nBody bold link.\na\nb\ncode');
  });
});

describe('full-size documents', () => {
  // Speed is measured in bench/ (npm run bench -- richtext), not asserted here: timed tests flake
  // on a loaded machine. This proves the conversions are right at full size.
  it('converts a 100k-character document both ways without loss', () => {
    for (const markdown of [proseDocument, denseDocument]) {
      expect(markdown.length).toBeGreaterThan(99_000);
      const spans = markdownToSpans(markdown);
      expect(spansToMarkdown(spans)).toBe(markdown);
      expect(plainText(spans).length).toBeGreaterThan(50_000);
      expect(bodyAsMarkdown(docWithBody(markdown))).toBe(markdown);
    }
  });
});
