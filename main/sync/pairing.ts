/**
 * Linking a new device to this account through a relay (common/devices/pairing.ts), both ends.
 *
 * The new device (a vault with no account yet) offers its keys to the account named by a
 * username, reveals its secret once a device of the account answered, shows the confirmation
 * code, and waits for the account, which it checks (sealed to it, signed by a device of the log
 * that names it) before it becomes that account here; a sync engine opened afterwards joins the
 * account's workspaces (joinLinked).
 *
 * A device of the account answers an offer, shows the same code, and approves only when the
 * person types the code the new device shows: then it certifies the device in the device log on
 * every relay and sends the account sealed to it. A wrong code declines: nothing is stored.
 */
import { randomBytes, toBase64Url, toHex } from '../../common/crypto/sodium.ts';
import { isActive, replayDeviceLog } from '../../common/devices/log.ts';
import { confirmationCode, openMaterial, pairingCommit, sealMaterial, type AccountMaterial } from '../../common/devices/pairing.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import type { PairingState, RelayClient } from '../../common/protocol/client.ts';
import type { Vault } from '../vault/vault.ts';
import type { DeviceChanges } from './device-changes.ts';
import type { AccountDevices } from './devices.ts';
import type { Invitations } from './invitations.ts';
import type { SpaceRegistry } from './spaces.ts';

export interface PairingHost {
  readonly vault: Pick<Vault, 'account' | 'devices' | 'identityKeys' | 'profile' | 'syncState' | 'adoptAccount' | 'audit' | 'transaction'>;
  /** The account this engine was built for. */
  readonly account: string;
  readonly devices: Pick<AccountDevices, 'ownLog'>;
  readonly deviceChanges: Pick<DeviceChanges, 'add'>;
  readonly spaces: Pick<SpaceRegistry, 'teamWorkspaces' | 'shares' | 'get'>;
  readonly invitations: Pick<Invitations, 'accept'>;
  /** A connection to a relay that is not signed in (the new device has nothing to sign in with yet). */
  connect(url: string): Promise<RelayClient>;
  /** A signed-in connection (a device of the account). */
  client(url: string): Promise<RelayClient>;
}

export interface PairingWait {
  /** How long to wait for the other device, in ms (10 minutes by default, as long as the relay keeps a pairing). */
  timeoutMs?: number;
  pollMs?: number;
  /** Stops the wait (the person closed the page's dialog): it ends with EXPIRED, nothing answered or stored after. */
  signal?: AbortSignal;
}

/** An offer from a new device, as a device of the account lists it. */
export interface PendingDevice {
  relay: string;
  pairing: string;
  name: string;
  device: string;
  createdAt: number;
  /** The code to compare, once the new device revealed its secret. */
  code?: string;
}

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, wait: PairingWait, what: string): Promise<T> {
  const until = Date.now() + (wait.timeoutMs ?? 10 * 60_000);
  for (;;) {
    if (wait.signal?.aborted) throw new HearthError('EXPIRED', `Stopped waiting for ${what}.`);
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new HearthError('EXPIRED', `Waited too long for ${what}; start again.`);
    await new Promise((resolve) => setTimeout(resolve, wait.pollMs ?? 300));
  }
}

const digits = (code: string) => code.replace(/\D/g, '');

export class DevicePairing {
  constructor(private readonly host: PairingHost) {}

  /**
   * On the new device: links this vault to the account called `username` on `url`, named
   * `wait.name` in its device list (else the name it was made with). `onCode` receives the
   * confirmation code to compare with the other device. Resolves once the account
   * is here and its workspaces joined; nothing is stored if the pairing is declined or tampered with.
   */
  async link(
    url: string,
    username: string,
    onCode: (code: string) => void,
    wait: PairingWait & { name?: string } = {},
  ): Promise<{ account: string; username: string; workspaces: number }> {
    const { vault } = this.host;
    if (vault.syncState.relays().some((r) => r.account))
      throw new HearthError(
        'ALREADY_EXISTS',
        'This vault already holds an account on a relay; link from a vault that has none (hearth init in another folder).',
      );
    const client = await this.host.connect(url);
    let material: AccountMaterial;
    try {
      const secret = toBase64Url(randomBytes(32));
      const self = vault.devices.self;
      const offer = { device: self.id, box: self.boxPublicKey, name: wait.name ?? self.name, commit: pairingCommit(secret) };
      const { pairing, account } = await client.pairOffer(username, offer);
      const answered = await poll(
        () => client.pairRead(pairing),
        (s) => s.nonce !== null,
        wait,
        'a device of the account to answer (run `hearth device approve` there)',
      );
      await client.pairReveal(pairing, secret);
      onCode(confirmationCode(account, offer, secret, answered.nonce!));
      let approved: PairingState;
      try {
        approved = await poll(
          () => client.pairRead(pairing),
          (s) => s.material !== undefined,
          wait,
          'the other device to approve',
        );
      } catch (error) {
        if (isHearthError(error, 'NOT_FOUND'))
          throw new HearthError(
            'WRONG_CONFIRMATION_CODE',
            'The other device declined this pairing (the codes did not match, or it said no); nothing was stored. Start again.',
          );
        throw error;
      }
      material = this.checkMaterial(pairing, account, approved.material!);
    } finally {
      client.close();
    }
    return this.adopt(material);
  }

