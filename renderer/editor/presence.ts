/**
 * Other people's cursors and selections in the open document. Presence arrives as plain-text
 * offsets (the same coordinates comment anchors use); this maps them to ProseMirror positions and
 * draws a caret with the person's name and a tint over what they selected, mapped through local
 * edits until the next update.
 */
// Not re-exported by the package's index, but part of its published build.
import { amSpliceIdxToPmIdx } from '@automerge/prosemirror/dist/traversal.js';
import * as A from '@automerge/automerge/slim';
import type { EditorState, Transaction } from 'prosemirror-state';
import { Decoration } from 'prosemirror-view';
import type { PresenceEntry } from '../../common/api/contract.ts';
import { decorationLayer } from './decorationLayer.ts';
import { hearthSchemaAdapter } from './schema.ts';

const layer = decorationLayer('presence');
export const PRESENCE_COLORS = 6;

export const presenceDecorations = layer.plugin;

/** A stable colour slot per person. */
export function colorOf(account: string): number {
  let h = 0;
  for (let i = 0; i < account.length; i++) h = (h * 31 + account.charCodeAt(i)) >>> 0;
  return h % PRESENCE_COLORS;
}

function caret(name: string, color: number): HTMLElement {
  const span = document.createElement('span');
  span.className = `remote-caret presence-${color}`;
  span.setAttribute('aria-hidden', 'true');
  // The name is drawn by CSS from the attribute, so it is never part of the document's text.
  span.dataset['name'] = name;
  return span;
}

/**
 * A transaction that shows these people's carets and selections, and how many of them point past
 * the text this page has yet (their edit is still on its way): those are drawn once it arrives.
 */
export function setPresenceDecorations(state: EditorState, doc: A.Doc<unknown>, entries: PresenceEntry[]): { transaction: Transaction; waiting: number } {
  const decorations: Decoration[] = [];
  let waiting = 0;
  const spans = entries.some((e) => e.selection) ? A.spans(doc, ['body']) : [];
  const size = state.doc.content.size;
  // The text's length in Automerge offsets (block markers count one each, as in the body string).
  const body = (doc as { body?: unknown }).body;
  const textLength = typeof body === 'string' ? body.length : 0;
  for (const entry of entries) {
    if (!entry.selection) continue;
    if (entry.selection.to > textLength) {
      waiting++;
      continue;
    }
    const color = colorOf(entry.account);
    const from = amSpliceIdxToPmIdx(hearthSchemaAdapter, spans, entry.selection.from);
    const to = amSpliceIdxToPmIdx(hearthSchemaAdapter, spans, entry.selection.to);
    if (from === null || to === null || from > size || to > size) {
      waiting++;
      continue;
    }
    if (to > from) decorations.push(Decoration.inline(from, to, { class: `remote-selection presence-${color}` }));
    const name = entry.displayName || entry.username;
    // The name is in the key: ProseMirror keeps a widget whose key is unchanged, so a renamed member's caret would keep the old name.
    decorations.push(Decoration.widget(to, () => caret(name, color), { key: `${entry.account}:${to}:${name}`, side: 1 }));
  }
  return { transaction: layer.replace(state, decorations), waiting };
}
