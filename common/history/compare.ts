/**
 * What changed between two texts, as the History panel highlights it: word by word (the tokens
 * the Markdown merge uses), each stretch kept, taken out, or put in.
 */
import { replaceMiddle, shortestEdit } from '../richtext/sequenceDiff.ts';

export interface TextSegment {
  text: string;
  /** same: in both; removed: in the earlier text only; added: in the later text only. */
  kind: 'same' | 'removed' | 'added';
}

/** Past this many differing tokens the comparison shows the changed middle as one stretch. */
const MAX_TOKEN_EDITS = 4000;
const TOKEN = /[\p{L}\p{M}\p{N}_]+|\s+|[\s\S]/gu;

/** The segments that turn `before` into `after`, in reading order (a removal before the addition that replaces it). */
export function compareTexts(before: string, after: string): TextSegment[] {
  const ids = new Map<string, number>();
  const tokenise = (text: string) => {
    const words = text.match(TOKEN) ?? [];
    return { words, keys: Int32Array.from(words, (word) => ids.get(word) ?? ids.set(word, ids.size).size - 1) };
  };
  const from = tokenise(before);
  const to = tokenise(after);
  const runs = shortestEdit(from.keys, to.keys, MAX_TOKEN_EDITS) ?? replaceMiddle(from.keys, to.keys);
  // Stretches in order: kept, or changed (what went out and what came in).
  const pieces: Array<{ same: string } | { removed: string; added: string }> = [];
  const change = (removed: string, added: string) => {
    const last = pieces[pieces.length - 1];
    if (last && !('same' in last)) {
      last.removed += removed;
      last.added += added;
    } else pieces.push({ removed, added });
  };
  let i = 0;
  let j = 0;
  for (const run of runs) {
    if (run.kind === 'equal') {
      pieces.push({ same: from.words.slice(i, i + run.length).join('') });
      i += run.length;
      j += run.length;
    } else if (run.kind === 'delete') {
      change(from.words.slice(i, i + run.length).join(''), '');
      i += run.length;
    } else {
      change('', to.words.slice(j, j + run.length).join(''));
      j += run.length;
    }
  }
  // A kept space or short word between two changes (a rewrite sharing only its spaces) reads
  // better as part of them: folded in when no longer than either (diff-match-patch's cleanup rule).
  const size = (piece: { removed: string; added: string }) => Math.max(piece.removed.length, piece.added.length);
  for (let k = 1; k + 1 < pieces.length; k++) {
    const [before, kept, after] = [pieces[k - 1]!, pieces[k]!, pieces[k + 1]!];
    if (!('same' in kept) || 'same' in before || 'same' in after) continue;
    if (kept.same.length > size(before) || kept.same.length > size(after)) continue;
    pieces.splice(k - 1, 3, { removed: before.removed + kept.same + after.removed, added: before.added + kept.same + after.added });
    k = Math.max(0, k - 2);
  }
  const segments: TextSegment[] = [];
  for (const piece of pieces) {
    if ('same' in piece) {
      if (piece.same) segments.push({ text: piece.same, kind: 'same' });
      continue;
    }
    if (piece.removed) segments.push({ text: piece.removed, kind: 'removed' });
    if (piece.added) segments.push({ text: piece.added, kind: 'added' });
  }
  return segments;
}
