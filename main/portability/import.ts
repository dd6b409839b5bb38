/**
 * Import: a Hearth export (folder or .zip) or a plain folder of Markdown files, read as input
 * from anyone (import-source.ts: nothing followed, bounded memory, limits) and landing whole or
 * not at all (import-staging.ts).
 *
 * What an export may change depends on where it came from (export-origin.ts):
 * - this account's own export (its signature verifies with this vault's key) keeps its ids:
 *   documents already here merge its history, comments, files and audit entries already here
 *   are skipped, so importing it twice adds nothing;
 * - any other export (another account's, an older unsigned one, an edited one) becomes new
 *   documents under new ids, derived from this vault and the export's ids so that importing it
 *   again finds them: what is already here is left as it is, and a document that changed since
 *   arrives as a new copy. Its audit log is not taken in: it is another account's record.
 * Whatever the origin, an import never writes into a team workspace or into a document shared
 * from here (those change only through their members, signed), and ids and names are checked
 * at the boundary: ids by the schemas, names cleaned of control characters.
 */
import * as A from '@automerge/automerge';
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import type { z } from 'zod';
import type { ImportResult } from '../../common/api/contract.ts';
import { controlCharacters, singleLine, withoutControlCharacters } from '../../common/control-characters.ts';
import { hash, newId, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import {
  AuditFileSchema,
  DocumentFileSchema,
  FilesFileSchema,
  LinksFileSchema,
  ManifestSchema,
  MembersFileSchema,
  SignatureFileSchema,
  WorkspaceFileSchema,
  type Manifest,
} from '../../common/export/schema.ts';
import type { DocumentContent, HearthDoc } from '../vault/documents.ts';
import type { Vault } from '../vault/vault.ts';
import { isFromThisAccount } from './export-origin.ts';
import { folderSource, IMPORT_LIMITS, zipSource, type ImportLimits, type ImportSource } from './import-source.ts';
import { importMarkdownFolder } from './import-markdown.ts';
import { ImportStage } from './import-staging.ts';

export interface ImportProgress {
  phase: 'documents' | 'files' | 'done';
  done: number;
  total: number;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  /** IMPORT_LIMITS unless given (tests use smaller ones). */
  limits?: ImportLimits;
}

function parseJson<S extends z.ZodType>(bytes: Buffer, path: string, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new HearthError('BAD_REQUEST', `${path} in the import is not JSON. Nothing was imported.`, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (at ${issue.path.join('.')})` : '';
    throw new HearthError(
      'BAD_REQUEST',
      `${path} in the import does not match the export format${where}: ${issue?.message ?? 'invalid'}. Nothing was imported.`,
    );
  }
  return parsed.data;
}

async function readJson<S extends z.ZodType>(source: ImportSource, path: string, schema: S): Promise<z.infer<S>> {
  if (!source.exists(path)) throw new HearthError('BAD_REQUEST', `${path} is missing from the import. Nothing was imported.`);
  return parseJson(await source.readBytes(path), path, schema);
}

function emptySummary(kind: ImportResult['kind'], fromThisAccount: boolean): ImportResult {
  return {
    kind,
    fromThisAccount,
    workspaces: 0,
    documentsCreated: 0,
    documentsMerged: 0,
    documentsSkipped: 0,
    comments: 0,
    files: 0,
    filesSkipped: 0,
    auditEntries: 0,
  };
}

/** An error that is not Hearth's own (the file system's) becomes a clear one: the path could not be read. */
function asImportError(error: unknown, path: string): unknown {
  if (error instanceof HearthError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new HearthError(
      'BAD_REQUEST',
      `Hearth could not read ${path} (${code}). Nothing was imported; choose a Hearth export or a folder of Markdown files you can read.`,
      { cause: error },
    );
  }
  return error;
}

/** Imports a Hearth export (folder or .zip), or a plain folder of Markdown files. */
export async function importPath(vault: Vault, path: string, options: ImportOptions = {}): Promise<ImportResult> {
  const limits = options.limits ?? IMPORT_LIMITS;
  let source: ImportSource | undefined;
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) throw new HearthError('NOT_FOUND', `Nothing at ${path}. Import a Hearth export (a folder or .zip) or a folder of Markdown files.`);
    const isFolder = stats.isDirectory();
    if (!isFolder && !path.toLowerCase().endsWith('.zip')) throw new HearthError('BAD_REQUEST', `${path} is neither a folder nor a .zip file.`);
    source = isFolder ? folderSource(path, limits) : await zipSource(path, limits);
    if (source.exists('manifest.json')) return await importExport(vault, source, options);
    if (isFolder) return await importMarkdownFolder(vault, path, source, options, limits, emptySummary('markdown-folder', false));
    throw new HearthError('BAD_REQUEST', `${path} has no manifest.json: it is not a Hearth export.`);
  } catch (error) {
    throw asImportError(error, path);
  } finally {
    source?.close();
  }
}

/** The ids an import gives to what it brings: kept for this account's own export, derived otherwise. */
interface IdMap {
  workspace(id: string): string;
  document(id: string): string;
  /** A second place for a document whose first one holds a different history (another account's changed export). */
  documentCopy(id: string, heads: A.Heads): string;
  comment(documentId: string, id: string): string;
  /** `fingerprint` (size and digest): another account's file that differs is another file here. */
  file(id: string, fingerprint: string): string;
}

const keptIds: IdMap = {
  workspace: (id) => id,
  document: (id) => id,
  documentCopy: () => newId(),
  comment: (_documentId, id) => id,
  file: (id) => id,
};

/**
 * Ids for another account's export: a hash of this vault's id and the export's, so the same export
 * imported again maps to the same ids (and adds nothing), while no export can choose an id that
 * lands on something already here. Like newId(), never starting with "-" or "_".
 */
function derivedIds(vaultId: string): IdMap {
  const derive = (kind: string, original: string) => {
    for (let round = 0; ; round++) {
      const id = toBase64Url(hash(utf8(`hearth-import-id/1|${vaultId}|${kind}|${original}|${round}`), 16));
      if (/^[A-Za-z0-9]/.test(id)) return id;
    }
  };
  return {
    workspace: (id) => derive('workspace', id),
    document: (id) => derive('document', id),
    documentCopy: (id, heads) => derive('document-copy', `${id}@${[...heads].sort().join(',')}`),
    comment: (documentId, id) => derive('comment', `${documentId}/${id}`),
    file: (id, fingerprint) => derive('file', `${id}|${fingerprint}`),
  };
}

/** A name for the vault: one line without control characters, within `max` characters. */
function cleanName(name: string, max: number, fallback: string): string {
  return singleLine(name).slice(0, max).trim() || fallback;
}

/** Loads an Automerge document from an import and checks it has the shape of a Hearth document. */
function loadDocument(bytes: Uint8Array, id: string): HearthDoc {
  let doc: HearthDoc;
  try {
    doc = A.load<DocumentContent>(bytes);
  } catch (cause) {
    throw new HearthError('BAD_REQUEST', `The document ${id} in the import is not a readable Automerge document. Nothing was imported.`, { cause });
  }
  const content = doc as Partial<DocumentContent>;
  if (
    typeof content.title !== 'string' ||
    typeof content.body !== 'string' ||
    !Array.isArray(content.tags) ||
    content.tags.some((t) => typeof t !== 'string')
  ) {
    throw new HearthError('BAD_REQUEST', `The document ${id} in the import is not a Hearth document (title, body, tags). Nothing was imported.`);
  }
  return doc;
}

/** Another account's document, its title and tags cleaned of control characters (one more change in its history, when needed). */
function cleanedDocument(doc: HearthDoc): HearthDoc {
  const dirty = (text: string) => controlCharacters({ lineBreaks: true }).test(text);
  if (!dirty(doc.title) && !doc.tags.some(dirty)) return doc;
  return A.change(doc, (d) => {
    if (dirty(d.title)) A.updateText(d, ['title'], singleLine(d.title));
    const tags = d.tags.map((t) => singleLine(t)).filter((t) => t.length > 0);
    if (d.tags.some(dirty)) d.tags.splice(0, d.tags.length, ...tags);
  });
}

type WorkspaceFile = z.infer<typeof WorkspaceFileSchema>;
type FilesFile = z.infer<typeof FilesFileSchema>;

interface PlannedWorkspace {
  path: string;
  file: WorkspaceFile;
  files: FilesFile;
  /** Where its content goes; undefined: nowhere (a team workspace here, which an import never writes into). */
  target: string | undefined;
}

/** Imports a Hearth export; see the top of this file for what it may change. */
async function importExport(vault: Vault, source: ImportSource, options: ImportOptions): Promise<ImportResult> {
  const limits = options.limits ?? IMPORT_LIMITS;
  const manifestBytes = await source.readBytes('manifest.json');
  const manifest: Manifest = parseJson(manifestBytes, 'manifest.json', ManifestSchema);
  const signature = source.exists('signature.json') ? await readJson(source, 'signature.json', SignatureFileSchema) : undefined;
  const fromThisAccount = isFromThisAccount(vault, manifest, manifestBytes, signature);
  if (manifest.digests) source.expectDigests(manifest.digests);
  const ids = fromThisAccount ? keptIds : derivedIds(vault.vaultId);
  const summary = emptySummary('hearth-export', fromThisAccount);
  const stage = new ImportStage(vault);
  try {
    // Every listing first (small files), to check the whole export's shape and count its parts.
    const planned: PlannedWorkspace[] = [];
    const seen = { workspaces: new Set<string>(), documents: new Set<string>(), files: new Set<string>() };
    let listed = 0;
    let activeLinksLeft = 0;
    for (const entry of manifest.workspaces) {
      const file = await readJson(source, posix.join(entry.path, 'workspace.json'), WorkspaceFileSchema);
      if (file.id !== entry.id || seen.workspaces.has(file.id))
        throw new HearthError('BAD_REQUEST', `The workspace ${file.id} in the import is listed twice or under another id. Nothing was imported.`);
      seen.workspaces.add(file.id);
      const listing = posix.join(entry.path, 'files', 'files.json');
      const files = source.exists(listing) ? await readJson(source, listing, FilesFileSchema) : [];
      for (const [kind, listedIds] of [
        [seen.documents, file.documents.map((d) => d.id)],
        [seen.files, files.map((f) => f.id)],
      ] as const) {
        for (const id of listedIds) {
          if (kind.has(id)) throw new HearthError('BAD_REQUEST', `${id} appears twice in the import. Nothing was imported.`);
          kind.add(id);
        }
      }
      listed += file.documents.length + files.length;
      if (listed > limits.entries)
        throw new HearthError(
          'LIMIT_EXCEEDED',
          `The import lists more than ${limits.entries} documents and files; import one workspace's export at a time. Nothing was imported.`,
        );
      // Read for the user's information only: a public link stays with the account that published
      // it on its relay, which alone can revoke it, so no link is recreated.
      const linkList = posix.join(entry.path, 'links.json');
      if (source.exists(linkList)) activeLinksLeft += (await readJson(source, linkList, LinksFileSchema)).filter((l) => l.state === 'active').length;
      planned.push({ path: entry.path, file, files, target: await placeWorkspace(vault, source, stage, ids, entry.path, file) });
    }
    const audit = fromThisAccount && source.exists('audit.json') ? await readJson(source, 'audit.json', AuditFileSchema) : [];

    const totalDocs = planned.reduce((n, w) => n + w.file.documents.length, 0);
    const context: DocumentImport = {
      vault,
      source,
      stage,
      ids,
      fromThisAccount,
      summary,
      workspaceOf: new Map(vault.documents.allIds().map((d) => [d.id, d.workspaceId])),
    };
    let done = 0;
    for (const workspace of planned) {
      const { target } = workspace;
      for (const listed of workspace.file.documents) {
        if (target === undefined) summary.documentsSkipped++;
        else await importDocument(context, { ...workspace, target }, listed);
        options.onProgress?.({ phase: 'documents', done: ++done, total: totalDocs });
      }
    }

    const totalBytes = planned.reduce((n, w) => n + w.files.reduce((m, f) => m + f.size, 0), 0);
    let bytesDone = 0;
    for (const { path, files, target } of planned) {
      for (const file of files) {
        const filePath = posix.join(path, file.path);
        const id = ids.file(file.id, `${file.size}:${manifest.digests?.[filePath] ?? ''}`);
        if (target === undefined || vault.files.has(id)) {
          summary.filesSkipped++;
          continue;
        }
        if (source.size(filePath) !== file.size)
          throw new HearthError('BAD_REQUEST', `${filePath} is missing or not the size files.json gives. Nothing was imported.`);
        await stage.addFile(target, {
          id,
          name: cleanName(file.name, 255, 'file').replace(/[/\\]/g, '_'),
          ...(/^[\w.+-]{1,100}\/[\w.+-]{1,100}$/.test(file.type) ? { type: file.type } : {}),
          createdAt: file.createdAt,
          source: source.stream(filePath),
        });
        summary.files++;
        bytesDone += file.size;
        options.onProgress?.({ phase: 'files', done: bytesDone, total: totalBytes });
      }
    }

    summary.workspaces = stage.workspacesCreated;
    const linksNote =
      activeLinksLeft > 0 ? `; ${activeLinksLeft} active public link(s) listed, not carried over (only the vault that published them can revoke them)` : '';
    const originNote = fromThisAccount ? '' : ' from another account (new ids)';
    stage.commit(() => {
      summary.auditEntries = vault.audit.adopt(
        audit.map((e) => ({
          ...e,
          actor: singleLine(e.actor),
          action: singleLine(e.action),
          ...(e.target === undefined ? {} : { target: singleLine(e.target) }),
        })),
      );
      vault.audit.record('import', `${summary.documentsCreated} documents, ${summary.files} files${originNote}${linksNote}`);
    });
    options.onProgress?.({ phase: 'done', done: totalDocs, total: totalDocs });
    return summary;
  } catch (error) {
    stage.discard();
    throw error;
  }
}

