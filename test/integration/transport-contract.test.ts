/**
 * One contract suite that every transport of the API must pass (STYLE.md: contracts that every
 * implementation must pass): the in-process door, browser mode's WebSocket client, and Electron's
 * IPC (the built preload and main/electron/app.ts over a stand-in for Electron). The same
 * calls must give the same results, which the last test checks on the normalised transcripts.
 */
import * as A from '@automerge/automerge';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HearthApi } from '../../common/api/contract.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { expectOk, removeElectronBuild, transports, type TransportUnderTest } from './transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
const FILE_BYTES = 10 * 1024 * 1024 + 12_345;
/** Not a multiple of the vault's 1 MiB chunks, so the upload path has to re-chunk. */
const UPLOAD_CHUNK_BYTES = 3 * 1024 * 1024 + 7;

/** Results with ids, times and bytes made comparable across two runs. */
function normalise(value: unknown, ids: Map<string, string>): unknown {
  const idOf = (id: string) => {
    if (!ids.has(id)) ids.set(id, `id${ids.size}`);
    return ids.get(id)!;
  };
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  // Ids also appear inside messages and audit targets.
  if (typeof value === 'string') return value.replace(/hearth-api-\w+/g, 'hearth-api-TMP').replace(/(?<![\w-])[\w-]{22}(?![\w-])/g, idOf);
  if (Array.isArray(value)) return value.map((v) => normalise(v, ids));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => {
        if (/^(createdAt|updatedAt|at)$/.test(key) && typeof v === 'number') return [key, 'time'];
        if (/(^id$|Id$)/.test(key) && typeof v === 'string') return [key, idOf(v)];
        // A replica's Automerge actor: a hash of the account then random bytes, new in every vault.
        if (key === 'actor' && typeof v === 'string') return [key, /^[0-9a-f]{32}$/.test(v) ? 'actor' : v];
        return [key, normalise(v, ids)];
      }),
    );
  }
  return value;
}

const transcripts = new Map<string, unknown[]>();

