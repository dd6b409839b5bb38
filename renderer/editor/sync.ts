/**
 * Binds ProseMirror to the document's Automerge replica: @automerge/prosemirror's sync plugin,
 * with a fast path for typing. The package's plugin reads the Automerge text as spans three or
 * four times per transaction and diffs it against the editor, which costs ~25 ms per read on the
 * 100k-character trace document. A plain text edit inside one paragraph does not need that:
 * its position in the Automerge text follows from the editor's own document (which the plugin
 * keeps equal to the replica), and it becomes one splice plus the marks the typed text carries.
 * Everything else (new blocks, pasted structure, marks over ranges) goes through the package.
 */
import * as A from '@automerge/automerge/slim';
import { syncPlugin, type SchemaAdapter } from '@automerge/prosemirror';
import type { DocHandleChangePayload } from '@automerge/prosemirror/dist/DocHandle.js';
import { patchesToTr } from '@automerge/prosemirror/dist/patchesToTr.js';
import { amMarksFromPmMarks } from '@automerge/prosemirror/dist/schema.js';
import { pmNodeToSpans, pmRangeToAmRange } from '@automerge/prosemirror/dist/traversal.js';
import type { Mark, Node, ResolvedPos, Slice } from 'prosemirror-model';
import { Plugin, type Transaction } from 'prosemirror-state';
import { dispatchFromOutside } from './page-selection.ts';
import type { DocumentBody, DocumentReplica } from './replica.ts';

/** The parts of prosemirror-transform's ReplaceStep the fast path reads. */
interface ReplaceLike {
  from: number;
  to: number;
  slice: Slice;
  structure: boolean;
}

function plainTextEdit(step: unknown, before: Node): ReplaceLike | null {
  const candidate = step as Partial<ReplaceLike> & { toJSON?: () => { stepType?: string } };
  if (candidate.toJSON?.().stepType !== 'replace' || candidate.structure) return null;
  const { from, to, slice } = candidate as ReplaceLike;
  if (slice.openStart !== 0 || slice.openEnd !== 0) return null;
  const content = slice.content;
  const isInsert = content.childCount === 1 && content.firstChild?.isText === true;
  const isDelete = content.childCount === 0 && to > from;
  if (!isInsert && !isDelete) return null;
  const $from = before.resolve(from);
  const $to = before.resolve(to);
  if (!$from.sameParent($to) || !$from.parent.isTextblock) return null;
  // Only text in a block the replica already has a marker for, and that already holds text. A
  // block the editor has just made (a new paragraph, the text wrapper of a fresh quote or list
  // item) or an empty one is settled by the general path and its fix-up transaction. The first
  // paragraph of a list item that has its marker (a task item, say) has none of its own: its
  // text follows the item's marker, so it is in the replica too.
  if (!hasMarker($from) || $from.parent.content.size === 0) return null;
  return { from, to, slice, structure: false };
}

/** Whether the textblock at `$pos` is in the replica: its own marker, or the leading paragraph of a list item that has one. */
function hasMarker($pos: ResolvedPos): boolean {
  if ($pos.parent.attrs['isAmgBlock'] === true) return true;
  const depth = $pos.depth;
  if (depth < 2 || $pos.index(depth - 1) !== 0) return false;
  const container = $pos.node(depth - 1);
  return container.type.name === 'list_item' && container.attrs['isAmgBlock'] === true;
}

/** Each transaction's plain text steps, or null if any step needs the general path. */
function plainTextSteps(transactions: readonly Transaction[]): Array<{ step: ReplaceLike; before: Node }> | null {
  const steps: Array<{ step: ReplaceLike; before: Node }> = [];
  for (const tr of transactions) {
    for (let i = 0; i < tr.steps.length; i++) {
      const before = tr.docs[i]!;
      const edit = plainTextEdit(tr.steps[i], before);
      if (!edit) return null;
      steps.push({ step: edit, before });
    }
  }
  return steps;
}

/**
 * The marks text inserted at `index` took on, as Automerge's splice patch reports them. Reading
 * them with A.marksAt instead cost ~25 ms per keystroke on the 100k-character document (it walks
 * the whole text); the patch comes with the change. Undefined when no patch names the insertion.
 */
function insertedMarks(patches: readonly A.Patch[], path: A.Prop[], index: number): Record<string, A.MarkValue> | undefined {
  for (const patch of patches) {
    if (patch.action !== 'splice' || patch.path.length !== path.length + 1 || patch.path[path.length] !== index) continue;
    if (path.every((p, i) => patch.path[i] === p)) return (patch.marks ?? {}) as Record<string, A.MarkValue>;
  }
  return undefined;
}

/** The same reconciliation @automerge/prosemirror does after a splice: the typed text gets exactly the editor's marks. */
function reconcileMarks(
  adapter: SchemaAdapter,
  doc: DocumentBody,
  path: A.Prop[],
  index: number,
  length: number,
  marks: readonly Mark[],
  current: Record<string, A.MarkValue>,
): void {
  const wanted = amMarksFromPmMarks(adapter, marks) as Record<string, A.MarkValue>;
  for (const [name, value] of Object.entries(wanted)) {
    if (current[name] !== value) {
      const inclusive = marks.find((m) => m.type.name === name)?.type.spec.inclusive ?? true;
      A.mark(doc, path, { start: index, end: index + length, expand: inclusive ? 'both' : 'none' }, name, value);
    }
  }
  for (const [name, value] of Object.entries(current)) {
    if (value !== null && value !== undefined && !(name in wanted) && adapter.markMappings.some((m) => m.automergeMarkName === name)) {
      A.unmark(doc, path, { start: index, end: index + length, expand: 'both' }, name);
    }
  }
}

