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

/** Thematic breaks are Markdown-only decoration: they become no block. */
function becomesNode(node: MarkdownBlock): boolean {
  return node.kind !== 'rule';
}

/** Blocks that ProseMirror renders as a textblock (paragraph, heading, code block). */
function isTextblock(node: MarkdownBlock): boolean {
  return node.kind !== 'blockquote' && node.kind !== 'list';
}

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
    const nodes = children.filter(becomesNode);
    nodes.forEach((node, index) => {
      const isImplicitParagraph = index === 0 && (!inDocument || nodes.length === 1);
      this.block(node, parents, isImplicitParagraph);
    });
  }

  private block(node: MarkdownBlock, parents: readonly string[], isImplicitParagraph: boolean): void {
    switch (node.kind) {
      case 'paragraph':
        if (!isImplicitParagraph) this.marker(BlockType.paragraph, parents, {});
        this.inline(node.inline, false);
        return;
      case 'heading':
        this.marker(BlockType.heading, parents, { level: node.level });
        this.inline(node.inline, true);
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
        for (const item of node.items) this.container(itemType, item, parents);
        return;
      }
      case 'words':
        if (!isImplicitParagraph) this.marker(BlockType.paragraph, parents, {});
        this.text(node.text, {});
        return;
      case 'rule':
        return;
    }
  }

  private container(type: ContainerBlockType, children: readonly MarkdownBlock[], parents: readonly string[]): void {
    const nodes = children.filter(becomesNode);
    // ProseMirror marks a container only when a textblock sits directly inside it; a list item
    // always has one (its content starts with a paragraph) and so does an empty container.
    const hasTextblockChild =
      type !== BlockType.blockquote || nodes.length === 0 || nodes.some(isTextblock);
    if (hasTextblockChild) this.marker(type, parents, {});
    const first = nodes[0];
    if (type !== BlockType.blockquote && first !== undefined && first.kind !== 'paragraph') {
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
   * properly, so the marks in force are a stack. `inHeading`: an ATX heading cannot hold a line
   * break, so a break there becomes a space.
   */
  inline(tokens: readonly InlineToken[], inHeading: boolean): void {
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
          this.text(inlineText(token.children ?? []), marks());
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
