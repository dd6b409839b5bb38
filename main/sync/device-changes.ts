/**
 * Changing this account's devices: listing them, adding one (signed by this device, on every
 * relay the account is on), and revoking one (promise S10): on every relay the account is on, one request
 * carries the device log's revoke entry (signed by this device) and, for every space the account
 * is a member of there, a device_revoked membership entry with a fresh key for the epoch it starts,
 * sealed to every active device of every member, the revoked one excluded. The relay stores all
 * of it or nothing and refuses the revoked device from then on; its keys open nothing written
 * afterwards. Asks for the second factor when one is enrolled.
 */
import { fromBase64Url, randomKey, toHex } from '../../common/crypto/sodium.ts';
import {
  activeDevices,
  applyDeviceEntry,
  isActive,
  nextDeviceEntry,
  signDeviceEntry,
  type DeviceEntry,
  type DeviceKind,
  type DeviceLogState,
} from '../../common/devices/log.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { nextEntry, signMembershipEntry, type MembershipEntry } from '../../common/membership/log.ts';
import type { DeviceInfo } from '../../common/api/records.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import type { SecondFactorProof } from '../vault/second-factor.ts';
import type { Vault } from '../vault/vault.ts';
import type { AccountDevices } from './devices.ts';
import type { Membership } from './membership.ts';
import { MembershipView } from './membership-view.ts';
import type { SpaceRegistry } from './spaces.ts';

export interface DeviceChangesHost {
  readonly vault: Pick<Vault, 'account' | 'devices' | 'identityKeys' | 'syncState' | 'secondFactor' | 'audit'>;
  readonly devices: Pick<AccountDevices, 'ownLog' | 'publish'>;
  readonly membership: Pick<Membership, 'sealForMembers' | 'sealEnvelope' | 'refresh'>;
  readonly spaces: Pick<SpaceRegistry, 'state' | 'view' | 'update'>;
  client(url: string): Promise<RelayClient>;
}

/** A device of this account as Settings → Devices and `hearth device list` show it, before any relay says when it last saw it. */
export type DeviceListing = Omit<DeviceInfo, 'lastSeen'>;

export interface RevocationResult {
  device: string;
  /** Relays that refuse the device from now on. */
  relays: string[];
}

export class DeviceChanges {
  constructor(private readonly host: DeviceChangesHost) {}

  /** The account's devices as this vault's verified device log lists them, revoked ones included. */
  list(): DeviceListing[] {
    const self = this.host.vault.devices.self.id;
    return [...this.host.devices.ownLog().state.devices.values()].map((d) => ({
      id: d.id,
      name: d.name,
      kind: d.kind,
      addedAt: d.addedAt,
      ...(d.revokedAt !== undefined ? { revokedAt: d.revokedAt } : {}),
      isThis: d.id === self,
    }));
  }

  /**
   * Adds a device (its id, X25519 key and name, as it showed them when pairing) to the account's
   * device log, signed by this device, on every relay the account is on; then its sign-in is
   * accepted there and keys of every later epoch are sealed to it too.
   */
  async add(device: { id: string; box: string; name: string; kind?: DeviceKind }): Promise<string[]> {
    const { vault, devices } = this.host;
    const clients = await this.clients();
    const own = devices.ownLog();
    const keys = vault.devices.keys();
    const entry = signDeviceEntry(
      nextDeviceEntry(own.state, {
        action: 'add',
        device: device.id,
        box: device.box,
        kind: device.kind ?? 'device',
        name: device.name,
        by: vault.devices.self.id,
      }),
      keys.signSecretKey,
    );
    keys.signSecretKey.fill(0);
    keys.boxSecretKey.fill(0);
    applyDeviceEntry(own.state, entry);
    for (const [, client] of clients) await client.putDevices([entry]);
    vault.devices.putLog(vault.account, [...own.entries, entry]);
    this.counted([...clients.keys()], own.entries.length + 1);
    vault.audit.record(device.kind === 'recovery' ? 'recovery_key.made' : 'device.added', device.name);
    return [...clients.keys()];
  }

  /** A signed-in client for every relay the account is on, each holding the device log this vault holds (or more, taken in). */
  private async clients(): Promise<Map<string, RelayClient>> {
    const clients = new Map<string, RelayClient>();
    for (const relay of this.host.vault.syncState.relays().filter((r) => r.account)) {
      const client = await this.host.client(relay.url);
      await this.host.devices.publish(client, relay.url);
      clients.set(relay.url, client);
    }
    return clients;
  }

  /** Remembers that these relays hold `entries` entries of the device log. */
  private counted(urls: string[], entries: number): void {
    for (const url of urls) {
      const stored = this.host.vault.syncState.relay(url);
      if (stored) this.host.vault.syncState.putRelay({ ...stored, devices: entries });
    }
  }

