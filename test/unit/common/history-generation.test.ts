// A new generation of a document: its state in one change and nothing before; edits another
// replica made where the forgetter could not see them carried onto it, never reviving text the
// state had deleted, also when the forgetter had edits this replica never received.
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { buildGeneration, carryEdits, clockOf, coveredHeads, reanchor, writesIntoErased } from '../../../common/history/generation.ts';
import { GENERATION_BASE_MESSAGE, listVersions, stateAt } from '../../../common/history/versions.ts';

type Doc = { title: string; body: string; tags: string[]; createdAt: number };

function start(body: string): A.Doc<Doc> {
  return A.change(A.from<Doc>({ title: '', body: '', tags: [], createdAt: 5 }), (d) => {
    A.updateText(d, ['title'], 'Notes');
    d.tags.push('work');
    A.splice(d, ['body'], 0, 0, body);
    A.mark(d, ['body'], { start: 0, end: 4, expand: 'after' }, 'strong', true);
    A.splitBlock(d, ['body'], body.indexOf('\n') >= 0 ? body.indexOf('\n') : body.length, { type: 'paragraph', parents: [], attrs: {} });
  });
}

function inserted(doc: A.Doc<unknown>): string {
  return A.getAllChanges(doc)
    .flatMap((c) => A.decodeChange(c).ops.map((op) => (typeof op.value === 'string' ? op.value : '')))
    .join('');
}

describe('a new generation', () => {
  it('holds the state (title, tags, marks, blocks) in one change, and no deleted text', () => {
    let old = start('Bold start. secret-words here');
    old = A.change(old, (d) => A.splice(d, ['body'], d.body.indexOf('secret-words'), 'secret-words '.length, ''));
    expect(inserted(old)).toContain('secret-words');
    const next = buildGeneration<Doc>(stateAt(old), old.createdAt, { at: 10_000 });
    expect(stateAt(next)).toEqual(stateAt(old));
    expect(next.createdAt).toBe(5);
    expect(A.getAllChanges(next)).toHaveLength(1);
    expect(inserted(next)).not.toContain('secret-words');
    expect(listVersions(next).map((v) => v.base)).toEqual([true]);
    expect(A.getChangesMetaSince(next, [])[0]!.message).toBe(GENERATION_BASE_MESSAGE);
  });

  it('anchors a comment at the same text, or nowhere when it is not there', () => {
    const old = start('Hello there, world');
    const next = buildGeneration<Doc>(stateAt(old), 5);
    const at = (doc: A.Doc<Doc>, from: number, to: number) => ({
      start: A.getCursor(doc, ['body'], from),
      end: A.getCursor(doc, ['body'], to - 1),
      quote: 'x',
    });
    const moved = reanchor(old, next, at(old, 6, 11))!;
    expect(A.getCursorPosition(next, ['body'], moved.start)).toBe(6);
    expect(A.getCursorPosition(next, ['body'], moved.end)).toBe(10);
    expect(reanchor(old, next, { start: 'nonsense', end: 'nonsense', quote: 'x' })).toBeUndefined();
  });
});

