/**
 * Brings a rich text to new spans with edits that merge the way a person expects.
 *
 * `A.updateSpans` diffs character by character, so an inserted paragraph lands in pieces, each
 * anchored to a character it happens to share with its neighbours; two replicas that each insert
 * one then merge into text neither wrote (issue 16). Here the diff runs over whole blocks first,
 * then over words, spaces and punctuation inside the blocks that changed, and every inserted run
 * (a word, a sentence, a paragraph with its block marker) is spliced in whole at one position. A
 * run inserted by one replica is a chain of characters hanging off one anchor, so concurrent runs
 * at the same place come out one after the other, never interleaved. Block markers that survive
 * keep their identity (a changed type is written into the marker, restyleBlock.ts), and marks are
 * set last, only where they differ.
 */
import * as A from '@automerge/automerge';
import { isImmutableString, type MarkSet, type MarkValue, type MaterializeValue, type Span } from '@automerge/automerge';
import { BlockType, activeMarks, readBlockMarker, updateSpansConfig } from './schema.ts';
import { restyleBlock } from './restyleBlock.ts';
import { replaceMiddle, shortestEdit } from './sequenceDiff.ts';

/**
 * Past these many differing blocks or tokens, a diff gives up: a changed region is then diffed
 * block by block if it has as many blocks on both sides, or else replaced as one run.
 */
const maxBlockEdits = 2000;
const maxTokenEdits = 800;

/** Edits the text at `path` so that `A.spans` reads `spans` (see the module comment). Call inside `A.change`. */
export function editToSpans<T>(doc: A.Doc<T>, path: A.Prop[], spans: readonly Span[]): void {
  const current = A.spans(doc, path);
  const names = new Interner();
  const before = readTokens(current, names);
  const after = readTokens(keepLeadingParagraph(current, spans), names);
  const edits = planEdits(before, after);
  applyEdits(doc, path, before, after, edits);
  applyMarks(doc, path, after);
}

type BlockValue = { [key: string]: MaterializeValue };

/**
 * A body as tokens: each block marker is one (it takes one position in the text), and the text
 * between markers is cut into words, runs of whitespace and single other characters. Tokens are
 * cut from a block's whole text, not span by span, so a change of marks is not a change of words.
 */
interface Tokens {
  /** Interned: block markers negative, text tokens positive. */
  keys: Int32Array;
  /** Where each token starts; one more entry, the length of the body. */
  starts: Int32Array;
  /** The body's text with each block marker as U+FFFC (only read back between markers). */
  text: string;
  /** The marker values by token index. */
  markers: Map<number, BlockValue>;
  /** Token index where each block starts; block 0 is the text before the first marker, maybe empty. */
  blockStarts: number[];
  blockKeys: Int32Array;
  /** The text's runs with their marks, in order. */
  textRuns: { start: number; end: number; marks: MarkSet }[];
}

class Interner {
  private readonly words = new Map<string, number>();
  private readonly markers = new Map<string, number>();
  private readonly blocks = new Map<string, number>();
  word(text: string): number {
    return intern(this.words, text, 1);
  }
  marker(key: string): number {
    return intern(this.markers, key, -1);
  }
  block(key: string): number {
    return intern(this.blocks, key, 1);
  }
}

function intern(table: Map<string, number>, key: string, sign: 1 | -1): number {
  let id = table.get(key);
  if (id === undefined) {
    id = sign * (table.size + 1);
    table.set(key, id);
  }
  return id;
}

const tokenPattern = /[\p{L}\p{M}\p{N}_]+|\s+|[\s\S]/gu;
/** Scripts written without spaces between words: there each character is a token. */
const unspacedScript = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

