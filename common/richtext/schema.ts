/**
 * The rich text schema of a Hearth document body: the block types and mark names of the Automerge
 * rich text schema (https://automerge.org/docs/under-the-hood/rich_text_schema/), which is what
 * `@automerge/prosemirror` reads and writes. The CLI (through Markdown) and the editor (through
 * ProseMirror) must agree on these names byte for byte, so they live here and nowhere else.
 */
import { isImmutableString, type MarkSet, type MaterializeValue, type Span, type UpdateSpansConfig } from '@automerge/automerge';

export type { Span };

export const BlockType = {
  paragraph: 'paragraph',
  heading: 'heading',
  codeBlock: 'code-block',
  blockquote: 'blockquote',
  orderedListItem: 'ordered-list-item',
  unorderedListItem: 'unordered-list-item',
  /** An embed whose `src` is `hearth-file:<file id>` (an attached file of the workspace) or a URL. */
  image: 'image',
  /** A thematic break: an embed, so text that a concurrent edit puts after it still has a place. */
  horizontalRule: 'horizontal-rule',
  /** A table row: its marker opens the row (and the table around it when none is open). */
  tableRow: 'table-row',
  /** A table cell, always with its own marker (parents `[..., 'table-row']`); text follows it. */
  tableCell: 'table-cell',
} as const;

/** The image `src` that names a file attached in the document's workspace. */
export const fileImagePrefix = 'hearth-file:';

/** The link `href` that names another document (links between imported notes). */
export const documentLinkPrefix = 'hearth-doc:';

/** The document id a link `href` refers to, or null for any other link. */
export function linkedDocumentId(href: string): string | null {
  return href.startsWith(documentLinkPrefix) && /^[A-Za-z0-9_-]{1,64}$/.test(href.slice(documentLinkPrefix.length))
    ? href.slice(documentLinkPrefix.length)
    : null;
}

/** The file id an image `src` refers to, or null for any other source. */
export function imageFileId(src: string): string | null {
  return src.startsWith(fileImagePrefix) && /^[A-Za-z0-9_-]{1,64}$/.test(src.slice(fileImagePrefix.length)) ? src.slice(fileImagePrefix.length) : null;
}

/** A table column's alignment, kept on each cell marker as the `align` attribute. */
export type CellAlignment = 'left' | 'center' | 'right';

export function readAlignment(value: unknown): CellAlignment | null {
  const text = isImmutableString(value as MaterializeValue) ? (value as { val: string }).val : value;
  return text === 'left' || text === 'center' || text === 'right' ? text : null;
}

/** A list item's task state: its `checked` attribute, true or false; null for an ordinary item. */
export function readChecked(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** Block types that hold other blocks; text directly after their marker sits in an implicit paragraph. */
export type ContainerBlockType = typeof BlockType.blockquote | typeof BlockType.orderedListItem | typeof BlockType.unorderedListItem;

/** Block types whose marker starts a run of inline text. */
export type TextBlockType = typeof BlockType.paragraph | typeof BlockType.heading | typeof BlockType.codeBlock | typeof BlockType.tableCell;

export const MarkName = {
  strong: 'strong',
  em: 'em',
  link: 'link',
  /**
   * Inline code. The Automerge schema names only strong, em and link; `code` is the name that
   * ProseMirror's basic schema gives this mark, so the editor maps it with
   * `automerge: { markName: 'code' }`. An editor that does not map it still round-trips it untouched.
   */
  code: 'code',
} as const;

/** A block marker read from spans, with its names as plain strings. In a document, `type` and `parents` are ImmutableStrings. */
export interface BlockMarker {
  type: string;
  parents: string[];
  attrs: { [key: string]: MaterializeValue };
  isEmbed: boolean;
}

export interface LinkTarget {
  href: string;
  title: string;
}

/** The schema stores a link as a JSON string `{"href", "title"}`, the order ProseMirror writes. */
export function encodeLinkMark(link: LinkTarget): string {
  return JSON.stringify({ href: link.href, title: link.title });
}

/** Reads a link mark written by us or by the editor; anything unreadable is no link at all. */
export function decodeLinkMark(value: unknown): LinkTarget | null {
  if (typeof value !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { href, title } = parsed as { href?: unknown; title?: unknown };
    if (typeof href !== 'string') return null;
    return { href, title: typeof title === 'string' ? title : '' };
  } catch {
    return null;
  }
}

/**
 * Mark expansion for the marks a Markdown edit writes (editToSpans.ts), matching what
 * `basicSchemaAdapter.updateSpansConfig()` gives the editor: typing at the edge of bold extends
 * it, typing at the edge of a link does not.
 */
export const updateSpansConfig: UpdateSpansConfig = {
  defaultExpand: 'both',
  perMarkExpand: { [MarkName.link]: 'none' },
};

/** Reads a block span's value defensively: documents come from other peers and other versions. */
export function readBlockMarker(value: { [key: string]: MaterializeValue }): BlockMarker {
  const parents = Array.isArray(value['parents']) ? value['parents'].map((parent) => nameOf(parent)) : [];
  const attrs = value['attrs'];
  return {
    type: nameOf(value['type'] ?? BlockType.paragraph),
    parents,
    attrs:
      typeof attrs === 'object' && attrs !== null && !Array.isArray(attrs) && !(attrs instanceof Date) && !(attrs instanceof Uint8Array)
        ? (attrs as { [key: string]: MaterializeValue })
        : {},
    isEmbed: value['isEmbed'] === true,
  };
}

/** Block names are ImmutableStrings in documents the editor wrote; plain strings are tolerated. */
function nameOf(value: MaterializeValue): string {
  if (isImmutableString(value)) return value.val;
  return String(value);
}

/** Mark sets from `A.spans` may carry `null` for a removed mark; those are not marks. */
export function activeMarks(marks: MarkSet | undefined): MarkSet {
  const active: MarkSet = {};
  if (!marks) return active;
  for (const [name, value] of Object.entries(marks)) {
    if (value !== null && value !== undefined && value !== false) active[name] = value;
  }
  return active;
}
