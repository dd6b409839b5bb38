/**
 * Profile rectification (issue 12, item 5): after the person changes their display name, avatar
 * or username, every relay the account is registered on gets a signed profile update
 * (common/protocol/profile.ts) and every team directory this account writes to gets its entry
 * changed, so members see the new name and avatar. A relay out of reach keeps its older profile
 * until the next connection to it, which sends the waiting update first thing (the vault's sync
 * state remembers per relay which version it has); a directory change waits in the outbox of
 * its space like any other change.
 *
 * What strangers see is the relay's plain profile (what they find when inviting by username);
 * members see the directory entry, which is encrypted with the space's key like the rest of the
 * index and carries the avatar itself when it is small enough.
 */
import { HearthError, isHearthError } from '../../common/errors.ts';
import { avatarHash, signProfileUpdate } from '../../common/protocol/profile.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { canWriteContent } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import { avatarBytes } from './connections.ts';
import type { SpaceRegistry } from './spaces.ts';
import { sameDirectoryEntry, type DirectoryEntry } from './workspace-index.ts';

/** The largest avatar (data URL characters) a directory entry carries: every change of it stays in the index's history. */
export const DIRECTORY_AVATAR_CHARS = 48 * 1024;
/** How many former usernames a directory entry remembers (comments written under them keep their author's new name). */
const FORMER_USERNAMES = 8;

/** What a relay answers when it will not take the update (anything else, a dropped connection included, is worth another try). */
const REFUSALS = ['ALREADY_EXISTS', 'FORBIDDEN', 'BAD_REQUEST', 'TOO_LARGE', 'UNAUTHENTICATED', 'NOT_FOUND'] as const;

/** The part of a relay client a profile update needs. */
export type ProfileClient = Pick<RelayClient, 'setProfile' | 'lookup'>;

export interface ProfileHost<C extends ProfileClient> {
  readonly vault: Pick<Vault, 'account' | 'profile' | 'profileVersion' | 'syncState' | 'devices'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'state' | 'index' | 'changeIndex' | 'view'>;
  /** A signed-in client for the relay (connecting when needed); UNAVAILABLE when it cannot be reached. */
  client(url: string): Promise<C>;
  /** Sends the space's outbox (its directory change) over `client`. */
  push(spaceId: string, client: C): Promise<unknown>;
  /** How long to wait before trying an offline relay again: the first delay and the cap, in ms. */
  readonly backoff: { initialMs: number; maxMs: number };
}

/** Where a profile change stands on one relay. */
export interface RelayProfileState {
  relay: string;
  /** `updated`: the relay publishes the change and the directories there have it; `waiting`: out of reach, sent on the next connection; `refused`: the relay said no (`problem`). */
  state: 'updated' | 'waiting' | 'refused';
  problem?: string;
}

export class ProfilePublisher<C extends ProfileClient = RelayClient> {
  /** The update on its way to each relay (a connection and a save may both ask for it at once). */
  private readonly sending = new Map<string, Promise<void>>();
  /** While live: relays tried again and again until they have the newest profile (one with no workspace here has no other connection). */
  private readonly retrying = new Set<string>();
  private live = false;

  constructor(private readonly host: ProfileHost<C>) {}

  /** The relays this account is registered on. */
  registeredRelays(): string[] {
    return this.host.vault.syncState
      .relays()
      .filter((r) => r.account)
      .map((r) => r.url);
  }

  /** Whether `url` lacks this vault's newest profile. */
  isWaiting(url: string): boolean {
    const { vault } = this.host;
    return vault.profileVersion > (vault.syncState.relay(url)?.profileVersion ?? 0);
  }

  /**
   * Sends the waiting profile update to the relay over a signed-in `client`, signed by this
   * device; nothing when the relay has it. A relay that keeps a newer version (another device of
   * the account changed the profile since) keeps it.
   */
  async sendTo(url: string, client: C): Promise<void> {
    const running = this.sending.get(url);
    if (running) await running.catch(() => undefined);
    if (!this.isWaiting(url)) return;
    const sending = this.send(url, client).finally(() => this.sending.delete(url));
    this.sending.set(url, sending);
    return sending;
  }

  private async send(url: string, client: C): Promise<void> {
    const { vault } = this.host;
    const version = vault.profileVersion;
    const profile = vault.profile;
    const avatar = avatarBytes(profile.avatar);
    const keys = vault.devices.keys();
    keys.boxSecretKey.fill(0);
    const update = signProfileUpdate(
      {
        account: vault.account,
        device: vault.devices.self.id,
        version,
        username: profile.username,
        displayName: profile.displayName,
        avatar: avatar ? avatarHash(avatar) : null,
      },
      keys.signSecretKey,
    );
    keys.signSecretKey.fill(0);
    await client.setProfile(update, avatar);
    const known = vault.syncState.relay(url);
    if (known) vault.syncState.putRelay({ ...known, profileVersion: Math.max(version, known.profileVersion ?? 0) });
  }

