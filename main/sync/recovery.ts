/**
 * The recovery key (common/devices/recovery-key.ts), both ends.
 *
 * Making one, on a device of the account: the key's device (derived from a fresh secret) is added
 * to the device log on every relay the account is on, as a device of kind `recovery`, so every
 * key epoch started from then on is sealed to it too; and the account material (as pairing hands
 * it over, with the keys of every epoch this device holds) is sealed to it and stored at each of
 * those relays, which see only ciphertext. The secret is returned once, to show, and kept nowhere.
 * An older recovery key is revoked first (with new key epochs, as any revoked device).
 *
 * Recovering, on a fresh vault when every device is lost: from the username and the typed key, the
 * relay names the account (only for its active recovery key); the recovery key signs in, opens the
 * material and the key envelopes sealed to it, adds THIS vault as a new device (signed by the
 * recovery key), and the vault becomes the account; a sync engine opened afterwards joins its
 * workspaces (pairing's joinLinked). Other devices are not revoked: revoke the lost ones next.
 */
import { fromHex, toBase64Url, toHex } from '../../common/crypto/sodium.ts';
import { isActive, nextDeviceEntry, replayDeviceLog, signDeviceEntry, type DeviceEntry, type DeviceLogState } from '../../common/devices/log.ts';
import { openMaterial, sealMaterial, type AccountMaterial } from '../../common/devices/pairing.ts';
import { newRecoveryKey, parseRecoveryKey, RECOVERY_DEVICE_NAME, recoveryDeviceKeys, recoveryMaterialLabel } from '../../common/devices/recovery-key.ts';
import { HearthError } from '../../common/errors.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { openEnvelope } from '../../common/protocol/envelope.ts';
import { MembershipHistory } from '../../common/protocol/verify.ts';
import type { SecondFactorProof } from '../vault/second-factor.ts';
import type { Vault } from '../vault/vault.ts';
import type { DeviceChanges } from './device-changes.ts';
import type { AccountDevices } from './devices.ts';
import { MembershipView } from './membership-view.ts';
import type { DevicePairing } from './pairing.ts';

export interface RecoveryHost {
  readonly vault: Pick<Vault, 'account' | 'devices' | 'syncState' | 'audit'>;
  readonly devices: Pick<AccountDevices, 'ownLog'>;
  readonly deviceChanges: Pick<DeviceChanges, 'add' | 'revoke'>;
  readonly pairing: Pick<DevicePairing, 'material' | 'adopt'>;
  /** A connection to a relay that is not signed in. */
  connect(url: string): Promise<RelayClient>;
  /** A signed-in connection (a device of the account). */
  client(url: string): Promise<RelayClient>;
}

type RecoveryKeys = ReturnType<typeof recoveryDeviceKeys>;

export class AccountRecovery {
  constructor(private readonly host: RecoveryHost) {}

  /**
   * Makes a new recovery key on every relay the account is on (revoking the active one first,
   * after the second factor when one is enrolled) and returns it, to be shown once.
   */
  async make(proof?: SecondFactorProof): Promise<{ key: string; relays: string[] }> {
    const { vault, devices, deviceChanges, pairing } = this.host;
    const relays = vault.syncState.relays().filter((r) => r.account);
    if (relays.length === 0)
      throw new HearthError(
        'NOT_FOUND',
        'This account is on no relay yet, so there is nothing a recovery key could bring back: it covers the account and its team workspaces on relays. Personal workspaces stay in this vault; keep a backup of it (hearth backup).',
      );
    const older = [...devices.ownLog().state.devices.values()].find((d) => d.kind === 'recovery' && isActive(d));
    if (older) await deviceChanges.revoke(older.id, proof);
    const key = newRecoveryKey();
    const paper = recoveryDeviceKeys(parseRecoveryKey(key));
    try {
      const added = await deviceChanges.add({ id: paper.id, box: paper.box, name: RECOVERY_DEVICE_NAME, kind: 'recovery' });
      const own = vault.devices.keys();
      const sealed = sealMaterial(recoveryMaterialLabel(paper.id), pairing.material(), paper.box, {
        id: vault.devices.self.id,
        signSecretKey: own.signSecretKey,
      });
      own.signSecretKey.fill(0);
      own.boxSecretKey.fill(0);
      for (const url of added) await (await this.host.client(url)).putRecovery(paper.id, sealed);
      return { key, relays: added };
    } finally {
      wipe(paper);
    }
  }

