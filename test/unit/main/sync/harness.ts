/**
 * What the sync modules' unit tests share: a device is a real vault in a temporary folder with the
 * sync modules assembled over the in-memory relay (fake-relay.ts) instead of sockets, and the
 * statuses and warnings it told, so a test can call one module directly and see what it did.
 */
import type { SyncStatus, SyncWarning } from '../../../../common/api/contract.ts';
import type { RelayClient } from '../../../../common/protocol/client.ts';
import { assembleSync, type SyncModules } from '../../../../main/sync/assembly.ts';
import type { Vault } from '../../../../main/vault/vault.ts';
import { createTestVault } from '../../../support/vault.ts';
import type { FakeClient, FakeRelay } from './fake-relay.ts';

export const RELAY = 'wss://relay.test/';

export interface Device {
  name: string;
  vault: Vault;
  sync: SyncModules;
  account: string;
  statuses: SyncStatus[];
  warnings: SyncWarning[];
  /** The clients this device opened on the relay. */
  clients: FakeClient[];
}

let made = 0;

/** A vault registered on `relay` with its sync modules assembled over it. */
export async function device(relay: FakeRelay, name: string, options: { snapshotEvery?: number; maxBlobBytes?: number } = {}): Promise<Device> {
  const username = `${name}${++made}`;
  const vault = await createTestVault({ profile: { username, displayName: name } });
  const clients: FakeClient[] = [];
  const sync = assembleSync(vault, {
    createSocket: () => {
      throw new Error('unit tests open no socket');
    },
    connect: async () => {
      const client = relay.connect();
      clients.push(client);
      return client as unknown as RelayClient;
    },
    backoff: { initialMs: 5, maxMs: 20 },
    maxBlobBytes: options.maxBlobBytes ?? 256 * 1024,
    snapshotEvery: options.snapshotEvery ?? 1000,
    presence: {},
  });
  const statuses: SyncStatus[] = [];
  const warnings: SyncWarning[] = [];
  sync.status.statuses.on((status) => statuses.push(status));
  sync.status.warnings.on((warning) => warnings.push(warning));
  await sync.connections.register(RELAY);
  return { name: username, vault, sync, account: sync.account, statuses, warnings, clients };
}

/** `owner` founds a team workspace on the relay and invites each of `others` with their role; they accept. */
export async function team(owner: Device, others: Array<[Device, 'admin' | 'editor' | 'commenter' | 'viewer']> = [], name = 'Team'): Promise<string> {
  const workspace = await owner.sync.teams.create(name, RELAY);
  for (const [member, role] of others) {
    await owner.sync.members.invite(workspace.id, member.name, role);
    await member.sync.invitations.accept(workspace.id);
  }
  return workspace.id;
}

/** The signed-in client a device holds for the relay. */
export function clientOf(device: Device): Promise<RelayClient> {
  return device.sync.connections.client(RELAY);
}

export function close(...devices: Device[]): Promise<void[]> {
  return Promise.all(
    devices.map(async (d) => {
      d.sync.presence.close();
      await d.sync.rounds.stop();
      d.sync.detach();
      if (!d.vault.isLocked) d.vault.lock();
    }),
  );
}