/**
 * Where a workspace of the export goes: a workspace already here (its own, or the one an earlier
 * import of the same export made), or a new staged one. Undefined for a team workspace here: an
 * import never writes into one.
 */
async function placeWorkspace(
  vault: Vault,
  source: ImportSource,
  stage: ImportStage,
  ids: IdMap,
  path: string,
  file: WorkspaceFile,
): Promise<string | undefined> {
  const id = ids.workspace(file.id);
  const existing = vault.workspaces.list().find((w) => w.id === id) ?? vault.workspaces.shareSpaces().find((w) => w.id === id);
  if (existing) return existing.kind !== 'personal' || vault.syncState.space(id) ? undefined : id;
  if (vault.workspaces.stagedIds().includes(id)) throw new HearthError('CONFLICT', 'Another import into this vault is running; try again when it is done.');
  const roster = posix.join(path, 'members.json');
  const members = file.kind === 'team' && source.exists(roster) ? await readJson(source, roster, MembersFileSchema) : undefined;
  const name = cleanName(file.name, 100, 'Imported');
  stage.createWorkspace({
    id,
    name,
    kind: file.kind,
    createdAt: file.createdAt,
    ...(file.relay ? { relay: file.relay } : {}),
    ...(members
      ? { roster: members.map((m) => ({ username: cleanName(m.username, 64, '?'), displayName: cleanName(m.displayName, 64, '?'), role: m.role })) }
      : {}),
  });
  if (file.kind === 'personal') stage.claimNamesake(name);
  return id;
}

