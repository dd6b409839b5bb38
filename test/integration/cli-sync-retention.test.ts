// `hearth sync` runs what the app runs: after its round, each workspace's "Keep edit history"
// applies (the use case history.applyRetention), so edits older than 7 days are erased by a real
// CLI process — in the vault, and at the relay for a team workspace — not only while the app is
// open. Each scan has its control: the marker typed and deleted ten days ago is found before.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, randomBytes, toHex } from '../../common/crypto/sodium.ts';
import { newActor } from '../../common/history/authors.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { Vault } from '../../main/vault/vault.ts';
import { ciphertextHolds, historyHolds, relayBlobs } from '../support/history-scan.ts';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const DAY = 24 * 60 * 60;
const { hearth, json, initAndRegister, vaultOf } = cliUsers('hearth-cli-retention-', ['ann'] as const);

let relay: TestRelay;

/** Ann's vault opened in this process for a moment (no CLI runs meanwhile). */
async function withAnnsVault<T>(use: (vault: Vault) => T | Promise<T>): Promise<T> {
  const vault = await Vault.unlock(vaultOf('ann'), 'passphrase of ann');
  try {
    return await use(vault);
  } finally {
    vault.lock();
  }
}

/** A document written ten days ago (`marker` typed and deleted then) and edited two days ago, put straight into the vault. */
function oldDocument(vault: Vault, workspace: string, marker: string): string {
  const now = Math.floor(Date.now() / 1000);
  let doc = A.change(A.init<DocumentContent>({ actor: newActor(toHex(randomBytes(32))) }), { time: now - 10 * DAY }, (d) => {
    Object.assign(d, { title: 'Minutes', body: '', tags: [], createdAt: (now - 10 * DAY) * 1000 });
    A.splice(d, ['body'], 0, 0, `Agreed: budget. ${marker} `);
  });
  doc = A.change(doc, { time: now - 10 * DAY + 60 }, (d) => A.splice(d, ['body'], 'Agreed: budget. '.length, marker.length + 1, ''));
  doc = A.change(doc, { time: now - 2 * DAY }, (d) => A.splice(d, ['body'], d.body.length, 0, 'Later: hiring.'));
  const id = `minutes${toHex(randomBytes(4))}`;
  vault.documents.adoptLoaded(workspace, id, doc, { createdAt: (now - 10 * DAY) * 1000, updatedAt: (now - 2 * DAY) * 1000 });
  return id;
}

describe('hearth sync applies retention', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay();
    await initAndRegister(relay.url);
  });
  afterAll(() => relay?.stop());

  it('erases edits older than 7 days in a team and a personal workspace, here and at the relay', async () => {
    const team = (await json<{ id: string }>('ann', ['workspace', 'create', 'Council', '--relay', relay.url])).id;
    const personal = (await json<Array<{ id: string; kind: string }>>('ann', ['workspace', 'list'])).find((w) => w.kind === 'personal')!.id;
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    const [inTeam, inPersonal] = await withAnnsVault((vault) => [oldDocument(vault, team, marker), oldDocument(vault, personal, marker)] as const);
    // Kept forever so far: a round uploads the team document with all its history.
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    const keys = await withAnnsVault((vault) => Object.values(vault.syncState.space(team)!.epochKeys).map((hex) => fromHex(hex)));
    // The control: the marker is in both documents' history here, and in the relay's ciphertext opened with the key.
    await withAnnsVault((vault) => {
      for (const id of [inTeam, inPersonal]) expect(historyHolds(vault.documents.get(id), marker)).toBe(true);
    });
    expect(ciphertextHolds(relayBlobs(relay.dataDir, team, inTeam), keys, marker)).toMatchObject({ found: true });

    // The setting becomes 7 days without being applied (as when another device of the Owner set it,
    // or the app was closed before its hourly run); the next `hearth sync` applies it.
    await withAnnsVault(async (vault) => {
      vault.workspaces.setRetention(personal, '7d');
      const engine = new SyncEngine(vault);
      try {
        engine.generations.retention(team, '7d');
      } finally {
        await engine.close();
      }
    });
    const synced = await json<{ forgotten: string[] }>('ann', ['sync']);

    await withAnnsVault((vault) => {
      for (const id of [inTeam, inPersonal]) {
        expect(historyHolds(vault.documents.get(id), marker)).toBe(false);
        expect(vault.documents.get(id).body.toString()).toBe('Agreed: budget. Later: hiring.');
      }
    });
    const stored = ciphertextHolds(relayBlobs(relay.dataDir, team, inTeam), keys, marker);
    expect(stored.opened).toBeGreaterThan(0);
    expect(stored.found).toBe(false);
    // The round says what it erased; the next has nothing older left.
    expect([...synced.forgotten].sort()).toEqual([inTeam, inPersonal].sort());
    const human = await hearth('ann', ['sync']);
    expect(human.code).toBe(0);
    expect(human.stdout).not.toContain('Edit history older');
    // What the versions list shows: the state then as the base, and the edit of two days ago after it.
    const history = await json<{ versions: Array<{ base: boolean }> }>('ann', ['history', 'list', inTeam]);
    expect(history.versions.map((v) => v.base)).toEqual([false, true]);
  });
});
