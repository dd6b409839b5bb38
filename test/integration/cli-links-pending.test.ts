// `hearth link list` as real processes against a real relay that is stopped and restarted: the link
// of a document deleted while its relay was down is listed as "pending revocation" (no key, the
// relay named, `hearth sync` suggested) beside the active one, `--json` marks each with a state
// and keeps the fields it had; once the relay is back, `hearth sync` revokes it (410) and the
// line goes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkInfo } from '../../common/api/contract.ts';
import { Vault } from '../../main/vault/vault.ts';
import { cliUsers } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

const { hearth, json, initAndRegister, vaultOf } = cliUsers('hearth-cli-links-pending-', ['ann'] as const);

/** An entry of `hearth link list --json`: the API's LinkInfo, plus what a pending one says. */
type Link = LinkInfo & { state?: string; relay?: string; deletedAt?: number };

const relayDir = mkdtempSync(join(tmpdir(), 'hearth-relay-cli-pending-'));
let relay: TestRelay;
let port = 0;
const dataStatus = async (linkId: string) => (await fetch(new URL(`/p/${linkId}/data`, relay.httpUrl))).status;

describe('hearth link list and links waiting to be revoked', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    relay = await startTestRelay({ dataDir: relayDir });
    port = Number(new URL(relay.url).port);
    await initAndRegister(relay.url);
    expect((await hearth('ann', ['workspace', 'create', 'Kitchen', '--relay', relay.url])).code).toBe(0);
  });
  afterAll(async () => {
    await relay?.stop();
    rmSync(relayDir, { recursive: true, force: true });
  });

  it('lists a deleted document’s link as pending revocation while its relay is down; `hearth sync` revokes it once the relay is back', async () => {
    const plan = (await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Kitchen', '--title', 'Plan', '--file', '-'], 'Open at nine.\n')).id;
    const menu = (
      await json<{ id: string }>('ann', ['doc', 'create', '--workspace', 'Kitchen', '--title', 'Menu', '--file', '-'], 'Soup of the day: PENDINGMARKER.\n')
    ).id;
    const kept = await json<Link>('ann', ['link', 'create', plan]);
    const doomed = await json<Link>('ann', ['link', 'create', menu, '--expires', '7d']);
    const doomedKey = new URL(doomed.url).hash.slice(1);
    expect(await dataStatus(doomed.id)).toBe(200);
    const attachment = join(relayDir, 'menu-photo.txt'); // removed with the folder
    writeFileSync(attachment, 'a photo of the soup');
    const photo = (await json<{ id: string }>('ann', ['file', 'add', '--workspace', 'Kitchen', attachment])).id;
    expect((await hearth('ann', ['sync'])).code).toBe(0); // the documents and the file reach the relay
    const fileRows = async () => Number((await relay.store.driver.all('SELECT COUNT(*) AS n FROM files WHERE file = ?', [photo]))[0]!.n);
    expect(await fileRows()).toBe(1);

    // The relay goes down (its data stays); the menu is deleted meanwhile. Local first: the deletion
    // happens here at once and says the relay will be told later.
    await relay.stop();
    const removal = await hearth('ann', ['doc', 'delete', menu]);
    expect(removal.code).toBe(0);
    expect(removal.stdout).toContain('Deleted on this device. Its relay cannot be reached now; `hearth sync` tells it');
    const fileRemoval = await json<{ deleted: string; waitsForRelay: boolean }>('ann', ['file', 'delete', photo]);
    expect(fileRemoval).toEqual({ deleted: photo, waitsForRelay: true });
    const vault = await Vault.unlock(vaultOf('ann'), 'passphrase of ann');
    expect(vault.documents.has(menu)).toBe(false);
    expect(vault.files.has(photo)).toBe(false);
    vault.lock();

    const text = await hearth('ann', ['link', 'list']);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID\s+DOCUMENT\s+STATE\s+EXPIRES\s+URL$/);
    expect(lines.find((l) => l.startsWith(kept.id))).toMatch(
      new RegExp(`^${kept.id}\\s+Plan\\s+active\\s+never\\s+${kept.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
    );
    expect(lines.find((l) => l.startsWith(doomed.id))).toMatch(
      new RegExp(`^${doomed.id}\\s+Menu\\s+pending revocation\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+${relay.httpUrl}p/${doomed.id}$`),
    );
    expect(text.stdout).toContain(`1 link(s) of deleted documents are still served by 127.0.0.1:${port}, which could not be reached to revoke them`);
    expect(text.stdout).toContain('`hearth sync` tries again');
    expect(text.stdout).not.toContain(doomedKey);

    // --json: the active link exactly as before plus its state; the pending one with the same fields, no key, its relay and when it was deleted.
    const listed = await json<Link[]>('ann', ['link', 'list']);
    expect(listed).toEqual([
      { ...kept, state: 'active' },
      {
        id: doomed.id,
        documentId: menu,
        workspaceId: doomed.workspaceId,
        title: 'Menu',
        url: doomed.url.split('#')[0],
        createdAt: doomed.createdAt,
        expiresAt: doomed.expiresAt,
        state: 'pending-revocation',
        relay: relay.url,
        deletedAt: expect.any(Number),
      },
    ]);
    expect(listed[1]!.deletedAt).toBeGreaterThanOrEqual(doomed.createdAt);
    expect(JSON.stringify(listed)).not.toContain(doomedKey);

    // Back with everything it had, the relay still serves the copy until Hearth tells it.
    relay = await startTestRelay({ dataDir: relayDir, port });
    expect(await dataStatus(doomed.id)).toBe(200);
    const storedOf = async (doc: string) =>
      Number(
        (await relay.store.driver.all('SELECT (SELECT COUNT(*) FROM changes WHERE doc = ?) + (SELECT COUNT(*) FROM docs WHERE doc = ?) AS n', [doc, doc]))[0]!
          .n,
      );
    expect(await storedOf(menu)).toBeGreaterThan(0);
    expect((await hearth('ann', ['sync'])).code).toBe(0);
    expect(await dataStatus(doomed.id)).toBe(410);
    // The sync told the relay of the deletion too: the document's changes are gone from it.
    expect(await storedOf(menu)).toBe(0);
    expect(await storedOf(plan)).toBeGreaterThan(0);
    expect(await fileRows()).toBe(0);
    expect(await json<Link[]>('ann', ['link', 'list'])).toEqual([{ ...kept, state: 'active' }]);
    const after = await hearth('ann', ['link', 'list']);
    expect(after.stdout).not.toContain('pending revocation');
    expect(after.stdout).not.toContain('still served');
  });
});
