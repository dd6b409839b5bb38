/**
 * The editor's schema: @automerge/prosemirror's basic schema (which speaks the Automerge rich text
 * block and mark names in common/richtext), plus what Hearth needs on top: inline code mapped to
 * the `code` mark, links that can never carry a script URL, code blocks with a language, task
 * list items (a list item with a `checked` attribute), tables, rules and images of attached files.
 *
 * Rules and images are embeds (inline atoms): an embed has a place wherever text does, so a
 * concurrent edit that puts text after one can never leave the document unreadable. Table cells
 * always carry their own block marker (the first one too), so an empty first cell stays a cell.
 */
import { ImmutableString } from '@automerge/automerge/slim';
import { basicSchemaAdapter, SchemaAdapter, type MappedMarkSpec, type MappedNodeSpec } from '@automerge/prosemirror';
import type { Mark, Node } from 'prosemirror-model';
import type { MaterializeValue } from '@automerge/automerge/slim';

type BlockAttrs = { [key: string]: MaterializeValue };
import { BlockType, MarkName, linkedDocumentId, readAlignment, readChecked } from '../../common/richtext/schema.ts';

/** Only web and mail links are followed; anything else (javascript:, data:, …) renders without an href. */
export function safeHref(href: unknown): string | null {
  if (typeof href !== 'string') return null;
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:' ? url.href : null;
  } catch {
    return null;
  }
}

const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

const codeBlock: MappedNodeSpec = {
  content: 'text*',
  marks: '',
  group: 'block',
  code: true,
  defining: true,
  attrs: { language: { default: '' } },
  automerge: {
    block: BlockType.codeBlock,
    attrParsers: {
      fromProsemirror: (node: Node): BlockAttrs => (text(node.attrs['language']) ? { language: new ImmutableString(text(node.attrs['language'])) } : {}),
      fromAutomerge: (block) => ({ language: text(block.attrs['language']) }),
    },
  },
  parseDOM: [
    {
      tag: 'pre',
      preserveWhitespace: 'full',
      getAttrs: (dom: HTMLElement) => ({
        language: dom.getAttribute('data-language') ?? /(?:^|\s)language-(\S+)/.exec(dom.querySelector('code')?.className ?? '')?.[1] ?? '',
      }),
    },
  ],
  toDOM: (node: Node) => {
    const language = text(node.attrs['language']);
    return ['pre', language ? { 'data-language': language } : {}, ['code', language ? { class: `language-${language}` } : {}, 0]];
  },
};

const horizontalRule: MappedNodeSpec = {
  inline: true,
  group: 'inline',
  atom: true,
  selectable: true,
  automerge: { block: BlockType.horizontalRule, isEmbed: true },
  parseDOM: [{ tag: 'hr' }],
  toDOM: () => ['hr', { class: 'rule' }],
};

const image: MappedNodeSpec = {
  inline: true,
  group: 'inline',
  atom: true,
  draggable: true,
  attrs: { src: { default: '' }, alt: { default: '' }, title: { default: '' } },
  automerge: {
    block: BlockType.image,
    isEmbed: true,
    attrParsers: {
      fromProsemirror: (node: Node) => ({
        src: new ImmutableString(text(node.attrs['src'])),
        alt: new ImmutableString(text(node.attrs['alt'])),
        title: new ImmutableString(text(node.attrs['title'])),
      }),
      fromAutomerge: (block) => ({ src: text(block.attrs['src']), alt: text(block.attrs['alt']), title: text(block.attrs['title']) }),
    },
  },
  parseDOM: [
    {
      tag: 'img[src]',
      getAttrs: (dom: HTMLElement) => ({ src: dom.getAttribute('src') ?? '', alt: dom.getAttribute('alt') ?? '', title: dom.getAttribute('title') ?? '' }),
    },
  ],
  // The bytes of an attached file are read through the API by the image view (imageView.ts);
  // a source that is not an attached file is never fetched (the page's CSP would refuse it anyway).
  toDOM: (node: Node) => ['img', { alt: text(node.attrs['alt']), title: text(node.attrs['title']) || null, 'data-src': text(node.attrs['src']) }],
};

const table: MappedNodeSpec = {
  group: 'block',
  content: 'table_row+',
  isolating: true,
  parseDOM: [{ tag: 'table' }],
  toDOM: () => ['table', ['tbody', 0]],
};

const tableRow: MappedNodeSpec = {
  content: 'table_cell+',
  automerge: { block: { within: { table: BlockType.tableRow } } },
  parseDOM: [{ tag: 'tr' }],
  toDOM: () => ['tr', 0],
};

const alignmentClass = (value: unknown): string | null => {
  const align = readAlignment(value);
  return align ? `align-${align}` : null;
};

