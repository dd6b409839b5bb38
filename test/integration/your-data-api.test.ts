/**
 * "Your data" through the app's API (the door, in process, over a real session, vault and relay):
 * export with progress into the data folder and import back (twice without duplicates), backup →
 * wipe → restore, wrong backup passphrase, wipe and account deletion refused unless the username
 * is typed exactly (nothing changed), the privacy dashboard with a real relay's right-of-access
 * answer, and the filtered audit export.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiEvents, HearthApi } from '../../common/api/contract.ts';
import type { Result } from '../../common/errors.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session } from '../../main/app/session.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { Vault } from '../../main/vault/vault.ts';
import { exportVault } from '../../main/portability/export.ts';
import { findInFiles, tempDir } from '../support/vault.ts';
import { register, startTestRelay, type TestRelay } from './relay-fixture.ts';

const PASSPHRASE = 'vault passphrase one';
const BACKUP_PASSPHRASE = 'backup passphrase two';

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

function refused<T>(result: Result<T>): { code: string; message: string } {
  if (result.ok) throw new Error('expected a refusal');
  return result.error;
}

interface App {
  session: Session;
  api: HearthApi & { close(): void };
  vaultDir: string;
  dataDir: string;
  progress: Array<ApiEvents['progress']>;
  wiped: Array<ApiEvents['wiped']>;
}

const apps: App[] = [];

function startApp(options: { dataDir?: string } = {}): App {
  const root = tempDir('hearth-yourdata-');
  const vaultDir = join(root, 'vault');
  const dataDir = options.dataDir ?? join(root, 'Documents', 'Hearth');
  const session = new Session({ vaultDir, dataDir, kdfCost: MIN_KDF_COST, sync: { backoff: { initialMs: 50, maxMs: 200 } }, membershipPollMs: 0 });
  const api = connectInProcess(session);
  const app: App = { session, api, vaultDir, dataDir, progress: [], wiped: [] };
  api.on('progress', (p) => app.progress.push(p));
  api.on('wiped', (w) => app.wiped.push(w));
  apps.push(app);
  return app;
}

async function withContent(app: App, username = 'kim'): Promise<{ workspaceId: string; titles: string[] }> {
  const { api } = app;
  ok(await api.createVault({ passphrase: PASSPHRASE, username, displayName: 'Kim Example' }));
  const [workspace] = ok(await api.listWorkspaces());
  const titles = ['Plans for spring', 'Letters', 'Recipes'];
  for (const title of titles) ok(await api.createDocument(workspace!.id, { title, tags: ['home'] }));
  const [first] = ok(await api.listDocuments(workspace!.id));
  ok(await api.addComment(first!.id, { text: 'a comment to keep' }));
  const upload = ok(await api.beginUpload(workspace!.id, { name: 'notes.txt', type: 'text/plain', size: 11 }));
  ok(await api.uploadChunk(upload.uploadId, new TextEncoder().encode('hello files')));
  ok(await api.finishUpload(upload.uploadId));
  return { workspaceId: workspace!.id, titles };
}

async function titlesOf(api: HearthApi): Promise<string[]> {
  const titles: string[] = [];
  for (const w of ok(await api.listWorkspaces())) titles.push(...ok(await api.listDocuments(w.id)).map((d) => d.title));
  return titles.sort();
}

afterAll(async () => {
  for (const app of apps) {
    app.api.close();
    await app.session.close();
  }
});

describe('export and import from the app', () => {
  test('export writes a new folder in the data folder with progress; import reads it back, and again adds nothing', async () => {
    const source = startApp();
    const { titles } = await withContent(source);
    const exported = ok(await source.api.exportData({ format: 'folder' }));
    expect(exported.path.startsWith(source.dataDir)).toBe(true);
    expect(existsSync(join(exported.path, 'manifest.json'))).toBe(true);
    expect(exported.counts).toMatchObject({ documents: 3, files: 1, comments: 1 });
    const phases = source.progress.filter((p) => p.task === 'export').map((p) => p.phase);
    expect(phases[0]).toBe('starting');
    expect(phases).toContain('documents');
    expect(phases).toContain('files');
    expect(phases.at(-1)).toBe('done');
    const docProgress = source.progress.filter((p) => p.phase === 'documents');
    expect(docProgress.at(-1)).toMatchObject({ done: 3, total: 3 });

    // A second export never overwrites the first: it gets its own name.
    const zip = ok(await source.api.exportData({ format: 'zip' }));
    expect(zip.path).not.toBe(exported.path);
    expect(zip.path.endsWith('.zip')).toBe(true);
    const listed = ok(await source.api.dataFolder());
    expect(listed.dir).toBe(source.dataDir);
    expect(listed.items.map((i) => [i.kind, i.format]).sort()).toEqual([
      ['export', 'folder'],
      ['export', 'zip'],
    ]);

    // Another device reads it by name from its data folder (the same folder here).
    const target = startApp({ dataDir: source.dataDir });
    ok(await target.api.createVault({ passphrase: PASSPHRASE, username: 'kim', displayName: 'Kim' }));
    const name = exported.path.slice(source.dataDir.length + 1);
    const first = ok(await target.api.importData({ path: name }));
    expect(first).toMatchObject({ kind: 'hearth-export', documentsCreated: 3, documentsMerged: 0, comments: 1, files: 1, filesSkipped: 0 });
    expect(target.progress.some((p) => p.task === 'import' && p.phase === 'documents')).toBe(true);
    const again = ok(await target.api.importData({ path: exported.path }));
    expect(again).toMatchObject({ documentsCreated: 0, documentsMerged: 3, files: 0, filesSkipped: 1 });
    expect((await titlesOf(target.api)).filter((t) => titles.includes(t)).sort()).toEqual([...titles].sort());
  });

  test('paths that wander out of the data folder, or lead nowhere, are refused with nothing imported', async () => {
    const app = startApp();
    await withContent(app);
    const before = await titlesOf(app.api);
    expect(refused(await app.api.importData({ path: '../vault' })).code).toBe('BAD_REQUEST');
    expect(refused(await app.api.importData({ path: 'sub/dir' })).code).toBe('BAD_REQUEST');
    expect(refused(await app.api.importData({ path: '/nonexistent/hearth-export' })).code).toBe('NOT_FOUND');
    expect(await titlesOf(app.api)).toEqual(before);
  });

  test('a system folder typed as the path is a clear refusal, not an internal error (issue 16, item 9)', async () => {
    const app = startApp();
    await withContent(app);
    const before = await titlesOf(app.api);
    // /etc holds dangling links and no Markdown files; /dev/null is neither a folder nor a .zip.
    const etc = refused(await app.api.importData({ path: '/etc' }));
    expect(etc.code).toBe('BAD_REQUEST');
    expect(etc.message).toMatch(/no manifest\.json and no Markdown files|cannot read/);
    expect(refused(await app.api.importData({ path: '/dev/null' })).code).toBe('BAD_REQUEST');
    expect(await titlesOf(app.api)).toEqual(before);
  });
});

describe('backup, wipe and restore from the app', () => {
  test('backup → wipe → restore gets the documents back; a wrong backup passphrase is a clear error and restores nothing', async () => {
    const app = startApp();
    const { titles } = await withContent(app);
    expect(refused(await app.api.backup({ passphrase: 'short' })).message).toContain('at least 8 characters');
    const made = ok(await app.api.backup({ passphrase: BACKUP_PASSPHRASE }));
    expect(made.path.startsWith(app.dataDir)).toBe(true);
    expect(made.bytes).toBeGreaterThan(0);
    expect(app.progress.some((p) => p.task === 'backup' && p.phase === 'encrypting' && p.done === p.total)).toBe(true);
    expect(ok(await app.api.dataFolder()).items).toEqual([expect.objectContaining({ kind: 'backup', format: 'file', path: made.path })]);
    // A backup is never restored over a vault: the refusal names both ways on; beside it, it becomes a second vault.
    const overwrite = refused(await app.api.restore({ path: made.path, passphrase: BACKUP_PASSPHRASE }));
    expect(overwrite.code).toBe('VAULT_EXISTS');
    expect(overwrite.message).toContain('never overwrites');
    expect(overwrite.message).toContain('Restore beside this vault');
    expect(overwrite.message).toContain('wipe this device first');
    const beside = ok(await app.api.restoreBeside({ path: made.path, passphrase: BACKUP_PASSPHRASE }));
    expect(dirname(beside.vaultDir)).toBe(dirname(app.vaultDir));
    expect(beside.vaultDir).not.toBe(app.vaultDir);
    expect(beside.profile.username).toBe('kim');
    expect(ok(await app.api.status()).state).toBe('unlocked');
    const second = await Vault.unlock(beside.vaultDir, BACKUP_PASSPHRASE);
    expect(second.workspaces.list().flatMap((w) => second.documents.list(w.id).map((d) => d.title))).toEqual(expect.arrayContaining(titles));
    second.lock();
    expect(ok(await app.api.restoreBeside({ path: made.path, passphrase: BACKUP_PASSPHRASE })).vaultDir).not.toBe(beside.vaultDir);

    ok(await app.api.wipeDevice('kim'));
    expect(ok(await app.api.status()).state).toBe('no-vault');
    expect(Vault.exists(app.vaultDir)).toBe(false);
    expect(app.wiped).toEqual([{ reason: 'wipe' }]);

    const wrong = refused(await app.api.restore({ path: made.path, passphrase: 'not the backup passphrase' }));
    expect(wrong.code).toBe('WRONG_PASSPHRASE');
    expect(wrong.message).toContain('backup passphrase does not open this backup');
    expect(ok(await app.api.status()).state).toBe('no-vault');
    expect(Vault.exists(app.vaultDir)).toBe(false);

    const profile = ok(
      await app.api.restore({ path: made.path.slice(app.dataDir.length + 1), passphrase: BACKUP_PASSPHRASE, newPassphrase: 'a new vault passphrase' }),
    );
    expect(profile.username).toBe('kim');
    expect(ok(await app.api.status()).state).toBe('unlocked');
    expect(await titlesOf(app.api)).toEqual([...titles].sort());
    const [workspace] = ok(await app.api.listWorkspaces());
    expect(ok(await app.api.listFiles(workspace!.id)).map((f) => f.name)).toEqual(['notes.txt']);
    // The new passphrase is the vault's passphrase now.
    ok(await app.api.lock());
    expect(refused(await app.api.unlock(BACKUP_PASSPHRASE)).code).toBe('WRONG_PASSPHRASE');
    ok(await app.api.unlock('a new vault passphrase'));
  });
});

describe('wipe and delete account need the username exactly as shown', () => {
  for (const method of ['wipeDevice', 'deleteAccount'] as const) {
    test(`${method}: a wrong or differently-cased username changes nothing; the exact one ends at first run`, async () => {
      const app = startApp();
      const { workspaceId, titles } = await withContent(app, 'kim.lee');
      for (const attempt of ['kim', 'Kim.lee', 'KIM.LEE', 'kim.lee ', '']) {
        const error = refused(await app.api[method](attempt));
        expect(error.code).toBe('BAD_REQUEST');
        expect(error.message).toContain('nothing was changed');
        expect(ok(await app.api.status()).state).toBe('unlocked');
        expect(Vault.exists(app.vaultDir)).toBe(true);
      }
      expect(await titlesOf(app.api)).toEqual([...titles].sort());
      expect(ok(await app.api.listFiles(workspaceId))).toHaveLength(1);
      expect(app.wiped).toEqual([]);

      ok(await app.api[method]('kim.lee'));
      expect(ok(await app.api.status())).toEqual({ state: 'no-vault', profile: null });
      expect(existsSync(app.vaultDir) ? readdirSync(app.vaultDir) : []).toEqual([]);
      expect(app.wiped).toEqual([{ reason: method === 'wipeDevice' ? 'wipe' : 'account-deleted' }]);
      expect(refused(await app.api.listWorkspaces()).code).toBe('VAULT_NOT_FOUND');
    });
  }
});

describe('the exports and backups the app wrote, at a wipe', () => {
  test('are listed (where, how big) and erased only when named; a path the app did not write is refused and nothing happens; the rest is reported as staying', async () => {
    const app = startApp();
    await withContent(app);
    const marker = `MARKER-export-${Math.random().toString(36).slice(2)}`;
    const [workspace] = ok(await app.api.listWorkspaces());
    ok(await app.api.createDocument(workspace!.id, { title: marker }));
    const folder = ok(await app.api.exportData({ format: 'folder' })).path;
    const backup = ok(await app.api.backup({ passphrase: BACKUP_PASSPHRASE })).path;
    // An export written elsewhere (as `hearth export --out` does): the vault remembers where.
    const elsewhere = join(tempDir('hearth-elsewhere-'), 'mine.zip');
    await exportVault(app.session.requireVault(), elsewhere);
    const places = [app.dataDir, dirname(elsewhere)];
    expect(findInFiles(places[0]!, [marker]).length + findInFiles(places[1]!, [marker]).length).toBeGreaterThan(0); // the control: the exports hold the marker

    const copies = ok(await app.api.localCopies());
    expect(copies.map((c) => [c.path, c.kind]).sort()).toEqual(
      [
        [folder, 'export'],
        [backup, 'backup'],
        [elsewhere, 'export'],
      ].sort(),
    );
    for (const copy of copies) expect(copy.bytes).toBeGreaterThan(100);

    const stranger = join(tempDir('hearth-not-ours-'), 'keep.txt');
    writeFileSync(stranger, 'not written by Hearth');
    const refusal = refused(await app.api.wipeDevice('kim', { eraseCopies: [folder, stranger] }));
    expect(refusal.code).toBe('BAD_REQUEST');
    expect(refusal.message).toContain('not an export or backup this app wrote');
    expect([existsSync(folder), existsSync(stranger), Vault.exists(app.vaultDir)]).toEqual([true, true, true]);

    const { copiesLeft } = ok(await app.api.wipeDevice('kim', { eraseCopies: [folder, elsewhere] }));
    expect(copiesLeft.map((c) => c.path)).toEqual([backup]);
    expect([existsSync(folder), existsSync(elsewhere), existsSync(backup)]).toEqual([false, false, true]);
    expect(Vault.exists(app.vaultDir)).toBe(false);
    // The plain-text marker is nowhere any more; the backup that stays is sealed.
    for (const place of places) expect(findInFiles(place, [marker])).toEqual([]);
  });
});

describe('privacy dashboard', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    await relay?.stop();
  });

  test('what this device stores per workspace, and a relay that is not running is reported as not connected', async () => {
    const app = startApp();
    const { workspaceId } = await withContent(app);
    const report = ok(await app.api.privacyReport());
    expect(report.device.vaultDir).toBe(app.vaultDir);
    expect(report.device.dataDir).toBe(app.dataDir);
    expect(report.device.vaultBytes).toBeGreaterThan(0);
    const personal = report.device.workspaces.find((w) => w.id === workspaceId)!;
    expect(personal).toMatchObject({ kind: 'personal', documents: 3, files: 1 });
    // Stored bytes are the sealed ones: more than the 11 plain bytes of the file.
    expect(personal.fileBytes).toBeGreaterThan(11);
    expect(personal.documentBytes).toBeGreaterThan(0);
    expect(report.relays).toEqual([]);
    expect(report.access.find((a) => a.workspaceId === workspaceId)!.members).toEqual([
      { username: 'kim', displayName: 'Kim Example', role: 'owner', isMe: true },
    ]);
  });

  test('a document shared one by one shows who can see it, on both sides', async () => {
    const ann = startApp();
    await withContent(ann, 'ann');
    const bob = startApp();
    await withContent(bob, 'bob');
    ok(await ann.api.registerAccount(relay.url));
    ok(await bob.api.registerAccount(relay.url));
    const [workspace] = ok(await ann.api.listWorkspaces());
    const [doc] = ok(await ann.api.listDocuments(workspace!.id));
    await ann.session.sync!.shareDocument(doc!.id, 'bob', 'viewer', { confirmed: true, relay: relay.url });
    const invitation = (await bob.session.sync!.invitations()).find((i) => i.kind === 'document');
    await bob.session.sync!.acceptInvitation(invitation!.id);

    const mine = ok(await ann.api.privacyReport()).sharedDocuments;
    expect(mine).toEqual([
      expect.objectContaining({
        documentId: doc!.id,
        title: doc!.title,
        received: false,
        members: expect.arrayContaining([
          expect.objectContaining({ username: 'ann', role: 'owner', isMe: true }),
          expect.objectContaining({ username: 'bob', role: 'viewer', isMe: false }),
        ]),
      }),
    ]);
    const theirs = ok(await bob.api.privacyReport()).sharedDocuments;
    expect(theirs).toEqual([expect.objectContaining({ documentId: doc!.id, title: doc!.title, received: true })]);
    expect(theirs[0]!.members.find((m) => m.isMe)).toMatchObject({ username: 'bob', role: 'viewer' });
  });

  test("a relay's right-of-access answer, who sees a team workspace, and paused sync", async () => {
    const app = startApp();
    await withContent(app);
    ok(await app.api.registerAccount(relay.url));
    const team = ok(await app.api.createTeamWorkspace('Team plans', relay.url));
    const report = ok(await app.api.privacyReport());
    expect(report.syncAvailable).toBe(true);
    const [entry] = report.relays;
    expect(entry).toMatchObject({ url: relay.url });
    expect(entry!.problem).toBeUndefined();
    expect(entry!.holds).toMatchObject({ username: 'kim', displayName: 'Kim Example' });
    expect(entry!.holds!.spaces).toEqual([expect.objectContaining({ space: team.id, name: 'Team plans', role: 'owner' })]);
    expect(entry!.lastContactAt).toBeGreaterThan(0);
    expect(report.access.find((a) => a.workspaceId === team.id)!.members).toEqual([expect.objectContaining({ username: 'kim', role: 'owner', isMe: true })]);

    ok(await app.api.pauseSync(team.id));
    const paused = ok(await app.api.privacyReport());
    expect(paused.device.workspaces.find((w) => w.id === team.id)!.sync).toMatchObject({ paused: true, state: 'paused' });

    // The relay goes away: the dashboard says so instead of failing.
    await relay.stop();
    const offline = ok(await app.api.privacyReport());
    expect(offline.relays[0]!.holds).toBeUndefined();
    expect(offline.relays[0]!.problem).toMatch(/^Not connected/);
    expect(offline.device.workspaces).toHaveLength(2);
  });

  test('the audit log exports as JSON into the data folder, filtered by action', async () => {
    const app = startApp();
    await withContent(app);
    ok(await app.api.exportData({ format: 'zip' }));
    const all = ok(await app.api.exportAuditLog({}));
    const onlyExports = ok(await app.api.exportAuditLog({ actions: ['export'] }));
    expect(all.path).not.toBe(onlyExports.path);
    const written = JSON.parse(readFileSync(onlyExports.path, 'utf8')) as { filter: string[]; entries: Array<{ action: string }> };
    expect(written.filter).toEqual(['export']);
    expect(written.entries.map((e) => e.action)).toEqual(['export']);
    expect(all.entries).toBeGreaterThan(onlyExports.entries);
  });
});

describe('delete account with a relay account', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    await relay?.stop();
  });

  test('a wrong username leaves the relay account and the vault alone; the exact one deletes it there, then wipes here', async () => {
    const app = startApp();
    await withContent(app, 'kim');
    ok(await app.api.registerAccount(relay.url));
    const team = ok(await app.api.createTeamWorkspace('Team plans', relay.url));
    // Another account on the relay looks the username up, as any member would.
    const observer = await register(relay.url, 'observer');
    const lookup = () =>
      observer.client.lookup('kim').then(
        (found) => found.username,
        (error: { code?: string }) => error.code ?? 'failed',
      );
    expect(await lookup()).toBe('kim');

    for (const attempt of ['Kim', 'kim ', 'someone']) {
      expect(refused(await app.api.deleteAccount(attempt)).code).toBe('BAD_REQUEST');
      expect(await lookup()).toBe('kim');
      expect(ok(await app.api.status()).state).toBe('unlocked');
      expect(ok(await app.api.listWorkspaces()).map((w) => w.id)).toContain(team.id);
    }

    ok(await app.api.deleteAccount('kim'));
    expect(await lookup()).toBe('NOT_FOUND');
    expect(ok(await app.api.status()).state).toBe('no-vault');
    expect(Vault.exists(app.vaultDir)).toBe(false);
    expect(app.wiped).toEqual([{ reason: 'account-deleted' }]);
    observer.client.close();
  });
});
