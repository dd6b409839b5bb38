/**
 * Every vault change event says where the change came from — a page (with its connection), this
 * process, a peer, an import, or another process on the same file — so listeners need no
 * "was that me?" flags. A second Vault on the same file is a second SQLite connection, exactly
 * what another process is to this one.
 */
import * as A from '@automerge/automerge';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importPath } from '../../../main/portability/import.ts';
import type { ChangeOrigin } from '../../../main/vault/events.ts';
import { Vault } from '../../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE, tempDir } from '../../support/vault.ts';

type Heard = Array<{ what: string; id: string; origin: ChangeOrigin; changes?: number }>;

function listen(vault: Vault): Heard {
  const heard: Heard = [];
  vault.documents.changed.on(({ documentId, changes, origin }) => heard.push({ what: 'document', id: documentId, origin, changes: changes.length }));
  vault.documents.deleted.on(({ documentId, origin }) => heard.push({ what: 'document deleted', id: documentId, origin }));
  vault.comments.changed.on(({ commentId, deleted, origin }) => heard.push({ what: deleted ? 'comment deleted' : 'comment', id: commentId, origin }));
  vault.files.added.on(({ info, origin }) => heard.push({ what: 'file', id: info.id, origin }));
  vault.files.deleted.on(({ fileId, origin }) => heard.push({ what: 'file deleted', id: fileId, origin }));
  vault.workspaces.changed.on(({ origin }) => heard.push({ what: 'workspaces', id: '', origin }));
  return heard;
}

describe('vault change events carry their origin', () => {
  it('this process, a page, a peer, an import', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const heard = listen(vault);
    const doc = vault.documents.create(ws.id, { title: 'Mine' });
    vault.withOrigin({ kind: 'page', connectionId: 7 }, () => vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'typed')));
    const peer = A.change(A.load<{ body: string }>(vault.documents.save(doc.id)), (d) => A.splice(d, ['body'], 0, 0, 'from a peer '));
    vault.withOrigin({ kind: 'remote' }, () => vault.documents.applyChanges(doc.id, [A.getLastLocalChange(peer)!]));
    const comment = vault.withOrigin({ kind: 'page', connectionId: 7 }, () => vault.comments.add(doc.id, { text: 'hm' }));
    const file = await vault.files.add(ws.id, { name: 'a.txt', source: [Buffer.from('a')], origin: { kind: 'page', connectionId: 7 } });
    vault.files.delete(file.id);
    vault.comments.delete(comment.id);
    const folder = join(tempDir(), 'notes');
    mkdirSync(folder);
    writeFileSync(join(folder, 'one.md'), '# One\n\nimported');
    await importPath(vault, folder);
    vault.documents.delete(doc.id);

    const page = { kind: 'page', connectionId: 7 };
    expect(heard.filter((e) => e.what !== 'document' || e.id === doc.id)).toEqual([
      { what: 'document', id: doc.id, origin: { kind: 'local' }, changes: 2 },
      { what: 'document', id: doc.id, origin: page, changes: 1 },
      { what: 'document', id: doc.id, origin: { kind: 'remote' }, changes: 1 },
      { what: 'comment', id: comment.id, origin: page },
      { what: 'file', id: file.id, origin: page },
      { what: 'file deleted', id: file.id, origin: { kind: 'local' } },
      { what: 'comment deleted', id: comment.id, origin: { kind: 'local' } },
      { what: 'document deleted', id: doc.id, origin: { kind: 'local' } },
    ]);
    expect(heard.filter((e) => e.what === 'document' && e.id !== doc.id).map((e) => e.origin)).toEqual([{ kind: 'import' }]);
    vault.lock();
  });

  it("another process's writes: 'external', with the change bytes for an open document, and never this process's own", async () => {
    const app = await createTestVault();
    const ws = app.workspaces.list()[0]!;
    const open = app.documents.create(ws.id, { title: 'Open here', init: (d) => A.splice(d, ['body'], 0, 0, 'start') });
    const closed = app.documents.create(ws.id, { title: 'Not open' });
    const doomed = app.documents.create(ws.id, { title: 'Doomed' });
    app.pickUpExternalChanges(); // the first look notes what is there
    const heard = listen(app);
    // This process's own writes between looks are not reported as someone else's.
    app.documents.change(open.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' mine'));
    app.comments.add(closed.id, { text: 'mine' });
    app.pickUpExternalChanges();
    expect(heard.map((e) => e.origin.kind)).toEqual(['local', 'local']);
    heard.length = 0;

    const cli = await Vault.unlock(app.dir, PASSPHRASE);
    cli.documents.change(open.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' theirs'));
    cli.documents.change(closed.id, (d) => A.updateText(d, ['title'], 'Renamed there'));
    const comment = cli.comments.add(open.id, { text: 'theirs' });
    const file = await cli.files.add(ws.id, { name: 'b.txt', source: [Buffer.from('b')] });
    cli.documents.delete(doomed.id);
    cli.workspaces.create({ name: 'Made there' });
    cli.lock();

    app.pickUpExternalChanges();
    expect(heard.every((e) => e.origin.kind === 'external')).toBe(true);
    const what = heard.map((e) => `${e.what} ${e.id}`);
    expect(what).toEqual(
      expect.arrayContaining([
        `document ${open.id}`,
        `document ${closed.id}`,
        `comment ${comment.id}`,
        `file ${file.id}`,
        `document deleted ${doomed.id}`,
        'workspaces ',
      ]),
    );
    expect(heard.find((e) => e.what === 'document' && e.id === open.id)!.changes).toBeGreaterThan(0);
    // The app's copy has it all, and its next write builds on it.
    expect(app.documents.get(open.id).body).toBe('start mine theirs');
    expect(app.documents.list(ws.id).map((d) => d.title)).toContain('Renamed there');
    expect(app.search('theirs').map((h) => h.id)).toEqual(expect.arrayContaining([open.id, comment.id]));
    app.documents.change(open.id, (d) => A.splice(d, ['body'], d.body.length, 0, ' again'));
    expect(app.workspaces.list().map((w) => w.name)).toContain('Made there');
    heard.length = 0;
    app.pickUpExternalChanges();
    expect(heard).toEqual([]);
    app.lock();
  });
});
