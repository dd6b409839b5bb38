// Others' carets in the editor: drawn where their plain-text offsets fall, carried along by edits
// without reading the text again, and a caret that points past the text this page has yet is
// reported as waiting (DocumentPane redraws those, and only those, when a change arrives).
import * as A from '@automerge/automerge';
import { pmDocFromSpans } from '@automerge/prosemirror';
import { EditorState } from 'prosemirror-state';
import type { DecorationSet } from 'prosemirror-view';
import { describe, expect, it } from 'vitest';
import type { PresenceEntry } from '../../../common/api/contract.ts';
import { setBodyFromMarkdown } from '../../../common/richtext/index.ts';
import { presenceDecorations, setPresenceDecorations } from '../../../renderer/editor/presence.ts';
import { hearthSchemaAdapter as adapter } from '../../../renderer/editor/schema.ts';

const bob = (from: number, to = from): PresenceEntry => ({ account: 'bob', username: 'bob', displayName: 'Bob', selection: { from, to }, at: 0 });

function editorOf(markdown: string) {
  const doc = A.change(A.from<{ body: string }>({ body: '' }), (d) => setBodyFromMarkdown(d, markdown));
  const state = EditorState.create({ schema: adapter.schema, doc: pmDocFromSpans(adapter, A.spans(doc, ['body'])), plugins: [presenceDecorations] });
  return { doc, state };
}

const carets = (state: EditorState) =>
  (presenceDecorations.getState(state) as DecorationSet).find().filter((d) => (d.spec as { key?: string }).key?.startsWith('bob:'));

describe('presence carets', () => {
  it('are drawn at their offset and carried along by local edits', () => {
    const { doc, state } = editorOf('Hello world');
    const { transaction, waiting } = setPresenceDecorations(state, doc, [bob(6)]);
    expect(waiting).toBe(0);
    let next = state.apply(transaction);
    const at = carets(next)[0]!.from;
    // Typing before Bob's caret moves it along, with no new presence and no read of the text.
    next = next.apply(next.tr.insertText('Oh, ', 1));
    expect(carets(next)[0]!.from).toBe(at + 4);
  });

  it('past the text this page has are waiting, and drawn once the text arrives', () => {
    const { doc, state } = editorOf('Short');
    const { transaction, waiting } = setPresenceDecorations(state, doc, [bob(40)]);
    expect(waiting).toBe(1);
    expect(carets(state.apply(transaction))).toHaveLength(0);
    const longer = A.change(doc, (d) => setBodyFromMarkdown(d, 'Short, and then a good deal longer than before.'));
    const grown = EditorState.create({ schema: adapter.schema, doc: pmDocFromSpans(adapter, A.spans(longer, ['body'])), plugins: [presenceDecorations] });
    const redrawn = setPresenceDecorations(grown, longer, [bob(40)]);
    expect(redrawn.waiting).toBe(0);
    expect(carets(grown.apply(redrawn.transaction))).toHaveLength(1);
  });
});
