/**
 * Importing a folder of Markdown notes (Obsidian and its kind) as their owners wrote them: GFM
 * tables and task lists, `[[wikilinks]]` and relative links between the notes as links between
 * the imported documents, front-matter `tags:` and inline `#tags` as tags, the title from the
 * front matter or the first heading (not repeated in the body), the files' own dates, and images
 * and attachments that notes refer to by relative path as files of the workspace.
 *
 * The folder is read as import-source.ts reads anything (nothing followed, limits), and the import
 * lands whole or not at all (import-staging.ts). The same folder imported again adds nothing:
 * ids derive from the workspace, each file's path and its bytes.
 */
import { basename, posix, resolve } from 'node:path';
import type { ImportResult } from '../../common/api/contract.ts';
import { singleLine } from '../../common/control-characters.ts';
import { hash, newId, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import { markdownToSpans } from '../../common/richtext/index.ts';
import { editToSpans } from '../../common/richtext/editToSpans.ts';
import { resolveNoteReferences, type NoteReferences } from '../../common/richtext/noteLinks.ts';
import { BlockType, documentLinkPrefix, fileImagePrefix, readBlockMarker, type Span } from '../../common/richtext/schema.ts';
import { newDocument, normaliseTags } from '../vault/documents.ts';
import type { Vault } from '../vault/vault.ts';
import { fileTimes, markdownFolder, type ImportLimits, type ImportSource } from './import-source.ts';
import { ImportStage } from './import-staging.ts';

export interface MarkdownImportOptions {
  onProgress?: (progress: { phase: 'documents' | 'files'; done: number; total: number }) => void;
}

interface Note {
  path: string;
  id: string;
  text: string;
}

const MARKDOWN_EXTENSION = /\.(md|markdown)$/i;

const mimeTypes: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
};

/** Imports the Markdown notes under `root` into a personal workspace named after the folder. */
export async function importMarkdownFolder(
  vault: Vault,
  root: string,
  source: ImportSource,
  options: MarkdownImportOptions,
  limits: ImportLimits,
  summary: ImportResult,
): Promise<ImportResult> {
  const folder = markdownFolder(root, limits);
  if (folder.markdown.length === 0) throw new HearthError('BAD_REQUEST', `${root} has no manifest.json and no Markdown files; nothing to import.`);
  const name =
    singleLine(`Imported: ${basename(resolve(root))}`)
      .slice(0, 100)
      .trim() || 'Imported';
  const stage = new ImportStage(vault);
  try {
    const existing = vault.workspaces.list().find((w) => w.name === name && w.kind === 'personal' && !vault.syncState.space(w.id));
    const workspaceId = existing?.id ?? newId();
    if (!existing) stage.createWorkspace({ id: workspaceId, name, kind: 'personal', createdAt: Date.now() });
    summary.workspaces = existing ? 0 : 1;

    const notes: Note[] = [];
    for (const path of folder.markdown) {
      const text = (await source.readBytes(path)).toString('utf8');
      // The same file imported again maps to the same document id, so it is not duplicated.
      notes.push({ path, text, id: toBase64Url(hash(utf8(`markdown-import|${workspaceId}|${path}|${text}`), 16)) });
    }
    const fileIds = new Map<string, string>();
    const fileId = (path: string): string => {
      let id = fileIds.get(path);
      if (!id) {
        id = toBase64Url(hash(utf8(`markdown-import-file|${workspaceId}|${path}|${source.size(path) ?? 0}`), 16));
        fileIds.set(path, id);
      }
      return id;
    };
    const find = pathFinder(folder.markdown, folder.attachments);

    for (const [index, note] of notes.entries()) {
      if (!vault.documents.has(note.id)) {
        const dir = posix.dirname(note.path);
        const references: NoteReferences = {
          note: (target) => {
            const path = find.note(dir, target);
            const linked = path === null ? undefined : notes.find((n) => n.path === path);
            return linked ? documentLinkPrefix + linked.id : null;
          },
          file: (target) => {
            const path = find.attachment(dir, target);
            return path === null ? null : fileImagePrefix + fileId(path);
          },
        };
        const parsed = readNote(note.text, posix.basename(note.path).replace(MARKDOWN_EXTENSION, ''));
        const { spans, tags } = resolveNoteReferences(parsed.spans, references);
        const times = noteTimes(parsed.frontMatter, fileTimes(root, note.path));
        const doc = newDocument(
          {
            title: singleLine(parsed.title).slice(0, 1000).trim() || 'Untitled',
            tags: normaliseTags([...parsed.tags, ...tags].map((tag) => singleLine(tag))).slice(0, 50),
            init: (d) => editToSpans(d, ['body'], spans),
          },
          times.createdAt,
        );
        stage.addDocument(workspaceId, note.id, doc, times);
        summary.documentsCreated++;
      }
      options.onProgress?.({ phase: 'documents', done: index + 1, total: notes.length });
    }

    for (const [path, id] of fileIds) {
      if (vault.files.has(id)) {
        summary.filesSkipped++;
        continue;
      }
      const extension = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
      const type = mimeTypes[extension];
      await stage.addFile(workspaceId, {
        id,
        name: singleLine(posix.basename(path)).slice(0, 255) || 'file',
        ...(type ? { type } : {}),
        createdAt: fileTimes(root, path).createdAt,
        source: source.stream(path),
      });
      summary.files++;
    }
    stage.commit(() => vault.audit.record('import', `${summary.documentsCreated} documents, ${summary.files} files`));
    return summary;
  } catch (error) {
    stage.discard();
    throw error;
  }
}

interface ReadNote {
  title: string;
  tags: string[];
  frontMatter: Record<string, unknown>;
  spans: Span[];
}

