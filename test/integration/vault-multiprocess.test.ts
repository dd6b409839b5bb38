/**
 * One vault, several processes: the app's API (a real session in this process, its page
 * driven through the door) and `hearth` CLI processes writing the same documents at once.
 * Nothing acknowledged is lost, every copy (the page's replica, the app's vault copy, the file
 * as a fresh CLI reads it) converges, no process dies, and the page hears other processes'
 * changes as they happen.
 */
import * as A from '@automerge/automerge';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { HearthApi } from '../../common/api/contract.ts';
import { bodyAsMarkdown } from '../../common/richtext/index.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import type { Session } from '../../main/app/session.ts';
import { bodyText, type DocumentContent } from '../../main/vault/documents.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { Vault } from '../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE as TEST_PASSPHRASE } from '../support/vault.ts';
import { jsonOf, runHearth, type Run } from './cli-fixture.ts';
import { eventually } from './sync-fixture.ts';
import { expectOk, testSession } from './transport-fixture.ts';

const PASSPHRASE = 'passphrase of the shared vault';
/** How long the writers keep writing at once. */
const WRITE_FOR_MS = Number(process.env.HEARTH_MULTIPROCESS_MS ?? 15_000);

type Doc = A.Doc<DocumentContent>;

/** A page of the app: its API, and its replicas of open documents kept up to date from documentChanged. */
async function openPage(session: Session) {
  const api: HearthApi & { close(): void } = connectInProcess(session);
  const replicas = new Map<string, Doc>();
  const heard: Array<{ documentId: string; changes: number }> = [];
  api.on('documentChanged', ({ documentId, changes }) => {
    heard.push({ documentId, changes: changes.length });
    const replica = replicas.get(documentId);
    if (replica && changes.length > 0) replicas.set(documentId, A.applyChanges(replica, changes)[0]);
  });
  return {
    api,
    heard,
    replicas,
    async open(documentId: string): Promise<Doc> {
      const { bytes } = expectOk(await api.openDocument(documentId));
      const replica = A.load<DocumentContent>(bytes);
      replicas.set(documentId, replica);
      return replica;
    },
    /** Types `text` at the end of the body in the replica and saves it through the API, as the editor does. */
    async append(documentId: string, text: string) {
      const before = replicas.get(documentId)!;
      const after = A.change(before, (d) => A.splice(d, ['body'], d.body.length, 0, text));
      replicas.set(documentId, after);
      return api.applyChanges(documentId, [A.getLastLocalChange(after)!]);
    },
  };
}

function hearth(dir: string, args: string[]): Promise<Run> {
  return runHearth(args, { ...process.env, HEARTH_VAULT: dir, HEARTH_PASSPHRASE: PASSPHRASE });
}

const sessions: Session[] = [];
afterAll(async () => {
  for (const session of sessions) await session.close();
});

async function appWithVault() {
  const session = testSession({ kdfCost: MIN_KDF_COST, externalPollMs: 100 });
  sessions.push(session);
  const page = await openPage(session);
  expectOk(await page.api.createVault({ passphrase: PASSPHRASE, username: 'ada', displayName: 'Ada' }));
  const workspace = expectOk(await page.api.listWorkspaces())[0]!;
  return { session, page, dir: session.vaultDir, workspace };
}

