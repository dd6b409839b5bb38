/** Comparing exports in tests, and vaults to import them into. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bodyAsMarkdown } from '../../common/richtext/index.ts';
import { Vault, VAULT_FILE_NAME } from '../../main/vault/vault.ts';
import { filesUnder, PASSPHRASE, tempDir } from './vault.ts';

/**
 * A second vault of the same account as `vault` (its identity keys), holding nothing: what a
 * restored backup is on a new device, before its content. Made the way a backup copies a vault
 * (Vault.copyWithoutKey), opened with PASSPHRASE, then emptied of every workspace.
 */
export async function emptyVaultOfSameAccount(vault: Vault): Promise<Vault> {
  const dir = join(tempDir(), 'same-account');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  vault.copyWithoutKey(join(dir, VAULT_FILE_NAME));
  Vault.installKeyMaterial(join(dir, VAULT_FILE_NAME), vault.keyMaterialFor(PASSPHRASE));
  const copy = await Vault.unlock(dir, PASSPHRASE);
  for (const workspace of copy.workspaces.list()) copy.deleteWorkspace(workspace.id);
  return copy;
}

/**
 * Every file of an export as text or bytes, by path, with the export time and audit log set aside
 * (and with them the audit log's digest and the signature, which covers the export time).
 */
export function snapshotOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of filesUnder(dir)) {
    const path = relative(dir, file);
    if (path === 'audit.json' || path === 'signature.json') continue;
    const bytes = readFileSync(file);
    if (path === 'manifest.json') {
      const manifest = JSON.parse(bytes.toString());
      delete manifest.exportedAt;
      delete manifest.counts.auditEntries;
      delete manifest.digests?.['audit.json'];
      out.set(path, JSON.stringify(manifest));
    } else out.set(path, bytes.toString('base64'));
  }
  return out;
}

/** What a person sees in a vault: workspaces, documents with bodies and comment threads, files with bytes. */
export async function vaultContent(vault: Vault) {
  const out = [];
  for (const w of vault.workspaces.list()) {
    const documents = vault.documents.list(w.id).map((d) => ({
      id: d.id,
      title: d.title,
      tags: d.tags,
      body: bodyAsMarkdown(vault.documents.get(d.id)),
      threads: vault.comments.list(d.id).map((t) => ({ anchor: t.anchor, resolved: t.resolved, comments: t.comments.map((c) => [c.author, c.text]) })),
    }));
    const files = [];
    for (const f of vault.files.list(w.id)) {
      const parts: Uint8Array[] = [];
      for await (const part of vault.files.read(f.id)) parts.push(part);
      files.push({ id: f.id, name: f.name, bytes: Buffer.concat(parts).toString('base64') });
    }
    out.push({ id: w.id, name: w.name, kind: w.kind, documents: documents.sort((a, b) => a.title.localeCompare(b.title)), files });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
