/**
 * A document's history as versions a person can read: its Automerge changes in the order they
 * were made, grouped into one version per author and sitting (a new version starts when someone
 * else edits, or after five minutes without an edit). A version is named by its last change's
 * hash and stands for the document as it was once its changes were in (its heads).
 */
import * as A from '@automerge/automerge';
import { HearthError } from '../errors.ts';
import { plainText } from '../richtext/plainText.ts';
import type { Span } from '../richtext/schema.ts';
import { prefixOf } from './authors.ts';

/** An edit after this long without one starts a new version. */
export const VERSION_IDLE_SECONDS = 5 * 60;

/** The message of the change that builds a new generation's starting state (common/history/generation.ts). */
export const GENERATION_BASE_MESSAGE = 'hearth-generation-base';

export interface Version {
  /** The hash of its last change. */
  id: string;
  /** The document's heads once this version's changes are in. */
  heads: string[];
  /** The actor prefix of its author (common/history/authors.ts). */
  author: string;
  /** When its first and last changes were made (ms). */
  from: number;
  to: number;
  changes: number;
  /** The state a new generation started from: the history before it was forgotten. */
  base: boolean;
}

/** What a document holds at some version. */
export interface DocumentState {
  title: string;
  tags: string[];
  spans: Span[];
}

interface Shape {
  title?: string;
  body?: string;
  tags?: string[];
}

/** The document's versions, oldest first. */
export function listVersions(doc: A.Doc<unknown>): Version[] {
  const versions: Version[] = [];
  const heads = new Set<string>();
  let current: Version | undefined;
  for (const change of A.getChangesMetaSince(doc, [])) {
    for (const dep of change.deps) heads.delete(dep);
    heads.add(change.hash);
    const author = prefixOf(change.actor);
    const base = change.message === GENERATION_BASE_MESSAGE;
    const at = change.time * 1000;
    if (!current || base || current.base || current.author !== author || at - current.to > VERSION_IDLE_SECONDS * 1000) {
      current = { id: change.hash, heads: [], author, from: at, to: at, changes: 0, base };
      versions.push(current);
    }
    current.id = change.hash;
    current.to = Math.max(current.to, at);
    current.changes++;
    current.heads = [...heads].sort();
  }
  return versions;
}

/** The version named by `id`: its whole hash, or a prefix of at least 6 characters that names one version. */
export function findVersion(versions: readonly Version[], id: string): Version {
  const wanted = id.trim().toLowerCase();
  const found = wanted.length >= 6 ? versions.filter((v) => v.id.startsWith(wanted)) : [];
  if (found.length === 1) return found[0]!;
  throw new HearthError(
    'NOT_FOUND',
    found.length > 1
      ? `${id} names ${found.length} versions; give more of its characters.`
      : `This document has no version ${id}. \`hearth history list DOC\` lists its versions (its edit history may have been erased).`,
  );
}

/** The title, tags and body spans of the document at `heads` (its current state without them). */
export function stateAt(doc: A.Doc<unknown>, heads?: readonly string[]): DocumentState {
  const at = (heads ? A.view(doc, [...heads]) : doc) as A.Doc<Shape>;
  return {
    title: typeof at.title === 'string' ? at.title : '',
    tags: Array.isArray(at.tags) ? at.tags.map(String) : [],
    spans: typeof at.body === 'string' ? A.spans(at, ['body']) : [],
  };
}

/** The body's text at a state, one line per block. */
export function stateText(state: DocumentState): string {
  return plainText(state.spans);
}
