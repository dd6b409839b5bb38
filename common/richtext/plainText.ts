/**
 * The words of a document for the search index: text in order, one line per block.
 */
import type { Span } from '@automerge/automerge';
import { readBlockMarker } from './schema.ts';

/** Text of the spans with every block boundary as a newline; embeds add nothing. */
export function plainText(spans: readonly Span[]): string {
  const parts: string[] = [];
  let hasText = false;
  for (const span of spans) {
    if (span.type === 'text') {
      parts.push(span.value);
      if (span.value !== '') hasText = true;
    } else if (!readBlockMarker(span.value).isEmbed && hasText) {
      // No newline before the first block: the index should not see a leading blank line.
      parts.push('\n');
    }
  }
  return parts.join('');
}