function readTokens(spans: readonly Span[], names: Interner): Tokens {
  const keys: number[] = [];
  const starts: number[] = [];
  const markerKeys: string[] = [''];
  const markers = new Map<number, BlockValue>();
  const blockStarts = [0];
  const textRuns: Tokens['textRuns'] = [];
  const textParts: string[] = [];
  let position = 0;
  let pending = '';
  const flushText = (): void => {
    if (pending === '') return;
    let offset = position - pending.length;
    for (const match of pending.matchAll(tokenPattern)) {
      const word = match[0];
      if (word.length > 1 && unspacedScript.test(word)) {
        for (const char of word) {
          keys.push(names.word(char));
          starts.push(offset);
          offset += char.length;
        }
        continue;
      }
      keys.push(names.word(word));
      starts.push(offset);
      offset += word.length;
    }
    textParts.push(pending);
    pending = '';
  };
  for (const span of spans) {
    if (span.type === 'text') {
      if (span.value === '') continue;
      textRuns.push({ start: position, end: position + span.value.length, marks: activeMarks(span.marks) });
      pending += span.value;
      position += span.value.length;
      continue;
    }
    flushText();
    const key = markerKey(span.value);
    markers.set(keys.length, span.value);
    blockStarts.push(keys.length);
    markerKeys.push(key);
    keys.push(names.marker(key));
    starts.push(position);
    textParts.push('\uFFFC');
    position += 1;
  }
  flushText();
  starts.push(position);
  const text = textParts.join('');
  const blockKeys = new Int32Array(blockStarts.length);
  blockStarts.forEach((first, block) => {
    const end = blockStarts[block + 1] ?? keys.length;
    blockKeys[block] = names.block(`${markerKeys[block]}\u0000${text.slice(starts[first], starts[end])}`);
  });
  return { keys: Int32Array.from(keys), starts: Int32Array.from(starts), text, markers, blockStarts, blockKeys, textRuns };
}

/** A marker's meaning as a string: ImmutableString or plain string, attribute order, do not matter. */
function markerKey(value: BlockValue): string {
  const marker = readBlockMarker(value);
  const attrs = Object.keys(marker.attrs)
    .sort()
    .map((name) => {
      const attr = marker.attrs[name];
      return [name, isImmutableString(attr) ? attr.val : attr];
    });
  return JSON.stringify([marker.type, marker.parents, attrs, marker.isEmbed]);
}

/**
 * The editor and Markdown both read text before the first marker as a top-level paragraph, so a
 * lone paragraph (no marker) and the first of several (a marker) are the same block. Keep
 * whichever form the document has, so that two replicas that each append to a one-paragraph
 * document do not each insert a marker before it (which would merge into an empty paragraph).
 */
function keepLeadingParagraph(current: readonly Span[], spans: readonly Span[]): readonly Span[] {
  const [currentFirst] = current;
  const [first] = spans;
  if (currentFirst?.type === 'text' && currentFirst.value !== '' && isPlainParagraph(first)) return spans.slice(1);
  if (first?.type === 'text' && isPlainParagraph(currentFirst)) return [currentFirst!, ...spans];
  return spans;
}

function isPlainParagraph(span: Span | undefined): boolean {
  if (span?.type !== 'block') return false;
  const marker = readBlockMarker(span.value);
  return marker.type === BlockType.paragraph && marker.parents.length === 0 && Object.keys(marker.attrs).length === 0 && !marker.isEmbed;
}

// ---- the plan: which tokens are replaced, which markers restyled ----

/** A stretch of tokens: equal on both sides, or old tokens [oldFrom, oldTo) replaced by new [newFrom, newTo). */
interface Piece {
  equal: boolean;
  oldFrom: number;
  oldTo: number;
  newFrom: number;
  newTo: number;
}

type Edit = { kind: 'replace'; oldFrom: number; oldTo: number; newFrom: number; newTo: number } | { kind: 'restyle'; oldToken: number; newToken: number };

