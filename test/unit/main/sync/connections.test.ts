// Relay connections: one signed-in client per relay, reused while open and made again (signed in)
// after it closed; registering publishes the profile or signs in where this vault already has the
// account; a relay without an account here, a taken username and an unreachable relay each fail
// with the code that says what to do.
import { describe, expect, it } from 'vitest';
import type { RelayClient } from '../../../../common/protocol/client.ts';
import { RelayConnections } from '../../../../main/sync/connections.ts';
import { AccountDevices } from '../../../../main/sync/devices.ts';
import { createTestVault } from '../../../support/vault.ts';
import { FakeRelay, type FakeClient } from './fake-relay.ts';

const URL = 'wss://relay.test/';

async function setUp(relay = new FakeRelay(), username = 'ann') {
  const vault = await createTestVault({ profile: { username } });
  const opened: FakeClient[] = [];
  const connections = new RelayConnections<FakeClient>({
    vault,
    devices: new AccountDevices({ vault }),
    connect: async () => {
      const client = relay.connect();
      opened.push(client);
      return client;
    },
  });
  const connected: string[] = [];
  connections.connected.on(({ url }) => connected.push(url));
  return { vault, relay, connections, opened, connected };
}

describe('RelayConnections', () => {
  it('registers, reuses the open client, and signs in again on a new one after a close', async () => {
    const { connections, opened, connected, relay } = await setUp();
    const registered = await connections.register(URL);
    expect(registered.username).toBe('ann');
    expect(connections.hasAccount(URL)).toBe(true);
    const first = await connections.client(URL);
    expect(await connections.client(URL)).toBe(first);
    expect(opened).toHaveLength(1);
    const closed = connections.whenClosed(first);
    first.close();
    await closed;
    expect(await connections.open(URL)).toBeUndefined();
    const second = await connections.client(URL);
    expect(second).not.toBe(first);
    expect(relay.calls.filter((c) => c.endsWith('signIn'))).toHaveLength(1);
    expect(connected).toEqual([URL, URL]);
  });

  it('says to register first on a relay where this vault has no account, and validates addresses', async () => {
    const { connections, opened } = await setUp();
    await expect(connections.client(URL)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('hearth account register --relay'),
    });
    expect(opened).toHaveLength(0);
    expect(() => connections.addRelay('http://relay.test/')).toThrow(/not a relay address: it starts with wss:\/\//);
    // ws:// only to this computer (common/transport.ts): a remote ws:// relay is refused before anything is sent.
    expect(() => connections.addRelay('ws://relay.test/')).toThrow(expect.objectContaining({ code: 'INSECURE_TRANSPORT' }));
    connections.addRelay(URL);
    expect(connections.relays()).toEqual([{ url: URL }]);
  });

  it('refuses a username someone else has on the relay and closes the connection; the same vault registering again signs in', async () => {
    const relay = new FakeRelay();
    const ann = await setUp(relay, 'ann');
    await ann.connections.register(URL);
    const other = await setUp(relay, 'ann');
    await expect(other.connections.register(URL)).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringContaining('taken on wss://relay.test/ by someone else'),
    });
    expect(other.opened[0]!.closed).toBe(true);
    await expect(ann.connections.register(URL)).resolves.toMatchObject({ username: 'ann' });
  });

  it('tells whether relays can be reached now', async () => {
    const { connections, relay } = await setUp();
    await connections.register(URL);
    await connections.closeAll();
    expect(await connections.reachable([URL])).toBe(true);
    await connections.closeAll();
    relay.down = true;
    expect(await connections.reachable([URL, URL])).toBe(false);
  });
});

// The production type is the real client: the fake satisfies the slice the connections use.
export type CheckSlice = RelayConnections<RelayClient>;
