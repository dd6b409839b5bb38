/**
 * Import: reads a Hearth export back into a vault, keeping ids and history, so importing the
 * same export twice adds nothing; or reads a plain folder of Markdown files as new documents.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, posix, resolve } from 'node:path';
import type { z } from 'zod';
import type { ImportResult } from '../../common/api/contract.ts';
import { hash, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import {
  AuditFileSchema,
  DocumentFileSchema,
  FilesFileSchema,
  LinksFileSchema,
  ManifestSchema,
  MembersFileSchema,
  WorkspaceFileSchema,
  type Manifest,
} from '../../common/export/schema.ts';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import type { ChangeOrigin } from '../vault/events.ts';
import type { Vault } from '../vault/vault.ts';
import { folderFiles, folderSource, zipSource, type ImportSource } from './archive.ts';

/** What an import writes is announced as coming from the import. */
const IMPORT: ChangeOrigin = { kind: 'import' };

export interface ImportProgress {
  phase: 'documents' | 'files' | 'done';
  done: number;
  total: number;
}

async function readJson<S extends z.ZodType>(source: ImportSource, path: string, schema: S): Promise<z.infer<S>> {
  let value: unknown;
  try {
    value = JSON.parse(await source.readText(path));
  } catch (cause) {
    if (cause instanceof HearthError) throw cause;
    throw new HearthError('BAD_REQUEST', `${path} in the import is missing or is not JSON.`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HearthError('BAD_REQUEST', `${path} in the import does not match the export format: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
  return parsed.data;
}

/** Imports a Hearth export (folder or .zip), or a plain folder of Markdown files. */
export async function importPath(vault: Vault, path: string, options: { onProgress?: (p: ImportProgress) => void } = {}): Promise<ImportResult> {
  if (!existsSync(path)) throw new HearthError('NOT_FOUND', `Nothing at ${path}. Import a Hearth export (a folder or .zip) or a folder of Markdown files.`);
  const isFolder = statSync(path).isDirectory();
  if (!isFolder && !path.toLowerCase().endsWith('.zip')) throw new HearthError('BAD_REQUEST', `${path} is neither a folder nor a .zip file.`);
  const source = isFolder ? folderSource(path) : await zipSource(path);
  try {
    let summary: ImportResult;
    let activeLinksLeft = 0;
    if (source.exists('manifest.json')) ({ summary, activeLinksLeft } = await importExport(vault, source, options));
    else if (isFolder) summary = await importMarkdownFolder(vault, path, source, options);
    else throw new HearthError('BAD_REQUEST', `${path} has no manifest.json: it is not a Hearth export.`);
    const linksNote = activeLinksLeft > 0 ? `; ${activeLinksLeft} active public link(s) listed, not carried over (only the vault that published them can revoke them)` : '';
    vault.audit.record('import', `${summary.documentsCreated} documents, ${summary.files} files${linksNote}`);
    return summary;
  } finally {
    source.close();
  }
}

/** Imports a Hearth export; also says how many active public links it listed (none is recreated). */
async function importExport(vault: Vault, source: ImportSource, options: { onProgress?: (p: ImportProgress) => void }): Promise<{ summary: ImportResult; activeLinksLeft: number }> {
  const manifest: Manifest = await readJson(source, 'manifest.json', ManifestSchema);
  const summary: ImportResult = { kind: 'hearth-export', workspaces: 0, documentsCreated: 0, documentsMerged: 0, comments: 0, files: 0, filesSkipped: 0, auditEntries: 0 };
  // Everything is read and validated before anything is written, so a bad export changes nothing.
  const workspaces: Array<{
    entry: Manifest['workspaces'][number];
    workspace: z.infer<typeof WorkspaceFileSchema>;
    documents: Array<{ file: z.infer<typeof DocumentFileSchema>; bytes: Buffer }>;
    files: z.infer<typeof FilesFileSchema>;
    members: z.infer<typeof MembersFileSchema> | undefined;
  }> = [];
  let linksLeft = 0;
  for (const entry of manifest.workspaces) {
    const workspace = await readJson(source, posix.join(entry.path, 'workspace.json'), WorkspaceFileSchema);
    const documents = [];
    for (const d of workspace.documents) {
      documents.push({ file: await readJson(source, posix.join(entry.path, d.json), DocumentFileSchema), bytes: await source.readBytes(posix.join(entry.path, d.automerge)) });
    }
    const listing = posix.join(entry.path, 'files', 'files.json');
    const files = source.exists(listing) ? await readJson(source, listing, FilesFileSchema) : [];
    const roster = posix.join(entry.path, 'members.json');
    const members = workspace.kind === 'team' && source.exists(roster) ? await readJson(source, roster, MembersFileSchema) : undefined;
    // Read for the user's information only (older exports have none): a public link stays with the
    // account that published it on its relay, which alone can revoke it, so no link is recreated.
    const linkList = posix.join(entry.path, 'links.json');
    if (source.exists(linkList)) linksLeft += (await readJson(source, linkList, LinksFileSchema)).filter((l) => l.state === 'active').length;
    workspaces.push({ entry, workspace, documents, files, members });
  }
  const audit = source.exists('audit.json') ? await readJson(source, 'audit.json', AuditFileSchema) : [];
  const totalDocs = workspaces.reduce((n, w) => n + w.documents.length, 0);
  const totalBytes = workspaces.reduce((n, w) => n + w.files.reduce((m, f) => m + f.size, 0), 0);

  let done = 0;
  vault.withOrigin(IMPORT, () => vault.transaction(() => {
    for (const { workspace, documents, members } of workspaces) {
      const adopted = vault.workspaces.adopt({
        id: workspace.id,
        name: workspace.name,
        kind: workspace.kind,
        createdAt: workspace.createdAt,
        ...(workspace.relay ? { relay: workspace.relay } : {}),
        ...(members ? { roster: members } : {}),
      });
      if (adopted) summary.workspaces++;
      for (const { file, bytes } of documents) {
        const outcome = vault.documents.adopt(workspace.id, file.id, bytes, { createdAt: file.createdAt, updatedAt: file.updatedAt });
        if (outcome === 'created') summary.documentsCreated++;
        else summary.documentsMerged++;
        for (const comment of file.comments) {
          const adopted = vault.comments.adopt({
            id: comment.id,
            documentId: file.id,
            threadId: comment.threadId,
            author: comment.author,
            text: comment.text,
            resolved: comment.resolved,
            createdAt: comment.createdAt,
            updatedAt: comment.updatedAt,
            ...(comment.anchor ? { anchor: { start: comment.anchor.start, end: comment.anchor.end, quote: comment.anchor.quote } } : {}),
          });
          if (adopted) summary.comments++;
        }
        options.onProgress?.({ phase: 'documents', done: ++done, total: totalDocs });
      }
    }
    summary.auditEntries = vault.audit.adopt(audit);
  }));

  let bytesDone = 0;
  for (const { entry, workspace, files } of workspaces) {
    for (const file of files) {
      if (vault.files.has(file.id)) {
        summary.filesSkipped++;
        continue;
      }
      const path = posix.join(entry.path, file.path);
      if (source.size(path) !== file.size) {
        throw new HearthError('BAD_REQUEST', `${path} is missing or not the size files.json gives; the files before it were imported.`);
      }
      await vault.files.add(workspace.id, {
        origin: IMPORT,
        id: file.id,
        name: file.name,
        type: file.type,
        createdAt: file.createdAt,
        source: (await source.stream(path)) as AsyncIterable<Uint8Array>,
      });
      summary.files++;
      bytesDone += file.size;
      options.onProgress?.({ phase: 'files', done: bytesDone, total: totalBytes });
    }
  }
  options.onProgress?.({ phase: 'done', done: totalDocs, total: totalDocs });
  return { summary, activeLinksLeft: linksLeft };
}

/** Splits off YAML front matter; only a `title` in it is used. */
function parseMarkdownFile(text: string, fallbackTitle: string): { title: string; tags: string[]; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!match) return { title: fallbackTitle, tags: [], body: text };
  let title = fallbackTitle;
  let tags: string[] = [];
  for (const line of match[1]!.split(/\r?\n/)) {
    const [, key, raw] = /^(\w+):\s*(.*)$/.exec(line) ?? [];
    if (!key || raw === undefined) continue;
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw.replace(/^['"]|['"]$/g, '');
    }
    if (key === 'title' && typeof value === 'string' && value.trim()) title = value.trim();
    if (key === 'tags' && Array.isArray(value)) tags = value.filter((t): t is string => typeof t === 'string');
  }
  return { title, tags, body: text.slice(match[0].length) };
}

async function importMarkdownFolder(vault: Vault, root: string, source: ImportSource, options: { onProgress?: (p: ImportProgress) => void }): Promise<ImportResult> {
  const files = folderFiles(root).filter((name) => /\.(md|markdown)$/i.test(name));
  if (files.length === 0) throw new HearthError('BAD_REQUEST', `${root} has no manifest.json and no Markdown files; nothing to import.`);
  const name = `Imported: ${basename(resolve(root))}`;
  const existing = vault.workspaces.list().find((w) => w.name === name);
  const workspace = existing ?? vault.workspaces.create({ name });
  const summary: ImportResult = { kind: 'markdown-folder', workspaces: existing ? 0 : 1, documentsCreated: 0, documentsMerged: 0, comments: 0, files: 0, filesSkipped: 0, auditEntries: 0 };
  // The same file imported again maps to the same document id, so it is not duplicated.
  const known = new Set(vault.documents.allIds().map((d) => d.id));
  const texts = new Map<string, string>();
  for (const rel of files) texts.set(rel, await source.readText(rel));
  vault.withOrigin(IMPORT, () => vault.transaction(() => {
    files.forEach((rel, index) => {
      const text = texts.get(rel)!;
      const id = toBase64Url(hash(utf8(`markdown-import|${workspace.id}|${rel}|${text}`), 16));
      if (!known.has(id)) {
        const { title, tags, body } = parseMarkdownFile(text, posix.basename(rel).replace(/\.(md|markdown)$/i, ''));
        vault.documents.createWithId(workspace.id, id, { title, tags, init: (d) => setBodyFromMarkdown(d, body) });
        summary.documentsCreated++;
      }
      options.onProgress?.({ phase: 'documents', done: index + 1, total: files.length });
    });
  }));
  return summary;
}