/** The edits, in document order: blocks first, then tokens inside the blocks that changed. */
function planEdits(before: Tokens, after: Tokens): Edit[] {
  const edits: Edit[] = [];
  const tokenAt = (tokens: Tokens, block: number): number => tokens.blockStarts[block] ?? tokens.keys.length;
  let oldBlock = 0;
  let newBlock = 0;
  const runs = shortestEdit(before.blockKeys, after.blockKeys, maxBlockEdits) ?? replaceMiddle(before.blockKeys, after.blockKeys);
  for (let index = 0; index < runs.length; index++) {
    const run = runs[index]!;
    if (run.kind === 'equal') {
      oldBlock += run.length;
      newBlock += run.length;
      continue;
    }
    let deleted = 0;
    let inserted = 0;
    for (; index < runs.length && runs[index]!.kind !== 'equal'; index++) {
      if (runs[index]!.kind === 'delete') deleted += runs[index]!.length;
      else inserted += runs[index]!.length;
    }
    index--;
    const regionOf = (fromOld: number, oldCount: number, fromNew: number, newCount: number): Piece => ({
      equal: false,
      oldFrom: tokenAt(before, fromOld),
      oldTo: tokenAt(before, fromOld + oldCount),
      newFrom: tokenAt(after, fromNew),
      newTo: tokenAt(after, fromNew + newCount),
    });
    const whole = regionOf(oldBlock, deleted, newBlock, inserted);
    let pieces = diffRegion(before, after, whole, 'words');
    if (pieces === null && deleted === inserted) {
      // Too much changed for one word diff (a search and replace over the whole document, say);
      // the blocks correspond one to one, so diff them pair by pair.
      pieces = [];
      for (let block = 0; block < deleted; block++) {
        const pair = regionOf(oldBlock + block, 1, newBlock + block, 1);
        pieces.push(...(diffRegion(before, after, pair, 'words') ?? diffRegion(before, after, pair, 'whole')));
      }
    }
    pieces ??= diffRegion(before, after, whole, 'whole');
    for (const piece of pieces) if (!piece.equal) edits.push(...pairMarkers(before, after, piece));
    oldBlock += deleted;
    newBlock += inserted;
  }
  return edits;
}

/**
 * Word-level diff of one changed region, slid to block boundaries and cleaned of trivial matches.
 * `words` gives null past `maxTokenEdits` changed tokens; `whole` replaces the region's middle.
 */
function diffRegion(before: Tokens, after: Tokens, region: Piece, mode: 'whole'): Piece[];
function diffRegion(before: Tokens, after: Tokens, region: Piece, mode: 'words'): Piece[] | null;
function diffRegion(before: Tokens, after: Tokens, region: Piece, mode: 'words' | 'whole'): Piece[] | null {
  const oldKeys = before.keys.subarray(region.oldFrom, region.oldTo);
  const newKeys = after.keys.subarray(region.newFrom, region.newTo);
  const runs = mode === 'whole' ? replaceMiddle(oldKeys, newKeys) : shortestEdit(oldKeys, newKeys, maxTokenEdits);
  if (runs === null) return null;
  const pieces: Piece[] = [];
  let oldAt = region.oldFrom;
  let newAt = region.newFrom;
  for (const run of runs) {
    const oldLength = run.kind === 'insert' ? 0 : run.length;
    const newLength = run.kind === 'delete' ? 0 : run.length;
    const piece = { equal: run.kind === 'equal', oldFrom: oldAt, oldTo: oldAt + oldLength, newFrom: newAt, newTo: newAt + newLength };
    const previous = pieces[pieces.length - 1];
    if (previous && !previous.equal && !piece.equal) {
      previous.oldTo = piece.oldTo;
      previous.newTo = piece.newTo;
    } else {
      pieces.push(piece);
    }
    oldAt += oldLength;
    newAt += newLength;
  }
  slideToBoundaries(before, after, pieces);
  return dropTrivialMatches(before, after, pieces);
}

/**
 * A pure insertion (or deletion) between equal tokens can often sit a few tokens earlier or later
 * with the same result: `.¶b.` after `a` or `¶b.` after `a.`; ` brown` after `quick` or `brown `
 * after `quick `. Put it where it starts with a block marker (a whole block, anchored at the end of
 * the one before), else where it starts with whitespace (a word with the space before it). The
 * second rule is what makes two replicas' deletions of neighbouring words (`a b c.` → `a c.` and
 * `a b.`) leave no stray space: each takes the space before its own word.
 */