  /** Finds a device by its name or id (an active one, else one revoked here that a relay may still lack); this device cannot revoke itself. */
  private target(state: DeviceLogState, nameOrId: string): string {
    const named = [...state.devices.values()].filter((d) => d.id === nameOrId || d.name === nameOrId);
    const active = named.filter((d) => isActive(d));
    const found = active.length > 0 ? active : named;
    if (found.length === 0) throw new HearthError('NOT_FOUND', `No device called ${nameOrId}; \`hearth device list\` shows the account's devices.`);
    if (found.length > 1)
      throw new HearthError('BAD_REQUEST', `Several devices are called ${nameOrId}; name the one to revoke by its id (\`hearth device list\`).`);
    if (found[0]!.id === this.host.vault.devices.self.id)
      throw new HearthError('BAD_REQUEST', 'A device cannot revoke itself; revoke it from another device of the account.');
    return found[0]!.id;
  }

  /**
   * Revokes the device named `nameOrId` on every relay the account is on (all of them must be
   * reachable: a relay left out would still let the device in), after checking the second factor.
   * A revocation that reached only some relays (one dropped out in the middle) is finished the
   * same way: each relay that lacks it gets the same entry with its own new key epochs.
   */
  async revoke(nameOrId: string, proof?: SecondFactorProof): Promise<RevocationResult> {
    const { vault, devices } = this.host;
    const clients = await this.clients();
    const own = devices.ownLog();
    const device = this.target(own.state, nameOrId);
    vault.secondFactor.check(proof, 'revoke a device');
    let entry = own.entries.find((e) => e.action === 'revoke' && e.device === device);
    let after = own.state;
    if (!entry) {
      const keys = vault.devices.keys();
      entry = signDeviceEntry(nextDeviceEntry(own.state, { action: 'revoke', device, by: vault.devices.self.id }), keys.signSecretKey);
      keys.signSecretKey.fill(0);
      keys.boxSecretKey.fill(0);
      after = applyDeviceEntry(own.state, entry);
    }
    const revoke = entry;
    const reached: string[] = [];
    for (const [url, client] of clients) {
      if ((await client.getDevices(vault.account, revoke.seq)).some((e) => e.sig === revoke.sig)) continue;
      await this.revokeOn(client, revoke, after);
      reached.push(url);
    }
    if (reached.length === 0) throw new HearthError('BAD_REQUEST', `${nameOrId} is revoked already, on every relay the account is on.`);
    if (after !== own.state) vault.devices.putLog(vault.account, [...own.entries, revoke]);
    // What followed the revocation here goes up too, now that it is in place everywhere.
    for (const [url, client] of clients) await devices.publish(client, url);
    vault.audit.record('device.revoked', own.state.devices.get(device)!.name);
    return { device, relays: reached };
  }

  /** One relay: a device_revoked entry and a new key epoch in every space the account is in there, rebuilt if the log moved on. */
  private async revokeOn(client: RelayClient, entry: DeviceEntry, after: DeviceLogState): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const rotations = [];
      const keys: Array<{ space: string; epoch: number; key: Uint8Array }> = [];
      for (const { space } of (await client.access()).report.spaces) {
        const rotation = await this.rotation(client, space, after);
        rotations.push(rotation.sent);
        keys.push({ space, epoch: rotation.sent.epoch, key: rotation.key });
      }
      try {
        await client.revokeDevice(entry, rotations);
      } catch (error) {
        // Someone changed a space's membership (or added a device) meanwhile: build it all again.
        if (!isHearthError(error, 'CONFLICT') || attempt >= 3) throw error;
        continue;
      }
      for (const { space, epoch, key } of keys) {
        if (!this.host.spaces.state(space)) continue;
        this.host.spaces.update(space, (state) => ({ epochKeys: { ...state.epochKeys, [epoch]: toHex(key) } }));
        // The new epoch is in force from now on: nothing more is written under a key the revoked device holds.
        await this.host.membership.refresh(space);
      }
      return;
    }
  }

  /** The device_revoked entry for one space on its newest log, and the new epoch's key sealed to every member's active devices. */
  private async rotation(
    client: RelayClient,
    space: string,
    after: DeviceLogState,
  ): Promise<{ sent: { entry: MembershipEntry; epoch: number; sealed: Array<{ recipient: string; envelope: Uint8Array }> }; key: Uint8Array }> {
    const { vault, membership, spaces } = this.host;
    const view = spaces.state(space)
      ? (await membership.refresh(space), spaces.view(space))
      : MembershipView.replay(space, await client.getMembership(space, 0));
    const accountKeys = vault.identityKeys();
    const entry = signMembershipEntry(
      nextEntry(view.current, { actor: vault.account, action: 'device_revoked', subject: vault.account, role: null }),
      accountKeys.signSecretKey,
    );
    accountKeys.signSecretKey.fill(0);
    const epoch = view.currentEpoch + 1;
    const key = randomKey();
    const others = [...view.current.members.keys()].filter((account) => account !== vault.account);
    const sealed = await membership.sealForMembers(client, space, others, epoch, key, 'sync this workspace, then revoke again.');
    // This account's own devices as the log stands after the revocation: never the revoked one.
    for (const device of activeDevices(after))
      sealed.push({ recipient: device.id, envelope: membership.sealEnvelope(space, epoch, key, device.id, fromBase64Url(device.box)) });
    return { sent: { entry, epoch, sealed }, key };
  }
}
