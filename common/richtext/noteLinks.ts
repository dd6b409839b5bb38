/**
 * Notes written for a Markdown-folder app (Obsidian and the like) refer to each other and to
 * their attachments in ways Markdown itself does not know: `[[wikilinks]]` (with `|alias` and
 * `#heading`), `![[embeds]]`, relative links (`[x](Other.md)`), relative images
 * (`![x](img/a.png)`) and inline `#tags`. This turns a note's spans into Hearth's: links to the
 * imported documents, images of the imported files, and the tags it names. Nothing in code (a
 * code block or inline code) is touched, and a reference that resolves to nothing stays as written.
 */
import { ImmutableString, type MarkSet, type Span } from '@automerge/automerge';
import { BlockType, MarkName, activeMarks, decodeLinkMark, encodeLinkMark, readBlockMarker } from './schema.ts';

/** What a reference in a note points to, as the import resolved it. */
export interface NoteReferences {
  /** A link target (relative path or note name) → a link href (`hearth-doc:<id>`), or null. */
  note(target: string): string | null;
  /** A relative path or file name → an image or link source (`hearth-file:<id>`), or null. */
  file(target: string): string | null;
}

const wikilink = /(!?)\[\[([^\]\n|#]*)(#[^\]\n|]*)?(?:\|([^\]\n]*))?\]\]/gu;
// A tag starts after whitespace or at the start, and holds at least one letter (`#1` is not a tag).
const inlineTag = /(^|[\s(])#([\p{L}\p{N}_/-]*\p{L}[\p{L}\p{N}_/-]*)/gu;
const imageName = /\.(png|jpe?g|gif|webp|avif|bmp|svg)$/i;
const hasScheme = /^[a-z][a-z0-9+.-]*:/i;

/** Rewrites a note's references; returns the new spans and the inline tags found (without '#'). */
export function resolveNoteReferences(spans: readonly Span[], references: NoteReferences): { spans: Span[]; tags: string[] } {
  const out: Span[] = [];
  const tags: string[] = [];
  let inCode = false;
  let embedParents: string[] = [BlockType.paragraph];
  for (const span of spans) {
    if (span.type === 'block') {
      const marker = readBlockMarker(span.value);
      if (!marker.isEmbed) {
        inCode = marker.type === BlockType.codeBlock;
        embedParents = [...marker.parents, marker.type];
        out.push(span);
        continue;
      }
      out.push(marker.type === BlockType.image ? relinkImage(span, references) : span);
      continue;
    }
    const marks = activeMarks(span.marks);
    if (inCode || MarkName.code in marks) {
      out.push(span);
      continue;
    }
    const link = decodeLinkMark(marks[MarkName.link]);
    if (link) {
      const target = relativeTarget(link.href);
      const href = target === null ? null : (references.note(target) ?? references.file(target));
      const relinked = href ? { ...marks, [MarkName.link]: encodeLinkMark({ href, title: link.title }) } : marks;
      collectTags(span.value, tags);
      out.push(withMarks(span.value, relinked));
      continue;
    }
    collectTags(span.value, tags);
    out.push(...splitWikilinks(span.value, marks, references, embedParents));
  }
  return { spans: out, tags: [...new Set(tags)] };
}

/** A relative reference without its `#fragment`, decoded; null for a URL or an in-page anchor. */
function relativeTarget(href: string): string | null {
  if (href === '' || href.startsWith('#') || hasScheme.test(href)) return null;
  const path = href.split('#', 1)[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function relinkImage(span: Extract<Span, { type: 'block' }>, references: NoteReferences): Span {
  const marker = readBlockMarker(span.value);
  const target = relativeTarget(String(marker.attrs['src'] ?? ''));
  const src = target === null ? null : references.file(target);
  if (!src) return span;
  return { type: 'block', value: { ...span.value, attrs: { ...marker.attrs, src: new ImmutableString(src) } } };
}

function collectTags(text: string, tags: string[]): void {
  for (const match of text.matchAll(inlineTag)) tags.push(match[2]!);
}

function withMarks(value: string, marks: MarkSet): Span {
  return Object.keys(marks).length > 0 ? { type: 'text', value, marks } : { type: 'text', value };
}

/** Text with `[[wikilinks]]` in it → text spans, links and image embeds. */
function splitWikilinks(text: string, marks: MarkSet, references: NoteReferences, embedParents: readonly string[]): Span[] {
  const spans: Span[] = [];
  let from = 0;
  for (const match of text.matchAll(wikilink)) {
    const [whole, bang, rawTarget = '', heading = '', alias] = match;
    const target = rawTarget.trim();
    const at = match.index;
    const isEmbed = bang === '!';
    const file = target !== '' && (isEmbed || !references.note(target)) ? references.file(target) : null;
    const note = target !== '' && !file ? references.note(target) : null;
    if (!file && !note) continue;
    if (at > from) spans.push(withMarks(text.slice(from, at), marks));
    from = at + whole.length;
    if (file && isEmbed && imageName.test(target)) {
      const description = alias?.trim() || target.split('/').pop() || target;
      spans.push({
        type: 'block',
        value: {
          type: new ImmutableString(BlockType.image),
          parents: embedParents.map((parent) => new ImmutableString(parent)),
          attrs: { src: new ImmutableString(file), alt: new ImmutableString(description), title: new ImmutableString('') },
          isEmbed: true,
        },
      });
      continue;
    }
    const shown = alias?.trim() || `${target.split('/').pop() ?? target}${heading.replace(/^#/, ' › ')}`;
    spans.push(withMarks(shown, { ...marks, [MarkName.link]: encodeLinkMark({ href: (note ?? file)!, title: '' }) }));
  }
  if (from === 0) return [withMarks(text, marks)];
  if (from < text.length) spans.push(withMarks(text.slice(from), marks));
  return spans;
}
