/**
 * The document list while someone types: every keystroke's save carries the document's summary,
 * and a new list re-renders the whole window inside that keystroke's frame. A save that moves only
 * the time of the document already at the top reaches the list at most once a second; anything
 * a person would see at once (a title, tags, a document moving to the top) reaches it at once.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { DocumentSummary } from '../../../common/api/contract.ts';
import { useLibrary } from '../../../renderer/state/library.ts';

const doc = (id: string, updatedAt: number, title = id): DocumentSummary => ({ id, workspaceId: 'w', title, tags: [], createdAt: 0, updatedAt });

beforeEach(() => {
  vi.useFakeTimers();
  useLibrary.getState().reset();
  useLibrary.setState({ selectedWorkspaceId: 'w', documents: [doc('a', 200), doc('b', 100)] });
});
afterEach(() => {
  useLibrary.getState().reset();
  vi.useRealTimers();
});

test('typing in the top document: the list takes its new time once a second, not per keystroke', () => {
  const before = useLibrary.getState().documents;
  for (let t = 201; t < 260; t++) useLibrary.getState().documentSaved(doc('a', t));
  expect(useLibrary.getState().documents).toBe(before);
  vi.advanceTimersByTime(1000);
  expect(useLibrary.getState().documents!.map((d) => [d.id, d.updatedAt])).toEqual([
    ['a', 259],
    ['b', 100],
  ]);
});

test('a title change, or a save that moves a document to the top, shows at once', () => {
  useLibrary.getState().documentSaved(doc('a', 201, 'Renamed'));
  expect(useLibrary.getState().documents![0]!.title).toBe('Renamed');
  useLibrary.getState().documentSaved(doc('b', 300));
  expect(useLibrary.getState().documents!.map((d) => d.id)).toEqual(['b', 'a']);
  // A late time-only save older than what the list has never winds it back.
  useLibrary.getState().documentSaved(doc('b', 301));
  useLibrary.getState().documentSaved(doc('b', 400, 'Retitled'));
  vi.advanceTimersByTime(1000);
  expect(useLibrary.getState().documents![0]).toMatchObject({ id: 'b', updatedAt: 400, title: 'Retitled' });
});
