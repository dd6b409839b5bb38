// Files in a team workspace over a real relay: an attachment reaches the other members byte for
// byte (several chunks, also live), the relay's storage and every frame hold none of its bytes or
// its name (S1), an Editor's deletion is refused by the client and the relay, the Owner's
// deletion removes it at the relay and at peers, and a workspace converted to team keeps the files
// it had on the device, as the conversion's message says.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, tryOpen, utf8 } from '../../common/crypto/sodium.ts';
import { RelayClient } from '../../common/protocol/client.ts';
import type { Vault } from '../../main/vault/vault.ts';
import { findInFiles, tempDir } from '../support/vault.ts';
import { createSocket, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closeAll, deviceOf, eventually, frameRecorder, makePeer, type Peer } from './sync-fixture.ts';
import { routeThrough, startHostileProxy, type HostileProxy } from './sync-proxy.ts';

const MARK = `f${process.pid}x${Date.now().toString(36)}`;
const NAME_MARK = `FILENAME-${MARK}`;
const BYTES_MARK = `FILEBYTES-${MARK}`;

const { frames, createSocket: recordingSocket } = frameRecorder();

let relay: TestRelay;
let ann: Peer; // owner
let bob: Peer; // editor
let cat: Peer; // viewer, behind a hostile proxy
let proxy: HostileProxy;
let workspaceId: string;
let fileId: string;
/** 2.5 MiB: three chunks, the marker in each of them. */
const content = Buffer.concat([
  randomBytes(1024 * 1024 - 100),
  Buffer.from(BYTES_MARK),
  randomBytes(1024 * 1024),
  Buffer.from(BYTES_MARK),
  randomBytes(512 * 1024),
  Buffer.from(BYTES_MARK),
]);

async function bytesOf(vault: Vault, id: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of vault.files.read(id)) parts.push(part);
  return Buffer.concat(parts);
}

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann', { createSocket: recordingSocket });
  bob = await makePeer(relay.url, 'bob', { createSocket: recordingSocket });
  workspaceId = (await ann.engine.createTeamWorkspace('Studio', relay.url)).id;
  await ann.engine.invite(workspaceId, bob.vault.profile.username, 'editor');
  await bob.engine.acceptInvitation(workspaceId);
  proxy = await startHostileProxy(relay.url);
  cat = await makePeer(relay.url, 'cat');
  await routeThrough(cat, proxy);
  await ann.engine.invite(workspaceId, cat.vault.profile.username, 'viewer');
  await cat.engine.acceptInvitation(workspaceId);
});
afterAll(() => closeAll([ann, bob, cat], { proxy, relay }));

