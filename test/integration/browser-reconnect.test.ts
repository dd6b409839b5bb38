/**
 * Browser mode's client after its socket drops: calls made while it is down fail at once with
 * UNAVAILABLE (none hangs), it reconnects with backoff to the same server, events reach the
 * listeners registered before the drop, and a server restarted with a new token (what every
 * `npm start` does) is recognised as such: the client stops and says to open the new address.
 */
import { expect, test } from 'vitest';
import { startBrowserServer } from '../../main/browser/server.ts';
import { connectBrowserApi, reconnectDelay, type ConnectionState } from '../../renderer/api/browser-client.ts';
import { tempDir } from '../support/vault.ts';
import { expectOk, nodeSocket, testSession } from './transport-fixture.ts';

const profile = { passphrase: 'a long enough passphrase', username: 'ada', displayName: 'Ada' };

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

test('backoff doubles from 250 ms and stays at 5 s', () => {
  expect([0, 1, 2, 3, 4, 5, 10].map(reconnectDelay)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
});

test('a dropped socket: calls fail with UNAVAILABLE meanwhile, the client comes back by itself and events still arrive', async () => {
  const session = testSession();
  const rendererDir = tempDir('hearth-renderer-');
  const server = await startBrowserServer({ session, rendererDir });
  const states: ConnectionState[] = [];
  const api = await connectBrowserApi(server.origin, server.token, { createSocket: nodeSocket(server.origin), onConnection: (s) => states.push(s) });
  expectOk(await api.createVault(profile));
  const locked: unknown[] = [];
  api.on('locked', (event) => locked.push(event));

  server.dropConnections();
  await until(() => states.some((s) => s.kind === 'reconnecting'), 'reconnecting');
  const during = await api.listWorkspaces();
  // Either the drop was seen (UNAVAILABLE at once) or the client was already back.
  if (!during.ok) {
    expect(during.error.code).toBe('UNAVAILABLE');
    expect(during.error.message).toContain('reconnecting');
  }
  await until(() => states.at(-1)?.kind === 'connected', 'connected again');
  expect(expectOk(await api.listWorkspaces()).length).toBeGreaterThan(0);

  // Events go to the listeners registered on the first socket.
  await session.lock('user');
  await until(() => locked.length === 1, 'the locked event');
  expect(locked).toEqual([{ reason: 'user' }]);

  // A restart on the same port with a new token: the server answers, but refuses this token.
  const port = server.port;
  await server.close();
  const restarted = await startBrowserServer({ session, rendererDir, port });
  try {
    await until(() => states.at(-1)?.kind === 'gone', 'gone');
    const last = states.at(-1) as Extract<ConnectionState, { kind: 'gone' }>;
    expect(last.message).toContain('Open the new address');
    const refused = await api.status();
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe('UNAVAILABLE');
  } finally {
    await restarted.close();
    await session.close();
  }
}, 60_000);