function slideToBoundaries(before: Tokens, after: Tokens, pieces: Piece[]): void {
  for (let index = 1; index + 1 < pieces.length; index++) {
    const piece = pieces[index]!;
    const previous = pieces[index - 1]!;
    const next = pieces[index + 1]!;
    if (piece.equal || !previous.equal || !next.equal) continue;
    const inserting = piece.oldFrom === piece.oldTo;
    if (!inserting && piece.newFrom !== piece.newTo) continue;
    // The moving run, in the sequence it belongs to; the equal tokens around it are in both.
    const tokens = inserting ? after : before;
    const keys = tokens.keys;
    const from = inserting ? piece.newFrom : piece.oldFrom;
    const to = inserting ? piece.newTo : piece.oldTo;
    const lowest = inserting ? previous.newFrom : previous.oldFrom;
    const highest = inserting ? next.newTo : next.oldTo;
    let left = 0;
    while (from - left - 1 >= lowest && keys[from - left - 1] === keys[to - left - 1]) left++;
    let right = 0;
    while (to + right + 1 <= highest && keys[from + right] === keys[to + right]) right++;
    const score = (token: number): number => (keys[token]! < 0 ? 2 : /^\s/.test(tokens.text[tokens.starts[token]!] ?? '') ? 1 : 0);
    let shift = 0;
    for (let candidate = -left; candidate <= right; candidate++) {
      const better = score(from + candidate) - score(from + shift);
      if (better > 0 || (better === 0 && Math.abs(candidate) < Math.abs(shift))) shift = candidate;
    }
    if (shift === 0) continue;
    previous.oldTo += shift;
    previous.newTo += shift;
    next.oldFrom += shift;
    next.newFrom += shift;
    piece.oldFrom += shift;
    piece.oldTo += shift;
    piece.newFrom += shift;
    piece.newTo += shift;
  }
}

/**
 * A match of a space or a short word between two changes (`quick fox` → `slow cat` keeping the
 * space) splits a rewrite into pieces that merge badly; fold such a match into the changes around
 * it when it is no longer than either (the rule of diff-match-patch's semantic cleanup). A match
 * holding a block marker is always kept.
 */
function dropTrivialMatches(before: Tokens, after: Tokens, pieces: Piece[]): Piece[] {
  const span = (tokens: Tokens, from: number, to: number): number => tokens.starts[to]! - tokens.starts[from]!;
  const size = (piece: Piece): number => Math.max(span(before, piece.oldFrom, piece.oldTo), span(after, piece.newFrom, piece.newTo));
  let result = pieces.filter((piece) => piece.oldFrom !== piece.oldTo || piece.newFrom !== piece.newTo);
  for (let changed = true; changed;) {
    changed = false;
    for (let index = 1; index + 1 < result.length; index++) {
      const match = result[index]!;
      const previous = result[index - 1]!;
      const next = result[index + 1]!;
      if (!match.equal || previous.equal || next.equal) continue;
      if (before.keys.subarray(match.oldFrom, match.oldTo).some((key) => key < 0)) continue;
      const length = size(match);
      if (length > size(previous) || length > size(next)) continue;
      const merged: Piece = { equal: false, oldFrom: previous.oldFrom, oldTo: next.oldTo, newFrom: previous.newFrom, newTo: next.newTo };
      result = [...result.slice(0, index - 1), merged, ...result.slice(index + 2)];
      changed = true;
      break;
    }
  }
  return result;
}

/**
 * Splits a replacement at the block markers both sides have, so that a block whose type or
 * text changed keeps its marker (restyled in place) and a concurrent edit of that block still
 * lands in it. Markers pair in order when both sides have as many, otherwise from each end.
 */
function pairMarkers(before: Tokens, after: Tokens, piece: Piece): Edit[] {
  const markersIn = (tokens: Tokens, from: number, to: number): number[] => {
    const found: number[] = [];
    for (let token = from; token < to; token++) if (tokens.keys[token]! < 0) found.push(token);
    return found;
  };
  const oldMarkers = markersIn(before, piece.oldFrom, piece.oldTo);
  const newMarkers = markersIn(after, piece.newFrom, piece.newTo);
  const pairs: [number, number][] = [];
  if (oldMarkers.length === newMarkers.length) {
    oldMarkers.forEach((oldToken, index) => pairs.push([oldToken, newMarkers[index]!]));
  } else {
    let lead = 0;
    while (
      piece.oldFrom + lead < piece.oldTo &&
      piece.newFrom + lead < piece.newTo &&
      before.keys[piece.oldFrom + lead]! < 0 &&
      after.keys[piece.newFrom + lead]! < 0
    ) {
      pairs.push([piece.oldFrom + lead, piece.newFrom + lead]);
      lead++;
    }
    const trailing: [number, number][] = [];
    for (let back = 1; piece.oldTo - back >= piece.oldFrom + lead && piece.newTo - back >= piece.newFrom + lead; back++) {
      if (before.keys[piece.oldTo - back]! >= 0 || after.keys[piece.newTo - back]! >= 0) break;
      trailing.unshift([piece.oldTo - back, piece.newTo - back]);
    }
    pairs.push(...trailing);
  }
  const edits: Edit[] = [];
  let oldFrom = piece.oldFrom;
  let newFrom = piece.newFrom;
  for (const [oldToken, newToken] of [...pairs, [piece.oldTo, piece.newTo] as [number, number]]) {
    if (oldFrom < oldToken || newFrom < newToken) edits.push({ kind: 'replace', oldFrom, oldTo: oldToken, newFrom, newTo: newToken });
    if (oldToken < piece.oldTo && before.keys[oldToken] !== after.keys[newToken]) edits.push({ kind: 'restyle', oldToken, newToken });
    oldFrom = oldToken + 1;
    newFrom = newToken + 1;
  }
  return edits;
}

