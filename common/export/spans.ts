/**
 * A document body in the JSON export (`spans` of documents/<id>.json) and back. Export writes
 * `A.spans` as plain JSON with sorted keys, so the same document always gives the same bytes;
 * reading restores what JSON cannot say: block names, parents and string attributes are
 * ImmutableStrings in a document (a plain string there would become collaborative text).
 */
import { ImmutableString, type MaterializeValue, type Span } from '@automerge/automerge';
import type { DocumentFile } from './schema.ts';

export type ExportSpan = DocumentFile['spans'][number];

/** Sorts object keys so the same document always exports to the same bytes (Automerge maps have no key order). */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** One span as the export writes it. */
export function spanForExport(span: Span): ExportSpan {
  const plain = JSON.parse(JSON.stringify(span)) as ExportSpan;
  return plain.type === 'text' ? plain : { type: 'block', value: sortedKeys(plain.value) as typeof plain.value };
}

/** Spans read from an export (any format version), ready for `editToSpans` or `A.updateSpans`. */
export function spansFromExport(spans: readonly ExportSpan[]): Span[] {
  return spans.map((span): Span => {
    if (span.type === 'text')
      return span.marks
        ? { type: 'text', value: span.value, marks: span.marks as NonNullable<Extract<Span, { type: 'text' }>['marks']> }
        : { type: 'text', value: span.value };
    const attrs: { [key: string]: MaterializeValue } = {};
    for (const [name, value] of Object.entries(span.value.attrs))
      attrs[name] = typeof value === 'string' ? new ImmutableString(value) : (value as MaterializeValue);
    return {
      type: 'block',
      value: {
        type: new ImmutableString(span.value.type),
        parents: span.value.parents.map((parent) => new ImmutableString(parent)),
        attrs,
        isEmbed: span.value.isEmbed,
      },
    };
  });
}
