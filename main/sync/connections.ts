/**
 * Connections to relays: the relays this vault knows and its account on each, one signed-in
 * client per relay (reused while open, made again after it closed), registering, and whether a
 * relay can be reached now. Whoever needs to hear about a new connection (presence, membership
 * hints) listens to `connected`.
 */
import { checkRelayAddress } from '../../common/transport.ts';
import { Emitter } from '../../common/emitter.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import type { Vault } from '../vault/vault.ts';
import type { AccountDevices, DevicesClient } from './devices.ts';

/** The part of a relay client that signing in and keeping the connection needs. */
export type SignInClient = Pick<RelayClient, 'closed' | 'close' | 'register' | 'lookup' | 'onClose'> & DevicesClient;

export interface ConnectionsHost<C extends SignInClient> {
  readonly vault: Pick<Vault, 'syncState' | 'account' | 'profile'>;
  readonly devices: Pick<AccountDevices, 'signer' | 'signIn' | 'publish'>;
  /** Opens a connection to the relay at `url`, not signed in yet; UNAVAILABLE when it cannot be reached. */
  connect(url: string): Promise<C>;
}

/** The image bytes of a profile's avatar data URL (what a relay stores and serves). */
export function avatarBytes(dataUrl: string | undefined): Uint8Array | undefined {
  if (!dataUrl) return undefined;
  const comma = dataUrl.indexOf(',');
  return new Uint8Array(Buffer.from(dataUrl.slice(comma + 1), 'base64'));
}

export class RelayConnections<C extends SignInClient = RelayClient> {
  private readonly clients = new Map<string, Promise<C>>();
  /** A client signed in to a relay (after registering, or on connecting again). */
  readonly connected = new Emitter<{ url: string; client: C }>();

  constructor(private readonly host: ConnectionsHost<C>) {}

  /** Remembers a relay address without connecting: wss://, or ws:// to this computer only (common/transport.ts). */
  addRelay(url: string): void {
    checkRelayAddress(url);
    if (!this.host.vault.syncState.relay(url)) this.host.vault.syncState.putRelay({ url });
  }

  relays(): Array<{ url: string; account?: string; registeredAt?: number }> {
    return this.host.vault.syncState
      .relays()
      .map(({ url, account, registeredAt }) => ({ url, ...(account ? { account } : {}), ...(registeredAt ? { registeredAt } : {}) }));
  }

  /** Whether this vault has an account on the relay. */
  hasAccount(url: string): boolean {
    return this.host.vault.syncState.relay(url)?.account !== undefined;
  }

  /**
   * Creates this vault's account on the relay, publishing its username, display name and avatar
   * and the account's device log (nothing else); this device signs. Registering again where the
   * account already exists just signs in.
   */
  async register(url: string): Promise<{ relay: string; account: string; username: string }> {
    this.addRelay(url);
    const { vault, devices } = this.host;
    const profile = vault.profile;
    const client = await this.host.connect(url);
    let registered = false;
    try {
      const avatar = avatarBytes(profile.avatar);
      try {
        await client.register(devices.signer(), { username: profile.username, displayName: profile.displayName, ...(avatar ? { avatar } : {}) });
        registered = true;
      } catch (error) {
        if (!isHearthError(error, 'ALREADY_EXISTS')) throw error;
        const existing = await client.lookup(profile.username).catch(() => undefined);
        if (existing?.account !== vault.account) {
          throw new HearthError(
            'ALREADY_EXISTS',
            `The username ${profile.username} is taken on ${url} by someone else; choose another username for this vault.`,
          );
        }
      }
      const known = vault.syncState.relay(url);
      vault.syncState.putRelay({
        ...known,
        url,
        account: vault.account,
        registeredAt: known?.registeredAt ?? Date.now(),
        ...(registered ? { devices: devices.signer().log!.length } : {}),
      });
      if (!registered) await devices.signIn(client, url);
    } catch (error) {
      client.close();
      throw error;
    }
    this.clients.set(url, Promise.resolve(client));
    this.connected.emit({ url, client });
    return { relay: url, account: vault.account, username: profile.username };
  }

  /** A signed-in client for `url`, reusing the open one. */
  async client(url: string): Promise<C> {
    const existing = this.clients.get(url);
    if (existing) {
      const client = await existing.catch(() => undefined);
      if (client && !client.closed) return client;
      this.clients.delete(url);
    }
    if (!this.hasAccount(url))
      throw new HearthError('UNAUTHENTICATED', `This vault has no account on ${url} yet; run \`hearth account register --relay ${url}\` first.`);
    const connecting = (async () => {
      const client = await this.host.connect(url);
      try {
        await this.host.devices.signIn(client, url);
      } catch (error) {
        client.close();
        throw error;
      }
      this.connected.emit({ url, client });
      return client;
    })();
    this.clients.set(url, connecting);
    try {
      return await connecting;
    } catch (error) {
      this.clients.delete(url);
      throw error;
    }
  }

  /** The open client for `url` if there is one; never connects (live paths leave that to the reconnect loop). */
  async open(url: string): Promise<C | undefined> {
    const existing = this.clients.get(url);
    const client = existing ? await existing.catch(() => undefined) : undefined;
    return client && !client.closed ? client : undefined;
  }

  /** Whether every relay answers now (false when one cannot be reached; other errors throw). */
  async reachable(urls: Iterable<string>): Promise<boolean> {
    for (const url of new Set(urls)) {
      try {
        await this.client(url);
      } catch (error) {
        if (isHearthError(error, 'UNAVAILABLE')) return false;
        throw error;
      }
    }
    return true;
  }

  /** Resolves when `client`'s connection closes (at once if it is closed already). */
  whenClosed(client: C): Promise<void> {
    return new Promise((resolve) => {
      if (client.closed) return resolve();
      client.onClose(resolve);
    });
  }

  /** Closes every connection. */
  async closeAll(): Promise<void> {
    for (const pending of this.clients.values()) {
      const client = await pending.catch(() => undefined);
      client?.close();
    }
    this.clients.clear();
  }
}