const tableCell: MappedNodeSpec = {
  content: 'inline*',
  isolating: true,
  attrs: { align: { default: null } },
  automerge: {
    block: BlockType.tableCell,
    attrParsers: {
      fromProsemirror: (node: Node): BlockAttrs => {
        const align = readAlignment(node.attrs['align']);
        return align ? { align: new ImmutableString(align) } : {};
      },
      fromAutomerge: (block) => ({ align: readAlignment(block.attrs['align']) }),
    },
  },
  parseDOM: [
    { tag: 'td', getAttrs: (dom: HTMLElement) => ({ align: readAlignment(dom.style.textAlign || dom.getAttribute('align')) }) },
    { tag: 'th', getAttrs: (dom: HTMLElement) => ({ align: readAlignment(dom.style.textAlign || dom.getAttribute('align')) }) },
    // A cell holds one line (as a GFM cell does). Without this, a <br> that the browser leaves in
    // a cell while someone types there would be read back as a newline in the text.
    { tag: 'br', context: 'table_cell/', ignore: true },
  ],
  toDOM: (node: Node) => ['td', { class: alignmentClass(node.attrs['align']) }, 0],
};

function buildAdapter(): SchemaAdapter {
  const base = basicSchemaAdapter.schema.spec;
  const nodes: Record<string, MappedNodeSpec> = {};
  base.nodes.forEach((name, spec) => {
    // The adapter adds its own leaf for unknown embeds again.
    if (name !== 'unknownLeaf') nodes[name] = spec as MappedNodeSpec;
  });
  nodes['code_block'] = codeBlock;
  nodes['horizontal_rule'] = horizontalRule;
  nodes['image'] = image;
  nodes['table'] = table;
  nodes['table_row'] = tableRow;
  nodes['table_cell'] = tableCell;
  const listItem = nodes['list_item'];
  if (listItem) {
    nodes['list_item'] = {
      ...listItem,
      attrs: { ...listItem.attrs, checked: { default: null } },
      parseDOM: [{ tag: 'li', getAttrs: (dom: HTMLElement) => ({ checked: taskStateOf(dom) }) }],
      toDOM: (node: Node) => {
        const checked = readChecked(node.attrs['checked']);
        return checked === null ? ['li', 0] : ['li', { class: 'task', 'data-checked': String(checked) }, 0];
      },
    };
  }
  const marks: Record<string, MappedMarkSpec> = {};
  base.marks.forEach((name, spec) => {
    if (name !== 'unknownMark') marks[name] = spec as MappedMarkSpec;
  });
  marks['code'] = { ...marks['code'], automerge: { markName: MarkName.code } };
  const link = marks['link'];
  if (link) {
    marks['link'] = {
      ...link,
      toDOM(mark: Mark) {
        const href = safeHref(mark.attrs['href']);
        const title = typeof mark.attrs['title'] === 'string' ? mark.attrs['title'] : null;
        // A link to another document (an imported note's [[wikilink]]) opens it in Hearth.
        const documentId = linkedDocumentId(typeof mark.attrs['href'] === 'string' ? mark.attrs['href'] : '');
        return [
          'a',
          {
            ...(href ? { href } : {}),
            ...(documentId ? { 'data-document': documentId, class: 'document-link' } : {}),
            ...(title ? { title } : {}),
            rel: 'noopener noreferrer',
          },
          0,
        ];
      },
    };
  }
  const adapter = new SchemaAdapter({ nodes, marks });
  // A `within` mapping (list items) carries no attribute parsers in the package; a task item's
  // `checked` must reach its marker, so give those mappings one.
  for (const mapping of adapter.nodeMappings) {
    if (mapping.content === adapter.schema.nodes['list_item']) {
      mapping.attrParsers = {
        fromProsemirror: (node: Node): BlockAttrs => {
          const checked = readChecked(node.attrs['checked']);
          return checked === null ? {} : { checked };
        },
        fromAutomerge: (block) => ({ checked: readChecked(block.attrs['checked']) }),
      };
    }
  }
  return adapter;
}

/** A pasted list item's task state: a checkbox at its start, or GitHub's task-list class. */
function taskStateOf(dom: HTMLElement): boolean | null {
  const box = dom.querySelector(':scope > input[type=checkbox], :scope > p > input[type=checkbox]');
  if (box instanceof HTMLInputElement) return box.checked || box.hasAttribute('checked');
  const checked = dom.getAttribute('data-checked');
  return checked === 'true' ? true : checked === 'false' ? false : null;
}

export const hearthSchemaAdapter = buildAdapter();
export const hearthSchema = hearthSchemaAdapter.schema;