describe('one vault, the app and the CLI at once', () => {
  it('a CLI edit of a document the app has open reaches the page, and the app saves after it', async () => {
    const { page, dir, workspace } = await appWithVault();
    const doc = expectOk(await page.api.createDocument(workspace.id, { title: 'Plans' }));
    await page.open(doc.id);
    expectOk(await page.append(doc.id, 'typed in the app. '));

    const edit = await hearth(dir, ['doc', 'edit', doc.id, '--append', 'Added from the command line.']);
    expect(edit).toMatchObject({ code: 0, stderr: '' });
    // The page hears it without asking, with the change bytes its editor needs.
    await eventually(() => bodyText(page.replicas.get(doc.id)!).includes('Added from the command line.'), 'the CLI edit in the page');
    expect(page.heard.some((e) => e.documentId === doc.id && e.changes > 0)).toBe(true);

    // The app's next save builds on the CLI's edit and succeeds (was: INTERNAL, a UNIQUE constraint on the chunks).
    expectOk(await page.append(doc.id, 'And typed again.'));
    const shown = jsonOf<{ markdown: string; title: string }>(await hearth(dir, ['doc', 'show', doc.id, '--json']));
    expect(shown.markdown).toContain('typed in the app.');
    expect(shown.markdown).toContain('Added from the command line.');
    expect(shown.markdown).toContain('And typed again.');

    // A title changed and a comment added by the CLI reach the page's list and comments.
    expect((await hearth(dir, ['doc', 'edit', doc.id, '--title', 'Plans for May'])).code).toBe(0);
    expect((await hearth(dir, ['comment', 'add', doc.id, '--text', 'from a script'])).code).toBe(0);
    await eventually(async () => expectOk(await page.api.listDocuments(workspace.id)).some((d) => d.title === 'Plans for May'), 'the new title in the list');
    await eventually(async () => expectOk(await page.api.listComments(doc.id)).some((t) => t.comments.some((c) => c.text === 'from a script')), 'the comment');
    expect(page.replicas.get(doc.id)!.title).toBe('Plans for May');
  }, 60_000);

  it(`the app and two CLI processes writing the same documents for ${WRITE_FOR_MS / 1000} s lose nothing acknowledged and converge`, async () => {
    const { page, dir, workspace } = await appWithVault();
    const docs = [
      expectOk(await page.api.createDocument(workspace.id, { title: 'Shared A' })),
      expectOk(await page.api.createDocument(workspace.id, { title: 'Shared B' })),
    ];
    for (const doc of docs) await page.open(doc.id);

    const acknowledged = new Map<string, string[]>(docs.map((d) => [d.id, []]));
    const comments: string[] = [];
    const failures: string[] = [];
    const until = Date.now() + WRITE_FOR_MS;

    const appWriter = async () => {
      for (let n = 0; Date.now() < until; n++) {
        const doc = docs[n % 2]!;
        const token = `app${n}z`;
        const saved = await page.append(doc.id, ` ${token}`);
        if (saved.ok) acknowledged.get(doc.id)!.push(token);
        else failures.push(`app: ${saved.error.code} ${saved.error.message}`);
        if (n % 10 === 5) {
          const text = `appnote${n}`;
          if ((await page.api.addComment(doc.id, { text })).ok) comments.push(text);
        }
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    };
    const cliWriter = async (name: string) => {
      for (let n = 0; Date.now() < until; n++) {
        const doc = docs[n % 2]!;
        const token = `${name}x${n}y`;
        const comment = n % 4 === 3;
        const run = comment ? await hearth(dir, ['comment', 'add', doc.id, '--text', token]) : await hearth(dir, ['doc', 'edit', doc.id, '--append', token]);
        if (run.code === 0) (comment ? comments : acknowledged.get(doc.id)!).push(token);
        else failures.push(`${name}: exit ${run.code}: ${run.stderr}`);
      }
    };
    await Promise.all([appWriter(), cliWriter('clione'), cliWriter('clitwo')]);

    // Errors, if any, are one clear line (VAULT_BUSY's, say), never a stack or a crash.
    for (const failure of failures) {
      expect(failure).not.toMatch(/unexpected error|INTERNAL|UNIQUE|SqliteError|\n\s+at /);
      expect(failure.trim().split('\n')).toHaveLength(1);
    }
    const written = [...[...acknowledged.values()].flat(), ...comments];
    for (const writer of ['clione', 'clitwo']) expect(written.filter((t) => t.startsWith(writer)).length, `${writer} got writes in`).toBeGreaterThanOrEqual(2);

    for (const doc of docs) {
      const expected = acknowledged.get(doc.id)!;
      // The page's replica (fed only by documentChanged events), the app's vault copy, and the file as a new process reads it.
      await eventually(
        () => expected.every((token) => bodyText(page.replicas.get(doc.id)!).includes(token)),
        `every write in the page's copy of ${doc.title}`,
        15_000,
      );
      const appCopy = A.load<DocumentContent>(expectOk(await page.api.openDocument(doc.id)).bytes);
      const fileCopy = jsonOf<{ markdown: string }>(await hearth(dir, ['doc', 'show', doc.id, '--json']));
      for (const token of expected) {
        expect(bodyText(appCopy)).toContain(token);
        expect(fileCopy.markdown).toContain(token);
      }
      expect(A.getHeads(page.replicas.get(doc.id)!).sort()).toEqual(A.getHeads(appCopy).sort());
      expect(bodyAsMarkdown(page.replicas.get(doc.id)!)).toBe(fileCopy.markdown);
    }
    const listed = [
      ...(await Promise.all(docs.map(async (d) => expectOk(await page.api.listComments(d.id))))).flat().flatMap((t) => t.comments.map((c) => c.text)),
    ];
    expect(listed.sort()).toEqual([...comments].sort());
    // The vault is whole: the audit log (written by every process at every unlock) has no gap or clash.
    const audit = expectOk(await page.api.auditLog());
    expect(audit.map((e) => e.seq)).toEqual(audit.map((_, i) => i + 1));
  }, 120_000);

  it('three processes appending to one document as fast as they can, compacting as they go, lose nothing', async () => {
    const setup = await createTestVault();
    const doc = setup.documents.create(setup.workspaces.list()[0]!.id, { title: 'Race' });
    setup.lock();
    const writer = (name: string) =>
      new Promise<string[]>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/race-writer.ts', setup.dir, TEST_PASSPHRASE, doc.id, name, '120'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (out += b.toString()));
        child.on('close', (code) => resolve([...out.trim().split('\n'), `exit ${code}`]));
      });
    const lines = (await Promise.all([writer('one'), writer('two'), writer('three')])).flat();
    expect(lines.filter((line) => !line.startsWith('ack ') && line !== 'exit 0')).toEqual([]);
    const acknowledged = lines.filter((line) => line.startsWith('ack ')).map((line) => line.slice(4));
    expect(acknowledged).toHaveLength(360);

    const vault = await Vault.unlock(setup.dir, TEST_PASSPHRASE);
    const body = vault.documents.get(doc.id).body;
    expect(acknowledged.filter((token) => !body.includes(` ${token} `))).toEqual([]);
    vault.lock();
  }, 120_000);
});