describe('files in a team workspace', () => {
  it('an attachment reaches another member byte for byte, with its name and type', async () => {
    fileId = (await ann.vault.files.add(workspaceId, { name: `${NAME_MARK}.bin`, type: 'application/octet-stream', source: [content] })).id;
    const progress: string[] = [];
    const record = (s: { transfer?: { direction: string; done: number; total: number } }) =>
      s.transfer && progress.push(`${s.transfer.direction} ${s.transfer.done}/${s.transfer.total}`);
    const stops = [ann.engine.onStatus(record), bob.engine.onStatus(record)];
    await ann.engine.syncOnce(workspaceId);
    await bob.engine.syncOnce(workspaceId);
    for (const stop of stops) stop();
    // Long transfers show progress, chunk by chunk, both ways; the status forgets it when done.
    expect(progress).toEqual(
      expect.arrayContaining([
        `up 0/${content.length}`,
        `up ${1024 * 1024}/${content.length}`,
        `up ${content.length}/${content.length}`,
        `down ${content.length}/${content.length}`,
      ]),
    );
    expect(ann.engine.status(workspaceId)[0]!.transfer).toBeUndefined();
    expect(bob.vault.files.list(workspaceId)).toEqual([
      expect.objectContaining({ id: fileId, name: `${NAME_MARK}.bin`, type: 'application/octet-stream', size: content.length }),
    ]);
    expect((await bytesOf(bob.vault, fileId)).equals(content)).toBe(true);
    const [stored] = await relay.store.driver.all('SELECT count(*) AS n FROM file_chunks WHERE space = ? AND file = ?', [workspaceId, fileId]);
    expect(Number(stored!.n)).toBe(3);
  });

  it('S1: the relay stored and received only ciphertext: no byte of the file, nor its name', () => {
    const needles = [NAME_MARK, BYTES_MARK, content.subarray(2 * 1024 * 1024, 2 * 1024 * 1024 + 64)];
    expect(findInFiles(relay.dataDir, needles)).toEqual([]);
    expect(frames.length).toBeGreaterThan(10);
    for (const needle of needles) {
      const form = typeof needle === 'string' ? Buffer.from(needle) : Buffer.from(needle);
      expect(frames.some((frame) => Buffer.from(frame).includes(form))).toBe(false);
    }
    // Control: the same scan finds the markers where they are in clear.
    const control = tempDir('hearth-files-control-');
    writeFileSync(join(control, `${NAME_MARK}.txt`), Buffer.concat([Buffer.from(NAME_MARK), content]));
    expect(findInFiles(control, needles).length).toBe(needles.length);
  });

  it('a relay that swaps or alters file chunks is caught: the file is not kept, the user is warned, an honest relay delivers it later', async () => {
    const warnings: string[] = [];
    cat.engine.onWarning((w) => warnings.push(w.message));
    let first: Uint8Array | undefined;
    proxy.rewrite = (frame) => {
      if (frame.t !== 'fileData' || frame.file !== fileId) return frame;
      if (frame.index === 0) first = frame.parts[0];
      return frame.index === 1 && first ? { ...frame, parts: [first] } : frame; // chunk 0 again in place of chunk 1
    };
    try {
      await cat.engine.syncOnce(workspaceId);
    } finally {
      proxy.rewrite = (frame) => frame;
    }
    expect(cat.vault.files.has(fileId)).toBe(false);
    expect(warnings.join('\n')).toMatch(/^Studio: .*file chunk \(2 of 3\) that does not decrypt in its place/m);
    proxy.rewrite = (frame) => {
      if (frame.t !== 'fileData' || frame.index !== 2) return frame;
      const bytes = frame.parts[0]!.slice();
      bytes[100] = bytes[100]! ^ 1;
      return { ...frame, parts: [bytes] };
    };
    try {
      await cat.engine.syncOnce(workspaceId);
    } finally {
      proxy.rewrite = (frame) => frame;
    }
    expect(cat.vault.files.has(fileId)).toBe(false);
    expect(warnings.join('\n')).toMatch(/file chunk \(3 of 3\) that does not decrypt/);
    await cat.engine.syncOnce(workspaceId);
    expect((await bytesOf(cat.vault, fileId)).equals(content)).toBe(true);
  });

  it('files go the other way too, and arrive live while both engines run', async () => {
    ann.engine.start();
    bob.engine.start();
    try {
      const small = Buffer.from('a small note from bob');
      const id = (await bob.vault.files.add(workspaceId, { name: 'note.txt', source: [small] })).id;
      await eventually(() => ann.vault.files.has(id), 'bob’s file at ann');
      expect((await bytesOf(ann.vault, id)).equals(small)).toBe(true);
      const empty = (await ann.vault.files.add(workspaceId, { name: 'empty.txt', source: [] })).id;
      await eventually(() => bob.vault.files.has(empty), 'an empty file at bob');
      expect(bob.vault.files.info(empty).size).toBe(0);
    } finally {
      await ann.engine.stop();
      await bob.engine.stop();
    }
  });

  it('an Editor may not delete a file: refused by the client naming the role, and by the relay', async () => {
    await expect(bob.engine.deleteFile(fileId)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/Editor/) });
    const client = await RelayClient.connect(relay.url, createSocket);
    await client.signIn(deviceOf(bob));
    await expect(client.fileDelete(workspaceId, fileId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    client.close();
    expect(bob.vault.files.has(fileId)).toBe(true);
  });

  it("the Owner's deletion removes the file at the relay and at the other member", async () => {
    await ann.engine.deleteFile(fileId);
    expect(ann.vault.files.has(fileId)).toBe(false);
    expect(await relay.store.driver.all('SELECT idx FROM file_chunks WHERE space = ? AND file = ?', [workspaceId, fileId])).toEqual([]);
    await bob.engine.syncOnce(workspaceId);
    expect(bob.vault.files.has(fileId)).toBe(false);
    await bob.engine.syncOnce(workspaceId);
    expect(bob.vault.files.has(fileId)).toBe(false);
    expect(bob.engine.quarantined(workspaceId)).toEqual([]);
  });

  it("a file deleted with the vault alone: an Editor gets it back, the Owner's deletion goes out at the next sync", async () => {
    const id = (await ann.vault.files.add(workspaceId, { name: 'shared.txt', source: [Buffer.from('shared bytes')] })).id;
    await ann.engine.syncOnce(workspaceId);
    await bob.engine.syncOnce(workspaceId);
    bob.vault.files.delete(id);
    await bob.engine.syncOnce(workspaceId);
    expect((await bytesOf(bob.vault, id)).toString()).toBe('shared bytes');
    ann.vault.files.delete(id);
    await ann.engine.syncOnce(workspaceId);
    expect(await relay.store.driver.all('SELECT file FROM files WHERE space = ? AND file = ?', [workspaceId, id])).toEqual([]);
    await bob.engine.syncOnce(workspaceId);
    expect(bob.vault.files.has(id)).toBe(false);
  });

  it('S4 for files: after a removal, a new file opens with none of the keys the removed member held', async () => {
    await bob.engine.syncOnce(workspaceId);
    const bobKeys = Object.values(bob.vault.syncState.space(workspaceId)!.epochKeys).map(fromHex);
    await ann.engine.removeMember(workspaceId, bob.vault.profile.username);
    const id = (await ann.vault.files.add(workspaceId, { name: 'after.txt', source: [Buffer.from(`AFTER-REMOVAL-${MARK}`)] })).id;
    await ann.engine.syncOnce(workspaceId);
    const [row] = await relay.store.driver.all('SELECT bytes FROM file_chunks WHERE space = ? AND file = ? AND idx = 0', [workspaceId, id]);
    const sealed = new Uint8Array(row!.bytes as Buffer);
    expect(sealed.length).toBeGreaterThan(40);
    for (const key of bobKeys) {
      for (let count = 1; count <= 2; count++) expect(tryOpen(key, sealed, utf8(`hearth-file-chunk|v1|${workspaceId}|${id}|0|${count}`))).toBeUndefined();
    }
    // Control: the current key opens it.
    const current = ann.vault.syncState.space(workspaceId)!;
    const epoch = Math.max(...Object.keys(current.epochKeys).map(Number));
    expect(Buffer.from(tryOpen(fromHex(current.epochKeys[epoch]!), sealed, utf8(`hearth-file-chunk|v1|${workspaceId}|${id}|0|1`))!).toString()).toBe(
      `AFTER-REMOVAL-${MARK}`,
    );
  });

  it('a workspace turned into a team one keeps the files it had on the device; files added afterwards sync', async () => {
    const personal = ann.vault.workspaces.create({ name: 'Portfolio' });
    const kept = (await ann.vault.files.add(personal.id, { name: 'kept-local.txt', source: [Buffer.from('stays here')] })).id;
    expect(ann.engine.describeTeamConversion(personal.id).message).toMatch(/1 attached file stays on this device/);
    await ann.engine.convertToTeam(personal.id, relay.url, true);
    const later = (await ann.vault.files.add(personal.id, { name: 'later.txt', source: [Buffer.from('goes up')] })).id;
    await ann.engine.syncOnce(personal.id);
    const onRelay = (await relay.store.driver.all('SELECT file FROM files WHERE space = ?', [personal.id])).map((r) => r.file);
    expect(onRelay).toEqual([later]);
    expect(onRelay).not.toContain(kept);
  });
});