  /** The account material, opened and checked: for this account, certified by an active device of its log that names this device. */
  private checkMaterial(pairing: string, account: string, bytes: Uint8Array): AccountMaterial {
    const keys = this.host.vault.devices.keys();
    let opened: ReturnType<typeof openMaterial>;
    try {
      opened = openMaterial(pairing, bytes, keys);
    } finally {
      keys.signSecretKey.fill(0);
      keys.boxSecretKey.fill(0);
    }
    const { material, by } = opened;
    const log = replayDeviceLog(account, material.devices);
    const signer = log.devices.get(by);
    const named = log.devices.get(this.host.vault.devices.self.id);
    const keyIsAccount = toBase64Url(Buffer.from(material.keys.signPublicKey, 'hex')) === account;
    if (material.account !== account || !keyIsAccount || !isActive(signer) || signer.kind !== 'device' || !isActive(named)) {
      throw new HearthError(
        'RECORD_TAMPERED',
        'The account that came back is not the one this device offered to, or no device of it certified this one; nothing was stored. Start again.',
      );
    }
    return material;
  }

  /**
   * Becomes the account here: its keys, profile, device log and relays, and the spaces to join
   * with the keys the other device sent (joinLinked, on a sync engine opened after this). Recovery
   * (recovery.ts) adopts the same way.
   */
  adopt(material: AccountMaterial): { account: string; username: string; workspaces: number } {
    const { vault } = this.host;
    vault.transaction(() => {
      vault.adoptAccount(material.keys, material.profile);
      vault.devices.putLog(material.account, material.devices);
      for (const url of material.relays)
        vault.syncState.putRelay({ url, account: material.account, registeredAt: Date.now(), devices: material.devices.length });
      vault.devices.putLinkedSpaces(material.spaces);
    });
    return { account: material.account, username: material.profile.username, workspaces: material.spaces.length };
  }

  /**
   * On the new device, with a sync engine opened after link (the engine is built for one account):
   * joins the account's workspaces and shared documents with the keys the linking device sent.
   */
  async joinLinked(): Promise<number> {
    const { vault } = this.host;
    if (this.host.account !== vault.account)
      throw new HearthError('CONFLICT', 'This vault became another account while the sync engine was open; close it and open a new one, then join.');
    let joined = 0;
    for (const linked of vault.devices.linkedSpaces()) {
      await this.host.invitations.accept(linked.space, linked.epochKeys);
      vault.devices.putLinkedSpaces(vault.devices.linkedSpaces().filter((s) => s.space !== linked.space));
      joined++;
    }
    return joined;
  }

  /** On a device of the account: the offers new devices made to it on every relay it is on. */
  async pending(): Promise<PendingDevice[]> {
    const found: PendingDevice[] = [];
    for (const relay of this.host.vault.syncState.relays().filter((r) => r.account)) {
      const client = await this.host.client(relay.url);
      for (const item of await client.pairList()) {
        const code = item.nonce && item.secret ? confirmationCode(this.host.vault.account, item.offer, item.secret, item.nonce) : undefined;
        found.push({
          relay: relay.url,
          pairing: item.pairing,
          name: item.offer.name,
          device: item.offer.device,
          createdAt: item.createdAt,
          ...(code ? { code } : {}),
        });
      }
    }
    return found;
  }

