// S3: the vault folder holds no plaintext content and no unwrapped key.
// S6 (items): deleting a document, comment or file leaves none of its bytes behind.
import * as A from '@automerge/automerge';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, loadSodium } from '../../common/crypto/sodium.ts';
import { deriveKek, deriveSubkey, SubkeyPurpose, unwrapMasterKey, type KdfParams } from '../../main/vault/keys.ts';
import { VAULT_FILE_NAME, type Vault } from '../../main/vault/vault.ts';
import { createTestVault, findInFiles, PASSPHRASE } from '../support/vault.ts';

const marker = (what: string) => `MARKER-${what}-${Math.random().toString(36).slice(2, 10)}`;

/** Every key the vault ever unwraps, recovered the way an attacker with the passphrase would. */
async function unwrappedKeys(vault: Vault): Promise<Uint8Array[]> {
  await loadSodium();
  const db = new BetterSqlite3(join(vault.dir, VAULT_FILE_NAME), { readonly: true });
  const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer }).value;
  const kdf = JSON.parse(meta('kdf').toString()) as KdfParams;
  const masterKey = unwrapMasterKey(deriveKek(PASSPHRASE, kdf), meta('master_key'), meta('vault_id').toString())!;
  db.close();
  const identity = vault.identityKeys();
  return [
    masterKey,
    deriveSubkey(masterKey, SubkeyPurpose.records),
    ...vault.workspaces.list().map((w) => vault.workspaces.keyOf(w.id).slice()),
    identity.signSecretKey.slice(0, 32),
    identity.boxSecretKey,
    fromHex(vault.publicKeys.signPublicKey),
  ].map((key) => key.slice(0, 32));
}

describe('S3: nothing readable in the vault folder', () => {
  it('markers written through every feature appear in no file, open or locked, and neither does any key', async () => {
    const m = {
      username: `mkr-user-${Math.random().toString(36).slice(2, 8)}`,
      displayName: marker('display'),
      avatar: marker('avatar'),
      workspace: marker('workspace'),
      title: marker('title'),
      body: marker('body'),
      tag: marker('tag').toLowerCase(),
      comment: marker('comment'),
      reply: marker('reply'),
      fileName: `${marker('filename')}.txt`,
      fileBytes: marker('filebytes'),
    };
    const vault = await createTestVault({
      profile: { username: m.username, displayName: m.displayName, avatar: `data:image/png;base64,${Buffer.from(m.avatar).toString('base64')}` },
    });
    const ws = vault.workspaces.create({ name: m.workspace });
    const doc = vault.documents.create(ws.id, { title: m.title, tags: [m.tag], init: (d) => A.splice(d, ['body'], 0, 0, `intro ${m.body} outro`) });
    for (let i = 0; i < 50; i++) vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, `${m.body.slice(0, 4)} `));
    const thread = vault.comments.add(doc.id, { text: m.comment, anchor: { from: 0, to: 4 } });
    vault.comments.add(doc.id, { text: m.reply, replyTo: thread.id });
    vault.comments.resolve(thread.id);
    await vault.files.add(ws.id, { name: m.fileName, source: [Buffer.from(`${m.fileBytes}\n`.repeat(1000))] });
    expect(vault.search(m.comment.toLowerCase()).length).toBeGreaterThan(0);
    const keys = await unwrappedKeys(vault);
    const needles = [...Object.values(m), Buffer.from(m.avatar).toString('base64'), ...keys];

    expect(findInFiles(vault.dir, needles), 'while unlocked (database, WAL, shared memory)').toEqual([]);
    vault.lock();
    expect(findInFiles(vault.dir, needles), 'after lock').toEqual([]);
    // The scan can fail: the same markers are found once written in clear.
    const control = new BetterSqlite3(join(vault.dir, 'control.sqlite'));
    control.exec('CREATE TABLE t (v TEXT)');
    control.prepare('INSERT INTO t VALUES (?)').run(m.comment);
    control.close();
    expect(findInFiles(vault.dir, [m.comment])).toHaveLength(1);
  });
});

describe('S6: a deleted item leaves nothing behind', () => {
  /** The sealed bytes of rows, read beside the open vault (WAL readers do not block). */
  function sealedRows(vault: Vault, sql: string, ...params: string[]): Buffer[] {
    const db = new BetterSqlite3(join(vault.dir, VAULT_FILE_NAME), { readonly: true });
    try {
      return (db.prepare(sql).all(...params) as Array<{ sealed: Buffer }>).map((r) => r.sealed);
    } finally {
      db.close();
    }
  }

  /** Distinctive slices of each ciphertext: its random nonce and the bytes after it. */
  function fingerprints(blobs: Buffer[]): Uint8Array[] {
    return blobs.flatMap((blob) => [blob.subarray(0, 24), blob.subarray(24, 56)]);
  }

  it('documents, comments and files: their markers and their ciphertext are gone from every file', async () => {
    const vault = await createTestVault();
    const ws = vault.workspaces.list()[0]!;
    const keep = vault.documents.create(ws.id, { title: 'keep me', init: (d) => A.splice(d, ['body'], 0, 0, 'still here') });
    const doomed = { title: marker('doomed-title'), body: marker('doomed-body'), comment: marker('doomed-comment'), file: marker('doomed-file') };
    const doc = vault.documents.create(ws.id, { title: doomed.title, init: (d) => A.splice(d, ['body'], 0, 0, doomed.body.repeat(400)) });
    for (let i = 0; i < 20; i++) vault.documents.change(doc.id, (d) => A.splice(d, ['body'], i, 0, 'z'));
    const commentOnKept = vault.comments.add(keep.id, { text: doomed.comment });
    const file = await vault.files.add(ws.id, { name: 'doomed.bin', source: [Buffer.from(doomed.file.repeat(100_000))] });

    const docBlobs = sealedRows(
      vault,
      'SELECT sealed FROM document_chunks WHERE document_id = ? UNION ALL SELECT sealed_head FROM documents WHERE id = ? UNION ALL SELECT sealed_text FROM documents WHERE id = ?',
      doc.id,
      doc.id,
      doc.id,
    );
    const commentBlobs = sealedRows(vault, 'SELECT sealed FROM comments WHERE id = ?', commentOnKept.id);
    const fileBlobs = sealedRows(
      vault,
      'SELECT sealed FROM file_chunks WHERE file_id = ? UNION ALL SELECT sealed_meta AS sealed FROM files WHERE id = ?',
      file.id,
      file.id,
    );
    const all = fingerprints([...docBlobs, ...commentBlobs, ...fileBlobs]);
    // The scan can fail: before deletion the ciphertext is found.
    expect(findInFiles(vault.dir, all).length).toBeGreaterThan(0);

    vault.documents.delete(doc.id);
    vault.comments.delete(commentOnKept.id);
    vault.files.delete(file.id);
    expect(findInFiles(vault.dir, fingerprints(docBlobs)), 'document').toEqual([]);
    expect(findInFiles(vault.dir, fingerprints(commentBlobs)), 'comment').toEqual([]);
    expect(findInFiles(vault.dir, fingerprints(fileBlobs)), 'file').toEqual([]);
    vault.lock();
    expect(findInFiles(vault.dir, [...all, ...Object.values(doomed)])).toEqual([]);
  });
});
