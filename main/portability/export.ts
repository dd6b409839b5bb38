/**
 * Export: every workspace, document, comment, file, member list, public link and audit entry, in the open
 * format of DESIGN.md — Markdown with front matter for people, JSON for machines, the Automerge
 * binary for history, attachments as plain files. Written as a folder; files are streamed.
 * The manifest, written last, lists the SHA-256 of every file and is signed (export-origin.ts).
 */
import { resolve } from 'node:path';
import * as A from '@automerge/automerge';
import {
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  type AuditFile,
  type DocumentFile,
  type FilesFile,
  type LinksFile,
  type Manifest,
  type WorkspaceFile,
} from '../../common/export/schema.ts';
import { utf8 } from '../../common/crypto/sodium.ts';
import { buildGeneration, reanchor } from '../../common/history/generation.ts';
import { stateAt } from '../../common/history/versions.ts';
import { spanForExport } from '../../common/export/spans.ts';
import { spansToMarkdown } from '../../common/richtext/index.ts';
import { imageFileId } from '../../common/richtext/schema.ts';
import type { DocumentContent } from '../vault/documents.ts';
import { rosterOf } from '../sync/roster.ts';
import type { LinkRecord } from '../vault/links.ts';
import type { Vault } from '../vault/vault.ts';
import { folderSink, zipSink } from './archive.ts';
import { accountOf, signManifest } from './export-origin.ts';

export interface ExportProgress {
  phase: 'documents' | 'files' | 'done';
  done: number;
  total: number;
}

export interface ExportOptions {
  /** Only this workspace (id or name). */
  workspace?: string;
  onProgress?: (progress: ExportProgress) => void;
  /** Fixed export time, for reproducible output. */
  now?: Date;
  /** 'none': each .automerge holds the document's state without its edit history (text deleted before is not in it). Default 'full'. */
  history?: 'full' | 'none';
}

/** The body's spans with each image of an attached file pointing at the file's path in the export. */
function withFilePaths(spans: A.Span[], paths: ReadonlyMap<string, string>): A.Span[] {
  return spans.map((span) => {
    if (span.type !== 'block') return span;
    const src = span.value['attrs'] && typeof span.value['attrs'] === 'object' ? (span.value['attrs'] as Record<string, unknown>)['src'] : undefined;
    const fileId = src === undefined ? null : imageFileId(String(src));
    const path = fileId === null ? undefined : paths.get(fileId);
    if (path === undefined) return span;
    return { type: 'block', value: { ...span.value, attrs: { ...(span.value['attrs'] as Record<string, A.MaterializeValue>), src: path } } };
  });
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** YAML front matter with every value as a JSON string, which YAML reads as the same string. */
function frontMatter(fields: Record<string, string | string[]>): string {
  const lines = Object.entries(fields).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return `---\n${lines.join('\n')}\n---\n\n`;
}

/** A file name that works on every platform, keeping the original in files.json. */
function safeName(name: string): string {
  return (
    name
      .replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 120) || 'file'
  );
}

/**
 * What links.json says of one link record at `now`. Only an active link keeps the key after '#'
 * (the export holds the document's text already; the key lets the user find the copy again); a
 * revoked, expired or pending one opens nothing, so its key is left out. A link whose document is
 * gone but was not yet marked (deleted while no sync engine ran) is pending too.
 */
function linkEntry(record: LinkRecord, documentExists: boolean, now: number): LinksFile[number] {
  const state: LinksFile[number]['state'] =
    record.pendingRevocation || !documentExists
      ? 'pending-revocation'
      : record.revokedAt !== null
        ? 'revoked'
        : record.expiresAt !== null && record.expiresAt <= now
          ? 'expired'
          : 'active';
  const url = state === 'active' ? record.url : record.url.split('#')[0]!;
  return {
    id: record.id,
    documentId: record.documentId,
    title: record.title,
    relay: record.relay,
    url,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    state,
  };
}

