/**
 * Automerge rich text spans → Markdown (CommonMark with GFM tables and task items).
 *
 * Spans are read into the block tree the editor shows (blockTree.ts), so the Markdown shows the
 * same structure, whoever wrote the spans.
 */
import type { MarkSet, Span } from '@automerge/automerge';
import { buildTree, flattenUnknown, isListItem, isTableRow, type Container, type Inline, type InlineMarks, type Leaf, type TreeNode } from './blockTree.ts';
import { inlineMarkdownToSpans } from './markdownToSpans.ts';
import { BlockType, MarkName, activeMarks, type LinkTarget } from './schema.ts';

/** Renders spans as Markdown that `markdownToSpans` reads back to the same spans. */
export function spansToMarkdown(spans: readonly Span[]): string {
  const lines = renderBlocks(buildTree(spans).children, false);
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

// ---- blocks ----

interface RenderedBlock {
  lines: string[];
  isList: boolean;
}

/** Renders sibling blocks as lines; `inListItem` lets a nested list follow its paragraph tightly. */
function renderBlocks(children: readonly TreeNode[], inListItem: boolean): string[] {
  const nodes = flattenUnknown(children);
  const rendered: RenderedBlock[] = [];
  for (let index = 0; index < nodes.length;) {
    const node = nodes[index];
    if (node === undefined) break;
    if (isListItem(node)) {
      // Consecutive items of one kind form one list, as ProseMirror groups them.
      const items: Container[] = [];
      while (index < nodes.length) {
        const next = nodes[index];
        if (next === undefined || !isListItem(next) || next.type !== node.type) break;
        items.push(next);
        index++;
      }
      rendered.push({ lines: renderList(items, node.type === BlockType.orderedListItem), isList: true });
      continue;
    }
    if (isTableRow(node)) {
      // Consecutive rows form one table, as the editor groups them.
      const rows: Container[] = [];
      for (let next = nodes[index]; next !== undefined && isTableRow(next); next = nodes[++index]) rows.push(next);
      rendered.push({ lines: renderTable(rows), isList: false });
      continue;
    }
    index++;
    const lines = node.kind === 'leaf' ? renderLeaf(node) : renderBlockquote(node);
    if (lines !== null) rendered.push({ lines, isList: false });
  }

  const lines: string[] = [];
  rendered.forEach((block, index) => {
    if (index > 0) {
      const firstLine = block.lines[0] ?? '';
      // A non-empty list item may interrupt a paragraph; an empty one would read as a setext underline.
      const tight = inListItem && block.isList && !/^(-|\d+\.)$/.test(firstLine);
      if (!tight) lines.push('');
    }
    lines.push(...block.lines);
  });
  return lines;
}

function renderList(items: readonly Container[], ordered: boolean): string[] {
  const lines: string[] = [];
  items.forEach((item, index) => {
    const marker = ordered ? `${index + 1}.` : '-';
    const task = item.checked === null ? '' : item.checked ? ' [x]' : ' [ ]';
    const content = renderBlocks(item.children, true);
    const indent = ' '.repeat(marker.length + 1);
    if (content.length === 0 || (task !== '' && content[0] === '')) {
      lines.push(marker + task, ...content.slice(1).map((line) => (line === '' ? '' : indent + line)));
      return;
    }
    if (task !== '') content[0] = `${task.slice(1)} ${content[0]}`;
    // `- ---` reads as one rule, not an item holding one; `- ***` is an item with its rule.
    else if (content[0] === '---') content[0] = '***';
    content.forEach((line, lineIndex) => {
      if (lineIndex === 0) lines.push(`${marker} ${line}`);
      else lines.push(line === '' ? '' : indent + line);
    });
  });
  return lines;
}

/**
 * A GFM table: the first row is the header, the delimiter row carries the first row's column
 * alignments, and every row has as many cells as the widest (GFM drops cells past the header's).
 */
function renderTable(rows: readonly Container[]): string[] {
  const cellsOf = (row: Container): Leaf[] => flattenUnknown(row.children).filter((node): node is Leaf => node.kind === 'leaf');
  const table = rows.map(cellsOf);
  const width = Math.max(1, ...table.map((cells) => cells.length));
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const cellText = (leaf: Leaf | undefined): string =>
    leaf === undefined
      ? ''
      : renderInline(
          leaf.inlines.map((inline) => (inline.kind === 'rule' ? ruleInCell : inline)),
          false,
        ).replace(/\|/g, '\\|');
  const columns = Array.from({ length: width }, (_, column) => column);
  const delimiter = columns.map((column) => {
    const align = table[0]?.[column]?.align ?? null;
    return align === 'left' ? ':---' : align === 'right' ? '---:' : align === 'center' ? ':---:' : '---';
  });
  const [header = [], ...body] = table;
  return [
    line(columns.map((column) => cellText(header[column]))),
    line(delimiter),
    ...body.map((cells) => line(columns.map((column) => cellText(cells[column])))),
  ];
}

/** A rule has no place in a table cell: it shows there as the characters of one. */
const ruleInCell: Inline = { kind: 'text', text: '---', marks: { strong: false, em: false, code: false, link: null, linkKey: null } };

function renderBlockquote(container: Container): string[] {
  const content = renderBlocks(container.children, false);
  if (content.length === 0) return ['>'];
  return content.map((line) => (line === '' ? '>' : `> ${line}`));
}

/** Returns null for a block Markdown cannot hold (an empty paragraph). */
function renderLeaf(leaf: Leaf): string[] | null {
  switch (leaf.type) {
    case BlockType.codeBlock:
      return renderCodeBlock(leaf);
    case BlockType.heading: {
      const content = renderInline(leaf.inlines, false).replace(/#$/, '\\#');
      const hashes = '#'.repeat(leaf.level);
      return [content === '' ? hashes : `${hashes} ${content}`];
    }
    default: {
      if (leaf.inlines.some((inline) => inline.kind === 'rule')) return renderWithRules(leaf.inlines);
      const content = renderInline(leaf.inlines, true);
      return content === '' ? null : content.split('\n');
    }
  }
}

/** A paragraph holding rules: the text between them as paragraphs, each rule as `---`, apart by blank lines. */
function renderWithRules(inlines: readonly Inline[]): string[] {
  const lines: string[] = [];
  const add = (block: string[]): void => {
    if (lines.length > 0) lines.push('');
    lines.push(...block);
  };
  let run: Inline[] = [];
  const flush = (): void => {
    const content = renderInline(run, true);
    if (content !== '') add(content.split('\n'));
    run = [];
  };
  for (const inline of inlines) {
    if (inline.kind !== 'rule') {
      run.push(inline);
      continue;
    }
    flush();
    add(['---']);
  }
  flush();
  return lines;
}

function renderCodeBlock(leaf: Leaf): string[] {
  const code = leaf.inlines.map((inline) => (inline.kind === 'text' ? inline.text : '')).join('');
  const language = leaf.language.replace(/[\r\n]+/g, ' ').trim();
  // A backtick fence cannot carry an info string with a backtick; a tilde fence can.
  const fenceChar = language.includes('`') ? '~' : '`';
  const fence = fenceChar.repeat(Math.max(3, longestRun(code, fenceChar) + 1));
  return [fence + language, ...(code === '' ? [] : code.split('\n')), fence];
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

// ---- inline content ----

type Segment =
  | { kind: 'text'; text: string; marks: InlineMarks }
  | { kind: 'image'; src: string; alt: string; title: string; marks: InlineMarks }
  | { kind: 'break'; marks: InlineMarks };

const noMarks: InlineMarks = { strong: false, em: false, code: false, link: null, linkKey: null };

/** `allowBreaks` false (headings): a line break has no form there and becomes a space. */
function renderInline(inlines: readonly Inline[], allowBreaks: boolean): string {
  const segments = toSegments(inlines, allowBreaks);
  for (const mark of ['strong', 'em'] as const) {
    trimMarkWhitespace(segments, mark);
    dropUnflankableMarks(segments, mark);
  }
  let merged = mergeSegments(segments);
  for (;;) {
    const { markdown, starsInteract } = writeSegments(merged);
    if (!starsInteract) return markdown;
    const misread = firstMisreadSegment(markdown, merged);
    if (misread === null) return markdown;
    merged = mergeSegments(dropEmphasisAround(merged, misread));
  }
}

/**
 * Where `*` delimiters nest or meet (`***a*b*c***`, `**a*****b**`), CommonMark's rules (flanking,
 * the "rule of 3") can pair them otherwise than meant, and a reader would see other emphasis or
 * literal asterisks. So such a paragraph is read back, and where it reads otherwise the strong
 * and em marks there are dropped, as marks with no Markdown form are: the text stays exact.
 * Returns the index of the segment where the reading first differs, or null if it does not.
 */
function firstMisreadSegment(markdown: string, segments: readonly Segment[]): number | null {
  const expected: Span[] = [];
  const segmentStarts: number[] = [];
  let offset = 0;
  for (const segment of segments) {
    segmentStarts.push(offset);
    const value = segment.kind === 'break' ? '\n' : segment.kind === 'image' ? segment.alt : segment.text;
    offset += value.length;
    expected.push(segment.kind === 'text' ? { type: 'text', value, marks: markSetOf(segment.marks) } : { type: 'text', value });
  }
  const at = firstDifference(inlineMarkdownToSpans(markdown, false), expected);
  if (at === null) return null;
  let index = 0;
  while (index + 1 < segmentStarts.length && (segmentStarts[index + 1] ?? Infinity) <= at) index++;
  return index;
}

function markSetOf(marks: InlineMarks): MarkSet {
  const set: MarkSet = {};
  if (marks.strong) set[MarkName.strong] = true;
  if (marks.em) set[MarkName.em] = true;
  if (marks.code) set[MarkName.code] = true;
  if (marks.linkKey !== null) set[MarkName.link] = marks.linkKey;
  return set;
}

/** The first character offset where two runs of text differ in a character or its marks; null if none. */
function firstDifference(left: readonly Span[], right: readonly Span[]): number | null {
  const flatten = (spans: readonly Span[]): { text: string; marks: string[] } => {
    let text = '';
    const marks: string[] = [];
    for (const span of spans) {
      if (span.type !== 'text' || span.value === '') continue;
      text += span.value;
      const key = JSON.stringify(Object.entries(activeMarks(span.marks)).sort(([a], [b]) => (a < b ? -1 : 1)));
      for (let index = 0; index < span.value.length; index++) marks.push(key);
    }
    return { text, marks };
  };
  const a = flatten(left);
  const b = flatten(right);
  const length = Math.max(a.text.length, b.text.length);
  for (let index = 0; index < length; index++) {
    if (a.text[index] !== b.text[index] || a.marks[index] !== b.marks[index]) return index;
  }
  return null;
}

/**
 * Drops strong and em from the segment a misreading starts at and the one before it (the
 * delimiters between them are the ones read otherwise); if those carry none, from all segments,
 * which always reads back. Every call drops at least one mark, so the caller's loop ends.
 */
function dropEmphasisAround(segments: readonly Segment[], index: number): Segment[] {
  const withoutEmphasis = (segment: Segment): Segment =>
    segment.kind === 'break' ? segment : ({ ...segment, marks: { ...segment.marks, strong: false, em: false } } as Segment);
  const emphasised = (segment: Segment | undefined): boolean => hasMark(segment, 'strong') || hasMark(segment, 'em');
  if (!emphasised(segments[index - 1]) && !emphasised(segments[index])) return segments.map(withoutEmphasis);
  return segments.map((segment, at) => (at === index - 1 || at === index ? withoutEmphasis(segment) : segment));
}

function toSegments(inlines: readonly Inline[], allowBreaks: boolean): Segment[] {
  const segments: Segment[] = [];
  for (const inline of inlines) {
    if (inline.kind === 'rule') continue;
    if (inline.kind === 'image') {
      segments.push(inline);
      continue;
    }
    const text = allowBreaks ? inline.text : inline.text.replace(/\n/g, ' ');
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (index > 0) segments.push({ kind: 'break', marks: noMarks });
      if (line !== '') segments.push({ kind: 'text', text: line, marks: inline.marks });
    });
  }
  // A hard break at the very start or end of a block does not exist in Markdown.
  while (segments[0]?.kind === 'break') segments.shift();
  while (segments[segments.length - 1]?.kind === 'break') segments.pop();
  return segments;
}

const isWhitespace = (char: string): boolean => /\s/u.test(char);
const isPunctuation = (char: string): boolean => /[\p{P}\p{S}]/u.test(char);

/**
 * `**foo **` is not bold in CommonMark: a closing delimiter may not follow whitespace. Move edge
 * whitespace out of strong and em, as every Markdown writer does.
 */
function trimMarkWhitespace(segments: Segment[], mark: 'strong' | 'em'): void {
  for (let start = 0; start < segments.length; start++) {
    if (!hasMark(segments[start], mark)) continue;
    let end = start;
    while (end + 1 < segments.length && hasMark(segments[end + 1], mark)) end++;
    // leading edge
    for (let index = start; index <= end; index++) {
      const segment = segments[index];
      if (segment?.kind !== 'text') break;
      const leading = /^\s+/u.exec(segment.text)?.[0].length ?? 0;
      if (leading === segment.text.length) {
        segments[index] = { ...segment, marks: { ...segment.marks, [mark]: false } };
        continue;
      }
      if (leading > 0) {
        segments.splice(
          index,
          1,
          { kind: 'text', text: segment.text.slice(0, leading), marks: { ...segment.marks, [mark]: false } },
          { kind: 'text', text: segment.text.slice(leading), marks: segment.marks },
        );
        end++;
      }
      break;
    }
    // trailing edge
    for (let index = end; index >= start; index--) {
      const segment = segments[index];
      if (segment?.kind !== 'text' || !segment.marks[mark]) break;
      const trailing = /\s+$/u.exec(segment.text)?.[0].length ?? 0;
      if (trailing === segment.text.length) {
        segments[index] = { ...segment, marks: { ...segment.marks, [mark]: false } };
        continue;
      }
      if (trailing > 0) {
        const cut = segment.text.length - trailing;
        segments.splice(
          index,
          1,
          { kind: 'text', text: segment.text.slice(0, cut), marks: segment.marks },
          { kind: 'text', text: segment.text.slice(cut), marks: { ...segment.marks, [mark]: false } },
        );
        end++;
      }
      break;
    }
    start = end;
  }
}

/**
 * CommonMark cannot open `**` between a letter and punctuation (`a**"b"**`), nor close it the other
 * way round. Such emphasis has no Markdown form; dropping it keeps the text, where writing the
 * delimiters anyway would put literal asterisks into the document.
 */
function dropUnflankableMarks(segments: Segment[], mark: 'strong' | 'em'): void {
  for (let start = 0; start < segments.length; start++) {
    if (!hasMark(segments[start], mark)) continue;
    let end = start;
    while (end + 1 < segments.length && hasMark(segments[end + 1], mark)) end++;
    const before = segments[start - 1];
    const after = segments[end + 1];
    const first = segments[start];
    const last = segments[end];
    const opens = !isWordChar(edgeChar(before, 'last')) || !isPunctuation(innerChar(first, before, 'first'));
    const closes = !isWordChar(edgeChar(after, 'first')) || !isPunctuation(innerChar(last, after, 'last'));
    if (!opens || !closes) {
      for (let index = start; index <= end; index++) {
        const segment = segments[index];
        if (segment !== undefined) segments[index] = { ...segment, marks: { ...segment.marks, [mark]: false } } as Segment;
      }
    }
    start = end;
  }
}

function hasMark(segment: Segment | undefined, mark: 'strong' | 'em'): boolean {
  return segment !== undefined && segment.kind !== 'break' && segment.marks[mark];
}

/** A letter or digit: the only neighbour that stops a delimiter from flanking punctuation. */
function isWordChar(char: string | null): boolean {
  return char !== null && !isWhitespace(char) && !isPunctuation(char);
}

/** The source character next to a range, outside it; null at a line edge. */
function edgeChar(segment: Segment | undefined, side: 'first' | 'last'): string | null {
  if (segment === undefined || segment.kind === 'break') return null;
  if (segment.kind === 'image') return side === 'first' ? '!' : ')';
  if (segment.marks.code) return '`';
  return side === 'first' ? (segment.text[0] ?? null) : (segment.text[segment.text.length - 1] ?? null);
}

/** The source character just inside a range: a code span or link boundary there writes punctuation. */
function innerChar(segment: Segment | undefined, neighbour: Segment | undefined, side: 'first' | 'last'): string {
  if (segment === undefined || segment.kind === 'break') return ' ';
  if (segment.kind === 'image') return side === 'first' ? '!' : ')';
  if (segment.marks.code) return '`';
  const neighbourLink = neighbour !== undefined && neighbour.kind !== 'break' ? neighbour.marks.linkKey : null;
  if (segment.marks.linkKey !== null && segment.marks.linkKey !== neighbourLink) return side === 'first' ? '[' : ')';
  return (side === 'first' ? segment.text[0] : segment.text[segment.text.length - 1]) ?? ' ';
}

function sameInlineMarks(left: InlineMarks, right: InlineMarks): boolean {
  return left.strong === right.strong && left.em === right.em && left.code === right.code && left.linkKey === right.linkKey;
}

function mergeSegments(segments: readonly Segment[]): Segment[] {
  const merged: Segment[] = [];
  for (const segment of segments) {
    const previous = merged[merged.length - 1];
    if (previous?.kind === 'text' && segment.kind === 'text' && sameInlineMarks(previous.marks, segment.marks)) {
      merged[merged.length - 1] = { ...previous, text: previous.text + segment.text };
    } else {
      merged.push(segment);
    }
  }
  return merged;
}

type Delimiter = 'link' | 'strong' | 'em';

function isOpen(delimiter: Delimiter, linkKey: string | null, marks: InlineMarks): boolean {
  if (delimiter === 'link') return marks.linkKey !== null && marks.linkKey === linkKey;
  return marks[delimiter];
}

/**
 * Writes segments, keeping strong, em and link delimiters properly nested: a mark that ends closes
 * everything opened after it, and marks opening together open longest-lasting first so that
 * they close last.
 */
function writeSegments(segments: readonly Segment[]): { markdown: string; starsInteract: boolean } {
  // True once two `*` delimiters are open at once, or one closes where another opens.
  let starsInteract = false;
  const isStar = (delimiter: Delimiter): boolean => delimiter !== 'link';
  const open: { delimiter: Delimiter; linkKey: string | null; link: LinkTarget | null }[] = [];
  let out = '';
  let atLineStart = true;
  const closeDownTo = (depth: number): void => {
    while (open.length > depth) {
      const top = open.pop();
      if (top === undefined) break;
      out += top.delimiter === 'link' && top.link ? `](${linkDestination(top.link)})` : top.delimiter === 'strong' ? '**' : '*';
    }
  };
  const lasts = (index: number, delimiter: Delimiter, linkKey: string | null): number => {
    let count = 0;
    for (let next = index; next < segments.length; next++) {
      const segment = segments[next];
      if (segment === undefined || segment.kind === 'break' || !isOpen(delimiter, linkKey, segment.marks)) break;
      count++;
    }
    return count;
  };

  segments.forEach((segment, index) => {
    if (segment.kind === 'break') {
      closeDownTo(0);
      out += '\\\n';
      atLineStart = true;
      return;
    }
    const marks = segment.marks;
    let kept = 0;
    while (kept < open.length) {
      const entry = open[kept];
      if (entry === undefined || !isOpen(entry.delimiter, entry.linkKey, marks)) break;
      kept++;
    }
    const closesStar = open.slice(kept).some((entry) => isStar(entry.delimiter));
    closeDownTo(kept);
    const toOpen: Delimiter[] = (['link', 'strong', 'em'] as const).filter(
      (delimiter) => isOpen(delimiter, marks.linkKey, marks) && !open.some((entry) => entry.delimiter === delimiter),
    );
    toOpen.sort((a, b) => lasts(index, b, marks.linkKey) - lasts(index, a, marks.linkKey));
    const opensStar = toOpen.some(isStar);
    if (opensStar && closesStar) starsInteract = true;
    for (const delimiter of toOpen) {
      open.push({ delimiter, linkKey: marks.linkKey, link: marks.link });
      out += delimiter === 'link' ? '[' : delimiter === 'strong' ? '**' : '*';
      atLineStart = false;
    }
    if (open.filter((entry) => isStar(entry.delimiter)).length > 1) starsInteract = true;
    const atLineEnd = index === segments.length - 1 || segments[index + 1]?.kind === 'break';
    if (segment.kind === 'image') {
      out += `![${escapeText(segment.alt, false, false)}](${linkDestination({ href: segment.src, title: segment.title })})`;
    } else if (marks.code) {
      out += codeSpan(segment.text);
    } else {
      out += escapeText(segment.text, atLineStart, atLineEnd);
    }
    atLineStart = false;
  });
  closeDownTo(0);
  return { markdown: out, starsInteract };
}

function codeSpan(code: string): string {
  const fence = '`'.repeat(longestRun(code, '`') + 1);
  // CommonMark strips one space from each side of a code span, and needs one next to a backtick.
  const needsPadding = /^`|`$/.test(code) || (/^ /.test(code) && / $/.test(code) && /[^ ]/.test(code));
  const padding = needsPadding ? ' ' : '';
  return fence + padding + code + padding + fence;
}

const whitespaceEntity = (whitespace: string): string => [...whitespace].map((char) => `&#${char.codePointAt(0) ?? 32};`).join('');

/**
 * Escapes text so Markdown reads it back as the same characters: inline specials everywhere,
 * block syntax at the start of a line, and whitespace at a line's edges (Markdown strips it) as
 * character references.
 */
function escapeText(text: string, atLineStart: boolean, atLineEnd: boolean): string {
  let escaped = text
    .replace(/[\\*_`[\]]/g, '\\$&')
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&');
  if (atLineEnd) escaped = escaped.replace(/[ \t]+$/, whitespaceEntity);
  if (atLineStart) {
    if (/^[ \t]/.test(escaped)) {
      escaped = escaped.replace(/^[ \t]+/, whitespaceEntity);
    } else {
      escaped = escaped.replace(/^[#>+\-=~]/, '\\$&').replace(/^(\d+)([.)])/, '$1\\$2');
    }
  }
  return escaped;
}

function linkDestination(link: LinkTarget): string {
  const href = link.href.replace(/[\r\n]+/g, '');
  const entityLike = /&(?=#?[A-Za-z0-9]+;)/g;
  const destination =
    href !== '' && !/[\s<>()\\]/.test(href) && !/&#?[A-Za-z0-9]+;/.test(href) ? href : `<${href.replace(/[\\<>]/g, '\\$&').replace(entityLike, '\\&')}>`;
  if (link.title === '') return destination;
  const title = link.title.replace(/[\\"]/g, '\\$&').replace(entityLike, '\\&').replace(/\n+/g, ' ');
  return `${destination} "${title}"`;
}