// ---- applying the plan ----

function applyEdits<T>(doc: A.Doc<T>, path: A.Prop[], before: Tokens, after: Tokens, edits: readonly Edit[]): void {
  // Positions move by what earlier edits inserted and deleted.
  let shift = 0;
  for (const edit of edits) {
    if (edit.kind === 'restyle') {
      restyleBlock(doc, path, before.starts[edit.oldToken]! + shift, before.markers.get(edit.oldToken)!, after.markers.get(edit.newToken)!);
      continue;
    }
    const at = before.starts[edit.oldFrom]! + shift;
    const deleted = before.starts[edit.oldTo]! - before.starts[edit.oldFrom]!;
    if (deleted > 0) A.splice(doc, path, at, deleted);
    let position = at;
    let textFrom = edit.newFrom;
    // One splice per stretch of text between markers: each inserted run is one chain.
    const flushText = (textTo: number): void => {
      if (textFrom === textTo) return;
      const text = after.text.slice(after.starts[textFrom], after.starts[textTo]);
      A.splice(doc, path, position, 0, text);
      position += text.length;
    };
    for (let token = edit.newFrom; token < edit.newTo; token++) {
      if (after.keys[token]! >= 0) continue;
      flushText(token);
      A.splitBlock(doc, path, position, after.markers.get(token)!);
      position += 1;
      textFrom = token + 1;
    }
    flushText(edit.newTo);
    shift += position - at - deleted;
  }
}

/**
 * Sets the marks the new spans have and the document lacks, and removes those it has and they
 * lack, over the smallest ranges. Inserted text may have taken marks from a neighbour (a mark
 * that expands), which this also corrects.
 */
function applyMarks<T>(doc: A.Doc<T>, path: A.Prop[], after: Tokens): void {
  const current = new Map<string, { start: number; end: number; value: MarkValue }[]>();
  for (const mark of A.marks(doc, path)) {
    if (mark.value === null || mark.value === false) continue;
    const list = current.get(mark.name) ?? [];
    list.push({ start: mark.start, end: mark.end, value: mark.value });
    current.set(mark.name, list);
  }
  const names = new Set(current.keys());
  for (const run of after.textRuns) for (const name of Object.keys(run.marks)) names.add(name);
  for (const name of names) {
    const intervals = (current.get(name) ?? []).sort((a, b) => a.start - b.start);
    const changes: { start: number; end: number; value: MarkValue }[] = [];
    let next = 0;
    for (const run of after.textRuns) {
      const wanted = (run.marks[name] ?? null) as MarkValue;
      for (let position = run.start; position < run.end;) {
        while (next < intervals.length && intervals[next]!.end <= position) next++;
        const interval = intervals[next];
        const inside = interval !== undefined && interval.start <= position;
        const until = Math.min(run.end, inside ? interval.end : (interval?.start ?? run.end));
        const has = inside ? interval.value : null;
        if (has !== wanted) {
          const last = changes[changes.length - 1];
          if (last && last.end === position && last.value === wanted) last.end = until;
          else changes.push({ start: position, end: until, value: wanted });
        }
        position = until;
      }
    }
    const expand = updateSpansConfig.perMarkExpand?.[name] ?? updateSpansConfig.defaultExpand ?? 'after';
    for (const change of changes) {
      const range = { start: change.start, end: change.end, expand };
      if (change.value === null) A.unmark(doc, path, range, name);
      else A.mark(doc, path, range, name, change.value);
    }
  }
}
