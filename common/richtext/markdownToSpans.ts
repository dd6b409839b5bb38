/**
 * Markdown (CommonMark) → Automerge rich text spans.
 *
 * The spans follow the block layout that `@automerge/prosemirror` itself writes for a freshly
 * typed document (see `pmNodeToSpans`): a list item or blockquote carries its own marker and its
 * first paragraph is implicit, a lone top-level paragraph has no marker. Writing the editor's own
 * layout means a CLI edit of a document the editor wrote changes characters, not block markers.
 *
 * Speed: nearly all the time is mdast-util-from-markdown (micromark), about 1 µs per character of
 * prose and 5 µs per character of dense lists and quotes, so 100k characters take 0.1–0.5 s. A
 * faster CommonMark parser (markdown-it) would be a drop-in for the tree walk below.
 */
import { fromMarkdown } from 'mdast-util-from-markdown';
import type { Definition, Nodes, Parents, PhrasingContent, Root, RootContent } from 'mdast';
import { ImmutableString, type MarkSet, type MaterializeValue, type Span } from '@automerge/automerge';
import { BlockType, MarkName, encodeLinkMark, type ContainerBlockType } from './schema.ts';

/** Converts Markdown to spans. Constructs the schema has no place for degrade to their text; never throws. */
export function markdownToSpans(markdown: string): Span[] {
  try {
    const tree = fromMarkdown(markdown);
    const writer = new SpanWriter(collectDefinitions(tree));
    writer.blocks(tree.children, [], true);
    return writer.finish();
  } catch {
    return plainParagraphs(markdown);
  }
}

type LinkDefinitions = Map<string, { url: string; title: string }>;

/** Block-level nodes that become a ProseMirror node; the rest (thematic breaks, definitions) vanish. */
type BlockNode = RootContent;

function becomesNode(node: BlockNode): boolean {
  switch (node.type) {
    case 'thematicBreak':
    case 'definition':
      return false;
    default:
      return true;
  }
}

/** Nodes that ProseMirror renders as a textblock (paragraph, heading, code block). */
function isTextblock(node: BlockNode): boolean {
  return node.type !== 'blockquote' && node.type !== 'list';
}

class SpanWriter {
  private readonly spans: Span[] = [];
  constructor(private readonly definitions: LinkDefinitions) {}

  finish(): Span[] {
    return this.spans;
  }

  /**
   * Writes sibling blocks under `parents`. `inDocument` matters because ProseMirror gives the
   * first paragraph of a container no marker, but at the top level only when it is alone.
   */
  blocks(children: readonly BlockNode[], parents: readonly string[], inDocument: boolean): void {
    const nodes = children.filter(becomesNode);
    nodes.forEach((node, index) => {
      const isImplicitParagraph = index === 0 && (!inDocument || nodes.length === 1);
      this.block(node, parents, isImplicitParagraph);
    });
  }

  private block(node: BlockNode, parents: readonly string[], isImplicitParagraph: boolean): void {
    switch (node.type) {
      case 'paragraph':
        if (!isImplicitParagraph) this.marker(BlockType.paragraph, parents, {});
        this.inline(node.children, {}, false);
        return;
      case 'heading':
        this.marker(BlockType.heading, parents, { level: node.depth });
        this.inline(node.children, {}, true);
        return;
      case 'code':
        this.marker(BlockType.codeBlock, parents, node.lang ? { language: new ImmutableString(node.lang) } : {});
        this.text(node.value, {});
        return;
      case 'blockquote':
        this.container(BlockType.blockquote, node.children, parents);
        return;
      case 'list': {
        const itemType = node.ordered ? BlockType.orderedListItem : BlockType.unorderedListItem;
        for (const item of node.children) this.container(itemType, item.children, parents);
        return;
      }
      default:
        // Raw HTML and anything a future parser version adds: keep the words as a paragraph.
        if (!isImplicitParagraph) this.marker(BlockType.paragraph, parents, {});
        this.text(collapseSoftBreaks(textContent(node)), {});
    }
  }

  private container(type: ContainerBlockType, children: readonly BlockNode[], parents: readonly string[]): void {
    const nodes = children.filter(becomesNode);
    // ProseMirror marks a container only when a textblock sits directly inside it; a list item
    // always has one (its content starts with a paragraph) and so does an empty container.
    const hasTextblockChild =
      type !== BlockType.blockquote || nodes.length === 0 || nodes.some(isTextblock);
    if (hasTextblockChild) this.marker(type, parents, {});
    const first = nodes[0];
    if (type !== BlockType.blockquote && first !== undefined && first.type !== 'paragraph') {
      // A list item must start with a paragraph, and the editor cannot read a marker that
      // breaks that rule (`- # Title` would throw in pmDocFromSpans), so give it an empty one.
      this.marker(BlockType.paragraph, [...parents, type], {});
    }
    this.blocks(nodes, [...parents, type], false);
  }

