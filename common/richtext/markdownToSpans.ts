/**
 * Markdown (CommonMark) → Automerge rich text spans.
 *
 * The spans follow the block layout that `@automerge/prosemirror` itself writes for a freshly
 * typed document (see `pmNodeToSpans`): a list item or blockquote carries its own marker and its
 * first paragraph is implicit, a lone top-level paragraph has no marker. Writing the editor's own
 * layout means a CLI edit of a document the editor wrote changes characters, not block markers.
 *
 * Parsing is markdown-it's (markdownBlocks.ts); 100k characters take about 10 ms in all
 * (bench/RESULTS.md).
 */
import { ImmutableString, type MarkSet, type MaterializeValue, type Span } from '@automerge/automerge';
import { collapseSoftBreaks, inlineText, parseMarkdownBlocks, parseMarkdownInline, type InlineToken, type MarkdownBlock } from './markdownBlocks.ts';
import { BlockType, MarkName, encodeLinkMark, type ContainerBlockType } from './schema.ts';

/** Converts Markdown to spans. Constructs the schema has no place for degrade to their text; never throws. */
export function markdownToSpans(markdown: string): Span[] {
  try {
    const writer = new SpanWriter();
    writer.blocks(parseMarkdownBlocks(markdown), [], true);
    return writer.finish();
  } catch {
    return plainParagraphs(markdown);
  }
}

/** One paragraph's inline Markdown → text spans (how spansToMarkdown checks what it wrote). */
export function inlineMarkdownToSpans(markdown: string, inHeading: boolean): Span[] {
  const writer = new SpanWriter();
  writer.inline(parseMarkdownInline(markdown), inHeading);
  return writer.finish();
}

/** Blocks that ProseMirror renders as a textblock (paragraph, heading, code block, a rule's paragraph). */
function isTextblock(node: MarkdownBlock): boolean {
  return node.kind !== 'blockquote' && node.kind !== 'list' && node.kind !== 'table';
}

const immutable = (value: string): ImmutableString => new ImmutableString(value);

class SpanWriter {
  private readonly spans: Span[] = [];

  finish(): Span[] {
    return this.spans;
  }

  /**
   * Writes sibling blocks under `parents`. `inDocument` matters because ProseMirror gives the
   * first paragraph of a container no marker, but at the top level only when it is alone.
   */
  blocks(children: readonly MarkdownBlock[], parents: readonly string[], inDocument: boolean): void {
    children.forEach((node, index) => {
      const isImplicitParagraph = index === 0 && (!inDocument || children.length === 1);
      this.block(node, parents, isImplicitParagraph);
    });
  }

  private block(node: MarkdownBlock, parents: readonly string[], isImplicitParagraph: boolean): void {
    switch (node.kind) {
      case 'paragraph':
        if (!isImplicitParagraph) this.marker(BlockType.paragraph, parents, {});
        this.inline(node.inline, false, [...parents, BlockType.paragraph]);
        return;
      case 'heading':
        this.marker(BlockType.heading, parents, { level: node.level });
        this.inline(node.inline, true, [...parents, BlockType.heading]);
        return;
      case 'code':
        this.marker(BlockType.codeBlock, parents, node.language ? { language: new ImmutableString(node.language) } : {});
        this.text(node.text, {});
        return;
      case 'blockquote':
        this.container(BlockType.blockquote, node.children, parents);
        return;
      case 'list': {
        const itemType = node.ordered ? BlockType.orderedListItem : BlockType.unorderedListItem;
        for (const item of node.items) this.container(itemType, item.children, parents, item.checked === null ? {} : { checked: item.checked });
        return;
      }
      case 'table':
        this.table(node, parents);
        return;
      case 'words':
        if (!isImplicitParagraph) this.marker(BlockType.paragraph, parents, {});
        this.text(node.text, {});
        return;
      case 'rule':
        if (!isImplicitParagraph) this.marker(BlockType.paragraph, parents, {});
        this.embed(BlockType.horizontalRule, [...parents, BlockType.paragraph], {});
        return;
    }
  }