for (const transport of transports) {
  describe(transport.name, () => {
    let app: TransportUnderTest;
    let page: HearthApi;
    let otherPage: HearthApi;
    const transcript: unknown[] = [];
    const ids = new Map<string, string>();
    const record = <T>(label: string, value: T): T => {
      transcript.push([label, normalise(value, ids)]);
      return value;
    };
    let workspaceId = '';
    let documentId = '';

    beforeAll(async () => {
      app = await transport.start();
      page = await app.connect();
      otherPage = await app.connect();
    });
    afterAll(async () => {
      transcripts.set(transport.name, transcript);
      await app.close();
    });

    test('a first run creates the vault and is unlocked with the chosen profile', async () => {
      expect(record('status before', await page.status())).toEqual({ ok: true, value: { state: 'no-vault', profile: null } });
      const profile = expectOk(record('createVault', await page.createVault({ passphrase: PASSPHRASE, username: 'ada', displayName: 'Ada Lovelace' })));
      expect(profile).toEqual({ username: 'ada', displayName: 'Ada Lovelace' });
      expect(record('status after', await otherPage.status())).toEqual({ ok: true, value: { state: 'unlocked', profile } });
      const again = record('createVault again', await page.createVault({ passphrase: PASSPHRASE, username: 'bob', displayName: 'Bob' }));
      expect(again.ok === false && again.error.code).toBe('VAULT_EXISTS');
    });

    test('workspaces: the personal one is there; create and rename', async () => {
      const before = expectOk(record('listWorkspaces', await page.listWorkspaces()));
      expect(before.map((w) => [w.name, w.kind])).toEqual([['Personal', 'personal']]);
      const made = expectOk(record('createWorkspace', await page.createWorkspace('Research')));
      const renamed = expectOk(record('renameWorkspace', await page.renameWorkspace(made.id, 'Notes')));
      expect(renamed).toEqual({ ...made, name: 'Notes' });
      workspaceId = made.id;
    });

    test('a document edited through Automerge changes persists, and the other page hears about it', async () => {
      const summary = expectOk(record('createDocument', await page.createDocument(workspaceId, { title: 'Plan', tags: ['Work'] })));
      documentId = summary.id;
      expect(summary.tags).toEqual(['work']);

      const heard: Array<{ documentId: string; changes: Uint8Array[] }> = [];
      const echoed: unknown[] = [];
      otherPage.on('documentChanged', (event) => heard.push(event));
      page.on('documentChanged', (event) => echoed.push(event));

      const opened = expectOk(record('openDocument', await page.openDocument(documentId)));
      let replica = A.load<DocumentContent>(opened.bytes);
      const otherReplica = A.load<DocumentContent>(expectOk(await otherPage.openDocument(documentId)).bytes);
      const before = replica;
      replica = A.change(replica, (d) => A.splice(d, ['body'], 0, 0, 'Buy flour. '));
      replica = A.change(replica, (d) => A.splice(d, ['body'], 11, 0, 'Bake bread.'));
      const changes = A.getChanges(before, replica);
      expect(changes).toHaveLength(2);
      const applied = expectOk(record('applyChanges', await page.applyChanges(documentId, changes)));
      expect(applied.title).toBe('Plan');

      await expect.poll(() => heard.length).toBe(1);
      expect(heard[0]!.documentId).toBe(documentId);
      const [merged] = A.applyChanges(otherReplica, heard[0]!.changes);
      expect(merged.body).toBe('Buy flour. Bake bread.');
      expect(echoed).toEqual([]);

      const reopened = A.load<DocumentContent>(expectOk(await otherPage.openDocument(documentId)).bytes);
      expect(reopened.body).toBe('Buy flour. Bake bread.');

      const updated = expectOk(record('updateDocument', await page.updateDocument(documentId, { title: 'Baking plan', tags: ['home', 'Food'] })));
      expect([updated.title, updated.tags]).toEqual(['Baking plan', ['home', 'food']]);
      await expect.poll(() => heard.length).toBe(2);
      expect(A.applyChanges(merged, heard[1]!.changes)[0].title).toBe('Baking plan');

      const listed = expectOk(record('listDocuments', await otherPage.listDocuments(workspaceId)));
      expect(listed.map((d) => d.title)).toEqual(['Baking plan']);
    });

    test('malformed Automerge changes are refused and change nothing', async () => {
      const result = record('applyChanges garbage', await page.applyChanges(documentId, [new Uint8Array([1, 2, 3])]));
      expect(result.ok === false && result.error.code).toBe('BAD_REQUEST');
      const doc = A.load<DocumentContent>(expectOk(await page.openDocument(documentId)).bytes);
      expect(doc.body).toBe('Buy flour. Bake bread.');
    });

    test('comments: add on a range, reply, resolve', async () => {
      const threads = expectOk(record('addComment', await page.addComment(documentId, { text: 'Which flour?', anchor: { from: 4, to: 9 } })));
      expect(threads).toHaveLength(1);
      expect(threads[0]!.anchor).toEqual({ from: 4, to: 9, quote: 'flour' });
      const threadId = threads[0]!.id;
      const replied = expectOk(record('reply', await otherPage.addComment(documentId, { text: 'Rye.', replyTo: threadId })));
      expect(replied[0]!.comments.map((c) => c.text)).toEqual(['Which flour?', 'Rye.']);
      const resolved = expectOk(record('resolveComment', await page.resolveComment(threadId, true)));
      expect(resolved[0]!.resolved).toBe(true);
    });

    test('a 10 MB file uploaded in chunks reads back byte for byte', async () => {
      const content = randomBytes(FILE_BYTES);
      const { uploadId } = expectOk(
        record('beginUpload', await page.beginUpload(workspaceId, { name: 'flour.bin', type: 'application/octet-stream', size: content.length })),
      );
      let received = 0;
      for (let offset = 0; offset < content.length; offset += UPLOAD_CHUNK_BYTES) {
        const chunk = new Uint8Array(content.subarray(offset, offset + UPLOAD_CHUNK_BYTES));
        received = expectOk(await page.uploadChunk(uploadId, chunk)).received;
      }
      expect(received).toBe(content.length);
      const info = expectOk(record('finishUpload', await page.finishUpload(uploadId)));
      expect(info).toMatchObject({ name: 'flour.bin', size: content.length });

      const hash = createHash('sha256');
      let offset = 0;
      let reads = 0;
      for (;;) {
        const { bytes, done } = expectOk(await otherPage.readFile(info.id, offset));
        hash.update(bytes);
        offset += bytes.length;
        reads += 1;
        if (done) break;
      }
      expect(offset).toBe(content.length);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
      expect(reads).toBe(Math.ceil(content.length / (1024 * 1024)));
      expect(expectOk(record('listFiles', await page.listFiles(workspaceId))).map((f) => f.name)).toEqual(['flour.bin']);
    });

    test('an upload that delivers fewer bytes than announced is refused and leaves no file', async () => {
      const { uploadId } = expectOk(await page.beginUpload(workspaceId, { name: 'short.bin', type: '', size: 100 }));
      expectOk(await page.uploadChunk(uploadId, new Uint8Array(40)));
      const finished = record('finishUpload short', await page.finishUpload(uploadId));
      expect(finished.ok === false && finished.error.code).toBe('BAD_REQUEST');
      const other = record('someone else’s upload', await otherPage.uploadChunk(uploadId, new Uint8Array(1)));
      expect(other.ok === false && other.error.code).toBe('NOT_FOUND');
      expect(expectOk(await page.listFiles(workspaceId)).map((f) => f.name)).toEqual(['flour.bin']);
    });

    test('search finds documents and comments; the audit log records security events', async () => {
      const hits = expectOk(record('search', await page.search('rye')));
      expect(hits.map((h) => [h.kind, h.documentId])).toEqual([['comment', documentId]]);
      const byTitle = expectOk(await page.search('baking'));
      expect(byTitle.map((h) => h.id)).toContain(documentId);
      const audit = expectOk(record('auditLog', await page.auditLog()));
      expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['vault.created', 'workspace.created']));
    });

    test('settings persist; lock sends `locked` to every page; calls then say VAULT_LOCKED; unlock brings it all back', async () => {
      expect(expectOk(record('updateSettings', await page.updateSettings({ theme: 'dark', autoLockMinutes: 5 })))).toMatchObject({
        theme: 'dark',
        autoLockMinutes: 5,
      });
      const stay = record('stayUnlocked without keychain', await page.updateSettings({ stayUnlocked: true }));
      expect(stay.ok === false && stay.error.code).toBe('UNAVAILABLE');

      const lockedEvents: unknown[] = [];
      otherPage.on('locked', (event) => lockedEvents.push(event));
      expectOk(record('lock', await page.lock()));
      await expect.poll(() => lockedEvents).toEqual([{ reason: 'user' }]);
      const refused = record('listWorkspaces locked', await otherPage.listWorkspaces());
      expect(refused.ok === false && refused.error.code).toBe('VAULT_LOCKED');
      expect(expectOk(await page.getSettings()).theme).toBe('dark');

      const wrong = record('unlock wrong', await page.unlock('not the passphrase'));
      expect(wrong.ok === false && wrong.error).toEqual({ code: 'WRONG_PASSPHRASE', message: expect.stringMatching(/try again/i) });
      expectOk(record('unlock', await page.unlock(PASSPHRASE)));
      const doc = A.load<DocumentContent>(expectOk(await otherPage.openDocument(documentId)).bytes);
      expect([doc.title, doc.body]).toEqual(['Baking plan', 'Buy flour. Bake bread.']);
    });

    test('passphrase change, profile update, delete document, file and workspace', async () => {
      expectOk(record('changePassphrase', await page.changePassphrase(PASSPHRASE, 'an even longer passphrase')));
      expect(expectOk(record('updateProfile', await page.updateProfile({ displayName: 'Countess Ada' }))).displayName).toBe('Countess Ada');
      const file = expectOk(await page.listFiles(workspaceId))[0]!;
      expectOk(record('deleteFile', await page.deleteFile(file.id)));
      expectOk(record('deleteDocument', await page.deleteDocument(documentId)));
      const gone = record('openDocument deleted', await page.openDocument(documentId));
      expect(gone.ok === false && gone.error.code).toBe('NOT_FOUND');
      expectOk(record('deleteWorkspace', await page.deleteWorkspace(workspaceId)));
      expect(expectOk(await page.listWorkspaces()).map((w) => w.name)).toEqual(['Personal']);
      expectOk(await page.lock());
      expectOk(await page.unlock('an even longer passphrase'));
    });
  });
}

test('every transport gave the same results for the same calls', () => {
  const [first, ...others] = transports.map((t) => transcripts.get(t.name));
  expect(first?.length).toBeGreaterThan(30);
  for (const other of others) expect(other).toEqual(first);
});

afterAll(() => removeElectronBuild());