  /** While the app syncs live: keeps trying each relay that lacks the newest profile, with backoff, until it has it. */
  startRetrying(): void {
    this.live = true;
    for (const url of this.registeredRelays()) if (this.isWaiting(url)) void this.retry(url);
  }

  stopRetrying(): void {
    this.live = false;
  }

  /** After a save that left relays waiting: while live, they are tried again until they have it. */
  retryWaiting(): void {
    if (this.live) this.startRetrying();
  }

  private async retry(url: string): Promise<void> {
    if (this.retrying.has(url)) return;
    this.retrying.add(url);
    let delay = this.host.backoff.initialMs;
    try {
      while (this.live && this.isWaiting(url)) {
        try {
          await this.deliver(url);
        } catch (error) {
          if (REFUSALS.some((code) => isHearthError(error, code))) return; // the relay said no: trying again changes nothing
        }
        if (!this.isWaiting(url)) return;
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random() / 2)).unref?.());
        delay = Math.min(this.host.backoff.maxMs, delay * 2);
      }
    } finally {
      this.retrying.delete(url);
    }
  }

  /** Whether `username` is free on the relay (or already this account's); UNAVAILABLE when the relay cannot be reached. */
  async usernameFreeOn(url: string, username: string): Promise<boolean> {
    const client = await this.host.client(url);
    try {
      return (await client.lookup(username)).account === this.host.vault.account;
    } catch (error) {
      if (isHearthError(error, 'NOT_FOUND')) return true;
      throw error;
    }
  }

  /**
   * Writes the profile into this account's entry of every team directory it may write to (a role
   * that writes content; the relay refuses index changes from the others), queued in each space's
   * outbox; returns the spaces changed and those left as they were because of the role there.
   */
  updateDirectories(): { changed: string[]; readOnly: string[] } {
    const { host } = this;
    const profile = host.vault.profile;
    const changed: string[] = [];
    const readOnly: string[] = [];
    for (const spaceId of host.vault.syncState.spaceIds()) {
      if (!host.spaces.state(spaceId)) continue;
      const role = host.spaces.view(spaceId).role(host.account);
      const entry = host.spaces.index(spaceId).members?.[host.account];
      if (!role || !entry) continue;
      const next = directoryEntry(entry, profile);
      if (sameDirectoryEntry(entry, next)) continue;
      if (!canWriteContent(role)) {
        readOnly.push(spaceId);
        continue;
      }
      host.spaces.changeIndex(spaceId, (d) => {
        const mine = d.members[host.account]!;
        mine.username = next.username;
        mine.displayName = next.displayName;
        if (next.avatar === undefined) delete mine.avatar;
        else mine.avatar = next.avatar;
        if (next.formerUsernames) mine.formerUsernames = next.formerUsernames;
      });
      changed.push(spaceId);
    }
    return { changed, readOnly };
  }

  /**
   * Sends the profile to one relay and the directory changes of its spaces; UNAVAILABLE (and
   * everything kept waiting) when it cannot be reached.
   */
  async deliver(url: string): Promise<void> {
    const client = await this.host.client(url);
    await this.sendTo(url, client);
    for (const spaceId of this.host.vault.syncState.spaceIds()) {
      if (this.host.spaces.state(spaceId)?.relay === url) await this.host.push(spaceId, client);
    }
  }
}

/** Where one relay stands after a delivery attempt. */
export function deliveryState(relay: string, error: unknown): RelayProfileState {
  if (error === undefined) return { relay, state: 'updated' };
  if (isHearthError(error, 'UNAVAILABLE')) return { relay, state: 'waiting', problem: `${relay} is offline; the change is sent when it can be reached again.` };
  const message = error instanceof HearthError || error instanceof Error ? error.message : String(error);
  return { relay, state: 'refused', problem: message };
}

function directoryEntry(entry: DirectoryEntry, profile: { username: string; displayName: string; avatar?: string }): DirectoryEntry {
  const former = entry.username === profile.username ? entry.formerUsernames : [...(entry.formerUsernames ?? []), entry.username];
  const avatar = profile.avatar && profile.avatar.length <= DIRECTORY_AVATAR_CHARS ? profile.avatar : undefined;
  return {
    username: profile.username,
    displayName: profile.displayName,
    boxPublicKey: entry.boxPublicKey,
    ...(avatar ? { avatar } : {}),
    ...(former?.length ? { formerUsernames: former.filter((name) => name !== profile.username).slice(-FORMER_USERNAMES) } : {}),
  };
}