/** Exports into a folder, or into a .zip when `out` ends in ".zip". */
export async function exportVault(vault: Vault, out: string, options: ExportOptions = {}): Promise<Manifest> {
  const now = options.now ?? new Date();
  const sink = out.toLowerCase().endsWith('.zip') ? zipSink(out, now) : folderSink(out);
  const workspaces = options.workspace ? [vault.workspaces.get(options.workspace)] : vault.workspaces.list();
  const docsByWorkspace = workspaces.map((w) => ({ workspace: w, docs: vault.documents.list(w.id).sort((a, b) => a.id.localeCompare(b.id)) }));
  const filesByWorkspace = new Map(workspaces.map((w) => [w.id, vault.files.list(w.id).sort((a, b) => a.id.localeCompare(b.id))]));
  const totalDocs = docsByWorkspace.reduce((n, w) => n + w.docs.length, 0);
  const totalFileBytes = [...filesByWorkspace.values()].flat().reduce((n, f) => n + f.size, 0);
  const counts = { workspaces: workspaces.length, documents: totalDocs, comments: 0, files: 0, auditEntries: 0 };
  const profile = vault.profile;
  const present = new Set(vault.documents.allIds().map((d) => d.id));

  let docsDone = 0;
  for (const { workspace, docs } of docsByWorkspace) {
    const dir = `workspaces/${workspace.id}`;
    const entries: WorkspaceFile['documents'] = [];
    // Images of attached files point at the exported copies, so the Markdown reads on its own.
    const filePaths = new Map(vault.files.list(workspace.id).map((file) => [file.id, `../files/${file.id}/${safeName(file.name)}`]));
    for (const summary of docs) {
      const full = vault.documents.get(summary.id);
      // Without history: the state as a new generation's base, and the comments anchored in it.
      const doc = options.history === 'none' ? buildGeneration<DocumentContent>(stateAt(full), full.createdAt, { at: now.getTime() }) : full;
      const comments = vault.comments
        .records(summary.id)
        .map((c) => (doc === full || !c.anchor ? c : { ...c, anchor: reanchor(full, doc, c.anchor) }))
        .sort((a, b) => a.id.localeCompare(b.id));
      counts.comments += comments.length;
      const base = `documents/${summary.id}`;
      const documentFile: DocumentFile = {
        id: summary.id,
        title: summary.title,
        tags: summary.tags,
        createdAt: summary.createdAt,
        updatedAt: summary.updatedAt,
        spans: A.spans(doc, ['body']).map(spanForExport),
        comments: comments.map((c) => ({
          id: c.id,
          threadId: c.threadId,
          author: c.author,
          text: c.text,
          resolved: c.resolved,
          createdAt: c.createdAt,
          updatedAt: c.updatedAt,
          ...(c.anchor ? { anchor: { start: String(c.anchor.start), end: String(c.anchor.end), quote: c.anchor.quote } } : {}),
        })),
      };
      const markdown =
        frontMatter({
          id: summary.id,
          title: summary.title,
          tags: summary.tags,
          created: new Date(summary.createdAt).toISOString(),
          updated: new Date(summary.updatedAt).toISOString(),
        }) + spansToMarkdown(withFilePaths(A.spans(doc, ['body']), filePaths));
      await sink.write(`${dir}/${base}.md`, markdown);
      await sink.write(`${dir}/${base}.json`, json(documentFile));
      await sink.write(`${dir}/${base}.automerge`, A.save(doc));
      entries.push({ id: summary.id, title: summary.title, markdown: `${base}.md`, json: `${base}.json`, automerge: `${base}.automerge` });
      options.onProgress?.({ phase: 'documents', done: ++docsDone, total: totalDocs });
    }
    const workspaceFile: WorkspaceFile = {
      id: workspace.id,
      name: workspace.name,
      // The format knows personal and team: "Shared with me" goes out as it always did, a team workspace without a relay.
      kind: workspace.kind === 'personal' ? 'personal' : 'team',
      createdAt: workspace.createdAt,
      ...(workspace.relay ? { relay: workspace.relay } : {}),
      documents: entries,
    };
    await sink.write(`${dir}/workspace.json`, json(workspaceFile));
    // A personal workspace has one member: its owner. A team workspace lists its roster as this
    // device last verified it (or as it was imported).
    const roster = (workspace.kind === 'team' ? (rosterOf(vault, workspace.id) ?? workspace.roster) : undefined) ?? [
      { username: profile.username, displayName: profile.displayName, role: 'owner' as const },
    ];
    await sink.write(`${dir}/members.json`, json(roster));
    const links: LinksFile = vault.links.ofWorkspace(workspace.id).map((record) => linkEntry(record, present.has(record.documentId), now.getTime()));
    await sink.write(`${dir}/links.json`, json(links));
  }

  let bytesDone = 0;
  for (const workspace of workspaces) {
    const files = filesByWorkspace.get(workspace.id)!;
    const dir = `workspaces/${workspace.id}`;
    const listing: FilesFile = [];
    for (const file of files) {
      const path = `files/${file.id}/${safeName(file.name)}`;
      await sink.writeStream(`${dir}/${path}`, vault.files.read(file.id));
      bytesDone += file.size;
      listing.push({ id: file.id, name: file.name, type: file.type, size: file.size, createdAt: file.createdAt, path });
      options.onProgress?.({ phase: 'files', done: bytesDone, total: totalFileBytes });
    }
    counts.files += files.length;
    await sink.write(`${dir}/files/files.json`, json(listing));
  }

  vault.audit.record('export', options.workspace ? workspaces[0]!.id : 'all');
  const audit: AuditFile = vault.audit
    .list()
    .map((e) => ({ at: e.at, actor: e.actor, action: e.action, ...(e.target === undefined ? {} : { target: e.target }) }));
  counts.auditEntries = audit.length;
  await sink.write('audit.json', json(audit));

  const manifest: Manifest = {
    format: EXPORT_FORMAT,
    version: EXPORT_FORMAT_VERSION,
    exportedAt: now.toISOString(),
    profile: { username: profile.username, displayName: profile.displayName },
    origin: { account: accountOf(vault) },
    counts,
    workspaces: workspaces.map((w) => ({ id: w.id, name: w.name, path: `workspaces/${w.id}` })),
    digests: sink.digests(),
  };
  // Signed as written, byte for byte, so that an import of it can tell it came from this account.
  const manifestBytes = utf8(json(manifest));
  await sink.write('manifest.json', manifestBytes);
  await sink.write('signature.json', json(signManifest(vault, manifestBytes)));
  await sink.finish();
  // After the export's own audit.json: a wipe finds the copy again by this (main/app/local-copies.ts).
  vault.audit.record('copy.written', resolve(out));
  options.onProgress?.({ phase: 'done', done: totalDocs, total: totalDocs });
  return manifest;
}