  /**
   * Each row's marker opens the row; every cell has a marker of its own, the first one too, so
   * that an empty first cell is still a cell (the editor writes its cells the same way).
   */
  private table(node: Extract<MarkdownBlock, { kind: 'table' }>, parents: readonly string[]): void {
    const rowParents = [...parents, BlockType.tableRow];
    for (const row of node.rows) {
      this.marker(BlockType.tableRow, parents, {});
      row.forEach((cell, column) => {
        const align = node.align[column];
        this.marker(BlockType.tableCell, rowParents, align ? { align: immutable(align) } : {});
        this.inline(cell, true, [...rowParents, BlockType.tableCell]);
      });
    }
  }

  private embed(type: string, parents: readonly string[], attrs: { [key: string]: MaterializeValue }): void {
    this.spans.push({
      type: 'block',
      value: { type: immutable(type), parents: parents.map(immutable), attrs, isEmbed: true },
    });
  }

  private container(
    type: ContainerBlockType,
    children: readonly MarkdownBlock[],
    parents: readonly string[],
    attrs: { [key: string]: MaterializeValue } = {},
  ): void {
    const nodes = children;
    // ProseMirror marks a container only when a textblock sits directly inside it; a list item
    // always has one (its content starts with a paragraph) and so does an empty container.
    const hasTextblockChild = type !== BlockType.blockquote || nodes.length === 0 || nodes.some(isTextblock);
    if (hasTextblockChild) this.marker(type, parents, attrs);
    const first = nodes[0];
    if (type !== BlockType.blockquote && first !== undefined && first.kind !== 'paragraph' && first.kind !== 'rule') {
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

  /**
   * Writes a paragraph's or heading's inline tokens. markdown-it nests its open and close tokens
   * properly, so the marks in force are a stack. `inHeading`: an ATX heading (or a table cell)
   * cannot hold a line break, so a break there becomes a space. `embedParents`: the blocks an
   * image sits in, as the editor writes them for its embeds.
   */
  inline(tokens: readonly InlineToken[], inHeading: boolean, embedParents: readonly string[] = [BlockType.paragraph]): void {
    const stack: MarkSet[] = [{}];
    const marks = (): MarkSet => stack[stack.length - 1] ?? {};
    for (const token of tokens) {
      switch (token.type) {
        case 'text':
        case 'text_special':
        case 'html_inline':
          // Raw HTML is shown as the characters it is written with, never interpreted.
          this.text(collapseSoftBreaks(token.content), marks());
          break;
        case 'softbreak':
          this.text(' ', marks());
          break;
        case 'hardbreak':
          this.text(inHeading ? ' ' : '\n', marks());
          break;
        case 'code_inline':
          this.text(token.content, { ...marks(), [MarkName.code]: true });
          break;
        case 'strong_open':
          stack.push({ ...marks(), [MarkName.strong]: true });
          break;
        case 'em_open':
          stack.push({ ...marks(), [MarkName.em]: true });
          break;
        case 'link_open': {
          const link = encodeLinkMark({ href: token.attrGet('href') ?? '', title: token.attrGet('title') ?? '' });
          stack.push({ ...marks(), [MarkName.link]: link });
          break;
        }
        case 'image':
          this.embed(BlockType.image, embedParents, {
            src: immutable(token.attrGet('src') ?? ''),
            alt: immutable(inlineText(token.children ?? [])),
            title: immutable(token.attrGet('title') ?? ''),
          });
          break;
        default:
          // Closing tokens end what their opening token started; a rule this writer does not
          // know (strikethrough, say) keeps its words with the marks around them.
          if (token.nesting === 1) stack.push(marks());
          else if (token.nesting === -1 && stack.length > 1) stack.pop();
          else if (token.nesting === 0 && token.content !== '') this.text(collapseSoftBreaks(token.content), marks());
      }
    }
  }
}

function sameMarks(left: MarkSet, right: MarkSet): boolean {
  const leftNames = Object.keys(left);
  if (leftNames.length !== Object.keys(right).length) return false;
  return leftNames.every((name) => left[name] === right[name]);
}

/** Last resort if the parser ever throws: one paragraph per blank-line-separated chunk. */
function plainParagraphs(markdown: string): Span[] {
  const chunks = markdown
    .split(/\n\s*\n/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk !== '');
  const spans: Span[] = [];
  for (const chunk of chunks) {
    if (chunks.length > 1) {
      spans.push({ type: 'block', value: { type: new ImmutableString(BlockType.paragraph), parents: [], attrs: {}, isEmbed: false } });
    }
    spans.push({ type: 'text', value: chunk });
  }
  return spans;
}