  /**
   * On a device of the account: waits for an offer (the oldest, or `pairing`), answers it, waits
   * for the new device to reveal its secret, and returns the code the person compares with the
   * new device's.
   */
  async answer(pairing?: string, wait: PairingWait = {}): Promise<PendingDevice & { code: string }> {
    const pick = (offers: PendingDevice[]) => (pairing ? offers.find((o) => o.pairing === pairing) : offers[0]);
    const offer = pick(
      await poll(
        () => this.pending(),
        (offers) => pick(offers) !== undefined,
        wait,
        'a new device to ask (run `hearth device link` on it)',
      ),
    );
    if (!offer) throw new HearthError('NOT_FOUND', 'No new device is waiting to be linked; run `hearth device link` on it first.');
    const client = await this.host.client(offer.relay);
    if (offer.code === undefined) {
      const listed = (await client.pairList()).find((p) => p.pairing === offer.pairing);
      if (!listed?.nonce) await client.pairAnswer(offer.pairing, toBase64Url(randomBytes(32)));
    }
    const ready = await poll(
      () => this.pending(),
      (all) => all.some((o) => o.pairing === offer.pairing && o.code !== undefined),
      wait,
      'the new device to show its code',
    );
    return ready.find((o) => o.pairing === offer.pairing) as PendingDevice & { code: string };
  }

  /** On a device of the account: says no to the new device of `pairing`; nothing is stored, and it hears it was declined. */
  async decline(pairing: string): Promise<void> {
    const offers = (await this.pending()).filter((o) => o.pairing === pairing);
    if (offers.length === 0)
      throw new HearthError('NOT_FOUND', 'That new device is no longer waiting (it gave up, or was answered already); start again on it.');
    await this.declineAll(offers);
  }

  private async declineAll(offers: PendingDevice[]): Promise<void> {
    for (const offer of offers) await (await this.host.client(offer.relay)).pairApprove(offer.pairing);
    this.host.vault.audit.record('device.declined', offers.map((o) => o.name).join(', '));
  }

  /**
   * What a device of the account hands a new one (pairing) or seals to the recovery key: the
   * account's keys and profile, its device log, its relays, and its team workspaces and documents
   * shared with it, with their epoch keys.
   */
  material(): AccountMaterial {
    const { vault } = this.host;
    const keys = vault.identityKeys();
    const hex = (bytes: Uint8Array) => toHex(bytes);
    const material: AccountMaterial = {
      account: vault.account,
      keys: {
        signPublicKey: hex(keys.signPublicKey),
        signSecretKey: hex(keys.signSecretKey),
        boxPublicKey: hex(keys.boxPublicKey),
        boxSecretKey: hex(keys.boxSecretKey),
      },
      profile: { username: vault.profile.username, displayName: vault.profile.displayName, ...(vault.profile.avatar ? { avatar: vault.profile.avatar } : {}) },
      devices: [...this.host.devices.ownLog().entries],
      relays: vault.syncState
        .relays()
        .filter((r) => r.account)
        .map((r) => r.url),
      // Team workspaces and documents shared with the account; a document this device shared from a personal workspace stays here.
      spaces: [
        ...this.host.spaces.teamWorkspaces().map((w) => w.id),
        ...this.host.spaces
          .shares()
          .filter((s) => s.received)
          .map((s) => s.space),
      ].map((space) => ({
        space,
        relay: this.host.spaces.get(space).relay,
        epochKeys: { ...this.host.spaces.get(space).epochKeys },
      })),
    };
    keys.signSecretKey.fill(0);
    keys.boxSecretKey.fill(0);
    return material;
  }

  /**
   * On a device of the account: approves the pairing whose code is `code` (as the new device
   * shows it), certifying the device on every relay and sending it the account; a code that
   * matches no answered pairing declines them all and stores nothing.
   */
  async approve(code: string, pairing?: string): Promise<{ device: string; name: string; relays: string[] }> {
    const { vault } = this.host;
    const answered = (await this.pending()).filter((o) => o.code !== undefined && (!pairing || o.pairing === pairing));
    if (answered.length === 0) throw new HearthError('NOT_FOUND', 'No new device is waiting with a code; run `hearth device approve` without --code first.');
    const match = answered.find((o) => o.code === digits(code));
    if (!match) {
      await this.declineAll(answered);
      throw new HearthError(
        'WRONG_CONFIRMATION_CODE',
        'That code is not the one this device shows for the new device, so it was declined and nothing was stored. Start again on the new device and compare the codes digit by digit.',
      );
    }
    const offer = (await (await this.host.client(match.relay)).pairList()).find((p) => p.pairing === match.pairing)!.offer;
    const relays = await this.host.deviceChanges.add({ id: offer.device, box: offer.box, name: offer.name });
    const material = this.material();
    const own = vault.devices.keys();
    const sealed = sealMaterial(match.pairing, material, offer.box, { id: vault.devices.self.id, signSecretKey: own.signSecretKey });
    own.signSecretKey.fill(0);
    own.boxSecretKey.fill(0);
    await (await this.host.client(match.relay)).pairApprove(match.pairing, sealed);
    vault.audit.record('device.approved', offer.name);
    return { device: offer.device, name: offer.name, relays };
  }
}
