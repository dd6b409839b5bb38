/**
 * Import as a boundary of trust (issue 16, items 3 and 9): an export keeps its ids, and merges
 * into documents already here, only when it is this account's own (signed with this vault's
 * identity key, every file matching the manifest's digests). Another account's export, an older
 * unsigned one or a re-signed one arrives as new documents under new ids, with its comments,
 * threads, anchors and files remapped consistently, once; it never changes a document that is
 * already here. Your own export in a new vault takes the place of the new vault's empty
 * "Personal" instead of sitting beside it.
 */
import * as A from '@automerge/automerge';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signDetached } from '../../common/crypto/identity.ts';
import { toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { isHearthError } from '../../common/errors.ts';
import { MANIFEST_SIGNATURE_CONTEXT } from '../../common/export/schema.ts';
import { bodyAsMarkdown, setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { createBackup, restoreBackup } from '../../main/portability/backup.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import type { Vault } from '../../main/vault/vault.ts';
import { emptyVaultOfSameAccount, vaultContent } from '../support/export.ts';
import { createTestVault, tempDir } from '../support/vault.ts';

async function aliceVault(): Promise<{ vault: Vault; plan: string; run: string }> {
  const vault = await createTestVault({ profile: { username: 'alice', displayName: 'Alice' } });
  const personal = vault.workspaces.list()[0]!;
  const lab = vault.workspaces.create({ name: 'Lab notes' });
  const plan = vault.documents.create(personal.id, { title: 'Plan', tags: ['home'], init: (d) => setBodyFromMarkdown(d, 'Buy **milk** and bread.\n') }).id;
  const thread = vault.comments.add(plan, { text: 'Which milk?', anchor: { from: 4, to: 8 } });
  vault.comments.add(plan, { text: 'Oat.', replyTo: thread.id });
  const run = vault.documents.create(lab.id, { title: 'Run 42', init: (d) => setBodyFromMarkdown(d, '1. mix\n2. heat\n') }).id;
  await vault.files.add(lab.id, { name: 'data.csv', source: [Buffer.from('t,v\n1,2\n')] });
  return { vault, plan, run };
}

async function exported(vault: Vault): Promise<string> {
  const dir = join(tempDir(), 'export');
  await exportVault(vault, dir);
  return dir;
}

/** The same content with every id left out: what must survive an import under new ids. */
function withoutIds(content: Awaited<ReturnType<typeof vaultContent>>) {
  return content.map(({ name, kind, documents, files }) => ({
    name,
    kind,
    documents: documents.map(({ id: _id, ...rest }) => rest),
    files: files.map(({ id: _id, ...rest }) => rest),
  }));
}

const idsOf = (content: Awaited<ReturnType<typeof vaultContent>>) =>
  content.flatMap((w) => [w.id, ...w.documents.map((d) => d.id), ...w.files.map((f) => f.id)]);

describe("another account's export", () => {
  it('arrives under new ids with its comments, threads, anchors and files intact, once; a later edit arrives as a copy', async () => {
    const { vault: alice, plan } = await aliceVault();
    const bob = await createTestVault({ profile: { username: 'bob', displayName: 'Bob' } });
    const dir = await exported(alice);

    const summary = await importPath(bob, dir);
    expect(summary).toMatchObject({
      kind: 'hearth-export',
      fromThisAccount: false,
      workspaces: 2,
      documentsCreated: 2,
      documentsMerged: 0,
      comments: 2,
      files: 1,
      auditEntries: 0,
    });
    const theirs = await vaultContent(alice);
    const mine = await vaultContent(bob);
    expect(withoutIds(mine)).toEqual(withoutIds(theirs));
    expect(idsOf(mine).filter((id) => idsOf(theirs).includes(id))).toEqual([]);
    // The history came along: the same Automerge heads under the new id.
    const copy = mine.flatMap((w) => w.documents).find((d) => d.title === 'Plan')!;
    expect(A.getHeads(bob.documents.get(copy.id))).toEqual(A.getHeads(alice.documents.get(plan)));
    // Alice's audit log is hers: none of it joins Bob's.
    expect(bob.audit.list().filter((e) => e.actor === 'alice')).toEqual([]);

    // Again: nothing new.
    expect(await importPath(bob, dir)).toMatchObject({ workspaces: 0, documentsCreated: 0, documentsMerged: 2, comments: 0, files: 0, filesSkipped: 1 });
    expect(await vaultContent(bob)).toEqual(mine);

    // Alice edits the plan and exports again: Bob's copy stays as it was, the edit arrives as a new document.
    const copyHeads = A.getHeads(bob.documents.get(copy.id));
    alice.documents.change(plan, (d) => A.updateText(d, ['title'], 'Plan v2'));
    const later = await exported(alice);
    expect(await importPath(bob, later)).toMatchObject({ documentsCreated: 1, documentsMerged: 1 });
    expect(bob.documents.summary(copy.id).title).toBe('Plan');
    expect(A.getHeads(bob.documents.get(copy.id))).toEqual(copyHeads);
    const titles = bob.workspaces
      .list()
      .flatMap((w) => bob.documents.list(w.id))
      .map((d) => d.title);
    expect(titles.sort()).toEqual(['Plan', 'Plan v2', 'Run 42']);
    expect(await importPath(bob, later)).toMatchObject({ documentsCreated: 0 });
    alice.lock();
    bob.lock();
  });

  it('never merges into a document already here, even one whose id it reuses', async () => {
    const victim = await createTestVault({ profile: { username: 'victim', displayName: 'Victim' } });
    const personal = victim.workspaces.list()[0]!;
    const mine = victim.documents.create(personal.id, { title: 'Diary', init: (d) => setBodyFromMarkdown(d, 'Dear diary.\n') }).id;
    const before = A.getHeads(victim.documents.get(mine));

    // Mallory's export names the victim's workspace and document ids, with her own content.
    const mallory = await createTestVault({ profile: { username: 'mallory', displayName: 'Mallory' } });
    const theirs = mallory.documents.create(mallory.workspaces.list()[0]!.id, { title: 'Diary', init: (d) => setBodyFromMarkdown(d, 'Mallory was here.\n') });
    const dir = await exported(mallory);
    const swap = (path: string) => writeFileSync(path, readFileSync(path, 'utf8').replaceAll(theirs.id, mine).replaceAll(theirs.workspaceId, personal.id));
    const manifestPath = join(dir, 'manifest.json');
    swap(manifestPath);
    const workspaceDir = join(dir, 'workspaces', personal.id);
    rmSync(workspaceDir, { recursive: true, force: true });
    renameSync(join(dir, 'workspaces', theirs.workspaceId), workspaceDir);
    for (const ext of ['json', 'md', 'automerge'])
      renameSync(join(workspaceDir, 'documents', `${theirs.id}.${ext}`), join(workspaceDir, 'documents', `${mine}.${ext}`));
    for (const file of ['workspace.json', `documents/${mine}.json`]) swap(join(workspaceDir, file));
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    delete manifest.digests;
    writeFileSync(manifestPath, JSON.stringify(manifest));

    expect(await importPath(victim, dir)).toMatchObject({ fromThisAccount: false, documentsCreated: 1, documentsMerged: 0 });
    expect(A.getHeads(victim.documents.get(mine))).toEqual(before);
    expect(bodyAsMarkdown(victim.documents.get(mine))).toBe('Dear diary.\n');
    expect(victim.documents.list(personal.id).map((d) => d.id)).toEqual([mine]);
    victim.lock();
    mallory.lock();
  });
});

describe("this account's own export", () => {
  it('keeps ids: a deleted document comes back under its id, and history made elsewhere merges in', async () => {
    const { vault: alice, plan, run } = await aliceVault();
    const dir = await exported(alice);
    alice.documents.delete(run);
    expect(await importPath(alice, dir)).toMatchObject({
      fromThisAccount: true,
      workspaces: 0,
      documentsCreated: 1,
      documentsMerged: 1,
      comments: 0,
      files: 0,
      filesSkipped: 1,
    });
    expect(alice.documents.summary(run).title).toBe('Run 42');

    // The same account on another device (a restored backup) edits the plan; its export merges here.
    const device = await emptyVaultOfSameAccount(alice);
    expect(await importPath(device, dir)).toMatchObject({ fromThisAccount: true, documentsCreated: 2 });
    device.documents.change(plan, (d) => A.updateText(d, ['title'], 'Plan for today'));
    alice.documents.change(plan, (d) => d.tags.push('urgent'));
    expect(await importPath(alice, await exported(device))).toMatchObject({ fromThisAccount: true, documentsCreated: 0, documentsMerged: 2 });
    expect(alice.documents.summary(plan)).toMatchObject({ title: 'Plan for today', tags: ['home', 'urgent'] });
    alice.lock();
    device.lock();
  });

  it("is recognised by a vault restored from this account's backup", async () => {
    const { vault: alice, run } = await aliceVault();
    const dir = await exported(alice);
    const backup = join(tempDir(), 'alice.backup');
    await createBackup(alice, backup, 'the backup passphrase');
    const restored = await restoreBackup(backup, 'the backup passphrase', join(tempDir(), 'restored'), 'a new vault passphrase');
    restored.documents.delete(run);
    expect(await importPath(restored, dir)).toMatchObject({ fromThisAccount: true, documentsCreated: 1 });
    expect(restored.documents.summary(run).title).toBe('Run 42');
    alice.lock();
    restored.lock();
  });

  it("counts as another account's when it is unsigned (an older export), signed by someone else, or its manifest was changed", async () => {
    const { vault: alice } = await aliceVault();
    const mallory = await createTestVault({ profile: { username: 'mallory', displayName: 'Mallory' } });
    const older = await exported(alice);
    const manifest = JSON.parse(readFileSync(join(older, 'manifest.json'), 'utf8'));
    delete manifest.origin;
    delete manifest.digests;
    writeFileSync(join(older, 'manifest.json'), JSON.stringify({ ...manifest, version: 1 }));
    rmSync(join(older, 'signature.json'));
    expect(await importPath(alice, older)).toMatchObject({ fromThisAccount: false, documentsCreated: 2, documentsMerged: 0 });

    const resigned = await exported(alice);
    const bytes = readFileSync(join(resigned, 'manifest.json'));
    const keys = mallory.identityKeys();
    const signature = toBase64Url(signDetached(new Uint8Array([...utf8(MANIFEST_SIGNATURE_CONTEXT), ...bytes]), keys.signSecretKey));
    writeFileSync(join(resigned, 'signature.json'), JSON.stringify({ algorithm: 'ed25519', signature }));
    expect(await importPath(alice, resigned)).toMatchObject({ fromThisAccount: false });

    const edited = await exported(alice);
    const text = readFileSync(join(edited, 'manifest.json'), 'utf8');
    writeFileSync(join(edited, 'manifest.json'), text.replace(/"exportedAt": "[^"]+"/, '"exportedAt": "2020-01-01T00:00:00.000Z"'));
    expect(await importPath(alice, edited)).toMatchObject({ fromThisAccount: false });
    alice.lock();
    mallory.lock();
  });

  it('is refused whole when one of its files was changed after it was made', async () => {
    const { vault: alice, plan } = await aliceVault();
    const dir = await exported(alice);
    const other = await createTestVault({ profile: { username: 'other', displayName: 'Other' } });
    const changed = other.documents.create(other.workspaces.list()[0]!.id, { title: 'Plan', init: (d) => setBodyFromMarkdown(d, 'Something else.\n') });
    const personal = alice.documents.workspaceOf(plan);
    writeFileSync(join(dir, 'workspaces', personal, 'documents', `${plan}.automerge`), other.documents.save(changed.id));
    alice.documents.delete(plan);
    const before = await vaultContent(alice);
    const error = await importPath(alice, dir).catch((e: unknown) => e);
    expect(isHearthError(error, 'BAD_REQUEST')).toBe(true);
    expect((error as Error).message).toMatch(/changed after the export was made/);
    expect(await vaultContent(alice)).toEqual(before);
    alice.lock();
    other.lock();
  });
});

describe('your own export in a new vault (issue 16, item 9)', () => {
  it('takes the place of the new vault\'s untouched, empty "Personal" rather than sitting beside it; a used one stays', async () => {
    const { vault: old } = await aliceVault();
    const dir = await exported(old);
    const fresh = await createTestVault({ profile: { username: 'alice', displayName: 'Alice' } });
    await importPath(fresh, dir);
    expect(
      fresh.workspaces
        .list()
        .map((w) => w.name)
        .sort(),
    ).toEqual(['Lab notes', 'Personal']);
    const personal = fresh.workspaces.list().find((w) => w.name === 'Personal')!;
    expect(fresh.documents.list(personal.id).map((d) => d.title)).toEqual(['Plan']);

    const used = await createTestVault({ profile: { username: 'alice', displayName: 'Alice' } });
    used.documents.create(used.workspaces.list()[0]!.id, { title: 'Written here first' });
    await importPath(used, dir);
    expect(
      used.workspaces
        .list()
        .map((w) => w.name)
        .sort(),
    ).toEqual(['Lab notes', 'Personal', 'Personal']);
    old.lock();
    fresh.lock();
    used.lock();
  });
});
