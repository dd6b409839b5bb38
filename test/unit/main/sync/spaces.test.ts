// The space registry: a space's sealed state is read once and kept, every write goes to the vault
// too; the index changes queue for the relay; the share lookups answer which space carries a
// document (own share, received share, the team workspace) from one place.
import { describe, expect, it } from 'vitest';
import { SpaceRegistry } from '../../../../main/sync/spaces.ts';
import { INDEX_DOC, newIndex, saveIndex } from '../../../../main/sync/workspace-index.ts';
import type { SpaceState } from '../../../../main/vault/sync-state.ts';
import { createTestVault } from '../../../support/vault.ts';
import { FakeRelay } from './fake-relay.ts';
import { close, device, team } from './harness.ts';

const state = (extra: Partial<SpaceState> = {}): SpaceState => ({
  relay: 'wss://relay.test/',
  epochKeys: {},
  membership: [],
  index: saveIndex(newIndex('W')),
  paused: false,
  ...extra,
});

describe('SpaceRegistry', () => {
  it('decrypts a space state once and keeps every write in the vault as well', async () => {
    const vault = await createTestVault();
    const workspace = vault.workspaces.create({ name: 'Team', kind: 'team' });
    vault.syncState.putSpace(workspace.id, state());
    const spaces = new SpaceRegistry(vault);
    let reads = 0;
    const read = vault.syncState.space.bind(vault.syncState);
    vault.syncState.space = (id) => (reads++, read(id));
    expect(spaces.get(workspace.id).relay).toBe('wss://relay.test/');
    spaces.get(workspace.id);
    spaces.state(workspace.id);
    expect(reads).toBe(1);
    spaces.update(workspace.id, () => ({ paused: true }));
    expect(read(workspace.id)?.paused).toBe(true);
    expect(spaces.get(workspace.id).paused).toBe(true);
    vault.lock();
  });

  it('refuses a workspace that does not sync, saying only team workspaces do', async () => {
    const vault = await createTestVault();
    const personal = vault.workspaces.list()[0]!;
    const spaces = new SpaceRegistry(vault);
    expect(spaces.state(personal.id)).toBeUndefined();
    expect(() => spaces.get(personal.id)).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/only team workspaces sync/) }),
    );
    expect(() => spaces.spacesFor(personal.id)).toThrow(/personal workspace; it never leaves this device/);
    vault.lock();
  });

  it('queues an index change for the relay with the heads it leaves, and forgets a space with its record', async () => {
    const vault = await createTestVault();
    const workspace = vault.workspaces.create({ name: 'Team', kind: 'team' });
    vault.syncState.putSpace(workspace.id, state());
    const spaces = new SpaceRegistry(vault);
    const forgotten: string[] = [];
    spaces.forgotten.on((id) => forgotten.push(id));
    spaces.changeIndex(workspace.id, (d) => {
      d.docs['doc-1'] = { createdAt: 1 };
    });
    expect(vault.syncState.outbox(workspace.id).map((e) => e.documentId)).toEqual([INDEX_DOC]);
    expect(vault.syncState.document(workspace.id, INDEX_DOC)?.heads.length).toBe(1);
    expect(new SpaceRegistry(vault).indexedDocs(workspace.id)).toEqual(['doc-1']);
    // A change that changes nothing queues nothing.
    spaces.changeIndex(workspace.id, () => undefined);
    expect(vault.syncState.outboxCount(workspace.id)).toBe(1);
    spaces.forget(workspace.id);
    expect(forgotten).toEqual([workspace.id]);
    expect(vault.workspaces.list().map((w) => w.id)).not.toContain(workspace.id);
    expect(spaces.state(workspace.id)).toBeUndefined();
    vault.lock();
  });

  it('answers which spaces carry a document: its team workspace, the share it made, the share it received', async () => {
    const relay = new FakeRelay();
    const ann = await device(relay, 'ann');
    const bob = await device(relay, 'bob');
    const ws = await team(ann);
    const doc = ann.vault.documents.create(ws, { title: 'Plan' });
    const personal = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!;
    const own = ann.vault.documents.create(personal.id, { title: 'Mine' });
    expect(ann.sync.spaces.spacesOf(doc.id)).toEqual([ws]);
    expect(ann.sync.spaces.spacesOf(own.id)).toEqual([]);
    await ann.sync.sharing.share(own.id, bob.name, 'editor', { confirmed: true });
    const shareSpace = ann.sync.spaces.ownShareOf(own.id)!;
    expect(shareSpace).toBeDefined();
    expect(ann.sync.spaces.spacesOf(own.id)).toEqual([shareSpace]);
    expect(ann.sync.spaces.receivedShareOf(own.id)).toBeUndefined();
    expect(ann.sync.spaces.sharesHeldIn(personal.id).map((s) => s.space)).toEqual([shareSpace]);
    expect(ann.sync.spaces.name(shareSpace)).toBe('Shared document "Mine"');
    expect(ann.sync.spaces.syncedSpaceIds()).toEqual([ws, shareSpace]);

    await bob.sync.invitations.accept(shareSpace);
    expect(bob.sync.spaces.receivedShareOf(own.id)).toBe(shareSpace);
    expect(bob.sync.spaces.ownShareOf(own.id)).toBeUndefined();
    expect(bob.sync.spaces.docsOf(shareSpace)).toEqual([own.id]);
    await close(ann, bob);
  });
});
