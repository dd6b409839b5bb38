/**
 * A new generation of a document: a new Automerge document whose first change rebuilds the state
 * of the old one (title, tags, body with its marks and blocks) and holds none of the edits that
 * led there, so text deleted before is in no change of it. And carrying edits across: a replica
 * that edited the old generation where the forgetter could not see it (offline) brings its edits
 * onto the new one as new changes, made on the new generation's base and merged with whatever
 * others wrote on it since, never by reviving the old history.
 */
import * as A from '@automerge/automerge';
import { canonicalJson } from '../protocol/canonical.ts';
import { editToSpans } from '../richtext/editToSpans.ts';
import { randomBytes, toHex } from '../crypto/sodium.ts';
import { compareTexts } from './compare.ts';
import { GENERATION_BASE_MESSAGE, listVersions, stateAt, stateText, type DocumentState } from './versions.ts';

interface Shape {
  title: string;
  body: string;
  tags: string[];
  createdAt: number;
}

/** Actor → the highest sequence number of its changes: which changes of a document a replica had. */
export type ChangeClock = Record<string, number>;

/** Tags as the document keeps them: each once, in order. */
function distinct(tags: readonly string[]): string[] {
  return [...new Set(tags)];
}

/** Writes a state into a document (inside A.change): the body by a token diff, title and tags where they differ. */
export function writeState(doc: Shape, state: DocumentState): void {
  editToSpans(doc, ['body'], state.spans);
  if (doc.title !== state.title) A.updateText(doc, ['title'], state.title);
  const tags = distinct(state.tags);
  if (tags.join('\n') !== [...doc.tags].join('\n')) doc.tags.splice(0, doc.tags.length, ...tags);
}

/**
 * Generation n+1 of a document holding `state` and nothing before it: one change, marked as a
 * generation's base (the History panel shows it as where history starts), made by `actor` at `at`.
 */
export function buildGeneration<T>(state: DocumentState, createdAt: number, options: { actor?: string; at?: number } = {}): A.Doc<T> {
  const empty = A.init<Shape>(options.actor ? { actor: options.actor } : undefined);
  const time = Math.floor((options.at ?? Date.now()) / 1000);
  const built = A.change(empty, { message: GENERATION_BASE_MESSAGE, time }, (doc) => {
    doc.title = '';
    doc.body = '';
    doc.tags = [];
    doc.createdAt = createdAt;
    writeState(doc, state);
  });
  return built as unknown as A.Doc<T>;
}

/** The versions of `old` made before `horizon` (ms), and those after, or undefined when nothing before it is left to forget. */
export function splitAtHorizon(
  old: A.Doc<unknown>,
  horizon: number,
): { before: ReturnType<typeof listVersions>; after: ReturnType<typeof listVersions> } | undefined {
  const versions = listVersions(old);
  const before = versions.filter((v) => v.to < horizon);
  // Only the state a generation started from lies before the horizon: there is nothing more to forget.
  if (before.length === 0 || (before.length === 1 && before[0]!.base)) return undefined;
  return { before, after: versions.slice(before.length) };
}

/**
 * Generation n+1 of `old` that forgets the edits made before `horizon` (ms): its base holds the
 * state at the last version before it, then each later version is written again as one change,
 * under an actor with its author's prefix and at its time, so the History panel still shows who
 * wrote what after the horizon. Undefined when nothing before the horizon is left to forget.
 */
export function buildGenerationAt<T>(
  old: A.Doc<unknown>,
  horizon: number,
  createdAt: number,
  options: { actor?: string; at?: number } = {},
): A.Doc<T> | undefined {
  const split = splitAtHorizon(old, horizon);
  if (!split) return undefined;
  const last = split.before[split.before.length - 1]!;
  let doc = buildGeneration<Shape>(stateAt(old, last.heads), createdAt, options);
  for (const version of split.after) {
    const actor = version.author + toHex(randomBytes(8));
    const edited = A.change(A.clone(doc, { actor }), { time: Math.floor(version.to / 1000) }, (d) => writeState(d, stateAt(old, version.heads)));
    doc = A.merge(doc, edited);
  }
  return (options.actor ? A.clone(doc, { actor: options.actor }) : doc) as unknown as A.Doc<T>;
}

/** The clock of every change in a document: actor → its highest sequence number. */
export function clockOf(doc: A.Doc<unknown>): ChangeClock {
  const clock: ChangeClock = {};
  for (const change of A.getChangesMetaSince(doc, [])) clock[change.actor] = Math.max(clock[change.actor] ?? 0, change.seq);
  return clock;
}

/**
 * The heads of the part of `doc` the clock covers, and whether the document holds changes beyond
 * it (edits the holder of `clock` never saw).
 */
export function coveredHeads(doc: A.Doc<unknown>, clock: ChangeClock): { heads: string[]; beyond: boolean } {
  const heads = new Set<string>();
  let beyond = false;
  for (const change of A.getChangesMetaSince(doc, [])) {
    if (change.seq > (clock[change.actor] ?? 0)) {
      beyond = true;
      continue;
    }
    for (const dep of change.deps) heads.delete(dep);
    heads.add(change.hash);
  }
  return { heads: [...heads].sort(), beyond };
}