/** What importing one export's documents shares. */
interface DocumentImport {
  vault: Vault;
  source: ImportSource;
  stage: ImportStage;
  ids: IdMap;
  fromThisAccount: boolean;
  summary: ImportResult;
  /** The workspace of each document that was here before the import (read once: asking a document loads it whole). */
  workspaceOf: Map<string, string>;
}

/** The hash of a document's first change: documents that do not share it share no history. */
function firstChange(doc: A.Doc<unknown>): string {
  return A.getChangesMetaSince(doc, [])[0]?.hash ?? '';
}

/** Whether a document here is held with others (a team workspace's, or shared from here): an import leaves it alone. */
function heldWithOthers(context: DocumentImport, documentId: string): boolean {
  const { vault } = context;
  const workspaceId = context.workspaceOf.get(documentId) ?? vault.documents.workspaceOf(documentId);
  const workspace = vault.workspaces.list().find((w) => w.id === workspaceId);
  return (
    workspace?.kind !== 'personal' || vault.syncState.space(workspaceId) !== undefined || vault.workspaces.shareSpaces().some((s) => s.shareOf === documentId)
  );
}

async function importDocument(
  context: DocumentImport,
  workspace: PlannedWorkspace & { target: string },
  listed: WorkspaceFile['documents'][number],
): Promise<void> {
  const { vault, source, stage, ids, fromThisAccount, summary } = context;
  const file = await readJson(source, posix.join(workspace.path, listed.json), DocumentFileSchema);
  if (file.id !== listed.id)
    throw new HearthError('BAD_REQUEST', `${listed.json} in the import holds the document ${file.id}, not ${listed.id}. Nothing was imported.`);
  const bytes = await source.readBytes(posix.join(workspace.path, listed.automerge));
  const incoming = loadDocument(bytes, listed.id);
  const times = { createdAt: file.createdAt, updatedAt: file.updatedAt };
  const heads = A.getHeads(incoming);

  let id = ids.document(listed.id);
  if (!fromThisAccount && vault.documents.has(id) && !heldWithOthers(context, id) && !vault.documents.holdsHistory(id, heads)) {
    // Another account's document that changed since it was imported here: the change arrives as a copy.
    id = ids.documentCopy(listed.id, heads);
  } else if (vault.documents.has(id) && !heldWithOthers(context, id) && !vault.documents.holdsHistory(id, [firstChange(incoming)])) {
    // Another generation of it (exported without history, or here its history was erased since):
    // the two share no change, so merging them would mix two texts; it arrives as a copy.
    id = ids.documentCopy(listed.id, heads);
  }
  let stagedOn: string;
  if (!vault.documents.has(id)) {
    const doc = fromThisAccount ? incoming : cleanedDocument(incoming);
    stage.addDocument(workspace.target, id, doc, times, doc === incoming ? bytes : undefined);
    summary.documentsCreated++;
    stagedOn = id;
  } else if (heldWithOthers(context, id)) {
    summary.documentsSkipped++;
    return;
  } else {
    summary.documentsMerged++;
    const missing = file.comments.filter((c) => !vault.comments.has(ids.comment(id, c.id)));
    // This account's own history merges in; for another's, what is here already holds all of it.
    if (!fromThisAccount || (vault.documents.holdsHistory(id, heads) && missing.length === 0)) return;
    stagedOn = stage.addMerge(id, incoming, times);
  }
  for (const comment of file.comments) {
    const added = stage.addComment({
      id: ids.comment(id, comment.id),
      documentId: stagedOn,
      threadId: ids.comment(id, comment.threadId),
      author: cleanName(comment.author, 100, '?'),
      text: withoutControlCharacters(comment.text),
      resolved: comment.resolved,
      createdAt: comment.createdAt,
      updatedAt: comment.updatedAt,
      ...(comment.anchor ? { anchor: { start: comment.anchor.start, end: comment.anchor.end, quote: withoutControlCharacters(comment.anchor.quote) } } : {}),
    });
    if (added) summary.comments++;
  }
}