  private marker(type: string, parents: readonly string[], attrs: { [key: string]: MaterializeValue }): void {
    // Block names are ImmutableStrings: the editor ignores a block whose type is not one (a plain
    // string would also become a collaborative text object, slow to write and meaningless to merge).
    this.spans.push({
      type: 'block',
      value: { type: new ImmutableString(type), parents: parents.map((parent) => new ImmutableString(parent)), attrs, isEmbed: false },
    });
  }

  private text(value: string, marks: MarkSet): void {
    if (value === '') return;
    const previous = this.spans[this.spans.length - 1];
    // Adjacent runs with equal marks are one span, as A.spans reports them.
    if (previous?.type === 'text' && sameMarks(previous.marks ?? {}, marks)) {
      previous.value += value;
      return;
    }
    this.spans.push(Object.keys(marks).length > 0 ? { type: 'text', value, marks } : { type: 'text', value });
  }

  /** `inHeading`: an ATX heading cannot hold a line break, so a break there becomes a space. */
  private inline(children: readonly PhrasingContent[], marks: MarkSet, inHeading: boolean): void {
    for (const child of children) {
      switch (child.type) {
        case 'text':
          this.text(collapseSoftBreaks(child.value), marks);
          break;
        case 'strong':
          this.inline(child.children, { ...marks, [MarkName.strong]: true }, inHeading);
          break;
        case 'emphasis':
          this.inline(child.children, { ...marks, [MarkName.em]: true }, inHeading);
          break;
        case 'inlineCode':
          this.text(collapseSoftBreaks(child.value), { ...marks, [MarkName.code]: true });
          break;
        case 'break':
          this.text(inHeading ? ' ' : '\n', marks);
          break;
        case 'link':
          this.inline(child.children, { ...marks, [MarkName.link]: encodeLinkMark({ href: child.url, title: child.title ?? '' }) }, inHeading);
          break;
        case 'linkReference': {
          const definition = this.definitions.get(normalizeIdentifier(child.identifier));
          const linked = definition
            ? { ...marks, [MarkName.link]: encodeLinkMark({ href: definition.url, title: definition.title }) }
            : marks;
          this.inline(child.children, linked, inHeading);
          break;
        }
        case 'image':
        case 'imageReference':
          this.text(child.alt ?? '', marks);
          break;
        default:
          this.text(collapseSoftBreaks(textContent(child)), marks);
      }
    }
  }
}

function collectDefinitions(tree: Root): LinkDefinitions {
  const definitions: LinkDefinitions = new Map();
  const visit = (node: Nodes): void => {
    if (node.type === 'definition') {
      const definition = node as Definition;
      const key = normalizeIdentifier(definition.identifier);
      // CommonMark: the first definition of a label wins.
      if (!definitions.has(key)) definitions.set(key, { url: definition.url, title: definition.title ?? '' });
    }
    if ('children' in node) for (const child of (node as Parents).children) visit(child);
  };
  visit(tree);
  return definitions;
}

function normalizeIdentifier(identifier: string): string {
  return identifier.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A soft line break is only source wrapping; in the document it is a space. */
function collapseSoftBreaks(text: string): string {
  return text.includes('\n') ? text.replace(/[ \t]*\r?\n[ \t]*/g, ' ') : text;
}

function textContent(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string') return node.value;
  if ('alt' in node && typeof node.alt === 'string') return node.alt;
  if ('children' in node) return (node as Parents).children.map((child) => textContent(child)).join('');
  return '';
}

function sameMarks(left: MarkSet, right: MarkSet): boolean {
  const leftNames = Object.keys(left);
  if (leftNames.length !== Object.keys(right).length) return false;
  return leftNames.every((name) => left[name] === right[name]);
}

/** Last resort if the parser ever throws: one paragraph per blank-line-separated chunk. */
function plainParagraphs(markdown: string): Span[] {
  const chunks = markdown.split(/\n\s*\n/).map((chunk) => chunk.trim()).filter((chunk) => chunk !== '');
  const spans: Span[] = [];
  for (const chunk of chunks) {
    if (chunks.length > 1) {
      spans.push({ type: 'block', value: { type: new ImmutableString(BlockType.paragraph), parents: [], attrs: {}, isEmbed: false } });
    }
    spans.push({ type: 'text', value: chunk });
  }
  return spans;
}
