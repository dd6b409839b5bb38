/**
 * The open export format (DESIGN.md, "Export format"). These zod schemas are the source of the
 * JSON Schema files in `common/export/json-schema/`, which are committed for other tools; a test
 * checks they are in step, and every exported JSON file is validated against them.
 */
import { z } from 'zod';

export const EXPORT_FORMAT = 'hearth-export';
export const EXPORT_FORMAT_VERSION = 1;

const Id = z.string().min(1).max(64);
const Millis = z.number().int().nonnegative();

export const ManifestSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_FORMAT_VERSION),
  exportedAt: z.string().describe('ISO 8601 time of the export'),
  profile: z.strictObject({ username: z.string(), displayName: z.string() }),
  counts: z.strictObject({
    workspaces: z.number().int().nonnegative(),
    documents: z.number().int().nonnegative(),
    comments: z.number().int().nonnegative(),
    files: z.number().int().nonnegative(),
    auditEntries: z.number().int().nonnegative(),
  }),
  workspaces: z.array(z.strictObject({ id: Id, name: z.string(), path: z.string().describe('folder of this workspace, relative to the manifest') })),
});

export const WorkspaceFileSchema = z.strictObject({
  id: Id,
  name: z.string(),
  kind: z.enum(['personal', 'team']),
  createdAt: Millis,
  relay: z.string().optional(),
  documents: z.array(z.strictObject({ id: Id, title: z.string(), markdown: z.string(), json: z.string(), automerge: z.string() })),
});

export const MembersFileSchema = z.array(
  z.strictObject({ username: z.string(), displayName: z.string(), role: z.enum(['owner', 'admin', 'editor', 'commenter', 'viewer']) }),
);

const SpanSchema = z.union([
  z.strictObject({ type: z.literal('text'), value: z.string(), marks: z.record(z.string(), z.unknown()).optional() }),
  z.strictObject({
    type: z.literal('block'),
    value: z.object({ type: z.string(), parents: z.array(z.string()), attrs: z.record(z.string(), z.unknown()), isEmbed: z.boolean() }),
  }),
]);

export const CommentExportSchema = z.strictObject({
  id: Id,
  threadId: Id,
  author: z.string(),
  text: z.string(),
  resolved: z.boolean(),
  createdAt: Millis,
  updatedAt: Millis,
  anchor: z.strictObject({ start: z.string(), end: z.string(), quote: z.string() }).optional(),
});

export const DocumentFileSchema = z.strictObject({
  id: Id,
  title: z.string(),
  tags: z.array(z.string()),
  createdAt: Millis,
  updatedAt: Millis,
  spans: z.array(SpanSchema).describe('the rich text body as Automerge spans: text with marks, and block markers'),
  comments: z.array(CommentExportSchema),
});

export const FilesFileSchema = z.array(
  z.strictObject({ id: Id, name: z.string(), type: z.string(), size: z.number().int().nonnegative(), createdAt: Millis, path: z.string() }),
);

/**
 * The public links this vault published for the workspace's documents, as the user's own record
 * of what is (or was) readable on a relay. Only an active link keeps its key: for the others the
 * key opens nothing any more. An import reads this file but recreates no link (see README.md).
 */
export const LinksFileSchema = z.array(
  z.strictObject({
    id: Id,
    documentId: Id,
    title: z.string().describe("the document's title when the link was published"),
    relay: z.string().describe('the relay (ws:// or wss://) hosting the copy'),
    url: z.string().describe("the viewer address; the decryption key follows '#' only while the link is active"),
    createdAt: Millis,
    expiresAt: Millis.nullable().describe('null: never expires'),
    state: z.enum(['active', 'expired', 'revoked', 'pending-revocation']).describe('pending-revocation: its document was deleted and the relay has not confirmed the revocation yet'),
  }),
);

export const AuditFileSchema = z.array(
  z.strictObject({ at: Millis, actor: z.string(), action: z.string(), target: z.string().optional() }),
);

/** Each JSON file of an export, its schema, and the name of its committed JSON Schema. */
export const exportSchemas = {
  manifest: ManifestSchema,
  workspace: WorkspaceFileSchema,
  members: MembersFileSchema,
  document: DocumentFileSchema,
  files: FilesFileSchema,
  links: LinksFileSchema,
  audit: AuditFileSchema,
} as const;

export type ExportFileKind = keyof typeof exportSchemas;
export type Manifest = z.infer<typeof ManifestSchema>;
export type WorkspaceFile = z.infer<typeof WorkspaceFileSchema>;
export type DocumentFile = z.infer<typeof DocumentFileSchema>;
export type FilesFile = z.infer<typeof FilesFileSchema>;
export type LinksFile = z.infer<typeof LinksFileSchema>;
export type AuditFile = z.infer<typeof AuditFileSchema>;
export type CommentExport = z.infer<typeof CommentExportSchema>;

/** The JSON Schema (draft 2020-12) of one kind of export file. */
export function jsonSchemaOf(kind: ExportFileKind): unknown {
  return { $id: `https://hearth.invalid/export/v${EXPORT_FORMAT_VERSION}/${kind}.schema.json`, ...z.toJSONSchema(exportSchemas[kind]) };
}
