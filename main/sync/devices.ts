/**
 * The account's devices as the sync engine uses them: this vault's own device log (started with
 * the account key the first time it is needed), the signer a relay sees (this device, certified
 * by that log), keeping each relay's copy of the log up to date, and the verified device logs of
 * other accounts (to check what their devices sign and to seal keys to each of them).
 */
import { HearthError, isHearthError } from '../../common/errors.ts';
import {
  activeDevices,
  applyDeviceEntry,
  emptyDeviceLog,
  extendDeviceLog,
  nextDeviceEntry,
  signDeviceEntry,
  type DeviceEntry,
  type DeviceLogState,
  type DeviceRecord,
} from '../../common/devices/log.ts';
import type { DeviceSigner, RelayClient } from '../../common/protocol/client.ts';
import type { Vault } from '../vault/vault.ts';

/** The part of a relay client that device logs need. */
export type DevicesClient = Pick<RelayClient, 'signIn' | 'putDevices' | 'getDevices'>;

export interface DevicesHost {
  readonly vault: Pick<Vault, 'account' | 'devices' | 'identityKeys' | 'publicKeys' | 'syncState' | 'audit'>;
}

export class AccountDevices {
  constructor(private readonly host: DevicesHost) {}

  /**
   * This account's device log, started here (the account key certifies this device) when the vault
   * has none yet; a vault that never held the account key always has one (it came with pairing).
   */
  ownLog(): { entries: readonly DeviceEntry[]; state: DeviceLogState } {
    const { vault } = this.host;
    const known = vault.devices.log(vault.account);
    if (known) return known;
    const accountKeys = vault.identityKeys();
    const self = vault.devices.self;
    const first = signDeviceEntry(
      nextDeviceEntry(emptyDeviceLog(vault.account), {
        action: 'create',
        device: self.id,
        box: self.boxPublicKey,
        kind: 'device',
        name: self.name,
        by: vault.account,
      }),
      accountKeys.signSecretKey,
    );
    accountKeys.signSecretKey.fill(0);
    applyDeviceEntry(emptyDeviceLog(vault.account), first);
    vault.devices.putLog(vault.account, [first]);
    vault.audit.record('device.added', self.name);
    return vault.devices.log(vault.account)!;
  }

  /** This device as it signs in: its own key, for the account, with the account's device log. */
  signer(): DeviceSigner {
    const { vault } = this.host;
    const { entries } = this.ownLog();
    const keys = vault.devices.keys();
    keys.boxSecretKey.fill(0);
    const boxPublicKey = new Uint8Array(Buffer.from(vault.publicKeys.boxPublicKey, 'hex'));
    return { account: vault.account, device: vault.devices.self.id, signSecretKey: keys.signSecretKey, boxPublicKey, log: entries };
  }

  /**
   * Signs this device in. An account registered on this relay before it had a device log signs in
   * once more with its account key and hands the relay its log; from then on only devices sign in.
   */
  async signIn(client: DevicesClient, url: string): Promise<void> {
    const { vault } = this.host;
    const relay = vault.syncState.relay(url);
    try {
      await client.signIn(this.signer());
    } catch (error) {
      if (!isHearthError(error, 'UNAUTHENTICATED') || relay?.devices !== undefined) throw error;
      await client.signIn(vault.identityKeys()).catch(() => Promise.reject(error));
    }
    await this.publish(client, url);
  }

  /**
   * Brings the relay's copy of this account's device log level with this vault's: sends what it
   * lacks, and takes in (verified) what another device of the account added through it. A
   * revocation the relay missed (it was out of reach in the middle of one) is not sent alone: it
   * needs its new key epochs, so it waits, with what follows it, for DeviceChanges.revoke.
   */
  async publish(client: DevicesClient, url: string): Promise<void> {
    const { vault } = this.host;
    const own = this.ownLog();
    const relay = vault.syncState.relay(url);
    if (relay?.devices === own.entries.length) return;
    const there = await client.getDevices(vault.account);
    const common = Math.min(there.length, own.entries.length);
    if (there.slice(0, common).some((entry, i) => entry.sig !== own.entries[i]!.sig)) {
      throw new HearthError(
        'RECORD_TAMPERED',
        `The relay ${url} holds another device log for this account than this device verified; distrust it until it is fixed.`,
      );
    }
    let level = there.length;
    if (there.length > own.entries.length) vault.devices.putLog(vault.account, there);
    else if (there.length < own.entries.length) {
      const missing = own.entries.slice(there.length);
      const revoke = missing.findIndex((entry) => entry.action === 'revoke');
      const sendable = revoke < 0 ? missing : missing.slice(0, revoke);
      if (sendable.length > 0) await client.putDevices(sendable);
      level += sendable.length;
    }
    const stored = vault.syncState.relay(url);
    if (stored) vault.syncState.putRelay({ ...stored, devices: level });
  }

  /**
   * Who receives `account`'s keys: the active devices (and recovery entry) of its device log,
   * verified and fetched fresh from the relay; undefined for an account without a device log
   * (its published X25519 key receives, as before devices existed).
   */
  async recipientsOf(account: string, client: Pick<DevicesClient, 'getDevices'>): Promise<DeviceRecord[] | undefined> {
    if (account === this.host.vault.account) this.ownLog();
    const state = await this.logOf(account, client, true);
    return state && activeDevices(state);
  }

  /**
   * Another account's device log, verified from its account id, refreshed from the relay when this
   * vault has none or `refresh` asks (entries it verified before may not be dropped or rewritten).
   */
  async logOf(account: string, client: Pick<DevicesClient, 'getDevices'>, refresh = false): Promise<DeviceLogState | undefined> {
    const known = this.host.vault.devices.log(account);
    if (known && !refresh) return known.state;
    const more = await client.getDevices(account, known?.entries.length ?? 0);
    if (more.length === 0) return known?.state;
    if (known) extendDeviceLog(known.state, more);
    return this.host.vault.devices.putLog(account, [...(known?.entries ?? []), ...more]);
  }
}