  /**
   * On a fresh vault: becomes the account called `username` on `url` with its recovery key, as a
   * new device named `name`. Nothing is stored when the key is mistyped (BAD_RECOVERY_KEY, before
   * anything is sent) or not the account's (WRONG_RECOVERY_KEY).
   */
  async recover(
    url: string,
    username: string,
    typed: string,
    name?: string,
  ): Promise<{ account: string; username: string; workspaces: number; relays: string[] }> {
    const { vault } = this.host;
    if (vault.syncState.relays().some((r) => r.account))
      throw new HearthError(
        'ALREADY_EXISTS',
        'This vault already holds an account on a relay; recover into a vault that has none (hearth init in another folder, or --vault).',
      );
    const paper = recoveryDeviceKeys(parseRecoveryKey(typed));
    try {
      const first = await this.signInAs(paper, url, username);
      let account: string;
      let material: AccountMaterial;
      let log: DeviceLogState;
      let entries: DeviceEntry[];
      try {
        account = first.account;
        entries = await first.client.getDevices(account);
        log = replayDeviceLog(account, entries);
        material = this.openMaterial(account, log, paper, await first.client.getRecovery());
      } finally {
        first.client.close();
      }
      const self = vault.devices.self;
      const entry = signDeviceEntry(
        nextDeviceEntry(log, { action: 'add', device: self.id, box: self.boxPublicKey, kind: 'device', name: name ?? self.name, by: paper.id }),
        paper.signSecretKey,
      );
      // The relay as the account's devices spelled it (ws://host:port and ws://host:port/ are one relay), so its spaces keep theirs.
      const named = material.relays.find((r) => sameRelay(r, url)) ?? url;
      const relays = [named, ...material.relays.filter((r) => r !== named)];
      const keys = new Map(material.spaces.map((s) => [s.space, { relay: s.relay, epochKeys: { ...s.epochKeys } }]));
      const reached: string[] = [];
      for (const relay of relays) {
        let client: RelayClient | undefined;
        try {
          client = (await this.signInAs(paper, relay, username)).client;
          await this.gatherKeys(client, relay, paper, keys);
          await client.putDevices([entry]);
          reached.push(relay);
        } catch (error) {
          // The relay the person named must take the new device; another may be gone for good.
          if (relay === named) throw error;
        } finally {
          client?.close();
        }
      }
      const spaces = [...keys].filter(([, k]) => reached.includes(k.relay) && Object.keys(k.epochKeys).length > 0);
      this.host.pairing.adopt({
        ...material,
        devices: [...entries, entry],
        relays: reached,
        spaces: spaces.map(([space, k]) => ({ space, relay: k.relay, epochKeys: k.epochKeys })),
      });
      vault.audit.record('recovery_key.used', `${username} on ${reached.join(', ')}`);
      return { account, username: material.profile.username, workspaces: spaces.length, relays: reached };
    } finally {
      wipe(paper);
    }
  }

  /** Signs in to `url` as the recovery key of the account called `username`. */
  private async signInAs(paper: RecoveryKeys, url: string, username: string): Promise<{ client: RelayClient; account: string }> {
    const client = await this.host.connect(url);
    try {
      const account = await client.recoveryAccount(username, paper.id);
      await client.signIn({ account, device: paper.id, signSecretKey: paper.signSecretKey, boxPublicKey: paper.boxPublicKey });
      return { client, account };
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** The material sealed to the recovery key, checked: this account's keys, sealed and signed by a device its log added. */
  private openMaterial(account: string, log: DeviceLogState, paper: RecoveryKeys, sealed: Uint8Array): AccountMaterial {
    const { material, by } = openMaterial(recoveryMaterialLabel(paper.id), sealed, paper);
    const keyIsAccount = toBase64Url(fromHex(material.keys.signPublicKey)) === account;
    if (material.account !== account || !keyIsAccount || log.devices.get(by)?.kind !== 'device' || !isActive(log.devices.get(paper.id)))
      throw new HearthError(
        'RECORD_TAMPERED',
        'What the relay holds for this recovery key is not this account sealed by one of its devices; nothing was stored.',
      );
    return material;
  }

  /**
   * Adds to `keys` the epoch keys sealed to the recovery key on this relay (every epoch started
   * after it was made), for every space the account is in here.
   */
  private async gatherKeys(
    client: RelayClient,
    relay: string,
    paper: RecoveryKeys,
    keys: Map<string, { relay: string; epochKeys: Record<string, string> }>,
  ): Promise<void> {
    for (const { space } of (await client.access()).report.spaces) {
      const view = MembershipView.replay(space, await client.getMembership(space, 0));
      const history = MembershipHistory.replay(space, view.entries);
      const known = keys.get(space) ?? { relay, epochKeys: {} };
      for (const { epoch, envelope } of await client.getEnvelopes(space)) {
        try {
          known.epochKeys[epoch] = toHex(openEnvelope(envelope, paper, { space, epoch }, history, view.epochRevoker(epoch)).key);
        } catch {
          // Not sealed to the recovery key by someone allowed to: the material's keys (or none) stand.
        }
      }
      keys.set(space, known);
    }
  }
}

function sameRelay(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

function wipe(paper: RecoveryKeys): void {
  paper.signSecretKey.fill(0);
  paper.boxSecretKey.fill(0);
}