describe('carrying edits onto a new generation', () => {
  function forgottenWhile(offline: (d: Doc) => void): { mine: A.Doc<Doc>; next: A.Doc<Doc>; clock: Record<string, number>; base: string[] } {
    let shared = start('First line. forgotten-text stays out.');
    shared = A.change(shared, (d) => A.splice(d, ['body'], d.body.indexOf('forgotten-text'), 'forgotten-text '.length, ''));
    // The forgetter's copy and mine share everything up to here; then I edit offline.
    const theirs = A.clone(shared);
    const mine = A.change(A.clone(shared), offline);
    const next = buildGeneration<Doc>(stateAt(theirs), 5);
    return { mine, next, clock: clockOf(theirs), base: A.getHeads(next) };
  }

  it('makes my offline edits again on the new base, merged with what others wrote on it since', () => {
    const { mine, next, clock, base } = forgottenWhile((d) => A.splice(d, ['body'], d.body.length, 0, ' Mine, offline.'));
    expect(coveredHeads(mine, clock).beyond).toBe(true);
    const other = A.change(A.clone(next), (d) => A.splice(d, ['body'], 0, 0, 'Theirs: '));
    const carried = carryEdits(mine, clock, other, base);
    expect(carried.kind).toBe('carried');
    expect(carried.doc.body).toBe(`Theirs: ${mine.body}`);
    expect(carried.doc.body).toContain('Mine, offline.');
    expect(inserted(carried.doc)).not.toContain('forgotten-text');
  });

  it('carries a deletion too, and does not bring back text the forgetter had deleted', () => {
    const { mine, next, clock, base } = forgottenWhile((d) => A.splice(d, ['body'], 0, 'First '.length, ''));
    const carried = carryEdits(mine, clock, next, base);
    expect(carried.doc.body).toBe(mine.body);
    expect(carried.doc.body).not.toContain('First');
    expect(inserted(carried.doc)).not.toContain('forgotten-text');
  });

  it('has nothing to carry when the forgetter had all my changes', () => {
    const { mine, next, clock, base } = forgottenWhile(() => undefined);
    expect(coveredHeads(mine, clock).beyond).toBe(false);
    expect(carryEdits(mine, clock, next, base)).toMatchObject({ kind: 'none', doc: next });
  });

  it('merges my edits with changes the forgetter had and I never received, without reviving what they deleted', () => {
    let shared = start('Alpha beta gamma delta');
    const theirs = A.change(A.clone(shared), (d) => {
      A.splice(d, ['body'], d.body.indexOf('beta '), 'beta '.length, '');
      A.splice(d, ['body'], d.body.indexOf('delta'), 0, 'NEW ');
    });
    shared = A.clone(shared);
    const mine = A.change(shared, (d) => A.splice(d, ['body'], d.body.indexOf('gamma'), 0, 'mine '));
    const next = buildGeneration<Doc>(stateAt(theirs), 5);
    const carried = carryEdits(mine, clockOf(theirs), next, A.getHeads(next));
    expect(carried.kind).toBe('carried');
    expect(carried.doc.body).toBe('Alpha mine gamma NEW delta\ufffc');
    expect(inserted(carried.doc)).not.toContain('beta');
  });

  it('keeps my edits as a copy, not in the document, when I wrote into text the forgetter deleted; the deleted text stays out of the copy too', () => {
    const shared = start('Alpha beta secret gamma delta');
    const theirs = A.change(A.clone(shared), (d) => A.splice(d, ['body'], d.body.indexOf('beta '), 'beta secret gamma '.length, ''));
    const mine = A.change(A.clone(shared), (d) => {
      A.splice(d, ['body'], d.body.indexOf('secret'), 0, 'very ');
      A.splice(d, ['body'], d.body.length - 1, 0, ' epsilon');
    });
    const next = buildGeneration<Doc>(stateAt(theirs), 5);
    const carried = carryEdits(mine, clockOf(theirs), next, A.getHeads(next));
    expect(carried).toMatchObject({ kind: 'conflict', doc: next });
    const copy = carried.kind === 'conflict' ? carried.mine.spans.map((s) => (s.type === 'text' ? s.value : '')).join('') : '';
    expect(copy).toContain('very');
    expect(copy).toContain('epsilon');
    expect(copy).not.toContain('secret');
  });

  it('keeps my edits as a copy when the new generation cannot be written on (its body is not text), without the text its base lacks', () => {
    const shared = start('Alpha secret gamma');
    const mine = A.change(A.clone(shared), (d) => A.splice(d, ['body'], 0, 0, 'epsilon '));
    // A generation made by a client that wrote the body as a number: nothing can be carried onto it.
    const next = A.from<Doc>({ title: 'Notes', body: 42 as unknown as string, tags: [], createdAt: 5 });
    const carried = carryEdits(mine, clockOf(shared), next, A.getHeads(next));
    expect(carried).toMatchObject({ kind: 'conflict', doc: next });
    const copy = carried.kind === 'conflict' ? carried.mine.spans.map((s) => (s.type === 'text' ? s.value : '')).join('') : '';
    expect(copy).toContain('epsilon');
    expect(copy).not.toContain('secret');
  });

  it('sees no conflict in deleting what the forgetter deleted too, nor in writing beside it', () => {
    const state = (body: string) => stateAt(start(body));
    const shared = state('Alpha beta gamma');
    const base = state('Alpha gamma');
    expect(writesIntoErased(shared, state('Alpha gamma'), base)).toBe(false);
    expect(writesIntoErased(shared, state('Alpha new beta gamma'), base)).toBe(false);
    expect(writesIntoErased(shared, state('Alpha beta new gamma'), base)).toBe(false);
    expect(writesIntoErased(shared, state('Alpha BETA gamma'), base)).toBe(true);
  });
});