export type Carried<T> =
  /** Nothing of this replica's was missing from the new generation. */
  | { kind: 'none'; doc: A.Doc<T> }
  /** The edits were made again on the new generation's base and merged into it. */
  | { kind: 'carried'; doc: A.Doc<T> }
  /**
   * The edits could not be placed on the new generation: the caller keeps `mine` as a copy
   * instead, the edits written on the new generation's base as far as a text merge places them
   * (so text the base had deleted stays out of it), or this replica's state when even that failed.
   */
  | { kind: 'conflict'; doc: A.Doc<T>; mine: DocumentState };

/**
 * The three-way merge of two states that each edited `shared`: both are written as edits to one
 * scratch document holding `shared`, which Automerge merges (concurrent edits at text level).
 */
function mergeStates(shared: DocumentState, ours: DocumentState, theirs: DocumentState): DocumentState {
  const base = buildGeneration<Shape>(shared, 0);
  const one = A.change(A.clone(base), (doc) => writeState(doc, ours));
  const two = A.change(A.clone(base), (doc) => writeState(doc, theirs));
  return stateAt(A.merge(one, two));
}

/** The state to write on `base` so that it holds the edits that took `shared` to `mine` (a three-way merge where `base` moved too). */
export function carriedState(shared: DocumentState, mine: DocumentState, base: DocumentState): DocumentState {
  return sameState(shared, base) ? mine : mergeStates(shared, base, mine);
}

/** The stretches of `before` (from, to) that turning it into `after` takes out or rewrites, each with the text put in there. */
function editedStretches(before: string, after: string): Array<{ from: number; to: number; added: string }> {
  const stretches: Array<{ from: number; to: number; added: string }> = [];
  let at = 0;
  let open: { from: number; to: number; added: string } | undefined;
  for (const segment of compareTexts(before, after)) {
    if (segment.kind === 'same') {
      open = undefined;
      at += segment.text.length;
      continue;
    }
    if (!open) stretches.push((open = { from: at, to: at, added: '' }));
    if (segment.kind === 'removed') open.to = at += segment.text.length;
    else open.added += segment.text;
  }
  return stretches;
}

/**
 * Whether this replica wrote into text that the forgetter's side took out (between the state
 * both had and the new generation's base): its words would land there without the text around
 * them, so they cannot be carried; deleting what the other side deleted too is no conflict.
 */
export function writesIntoErased(shared: DocumentState, mine: DocumentState, base: DocumentState): boolean {
  const erased = editedStretches(stateText(shared), stateText(base)).filter((s) => s.to > s.from);
  return editedStretches(stateText(shared), stateText(mine)).some(
    (edit) =>
      edit.added !== '' &&
      erased.some((gone) => (edit.to > edit.from ? edit.from < gone.to && gone.from < edit.to : gone.from < edit.from && edit.from < gone.to)),
  );
}

/**
 * Carries the edits in `old` that `clock` does not cover onto the new generation `next` (which
 * started at `baseHeads` from the state the forgetter had: the changes `clock` covers, some of
 * which this replica may never have received). This replica's edits are the difference between
 * what it had of the covered changes (`shared`) and its state; they are merged with the
 * forgetter's side (shared → base) at text level, and the result is written on a fork of `next`
 * at its base, then merged, so what others wrote on the new generation since stays. Text the
 * base had deleted stays deleted (its deletion is one side of the merge), unless this replica
 * typed it again. Where that cannot be done (this replica wrote into text the base had deleted,
 * writesIntoErased), the caller keeps the edits as a visible copy.
 */
export function carryEdits<T>(old: A.Doc<unknown>, clock: ChangeClock, next: A.Doc<T>, baseHeads: readonly string[], actor?: string): Carried<T> {
  const { heads, beyond } = coveredHeads(old, clock);
  if (!beyond) return { kind: 'none', doc: next };
  const shared = stateAt(old, heads);
  const mine = stateAt(old);
  if (sameState(shared, mine)) return { kind: 'none', doc: next };
  let target: DocumentState | undefined;
  try {
    const base = stateAt(next, baseHeads);
    target = carriedState(shared, mine, base);
    if (writesIntoErased(shared, mine, base)) return { kind: 'conflict', doc: next, mine: target };
    const fork = A.clone(A.view(next, [...baseHeads]) as A.Doc<T>, actor ? { actor } : undefined);
    const edited = A.change(fork, (doc) => writeState(doc as unknown as Shape, target!));
    return { kind: 'carried', doc: A.merge(A.clone(next, actor ? { actor } : undefined), edited) };
  } catch {
    // The new generation could not be written on: the copy holds the merge where there is one, so what its base lacks stays out.
    return { kind: 'conflict', doc: next, mine: target ?? mine };
  }
}

function sameState(a: DocumentState, b: DocumentState): boolean {
  return a.title === b.title && a.tags.join('\n') === b.tags.join('\n') && stateText(a) === stateText(b) && canonicalJson(a.spans) === canonicalJson(b.spans);
}

interface Anchor {
  start: A.Cursor;
  end: A.Cursor;
  quote: string;
}

/**
 * A comment's anchor in the new generation: at the same text positions it had in `old` (the new
 * generation starts from the same text), or undefined where its text did not survive.
 */
export function reanchor(old: A.Doc<unknown>, next: A.Doc<unknown>, anchor: Anchor): Anchor | undefined {
  try {
    const from = A.getCursorPosition(old, ['body'], anchor.start);
    const to = A.getCursorPosition(old, ['body'], anchor.end) + 1;
    if (to <= from) return undefined;
    return { start: A.getCursor(next, ['body'], from), end: A.getCursor(next, ['body'], to - 1), quote: anchor.quote };
  } catch {
    return undefined;
  }
}
