/**
 * A document's history as versions: list them, preview one against the document now, restore
 * one (a new change that makes the document say what it said then, which syncs like any edit).
 * The History panel and `hearth history` both come here.
 */
import * as A from '@automerge/automerge';
import type { DocumentHistory, DocumentVersion, ForgottenHistory, VersionPreview } from '../../common/api/history.ts';
import { actorPrefix } from '../../common/history/authors.ts';
import { compareTexts } from '../../common/history/compare.ts';
import type { Retention } from '../../common/history/retention.ts';
import { findVersion, listVersions, stateAt, stateText, type Version } from '../../common/history/versions.ts';
import { spansToMarkdown } from '../../common/richtext/index.ts';
import { editToSpans } from '../../common/richtext/editToSpans.ts';
import { normaliseTags, type HearthDoc } from '../vault/documents.ts';
import type { Unlocked } from './unlocked.ts';

type Author = DocumentVersion['author'];

/** Names authors by their actor prefix: this account is "You"; members by the profile they published. */
function authorNames(u: Unlocked, documentId: string): (prefix: string) => Author {
  const mine = actorPrefix(u.engine.account);
  const personal = u.vault.workspaces.get(u.vault.documents.workspaceOf(documentId)).kind === 'personal';
  const people = new Map<string, Author>();
  if (!personal) {
    for (const person of u.engine.generations.people(documentId)) {
      people.set(actorPrefix(person.account), {
        name: person.displayName ?? person.username ?? `${person.account.slice(0, 8)}…`,
        ...(person.username ? { username: person.username } : {}),
        you: false,
      });
    }
  }
  const you: Author = { name: 'You', username: u.vault.profile.username, you: true };
  // In a personal workspace every edit is this person's, also those made before authors were recorded.
  return (prefix) => (prefix === mine || personal ? you : (people.get(prefix) ?? { name: 'Someone', you: false }));
}

function view(version: Version, author: Author, current: boolean): DocumentVersion {
  return { id: version.id, from: version.from, to: version.to, changes: version.changes, author, base: version.base, current };
}

/** The document's versions, newest first. */
export function documentHistory(u: Unlocked, documentId: string): DocumentHistory {
  const doc = u.vault.documents.get(documentId);
  const versions = listVersions(doc);
  const name = authorNames(u, documentId);
  const last = versions.length - 1;
  return {
    documentId,
    versions: versions.map((v, i) => view(v, name(v.author), i === last)).reverse(),
    generation: u.vault.documents.generationOf(documentId),
  };
}

/** One version: its title, tags and body, and what changed between it and the document now. */
export function previewVersion(u: Unlocked, documentId: string, versionId: string): VersionPreview {
  const doc = u.vault.documents.get(documentId);
  const versions = listVersions(doc);
  const version = findVersion(versions, versionId);
  const then = stateAt(doc, version.heads);
  const now = stateAt(doc);
  return {
    version: view(version, authorNames(u, documentId)(version.author), version === versions[versions.length - 1]),
    title: then.title,
    tags: then.tags,
    markdown: spansToMarkdown(then.spans),
    changes: compareTexts(stateText(then), stateText(now)),
  };
}

/**
 * Makes the document say what it said at `versionId` (title, tags, body with its marks and
 * blocks) in one new change, which every member receives like any edit. Needs a role that may
 * edit. Returns the document and that change (none when it already says so).
 */
export function restoreVersion(u: Unlocked, documentId: string, versionId: string): { doc: HearthDoc; changes: Uint8Array[]; version: DocumentVersion } {
  u.engine.assertCan(u.vault.documents.workspaceOf(documentId), 'content', documentId);
  const before = u.vault.documents.get(documentId);
  const versions = listVersions(before);
  const version = findVersion(versions, versionId);
  const then = stateAt(before, version.heads);
  const heads = A.getHeads(before);
  const after = u.vault.documents.change(documentId, (doc) => {
    if (typeof doc.body !== 'string') doc.body = '';
    editToSpans(doc, ['body'], then.spans);
    if (doc.title !== then.title) A.updateText(doc, ['title'], then.title);
    const tags = normaliseTags(then.tags);
    if (tags.join('\n') !== [...doc.tags].join('\n')) doc.tags.splice(0, doc.tags.length, ...tags);
  });
  return { doc: after, changes: A.getChanges(A.view(after, heads), after), version: view(version, authorNames(u, documentId)(version.author), false) };
}

/**
 * Erases the document's edit history: it becomes a new generation that holds its title, tags,
 * body and comments as they are, and none of the edits before. In a personal workspace here
 * (the vault drops the old chunks and scrubs); in a team workspace at the relay and at every
 * member too, which only an Owner or Admin may do (common/roles.ts canForgetHistory).
 */
export async function forgetHistory(u: Unlocked, documentId: string): Promise<ForgottenHistory> {
  const workspaceId = u.vault.documents.workspaceOf(documentId);
  const versionsBefore = listVersions(u.vault.documents.get(documentId)).length;
  u.engine.assertCan(workspaceId, 'delete', documentId);
  const generation = (await u.engine.generations.forget(documentId)) ?? u.vault.documents.generationOf(documentId);
  return { documentId, generation, versionsBefore };
}

/** How long a workspace keeps edit history ("forever" when it was never set). */
export function retentionOf(u: Unlocked, workspaceIdOrName: string): Retention {
  return u.engine.generations.retention(u.vault.workspaces.find(workspaceIdOrName).workspace.id);
}

/**
 * Sets how long a workspace keeps edit history (the person of a personal workspace; Owner or
 * Admin of a team), then forgets at once, in each of its documents, the edits older than that.
 */
export async function setRetention(
  u: Unlocked,
  workspaceIdOrName: string,
  retention: Retention,
): Promise<{ workspaceId: string; retention: Retention; forgotten: string[] }> {
  const workspaceId = u.vault.workspaces.find(workspaceIdOrName).workspace.id;
  u.engine.generations.retention(workspaceId, retention);
  return { workspaceId, retention, forgotten: await u.engine.generations.applyRetention(workspaceId) };
}

/**
 * Applies each workspace's retention, every workspace's by default: what the app runs after
 * unlock and then every hour (main/app/retention-timer.ts), and `hearth sync` after its round.
 * Returns the documents trimmed.
 */
export async function applyRetention(u: Unlocked, workspaceIds: readonly string[] = u.vault.workspaces.list().map((w) => w.id)): Promise<string[]> {
  const forgotten: string[] = [];
  for (const id of workspaceIds) forgotten.push(...(await u.engine.generations.applyRetention(id)));
  return forgotten;
}
