/**
 * S2: personal workspaces never touch the network. A recorder wraps every way Node opens a
 * connection or resolves a name (TCP/IPC sockets, TLS, HTTP, fetch, DNS, UDP) while a whole
 * session of personal-workspace use goes through the API, in-process and in browser mode.
 */
import * as A from '@automerge/automerge';
import dns from 'node:dns';
import { createServer } from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { recordConnections } from '../support/connection-recorder.ts';
import type { HearthApi } from '../../common/api/contract.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { browserWebSocket, expectOk, inProcess, type Transport } from './transport-fixture.ts';

/** Everything a user does in a personal workspace, through the API. */
async function personalSession(api: HearthApi): Promise<void> {
  expectOk(await api.createVault({ passphrase: 'a long enough passphrase', username: 'ada', displayName: 'Ada' }));
  const personal = expectOk(await api.listWorkspaces())[0]!;
  const notes = expectOk(await api.createWorkspace('Notes'));
  for (const workspace of [personal, notes]) {
    const doc = expectOk(await api.createDocument(workspace.id, { title: 'Private plan', tags: ['secret'] }));
    const replica = A.load<DocumentContent>(expectOk(await api.openDocument(doc.id)).bytes);
    const edited = A.change(replica, (d) => A.splice(d, ['body'], 0, 0, 'Nobody may see this.'));
    expectOk(await api.applyChanges(doc.id, A.getChanges(replica, edited)));
    expectOk(await api.updateDocument(doc.id, { title: 'Private plans' }));
    const threads = expectOk(await api.addComment(doc.id, { text: 'Really nobody.', anchor: { from: 0, to: 6 } }));
    expectOk(await api.resolveComment(threads[0]!.id, true));
    const { uploadId } = expectOk(await api.beginUpload(workspace.id, { name: 'diary.txt', type: 'text/plain', size: 3_000_000 }));
    expectOk(await api.uploadChunk(uploadId, new Uint8Array(3_000_000).fill(7)));
    const file = expectOk(await api.finishUpload(uploadId));
    for (let offset = 0, done = false; !done;) {
      const chunk = expectOk(await api.readFile(file.id, offset));
      offset += chunk.bytes.length;
      done = chunk.done;
    }
  }
  expect(expectOk(await api.search('nobody')).length).toBeGreaterThan(0);
  expectOk(await api.auditLog());
  expectOk(await api.updateSettings({ theme: 'dark', autoLockMinutes: 1 }));
  expectOk(await api.updateProfile({ displayName: 'Ada L.' }));
  expectOk(await api.lock());
  expectOk(await api.unlock('a long enough passphrase'));
  expectOk(await api.changePassphrase('a long enough passphrase', 'another long passphrase'));
  const doc = expectOk(await api.listDocuments(notes.id))[0]!;
  expectOk(await api.deleteDocument(doc.id));
  expectOk(await api.deleteWorkspace(notes.id));
  expectOk(await api.lock());
}

let recorder: ReturnType<typeof recordConnections> | undefined;
beforeEach(() => {
  recorder = undefined;
});
afterEach(() => recorder?.stop());

test('the recorder sees a connection when there is one (so silence below means something)', async () => {
  const server = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder = recordConnections();
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.destroy());
    socket.on('close', () => resolve());
  });
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
  dns.lookup('localhost', () => undefined);
  recorder.stop();
  server.closeAllConnections();
  server.close();
  expect(recorder.attempts.map((a) => a.via)).toEqual(expect.arrayContaining(['net.Socket#connect', 'fetch', 'dns.lookup']));
  expect(recorder.attempts.find((a) => a.via === 'net.Socket#connect')?.target).toBe(`127.0.0.1:${port}`);
});

test('S2: a whole personal-workspace session through the in-process door opens no connection and resolves no name', async () => {
  recorder = recordConnections();
  const app = await inProcess.start();
  await personalSession(await app.connect());
  await app.close();
  recorder.stop();
  expect(recorder.attempts).toEqual([]);
});

test('S2: in browser mode, the only connection is the page’s own to 127.0.0.1', async () => {
  const transport: Transport = browserWebSocket;
  const app = await transport.start();
  recorder = recordConnections();
  await personalSession(await app.connect());
  await app.close();
  recorder.stop();
  const outbound = recorder.attempts.filter((a) => !/^127\.0\.0\.1:\d+$/.test(a.target));
  expect(outbound).toEqual([]);
  // One socket: the test's page connecting to the server. The server itself opened nothing.
  expect(recorder.attempts.filter((a) => a.via === 'net.Socket#connect')).toHaveLength(1);
});
