/**
 * Automerge rich text spans → a tree of blocks, read the way `@automerge/prosemirror` reads them
 * (its `traverseSpans`): a block's `parents` are matched against the containers already open, a
 * container type opens a new container, text with no block of its own lands in an implicit
 * paragraph. The Markdown writer (spansToMarkdown.ts) and the public link page's document
 * (linkDocument.ts) both read this tree, so they show the structure the editor shows.
 */
import type { MarkSet, Span } from '@automerge/automerge';
import {
  BlockType,
  MarkName,
  activeMarks,
  decodeLinkMark,
  encodeLinkMark,
  readAlignment,
  readBlockMarker,
  readChecked,
  type CellAlignment,
  type LinkTarget,
  type TextBlockType,
} from './schema.ts';

export interface InlineMarks {
  strong: boolean;
  em: boolean;
  code: boolean;
  link: LinkTarget | null;
  /** The link's stored value, so two runs of one link compare equal cheaply. */
  linkKey: string | null;
}

export type Inline =
  { kind: 'text'; text: string; marks: InlineMarks } | { kind: 'image'; src: string; alt: string; title: string; marks: InlineMarks } | { kind: 'rule' };

export interface Leaf {
  kind: 'leaf';
  type: TextBlockType;
  level: number;
  language: string;
  /** A table cell's column alignment. */
  align: CellAlignment | null;
  inlines: Inline[];
}

export interface Container {
  kind: 'container';
  /** A container block type, or an unknown type which Markdown cannot show and renders transparently. */
  type: string;
  /** A list item's task state. */
  checked: boolean | null;
  children: TreeNode[];
}

export type TreeNode = Leaf | Container;

const textBlockTypes: ReadonlySet<string> = new Set([BlockType.paragraph, BlockType.heading, BlockType.codeBlock, BlockType.tableCell]);

/** The block tree of `spans`: a root container holding the top-level blocks. */
export function buildTree(spans: readonly Span[]): Container {
  const root: Container = { kind: 'container', type: 'root', checked: null, children: [] };
  const open: Container[] = [root];
  let leaf: Leaf | null = null;
  const innermost = (): Container => open[open.length - 1] ?? root;
  const currentLeaf = (): Leaf => {
    if (leaf === null) {
      leaf = newLeaf(BlockType.paragraph, {});
      innermost().children.push(leaf);
    }
    return leaf;
  };

  for (const span of spans) {
    if (span.type === 'text') {
      if (span.value !== '') currentLeaf().inlines.push({ kind: 'text', text: span.value, marks: readMarks(span.marks) });
      continue;
    }
    const marker = readBlockMarker(span.value);
    if (marker.isEmbed) {
      // An embed does not break the flow of text (schema: "Embeds"); only images have a Markdown form.
      if (marker.type === BlockType.image) {
        currentLeaf().inlines.push({
          kind: 'image',
          src: stringAttr(marker.attrs['src']),
          alt: stringAttr(marker.attrs['alt']),
          title: stringAttr(marker.attrs['title']),
          marks: readMarks(undefined),
        });
      } else if (marker.type === BlockType.horizontalRule) {
        currentLeaf().inlines.push({ kind: 'rule' });
      }
      continue;
    }
    let matched = 0;
    while (matched < marker.parents.length && open[matched + 1]?.type === marker.parents[matched]) matched++;
    open.length = matched + 1;
    for (const parentType of marker.parents.slice(matched)) {
      const container: Container = { kind: 'container', type: parentType, checked: null, children: [] };
      innermost().children.push(container);
      open.push(container);
    }
    if (textBlockTypes.has(marker.type)) {
      leaf = newLeaf(marker.type as TextBlockType, marker.attrs);
      innermost().children.push(leaf);
    } else {
      const container: Container = { kind: 'container', type: marker.type, checked: readChecked(marker.attrs['checked']), children: [] };
      innermost().children.push(container);
      open.push(container);
      leaf = null;
    }
  }
  return root;
}

function newLeaf(type: TextBlockType, attrs: { [key: string]: unknown }): Leaf {
  const level = typeof attrs['level'] === 'number' ? Math.min(6, Math.max(1, Math.trunc(attrs['level']))) : 1;
  const language = stringAttr(attrs['language']);
  return { kind: 'leaf', type, level, language, align: readAlignment(attrs['align']), inlines: [] };
}

export function stringAttr(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

export function readMarks(marks: MarkSet | undefined): InlineMarks {
  const active = activeMarks(marks);
  const link = decodeLinkMark(active[MarkName.link]);
  return {
    strong: MarkName.strong in active,
    em: MarkName.em in active,
    code: MarkName.code in active,
    link,
    linkKey: link ? encodeLinkMark(link) : null,
  };
}

export const listItemTypes: ReadonlySet<string> = new Set([BlockType.orderedListItem, BlockType.unorderedListItem]);
export const isListItem = (node: TreeNode): node is Container => node.kind === 'container' && listItemTypes.has(node.type);
export const isTableRow = (node: TreeNode): node is Container => node.kind === 'container' && node.type === BlockType.tableRow;

/** Unknown containers have no Markdown form; their content stays, at the level around them. */
export function flattenUnknown(children: readonly TreeNode[]): TreeNode[] {
  const flat: TreeNode[] = [];
  for (const child of children) {
    if (child.kind === 'container' && child.type !== BlockType.blockquote && !listItemTypes.has(child.type) && child.type !== BlockType.tableRow) {
      flat.push(...flattenUnknown(child.children));
    } else {
      flat.push(child);
    }
  }
  return flat;
}
