/**
 * Markdown → a small block tree, read from markdown-it's token stream.
 *
 * markdown-it (CommonMark preset) parses 100k characters in under 10 ms where micromark
 * (mdast-util-from-markdown) took ~116 ms, and its GFM rules (tables, strikethrough) are one
 * `enable` call away. The tree keeps only what the rich text schema can hold; `markdownToSpans`
 * turns it into spans. GFM tables and task list items are read here; a block kind this reader
 * does not know yet arrives as its words in a paragraph (`readUnknownBlock`).
 */
import MarkdownIt from 'markdown-it';
import type { Options, Token } from 'markdown-it';
import { readAlignment, type CellAlignment } from './schema.ts';

export type InlineToken = Token;

/** A list item; `checked` is its GFM task state (`- [ ]`, `- [x]`), null for an ordinary item. */
export interface MarkdownListItem {
  checked: boolean | null;
  children: MarkdownBlock[];
}

export type MarkdownBlock =
  | { kind: 'paragraph'; inline: readonly InlineToken[] }
  | { kind: 'heading'; level: number; inline: readonly InlineToken[] }
  | { kind: 'code'; language: string; text: string }
  | { kind: 'blockquote'; children: MarkdownBlock[] }
  | { kind: 'list'; ordered: boolean; items: MarkdownListItem[] }
  /** A GFM table: rows of cells (the first row is the header), each cell inline content. */
  | { kind: 'table'; align: (CellAlignment | null)[]; rows: (readonly InlineToken[])[][] }
  /** Raw HTML and blocks the schema has no place for: their words, kept as a paragraph. */
  | { kind: 'words'; text: string }
  /** A thematic break. */
  | { kind: 'rule' };

// markdown-it silently drops everything below its nesting limit; the preset's 20 is a list nested
// ten deep. Past this one, parseMarkdownBlocks throws and markdownToSpans falls back to plain
// paragraphs rather than lose text. (@types/markdown-it does not declare the option.)
const maxNesting = 2000;
const parsingOptions: Options & { maxNesting: number } = { maxNesting };
const parser = new MarkdownIt('commonmark', parsingOptions);
// GFM tables; task list items are read from their items' first words below.
parser.enable('table');
// Keep URLs as written: markdown-it percent-encodes and punycodes them for HTML output, and
// refuses `javascript:` links outright. A link mark holds what the author wrote; the editor
// decides what it will open (renderer/editor/schema.ts).
parser.normalizeLink = (url) => url;
parser.normalizeLinkText = (url) => url;
parser.validateLink = () => true;

/** Parses Markdown (CommonMark) into blocks; throws for nesting deeper than the parser keeps. */
export function parseMarkdownBlocks(markdown: string): MarkdownBlock[] {
  // A byte order mark is file encoding, not text (micromark dropped it too).
  const tokens = parser.parse(markdown.startsWith('\uFEFF') ? markdown.slice(1) : markdown, {});
  const root: MarkdownBlock[] = [];
  // Where the next block goes: the root, a blockquote's children or the list item being read.
  const open: { children: MarkdownBlock[]; list?: { items: MarkdownListItem[] } }[] = [{ children: root }];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.level >= maxNesting - 1) throw new RangeError('Markdown nested too deeply to parse whole');
    const into = open[open.length - 1]!;
    switch (token.type) {
      case 'paragraph_open':
        into.children.push({ kind: 'paragraph', inline: tokens[index + 1]?.children ?? [] });
        index += 2;
        break;
      case 'heading_open':
        into.children.push({ kind: 'heading', level: Number(token.tag.slice(1)) || 1, inline: tokens[index + 1]?.children ?? [] });
        index += 2;
        break;
      case 'fence':
        into.children.push({ kind: 'code', language: fenceLanguage(token.info), text: withoutFinalLineEnding(token.content) });
        break;
      case 'code_block':
        into.children.push({ kind: 'code', language: '', text: withoutFinalLineEnding(token.content) });
        break;
      case 'blockquote_open': {
        const blockquote: MarkdownBlock = { kind: 'blockquote', children: [] };
        into.children.push(blockquote);
        open.push({ children: blockquote.children });
        break;
      }
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const list = { kind: 'list' as const, ordered: token.type === 'ordered_list_open', items: [] as MarkdownListItem[] };
        into.children.push(list);
        open.push({ children: [], list });
        break;
      }
      case 'list_item_open': {
        const item: MarkdownListItem = { checked: readTaskMarker(tokens, index), children: [] };
        into.list?.items.push(item);
        open.push({ children: item.children });
        break;
      }
      case 'table_open':
        index = readTable(tokens, index, into.children);
        break;
      case 'blockquote_close':
      case 'bullet_list_close':
      case 'ordered_list_close':
      case 'list_item_close':
        if (open.length > 1) open.pop();
        break;
      case 'hr':
        into.children.push({ kind: 'rule' });
        break;
      case 'html_block':
        into.children.push({ kind: 'words', text: collapseSoftBreaks(withoutFinalLineEnding(token.content)) });
        break;
      default:
        index = readUnknownBlock(tokens, index, into.children);
    }
  }
  return root;
}

