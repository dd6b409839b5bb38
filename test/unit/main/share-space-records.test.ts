// The hidden records that hold a shared document's relay-space state: never listed, never found
// by name, found by id, sealed like any workspace (survive lock/unlock), deleted with their key;
// and the vault's deletion listeners the sync engine relies on.
import { describe, expect, it } from 'vitest';
import { Vault } from '../../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE } from '../../support/vault.ts';

describe('share-space records', () => {
  it('are hidden from listing and names, found by id, kept sealed across unlocks, and deleted with their key', async () => {
    const vault = await createTestVault();
    const dir = vault.dir;
    const visible = vault.workspaces.create({ name: 'Shared document' });
    const hidden = vault.workspaces.createShareSpace('hiddenSpaceId0000000001', 'ws://127.0.0.1:1/', 'doc-id');
    expect(vault.workspaces.list().map((w) => w.id)).toContain(visible.id);
    expect(vault.workspaces.list().map((w) => w.id)).not.toContain(hidden.id);
    // The same name as a visible workspace: the name finds only the visible one.
    expect(vault.workspaces.find('Shared document').workspace.id).toBe(visible.id);
    expect(vault.workspaces.get(hidden.id)).toMatchObject({ shareOf: 'doc-id', kind: 'share-space' });
    expect(vault.workspaces.shareSpaces().map((w) => w.id)).toEqual([hidden.id]);
    vault.syncState.putSpace(hidden.id, {
      relay: 'ws://127.0.0.1:1/',
      epochKeys: { 0: 'ab' },
      membership: [],
      index: '',
      paused: false,
      share: { document: 'doc-id', workspace: visible.id, received: true },
    });
    vault.lock();

    const again = await Vault.unlock(dir, PASSPHRASE);
    expect(again.workspaces.list().map((w) => w.id)).not.toContain(hidden.id);
    expect(again.syncState.space(hidden.id)?.share).toEqual({ document: 'doc-id', workspace: visible.id, received: true });
    again.deleteWorkspace(hidden.id);
    expect(again.workspaces.shareSpaces()).toEqual([]);
    expect(again.syncState.spaceIds()).not.toContain(hidden.id);
    again.lock();
  });

  it('tell listeners after a document or a file is deleted, and a throwing listener does not undo the deletion', async () => {
    const vault = await createTestVault();
    const workspace = vault.workspaces.create({ name: 'W' });
    const doc = vault.documents.create(workspace.id, { title: 'T' });
    const file = await vault.files.add(workspace.id, { name: 'f.txt', source: [Buffer.from('x')] });
    const heard: string[] = [];
    vault.documents.deleted.on(() => {
      throw new Error('listener trouble');
    });
    vault.documents.deleted.on(({ documentId, workspaceId }) => heard.push(`doc ${documentId} ${workspaceId}`));
    vault.files.deleted.on(({ fileId, workspaceId }) => heard.push(`file ${fileId} ${workspaceId}`));
    vault.documents.delete(doc.id);
    vault.files.delete(file.id);
    expect(heard).toEqual([`doc ${doc.id} ${workspace.id}`, `file ${file.id} ${workspace.id}`]);
    expect(vault.documents.allIds()).toEqual([]);
    expect(vault.files.has(file.id)).toBe(false);
    vault.lock();
  });
});
