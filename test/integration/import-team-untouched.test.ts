/**
 * Issue 16, item 3: "An import can rewrite a team document. A crafted export whose document reuses
 * the id of a team document merges into it on import, and the importing member's device signs and
 * syncs the result to the whole team." Real relay on 127.0.0.1, Ann and Bob in a team workspace.
 * Ann imports Mallory's crafted export (the team's workspace id and document id, other content),
 * then even an export of her own, signed with her key, whose copy of the team document has
 * history the team never saw. Neither changes the team document: not on Ann's device, not at the
 * relay (every stored change and file is the same after Ann syncs), not for Bob.
 */
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import { Vault, VAULT_FILE_NAME } from '../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE, tempDir } from '../support/vault.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
const peers: Peer[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  for (const peer of peers) await closePeer(peer);
  await relay.stop();
});

/** Everything the relay stores for a space's documents and files, as rows. */
function relayHolds(space: string): unknown {
  const db = new BetterSqlite3(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
  try {
    return {
      changes: db.prepare('SELECT doc, seq, change_id, hex(bytes) AS bytes FROM changes WHERE space = ? ORDER BY doc, seq').all(space),
      docs: db.prepare('SELECT doc, last_seq, hex(snapshot) AS snapshot FROM docs WHERE space = ? ORDER BY doc').all(space),
      files: db.prepare('SELECT * FROM files WHERE space = ?').all(space),
    };
  } finally {
    db.close();
  }
}

/** A copy of `vault` with everything in it, opened separately: this account on another device. */
async function sameAccountCopy(vault: Vault): Promise<Vault> {
  const dir = join(tempDir(), 'other-device');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  vault.copyWithoutKey(join(dir, VAULT_FILE_NAME));
  Vault.installKeyMaterial(join(dir, VAULT_FILE_NAME), vault.keyMaterialFor(PASSPHRASE));
  return Vault.unlock(dir, PASSPHRASE);
}

describe('an import never writes into a team workspace (issue 16, item 3)', () => {
  it("leaves the team's document alone, at Ann's, at the relay and at Bob's, whoever made the export", async () => {
    const [ann, bob] = await Promise.all(['ann', 'bob'].map((name) => makePeer(relay.url, name)));
    peers.push(ann!, bob!);
    const team = await ann!.engine.createTeamWorkspace('Studio', relay.url);
    const brief = ann!.vault.documents.create(team.id, { title: 'Brief', init: (d) => setBodyFromMarkdown(d, 'Make the poster.\n') }).id;
    await ann!.engine.invite(team.id, bob!.vault.profile.username, 'editor');
    await ann!.engine.syncOnce(team.id);
    await bob!.engine.acceptInvitation(team.id);
    await bob!.engine.syncOnce(team.id);
    expect(bob!.vault.documents.summary(brief).title).toBe('Brief');

    const heads = A.getHeads(ann!.vault.documents.get(brief));
    const atRelay = relayHolds(team.id);

    // Mallory's export: one workspace and one document under the team's ids, her own content.
    const mallory = await createTestVault({ profile: { username: 'mallory', displayName: 'Mallory' } });
    const own = mallory.documents.create(mallory.workspaces.list()[0]!.id, {
      title: 'Brief',
      init: (d) => setBodyFromMarkdown(d, 'Send your passwords to mallory.\n'),
    });
    const crafted = join(tempDir(), 'crafted');
    await exportVault(mallory, crafted);
    const reuse = (path: string) => writeFileSync(path, readFileSync(path, 'utf8').replaceAll(own.id, brief).replaceAll(own.workspaceId, team.id));
    reuse(join(crafted, 'manifest.json'));
    renameSync(join(crafted, 'workspaces', own.workspaceId), join(crafted, 'workspaces', team.id));
    const documents = join(crafted, 'workspaces', team.id, 'documents');
    for (const ext of ['json', 'md', 'automerge']) renameSync(join(documents, `${own.id}.${ext}`), join(documents, `${brief}.${ext}`));
    reuse(join(crafted, 'workspaces', team.id, 'workspace.json'));
    reuse(join(documents, `${brief}.json`));
    const manifest = JSON.parse(readFileSync(join(crafted, 'manifest.json'), 'utf8'));
    delete manifest.digests;
    writeFileSync(join(crafted, 'manifest.json'), JSON.stringify(manifest));

    const fromMallory = await importPath(ann!.vault, crafted);
    expect(A.getHeads(ann!.vault.documents.get(brief))).toEqual(heads);
    expect(fromMallory).toMatchObject({ fromThisAccount: false, documentsMerged: 0 });

    // Ann's own export, signed with her key, from her other device where the brief was edited offline.
    const device = await sameAccountCopy(ann!.vault);
    device.documents.change(brief, (d) => A.updateText(d, ['title'], 'Brief (edited offline)'));
    const own2 = join(tempDir(), 'own');
    await exportVault(device, own2);
    device.lock();
    const fromAnn = await importPath(ann!.vault, own2);
    expect(fromAnn).toMatchObject({ fromThisAccount: true, documentsSkipped: 1, documentsCreated: 0 });
    expect(A.getHeads(ann!.vault.documents.get(brief))).toEqual(heads);

    // Ann syncs: nothing new reaches the relay or Bob.
    await ann!.engine.syncOnce(team.id);
    expect(relayHolds(team.id)).toEqual(atRelay);
    await bob!.engine.syncOnce(team.id);
    expect(bob!.vault.documents.summary(brief).title).toBe('Brief');
    expect(A.getHeads(bob!.vault.documents.get(brief))).toEqual(heads);
    // What Mallory's export brought sits in a workspace of its own, on Ann's device only.
    const elsewhere = ann!.vault.workspaces.list().filter((w) => w.id !== team.id && ann!.vault.documents.list(w.id).some((d) => d.title === 'Brief'));
    expect(elsewhere).toHaveLength(1);
    expect(ann!.engine.status().map((s) => s.workspaceId)).not.toContain(elsewhere[0]!.id);
    mallory.lock();
  });
});