/** Whether the marks Automerge gave the typed text are the ones the editor shows. */
function sameMarks(adapter: SchemaAdapter, current: Record<string, A.MarkValue>, marks: readonly Mark[]): boolean {
  const wanted = amMarksFromPmMarks(adapter, marks) as Record<string, A.MarkValue>;
  const mapped = Object.keys(current).filter((name) => adapter.markMappings.some((m) => m.automergeMarkName === name));
  return mapped.length === Object.keys(wanted).length && mapped.every((name) => current[name] === wanted[name]);
}

/** The Automerge length (characters and markers) of top-level nodes, by node: nodes are immutable and shared between states. */
const topLevelLengths = new WeakMap<Node, number>();

/** `child` as the package reads a top-level block: in a document with a sibling after it (an empty paragraph, one marker). */
function withSibling(adapter: SchemaAdapter, child: Node): Node {
  return adapter.schema.topNodeType.create(null, [child, adapter.schema.nodes['paragraph']!.create()]);
}

function spansLength(spans: readonly A.Span[]): number {
  let length = 0;
  for (const span of spans) length += span.type === 'text' ? span.value.length : 1;
  return length;
}

function topLevelLength(adapter: SchemaAdapter, child: Node): number {
  let length = topLevelLengths.get(child);
  if (length === undefined) {
    length = spansLength(pmNodeToSpans(adapter, withSibling(adapter, child))) - 1;
    topLevelLengths.set(child, length);
  }
  return length;
}

/**
 * The Automerge range of an editor range, as `pmRangeToAmRange(pmNodeToSpans(before))` gives it,
 * without reading the whole document on every key: in a document of several top-level blocks,
 * each writes the same spans wherever it stands, so the blocks before the edited one count by
 * their (cached) lengths and only the edited block is read. That reading cost ~20 ms a key in
 * the middle of a 100k-character document on a loaded machine, and grew with the position.
 */
function automergeRange(adapter: SchemaAdapter, before: Node, from: number, to: number): { start: number; end: number } | null {
  if (before.childCount < 2) return pmRangeToAmRange(adapter, pmNodeToSpans(adapter, before), { from, to });
  const $from = before.resolve(from);
  const index = $from.index(0);
  if (index >= before.childCount) return pmRangeToAmRange(adapter, pmNodeToSpans(adapter, before), { from, to });
  const childStart = $from.posAtIndex(index, 0);
  let offset = 0;
  for (let i = 0; i < index; i++) offset += topLevelLength(adapter, before.child(i));
  const range = pmRangeToAmRange(adapter, pmNodeToSpans(adapter, withSibling(adapter, before.child(index))), { from: from - childStart, to: to - childStart });
  return range && { start: range.start + offset, end: range.end + offset };
}

export function replicaSyncPlugin(adapter: SchemaAdapter, replica: DocumentReplica, path: A.Prop[]): Plugin {
  const general = syncPlugin({ adapter, handle: replica, path });
  // True while the editor and the replica are being brought together, so that neither side's
  // update is fed back to the other as if it were new.
  let syncing = false;
  return new Plugin({
    key: general.spec.key,
    view(view) {
      const onChange = ({ doc, patches, patchInfo }: DocHandleChangePayload<DocumentBody>) => {
        if (syncing) return;
        syncing = true;
        try {
          dispatchFromOutside(view, (state) => patchesToTr({ adapter, path, before: patchInfo.before, after: doc, patches, state }));
        } finally {
          syncing = false;
        }
      };
      replica.on('change', onChange);
      return { destroy: () => replica.off('change', onChange) };
    },
    appendTransaction(transactions, oldState, newState) {
      if (syncing) return undefined;
      const changed = transactions.filter((tr) => tr.docChanged);
      if (changed.length === 0) return undefined;
      const steps = plainTextSteps(changed);
      if (!steps) {
        syncing = true;
        try {
          return general.spec.appendTransaction?.call(general, transactions, oldState, newState);
        } finally {
          syncing = false;
        }
      }
      for (const { step, before } of steps) {
        const range = automergeRange(adapter, before, step.from, step.to);
        if (!range) throw new Error(`The editor position ${step.from}–${step.to} has no place in the document text.`);
        const start = Math.min(range.start, range.end);
        const end = Math.max(range.start, range.end);
        const inserted = step.slice.content.firstChild;
        const patches = replica.changeQuietly((doc) => A.splice(doc, path, start, end - start, inserted?.text ?? ''));
        if (!inserted?.text) continue;
        const text = inserted.text;
        // Typed inside text with the same marks (the usual case), the splice already gave it the
        // editor's marks; at a mark's edge it may not have, and a second change settles that.
        const current = insertedMarks(patches, path, start);
        if (current && sameMarks(adapter, current, inserted.marks)) continue;
        replica.changeQuietly((doc) => reconcileMarks(adapter, doc, path, start, text.length, inserted.marks, current ?? A.marksAt(doc, path, start)));
      }
      return undefined;
    },
  });
}
