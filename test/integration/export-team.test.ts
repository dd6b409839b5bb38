/**
 * S7 for a team workspace: its export lists the members with their roles as this device verified
 * them (offline, from the signed membership log and the workspace's directory), the list is valid
 * against its schema, and it survives import into a fresh vault and a second export unchanged.
 */
import * as A from '@automerge/automerge';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSchemas } from '../../common/export/schema.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import { emptyVaultOfSameAccount, snapshotOf } from '../support/export.ts';
import { tempDir } from '../support/vault.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, makePeer, type Peer } from './sync-fixture.ts';

const NOW = new Date('2026-01-02T03:04:05.000Z');
let relay: TestRelay;
let relayRunning = false;
const peers: Peer[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
  relayRunning = true;
});
afterAll(async () => {
  for (const peer of peers) await closePeer(peer);
  if (relayRunning) await relay.stop();
});

describe('S7: a team workspace in the export', () => {
  it('lists its members and roles, validates, and round-trips through import', async () => {
    const [ann, bob, cat] = await Promise.all(['ann', 'bob', 'cat'].map((name) => makePeer(relay.url, name)));
    peers.push(ann!, bob!, cat!);
    const team = await ann!.engine.createTeamWorkspace('Studio', relay.url);
    const doc = ann!.vault.documents.create(team.id, { title: 'Brief' }).id;
    ann!.vault.documents.change(doc, (d) => A.splice(d, ['body'], 0, 0, 'Make the poster.'));
    await ann!.engine.invite(team.id, bob!.vault.profile.username, 'editor');
    await ann!.engine.invite(team.id, cat!.vault.profile.username, 'viewer');
    await ann!.engine.syncOnce(team.id);
    await bob!.engine.acceptInvitation(team.id);

    // Offline from here: the roster comes from what the vault verified, not from the relay.
    await ann!.engine.close();
    await relay.stop();
    relayRunning = false;
    const first = join(tempDir(), 'export-1');
    await exportVault(ann!.vault, first, { now: NOW, workspace: team.id });
    const members = JSON.parse(readFileSync(join(first, 'workspaces', team.id, 'members.json'), 'utf8'));
    expect(exportSchemas.members.safeParse(members).success).toBe(true);
    expect(members).toEqual([
      { username: ann!.vault.profile.username, displayName: 'ann', role: 'owner' },
      { username: bob!.vault.profile.username, displayName: 'bob', role: 'editor' },
      { username: cat!.vault.profile.username, displayName: 'cat', role: 'viewer' },
    ]);

    // The member who joined exports the same roster.
    const fromBob = join(tempDir(), 'export-bob');
    await exportVault(bob!.vault, fromBob, { now: NOW, workspace: team.id });
    expect(JSON.parse(readFileSync(join(fromBob, 'workspaces', team.id, 'members.json'), 'utf8'))).toEqual(members);

    // Into a vault of the same account (a restored backup, emptied), where the export keeps its ids.
    const target = await emptyVaultOfSameAccount(ann!.vault);
    await importPath(target, first);
    const second = join(tempDir(), 'export-2');
    await exportVault(target, second, { now: NOW });
    expect(snapshotOf(second)).toEqual(snapshotOf(first));
    target.lock();
  });
});
