/**
 * A user leaving a device wants to know what is still public and where: the export lists, per
 * workspace, the public links this vault published (links.json), with their state. Real relay
 * on 127.0.0.1: one link stays active (its URL keeps the key), one is revoked, one has expired
 * by the export's time, and one belongs to a document deleted while the relay was down (pending
 * revocation). Only the active link's key is anywhere in the export. Importing recreates no link,
 * and an older export without links.json imports all the same.
 */
import * as A from '@automerge/automerge';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSchemas, type LinksFile } from '../../common/export/schema.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import { emptyVaultOfSameAccount, snapshotOf } from '../support/export.ts';
import { filesUnder, tempDir } from '../support/vault.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let relayRunning = false;
let ann: Peer;

beforeAll(async () => {
  relay = await startTestRelay();
  relayRunning = true;
});
afterAll(async () => {
  if (ann) await closePeer(ann);
  if (relayRunning) await relay.stop();
});

const keyOf = (url: string) => new URL(url).hash.slice(1);
const linksOf = (dir: string, workspaceId: string): unknown => JSON.parse(readFileSync(join(dir, 'workspaces', workspaceId, 'links.json'), 'utf8'));
/** Every file of an export as text, to look for key material anywhere in it. */
const everything = (dir: string) =>
  filesUnder(dir)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('\n');

describe('S7: the public links in the export', () => {
  it('lists each link with its state, the key only for the active one; import recreates none', async () => {
    ann = await makePeer(relay.url, 'ann');
    const team = await ann.engine.createTeamWorkspace('Studio', relay.url);
    const personal = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!;
    const make = (title: string, text: string) => {
      const id = ann.vault.documents.create(team.id, { title }).id;
      ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, text));
      return id;
    };
    const brief = make('Brief', 'Make the poster.');
    const menu = make('Menu', 'Soup of the day.');
    await ann.engine.syncOnce(team.id);

    const active = await ann.engine.createLink(brief);
    const revoked = await ann.engine.createLink(brief, { expiresInMs: 7 * 86_400_000 });
    await ann.engine.revokeLink(revoked.id);
    const shortLived = await ann.engine.createLink(brief, { expiresInMs: 3_600_000 });
    const orphan = await ann.engine.createLink(menu);

    // The menu is deleted while its relay is down: its link is still served until the relay hears of it.
    await relay.stop();
    relayRunning = false;
    ann.vault.documents.delete(menu);

    // Exported two hours later: the one-hour link has expired by then.
    const now = new Date(Date.now() + 2 * 3_600_000);
    const first = join(tempDir(), 'export-1');
    await exportVault(ann.vault, first, { now });

    const links = linksOf(first, team.id) as LinksFile;
    expect(exportSchemas.links.safeParse(links).success).toBe(true);
    const bare = (url: string) => url.split('#')[0]!;
    expect(links).toEqual([
      { id: active.id, documentId: brief, title: 'Brief', relay: relay.url, url: active.url, createdAt: active.createdAt, expiresAt: null, state: 'active' },
      {
        id: revoked.id,
        documentId: brief,
        title: 'Brief',
        relay: relay.url,
        url: bare(revoked.url),
        createdAt: revoked.createdAt,
        expiresAt: revoked.expiresAt,
        state: 'revoked',
      },
      {
        id: shortLived.id,
        documentId: brief,
        title: 'Brief',
        relay: relay.url,
        url: bare(shortLived.url),
        createdAt: shortLived.createdAt,
        expiresAt: shortLived.expiresAt,
        state: 'expired',
      },
      {
        id: orphan.id,
        documentId: menu,
        title: 'Menu',
        relay: relay.url,
        url: bare(orphan.url),
        createdAt: orphan.createdAt,
        expiresAt: null,
        state: 'pending-revocation',
      },
    ]);
    expect(links[0]!.url).toContain(`#${keyOf(active.url)}`);
    // No key of a link that no longer opens anything is anywhere in the export.
    const text = everything(first);
    expect(text).toContain(keyOf(active.url));
    for (const gone of [revoked, shortLived, orphan]) expect(text).not.toContain(keyOf(gone.url));
    // A workspace that published nothing says so.
    expect(linksOf(first, personal.id)).toEqual([]);

    // Import recreates no link: it belongs to the account that published it on the relay.
    // Into a vault of the same account (a restored backup, emptied), where the export keeps its ids.
    const target = await emptyVaultOfSameAccount(ann.vault);
    const summary = await importPath(target, first);
    expect(summary).toMatchObject({ kind: 'hearth-export', workspaces: 2, documentsCreated: 1 });
    expect(target.links.list()).toEqual([]);
    expect(target.audit.list().at(-1)).toMatchObject({ action: 'import', target: expect.stringContaining('1 active public link(s) listed, not carried over') });
    const second = join(tempDir(), 'export-2');
    await exportVault(target, second, { now });
    expect(linksOf(second, team.id)).toEqual([]);
    // Apart from the links, the export round-trips unchanged.
    const withoutLinks = (dir: string) => {
      const snapshot = new Map([...snapshotOf(dir)].filter(([path]) => !path.endsWith('/links.json')));
      const manifest = JSON.parse(snapshot.get('manifest.json')!) as { digests: Record<string, string> };
      for (const path of Object.keys(manifest.digests)) if (path.endsWith('/links.json')) delete manifest.digests[path];
      return snapshot.set('manifest.json', JSON.stringify(manifest));
    };
    expect(withoutLinks(second)).toEqual(withoutLinks(first));
    target.lock();

    // An export from before links.json existed imports all the same.
    const older = join(tempDir(), 'export-older');
    cpSync(first, older, { recursive: true });
    const removed = filesUnder(older).filter((f) => f.endsWith('/links.json'));
    expect(removed.map((f) => relative(older, f)).sort()).toEqual([`workspaces/${personal.id}/links.json`, `workspaces/${team.id}/links.json`].sort());
    for (const file of removed) rmSync(file);
    const fromOlder = await emptyVaultOfSameAccount(ann.vault);
    expect(await importPath(fromOlder, older)).toMatchObject({ kind: 'hearth-export', workspaces: 2, documentsCreated: 1 });
    expect(fromOlder.documents.summary(brief).title).toBe('Brief');
    expect(fromOlder.audit.list().at(-1)!.target).not.toContain('public link');

    // A links.json that is not in the format is refused like any other file, and nothing is written.
    writeFileSync(join(older, 'workspaces', team.id, 'links.json'), JSON.stringify([{ id: 'x', state: 'public' }]));
    const strict = await emptyVaultOfSameAccount(ann.vault);
    await expect(importPath(strict, older)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('links.json') });
    expect(strict.workspaces.list()).toEqual([]);
    fromOlder.lock();
    strict.lock();
  });
});