/** Parses one paragraph's inline Markdown. */
export function parseMarkdownInline(markdown: string): InlineToken[] {
  return parser.parseInline(markdown, {})[0]?.children ?? [];
}

const taskMarker = /^\[([ xX])\](?:[ \t]+|$)/;

/**
 * A GFM task item starts its first paragraph with `[ ]` or `[x]` and a space: returns its state
 * and takes the marker out of the paragraph's words; null (and nothing changed) for another item.
 */
function readTaskMarker(tokens: Token[], itemOpen: number): boolean | null {
  const paragraph = tokens[itemOpen + 1];
  const inline = tokens[itemOpen + 2];
  const first = inline?.children?.[0];
  if (paragraph?.type !== 'paragraph_open' || inline?.type !== 'inline' || first?.type !== 'text') return null;
  // The source, not the words: `\[ ] a` (escaped) is an ordinary item whose text starts with `[ ]`.
  const match = taskMarker.exec(inline.content);
  if (!match || !first.content.startsWith(match[0])) return null;
  first.content = first.content.slice(match[0].length);
  return match[1] !== ' ';
}

/** Reads a table's rows and cells; returns the index of its `table_close`. */
function readTable(tokens: readonly Token[], start: number, into: MarkdownBlock[]): number {
  const table: Extract<MarkdownBlock, { kind: 'table' }> = { kind: 'table', align: [], rows: [] };
  let index = start + 1;
  for (; index < tokens.length && tokens[index]!.type !== 'table_close'; index++) {
    const token = tokens[index]!;
    if (token.type === 'tr_open') table.rows.push([]);
    else if (token.type === 'th_open' || token.type === 'td_open') {
      const row = table.rows[table.rows.length - 1];
      if (table.rows.length === 1) table.align.push(readAlignment(/text-align:(\w+)/.exec(token.attrGet('style') ?? '')?.[1]));
      row?.push(tokens[index + 1]?.type === 'inline' ? (tokens[index + 1]!.children ?? []) : []);
    }
  }
  into.push(table);
  return index;
}

/**
 * A block this reader does not know (a future rule's): its words as one
 * paragraph, so nothing is lost. Returns the index of its last token.
 */
function readUnknownBlock(tokens: readonly Token[], start: number, into: MarkdownBlock[]): number {
  let depth = 0;
  const parts: string[] = [];
  let index = start;
  for (; index < tokens.length; index++) {
    const token = tokens[index]!;
    depth += token.nesting;
    if (token.children) parts.push(inlineText(token.children));
    else if (token.nesting === 0) parts.push(token.content);
    if (depth <= 0) break;
  }
  const text = collapseSoftBreaks(parts.join(' ').trim());
  if (text !== '') into.push({ kind: 'words', text });
  return index;
}

/** The language of a fenced code block: the first word of its info string. */
function fenceLanguage(info: string): string {
  return parser.utils.unescapeAll(info).trim().split(/\s/, 1)[0] ?? '';
}

function withoutFinalLineEnding(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** The plain words of inline tokens, as an image's alt text reads. */
export function inlineText(tokens: readonly InlineToken[]): string {
  let text = '';
  for (const token of tokens) {
    if (token.type === 'softbreak' || token.type === 'hardbreak') text += ' ';
    else if (token.children) text += inlineText(token.children);
    else text += token.content;
  }
  return text;
}

/** A soft line break is only source wrapping; in the document it is a space. */
export function collapseSoftBreaks(text: string): string {
  return text.includes('\n') ? text.replace(/[ \t]*\r?\n[ \t]*/g, ' ') : text;
}