/**
 * Front matter, title and body of one note. The title is the front matter's `title`, else the
 * note's first heading when it opens the note (and is then left out of the body), else the file
 * name; a first heading that only repeats the title is left out too.
 */
export function readNote(text: string, fileName: string): ReadNote {
  const { fields, body } = splitFrontMatter(text);
  const spans = markdownToSpans(body);
  const heading = openingHeading(spans);
  const given = typeof fields['title'] === 'string' && fields['title'].trim() ? fields['title'].trim() : null;
  const title = given ?? heading?.text ?? fileName;
  const dropHeading = heading !== null && heading.text === title;
  return {
    title,
    tags: stringList(fields['tags']).map((tag) => tag.replace(/^#/, '')),
    frontMatter: fields,
    spans: dropHeading ? spans.slice(heading.next) : spans,
  };
}

/** The note's opening heading (level 1 or 2) and where the body after it starts; null if it opens otherwise. */
function openingHeading(spans: readonly Span[]): { text: string; next: number } | null {
  const first = spans[0];
  if (first?.type !== 'block') return null;
  const marker = readBlockMarker(first.value);
  if (marker.type !== BlockType.heading || marker.parents.length > 0 || Number(marker.attrs['level'] ?? 1) > 2) return null;
  let text = '';
  let next = 1;
  for (; next < spans.length && spans[next]!.type === 'text'; next++) text += (spans[next] as { value: string }).value;
  return text.trim() ? { text: text.trim(), next } : null;
}

/** YAML front matter: `key: value`, inline lists, JSON values and `- item` lists under a key. */
function splitFrontMatter(text: string): { fields: Record<string, unknown>; body: string } {
  const content = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const match = /^---\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(content);
  if (!match) return { fields: {}, body: content };
  const fields: Record<string, unknown> = {};
  let listKey: string | null = null;
  for (const line of match[1]!.split(/\r?\n/)) {
    const item = /^\s+-\s+(.*)$|^-\s+(.*)$/.exec(line);
    if (item && listKey) {
      (fields[listKey] as string[]).push(unquote(item[1] ?? item[2] ?? ''));
      continue;
    }
    const entry = /^([\w-]+):\s*(.*)$/.exec(line);
    if (!entry) continue;
    const [, key, raw = ''] = entry;
    listKey = null;
    if (raw.trim() === '') {
      fields[key!] = [];
      listKey = key!;
    } else {
      fields[key!] = yamlValue(raw.trim());
    }
  }
  return { fields, body: content.slice(match[0].length) };
}

function yamlValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    if (raw.startsWith('[') && raw.endsWith(']')) return raw.slice(1, -1).split(',').map(unquote).filter(Boolean);
    return unquote(raw);
  }
}

function unquote(value: string): string {
  return value.trim().replace(/^(['"])(.*)\1$/, '$2');
}

/** `tags: [a, b]`, a `- a` list, or `tags: a, b` / `tags: a b`. */
function stringList(value: unknown): string[] {
  if (Array.isArray(value))
    return value
      .filter((v): v is string => typeof v === 'string')
      .map((v) => v.trim())
      .filter(Boolean);
  if (typeof value === 'string') return value.split(/[,\s]+/).filter(Boolean);
  return [];
}

/** The dates a note keeps: front-matter `created`/`date` and `updated`/`modified`, else the file's own. */
function noteTimes(fields: Record<string, unknown>, file: { createdAt: number; updatedAt: number }): { createdAt: number; updatedAt: number } {
  const date = (...keys: string[]): number | null => {
    for (const key of keys) {
      const value = fields[key];
      const time = typeof value === 'string' || typeof value === 'number' ? new Date(value).getTime() : NaN;
      if (Number.isFinite(time) && time > 0) return time;
    }
    return null;
  };
  const updatedAt = date('updated', 'modified') ?? file.updatedAt;
  const createdAt = Math.min(date('created', 'date') ?? file.createdAt, updatedAt);
  return { createdAt, updatedAt };
}

/**
 * Resolves what a note refers to, as Obsidian does: a path relative to the note, then relative to
 * the folder, then (for a bare name) the first file of that name anywhere in the folder. Nothing
 * outside the folder is ever named.
 */
function pathFinder(markdown: readonly string[], attachments: readonly string[]) {
  const notes = new Set(markdown);
  const files = new Set(attachments);
  const byName = (paths: Iterable<string>, strip: RegExp) => {
    const index = new Map<string, string>();
    for (const path of paths) {
      const key = posix.basename(path).replace(strip, '').toLowerCase();
      if (!index.has(key)) index.set(key, path);
    }
    return index;
  };
  const noteNames = byName(markdown, MARKDOWN_EXTENSION);
  const fileNames = byName(attachments, /$^/);
  const candidates = (dir: string, target: string): string[] => {
    const clean = target.replace(/\\/g, '/').trim();
    if (clean === '' || clean.startsWith('/')) return [];
    return [posix.normalize(posix.join(dir, clean)), posix.normalize(clean)].filter((path) => !path.startsWith('..'));
  };
  return {
    note(dir: string, target: string): string | null {
      for (const path of candidates(dir, target)) {
        if (notes.has(path)) return path;
        for (const extension of ['.md', '.markdown']) if (notes.has(path + extension)) return path + extension;
      }
      return noteNames.get(posix.basename(target.trim()).replace(MARKDOWN_EXTENSION, '').toLowerCase()) ?? null;
    },
    attachment(dir: string, target: string): string | null {
      for (const path of candidates(dir, target)) if (files.has(path)) return path;
      return fileNames.get(posix.basename(target.trim()).toLowerCase()) ?? null;
    },
  };
}
