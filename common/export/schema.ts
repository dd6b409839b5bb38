/**
 * The open export format (DESIGN.md, "Export format"). These zod schemas are the source of the
 * JSON Schema files in `common/export/json-schema/`, which are committed for other tools; a test
 * checks they are in step, and every exported JSON file is validated against them.
 *
 * An import reads these files from anyone, so the schemas are its first line of defence: every id
 * is in the vault's id alphabet (it becomes a folder name and a database key) and every string
 * has a bounded length. Control characters in names are cleaned by the import, not refused here,
 * so that an export stays importable whatever its titles hold.
 */
import { z } from 'zod';
import { AccountIdSchema, IdSchema, SignatureSchema } from '../membership/log.ts';

export const EXPORT_FORMAT = 'hearth-export';
/**
 * 2: the manifest names the exporting account and the SHA-256 of every file, and signature.json
 * signs it. 3: document bodies may hold tables, task items, rules and images of attached files
 * (the block vocabulary of `BlockSchema`); exports of versions 1 and 2 import as before.
 */
export const EXPORT_FORMAT_VERSION = 3;
/** What signature.json signs: these bytes, then manifest.json exactly as written. */
export const MANIFEST_SIGNATURE_CONTEXT = 'hearth-export-manifest-v2\n';

const Id = IdSchema;
const Millis = z.number().int().nonnegative();
/** A name or title (workspace, file, document, person); long enough for any that Hearth makes. */
const Name = z.string().max(10_000);
/** A path inside the export, relative to the folder that names it. */
const Path = z.string().min(1).max(1000);

export const ManifestSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: z
    .union([z.literal(1), z.literal(2), z.literal(EXPORT_FORMAT_VERSION)])
    .describe('1: before origin and digests (imported as from another account); 2: before tables, task items, rules and images in bodies'),
  exportedAt: z.string().max(100).describe('ISO 8601 time of the export'),
  profile: z.strictObject({ username: Name, displayName: Name }),
  origin: z
    .strictObject({ account: AccountIdSchema.describe("the exporting account's Ed25519 public key, base64url") })
    .optional()
    .describe('who made the export; signature.json holds their signature over this file'),
  digests: z
    .record(Path, z.string().regex(/^[0-9a-f]{64}$/))
    .optional()
    .describe('the SHA-256 (hex) of every other file of the export, by path; an import refuses a file that does not match'),
  counts: z.strictObject({
    workspaces: z.number().int().nonnegative(),
    documents: z.number().int().nonnegative(),
    comments: z.number().int().nonnegative(),
    files: z.number().int().nonnegative(),
    auditEntries: z.number().int().nonnegative(),
  }),
  workspaces: z.array(z.strictObject({ id: Id, name: Name, path: Path.describe('folder of this workspace, relative to the manifest') })),
});

/**
 * The exporting account's Ed25519 signature over MANIFEST_SIGNATURE_CONTEXT followed by the bytes
 * of manifest.json. An import keeps ids (and merges into documents already there) only when this
 * verifies with the importing vault's own key: the export came from this account.
 */
export const SignatureFileSchema = z.strictObject({
  algorithm: z.literal('ed25519'),
  signature: SignatureSchema.describe('base64url, 64 bytes'),
});

export const WorkspaceFileSchema = z.strictObject({
  id: Id,
  name: Name,
  kind: z.enum(['personal', 'team']),
  createdAt: Millis,
  relay: z
    .string()
    .regex(/^wss?:\/\/[^\s]{1,1000}$/)
    .optional(),
  documents: z.array(z.strictObject({ id: Id, title: Name, markdown: Path, json: Path, automerge: Path })),
});

export const MembersFileSchema = z.array(
  z.strictObject({ username: Name, displayName: Name, role: z.enum(['owner', 'admin', 'editor', 'commenter', 'viewer']) }),
);

/**
 * The attributes a block of the vocabulary below carries. Others (from a newer version or another
 * editor) are kept as they are.
 */
const BlockAttrsSchema = z
  .object({
    level: z.number().int().min(1).max(6).optional().describe('heading: its level'),
    language: z.string().max(1000).optional().describe('code-block: the language of the code'),
    checked: z.boolean().optional().describe('ordered-list-item, unordered-list-item: a task item, and whether it is done'),
    align: z.enum(['left', 'center', 'right']).optional().describe("table-cell: its column's alignment"),
    src: z.string().max(100_000).optional().describe('image: hearth-file:<file id> for a file of the workspace (files/files.json), or a URL'),
    alt: z.string().max(100_000).optional().describe('image: its description'),
    title: z.string().max(100_000).optional().describe('image: its title'),
  })
  .catchall(z.unknown());

const BlockSchema = z.object({
  type: z
    .string()
    .max(100)
    .describe(
      'paragraph, heading, code-block, blockquote, ordered-list-item, unordered-list-item, table-row (opens a row, and a table if none is open), ' +
        "table-cell (parents end with 'table-row'), and the embeds image and horizontal-rule (isEmbed true); other names are kept as they are",
    ),
  parents: z.array(z.string()).describe('the container blocks this block sits in, outermost first'),
  attrs: BlockAttrsSchema,
  isEmbed: z.boolean().describe('true for an embed (image, horizontal-rule): it sits in the text of its block rather than starting one'),
});

const SpanSchema = z.union([
  z.strictObject({ type: z.literal('text'), value: z.string(), marks: z.record(z.string(), z.unknown()).optional() }),
  z.strictObject({ type: z.literal('block'), value: BlockSchema }),
]);

export const CommentExportSchema = z.strictObject({
  id: Id,
  threadId: Id,
  author: Name,
  text: z.string().max(1_000_000),
  resolved: z.boolean(),
  createdAt: Millis,
  updatedAt: Millis,
  anchor: z.strictObject({ start: z.string().max(1000), end: z.string().max(1000), quote: z.string().max(1_000_000) }).optional(),
});

export const DocumentFileSchema = z.strictObject({
  id: Id,
  title: Name,
  tags: z.array(Name),
  createdAt: Millis,
  updatedAt: Millis,
  spans: z.array(SpanSchema).describe('the rich text body as Automerge spans: text with marks, and block markers'),
  comments: z.array(CommentExportSchema),
});

export const FilesFileSchema = z.array(
  z.strictObject({ id: Id, name: Name, type: z.string().max(255), size: z.number().int().nonnegative(), createdAt: Millis, path: Path }),
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
    state: z
      .enum(['active', 'expired', 'revoked', 'pending-revocation'])
      .describe('pending-revocation: its document was deleted and the relay has not confirmed the revocation yet'),
  }),
);

export const AuditFileSchema = z.array(z.strictObject({ at: Millis, actor: Name, action: z.string().max(100), target: Name.optional() }));

/** Each JSON file of an export, its schema, and the name of its committed JSON Schema. */
export const exportSchemas = {
  manifest: ManifestSchema,
  signature: SignatureFileSchema,
  workspace: WorkspaceFileSchema,
  members: MembersFileSchema,
  document: DocumentFileSchema,
  files: FilesFileSchema,
  links: LinksFileSchema,
  audit: AuditFileSchema,
} as const;

export type ExportFileKind = keyof typeof exportSchemas;
export type Manifest = z.infer<typeof ManifestSchema>;
export type SignatureFile = z.infer<typeof SignatureFileSchema>;
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
