/**
 * Reading and writing a document body as Markdown. Writing diffs against the current body and
 * applies only the blocks, words and marks that changed, each inserted run whole
 * (editToSpans.ts), so Markdown edits made concurrently merge the way a person expects.
 */
import * as A from '@automerge/automerge';
import { editToSpans } from './editToSpans.ts';
import { markdownToSpans } from './markdownToSpans.ts';
import { spansToMarkdown } from './spansToMarkdown.ts';

/** Where a Hearth document keeps its rich text. */
export const bodyPath: readonly A.Prop[] = ['body'];

/**
 * Makes the body at `path` say `markdown`, as minimal edits. Call inside `A.change`; creates the
 * text field when the document has none yet.
 */
export function setBodyFromMarkdown<T>(doc: A.Doc<T>, markdown: string, path: readonly A.Prop[] = bodyPath): void {
  ensureTextField(doc, path);
  editToSpans(doc, [...path], markdownToSpans(markdown));
}

/** The body at `path` as Markdown; an absent body is the empty document. */
export function bodyAsMarkdown<T>(doc: A.Doc<T>, path: readonly A.Prop[] = bodyPath): string {
  return readField(doc, path) === undefined ? '' : spansToMarkdown(A.spans(doc, [...path]));
}

function readField(doc: unknown, path: readonly A.Prop[]): unknown {
  let value: unknown = doc;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

function ensureTextField(doc: unknown, path: readonly A.Prop[]): void {
  if (readField(doc, path) !== undefined) return;
  const parent = readField(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  if (typeof parent !== 'object' || parent === null || key === undefined) return;
  // In Automerge 3 a plain string assigned inside a change is collaborative text.
  (parent as Record<string | number, unknown>)[key] = '';
}
