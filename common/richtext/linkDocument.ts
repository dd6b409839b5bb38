/**
 * The document a public link shows: its blocks as a small JSON tree that the viewer page
 * (sync-server/viewer-page.ts) builds into DOM nodes with textContent alone, so nothing in a
 * document is ever read as HTML. It travels inside the link's ciphertext; its schema is checked
 * by whoever opens the link (common/protocol/link.ts).
 */
import type { Span } from '@automerge/automerge';
import { z } from 'zod';
import { buildTree, flattenUnknown, isListItem, isTableRow, type Container, type Inline, type Leaf, type TreeNode } from './blockTree.ts';
import { BlockType, imageFileId } from './schema.ts';

const Text = z.string().max(10_000_000);

/** A run of text with its marks (`b` bold, `i` italic, `c` code, `a` a web or mail link), or an image. */
export const LinkInlineSchema = z.union([
  z.strictObject({
    t: Text,
    b: z.literal(true).optional(),
    i: z.literal(true).optional(),
    c: z.literal(true).optional(),
    a: z.string().max(10_000).optional(),
  }),
  z.strictObject({ img: z.string().max(200), alt: Text, title: Text.optional() }),
]);
export type LinkInline = z.infer<typeof LinkInlineSchema>;

export type LinkBlock =
  | { k: 'p'; c: LinkInline[] }
  | { k: 'h'; l: number; c: LinkInline[] }
  | { k: 'pre'; lang: string; text: string }
  | { k: 'quote'; c: LinkBlock[] }
  | { k: 'list'; ordered: boolean; items: { checked: boolean | null; c: LinkBlock[] }[] }
  | { k: 'table'; align: ('left' | 'center' | 'right' | null)[]; rows: LinkInline[][][] }
  | { k: 'hr' };

export const LinkBlockSchema: z.ZodType<LinkBlock> = z.lazy(() =>
  z.union([
    z.strictObject({ k: z.literal('p'), c: z.array(LinkInlineSchema) }),
    z.strictObject({ k: z.literal('h'), l: z.number().int().min(1).max(6), c: z.array(LinkInlineSchema) }),
    z.strictObject({ k: z.literal('pre'), lang: z.string().max(1000), text: Text }),
    z.strictObject({ k: z.literal('quote'), c: z.array(LinkBlockSchema) }),
    z.strictObject({
      k: z.literal('list'),
      ordered: z.boolean(),
      items: z.array(z.strictObject({ checked: z.boolean().nullable(), c: z.array(LinkBlockSchema) })),
    }),
    z.strictObject({
      k: z.literal('table'),
      align: z.array(z.enum(['left', 'center', 'right']).nullable()),
      rows: z.array(z.array(z.array(LinkInlineSchema))),
    }),
    z.strictObject({ k: z.literal('hr') }),
  ]),
);

/** Only these link targets are kept: the page must never carry a script or an app-internal address. */
function publicHref(href: string): string | undefined {
  return /^(https?:\/\/|mailto:)/i.test(href) ? href : undefined;
}

/**
 * The tree of a document body for a public link. `imageIds` collects the attached files its
 * images show (the link may carry them; an image whose file it does not carry shows its
 * description). Links to other documents and other non-web links keep their words only.
 */
export function linkDocument(spans: readonly Span[], imageIds: Set<string> = new Set()): LinkBlock[] {
  return blocksOf(buildTree(spans).children, imageIds);
}

function blocksOf(children: readonly TreeNode[], imageIds: Set<string>): LinkBlock[] {
  const nodes = flattenUnknown(children);
  const blocks: LinkBlock[] = [];
  for (let index = 0; index < nodes.length;) {
    const node = nodes[index]!;
    if (isListItem(node)) {
      const items: LinkBlock & { k: 'list' } = { k: 'list', ordered: node.type === BlockType.orderedListItem, items: [] };
      for (let next = nodes[index]; next !== undefined && isListItem(next) && next.type === node.type; next = nodes[++index]) {
        items.items.push({ checked: next.checked, c: blocksOf(next.children, imageIds) });
      }
      blocks.push(items);
      continue;
    }
    if (isTableRow(node)) {
      const rows: Container[] = [];
      for (let next = nodes[index]; next !== undefined && isTableRow(next); next = nodes[++index]) rows.push(next);
      const cells = rows.map((row) => flattenUnknown(row.children).filter((cell): cell is Leaf => cell.kind === 'leaf'));
      blocks.push({
        k: 'table',
        align: (cells[0] ?? []).map((cell) => cell.align),
        rows: cells.map((row) => row.map((cell) => inlinesOf(cell.inlines, imageIds))),
      });
      continue;
    }
    index++;
    // flattenUnknown leaves only blockquotes, list items and rows as containers.
    const other = node as TreeNode;
    if (other.kind === 'container') blocks.push({ k: 'quote', c: blocksOf(other.children, imageIds) });
    else blocks.push(...leafBlocks(other, imageIds));
  }
  return blocks;
}

function leafBlocks(leaf: Leaf, imageIds: Set<string>): LinkBlock[] {
  if (leaf.type === BlockType.codeBlock)
    return [{ k: 'pre', lang: leaf.language, text: leaf.inlines.map((inline) => (inline.kind === 'text' ? inline.text : '')).join('') }];
  if (leaf.type === BlockType.heading) return [{ k: 'h', l: leaf.level, c: inlinesOf(leaf.inlines, imageIds) }];
  // A paragraph holding rules: the text around each rule, and the rule, as blocks of their own.
  const blocks: LinkBlock[] = [];
  let run: Inline[] = [];
  const flush = (): void => {
    const content = inlinesOf(run, imageIds);
    if (content.length > 0) blocks.push({ k: 'p', c: content });
    run = [];
  };
  for (const inline of leaf.inlines) {
    if (inline.kind === 'rule') {
      flush();
      blocks.push({ k: 'hr' });
    } else {
      run.push(inline);
    }
  }
  flush();
  return blocks;
}

function inlinesOf(inlines: readonly Inline[], imageIds: Set<string>): LinkInline[] {
  const out: LinkInline[] = [];
  for (const inline of inlines) {
    if (inline.kind === 'rule') continue;
    if (inline.kind === 'image') {
      const fileId = imageFileId(inline.src);
      if (fileId) imageIds.add(fileId);
      out.push({ img: fileId ?? '', alt: inline.alt, ...(inline.title ? { title: inline.title } : {}) });
      continue;
    }
    if (inline.text === '') continue;
    const href = inline.marks.link ? publicHref(inline.marks.link.href) : undefined;
    out.push({
      t: inline.text,
      ...(inline.marks.strong ? { b: true as const } : {}),
      ...(inline.marks.em ? { i: true as const } : {}),
      ...(inline.marks.code ? { c: true as const } : {}),
      ...(href ? { a: href } : {}),
    });
  }
  return out;
}
