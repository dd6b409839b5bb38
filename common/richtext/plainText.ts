/**
 * The words of a document for the search index: text in order, one line per block.
 */
import type { Span } from '@automerge/automerge';
import { BlockType, readBlockMarker } from './schema.ts';

/** Text of the spans with every block boundary as a newline; embeds add nothing. */
export function plainText(spans: readonly Span[]): string {
  const parts: string[] = [];
  let hasText = false;
  for (const span of spans) {
    if (span.type === 'text') {
      parts.push(span.value);
      if (span.value !== '') hasText = true;
    } else if (hasText && isLineBreaking(span.value)) {
      // No newline before the first block: the index should not see a leading blank line.
      parts.push('\n');
    }
  }
  return parts.join('');
}

/** Embeds sit in the text; a table row's marker is followed by its first cell's, which breaks the line. */
function isLineBreaking(value: Parameters<typeof readBlockMarker>[0]): boolean {
  const marker = readBlockMarker(value);
  return !marker.isEmbed && marker.type !== BlockType.tableRow;
}
