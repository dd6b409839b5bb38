/**
 * A space's membership log and key epochs as this vault keeps them: catching up with the relay's
 * log (refusing one that was rolled back, forked or does not verify), opening the key envelopes
 * sealed to this vault, appending a signed entry on the newest log, sealing keys to members, and
 * founding a new space (its genesis entry, its epoch-0 key, its index naming this vault).
 */
import * as A from '@automerge/automerge';
import { fromBase64Url, randomKey, toBase64Url, toHex } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { assertPersonalSpaceEntry, nextEntry, signMembershipEntry, type MembershipAction } from '../../common/membership/log.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import type { SpaceKind } from '../../common/protocol/messages.ts';
import { openEnvelope, sealEnvelope } from '../../common/protocol/envelope.ts';
import { MembershipHistory } from '../../common/protocol/verify.ts';
import type { Role } from '../../common/roles.ts';
import type { SpaceState } from '../vault/sync-state.ts';
import type { Vault } from '../vault/vault.ts';
import type { AccountDevices } from './devices.ts';
import { MembershipView } from './membership-view.ts';
import { encodeChanges } from './payload.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import { reasonOf, type StatusBoard } from './status.ts';
import { INDEX_DOC, newIndex, saveIndex } from './workspace-index.ts';

/** The part of a relay client the membership log and keys need. */
export type MembershipClient = Pick<
  RelayClient,
  'getMembership' | 'getRemoval' | 'appendMembership' | 'getEnvelopes' | 'putEnvelopes' | 'createSpace' | 'getDevices'
>;

/** A key epoch's envelopes, one per member, for the relay. */
export type SealedKeys = Array<{ recipient: string; envelope: Uint8Array }>;

export interface MembershipHost<C extends MembershipClient> {
  readonly vault: Pick<Vault, 'identityKeys' | 'profile' | 'transaction' | 'syncState' | 'devices'>;
  readonly account: string;
  /** Who receives a member's keys: its active devices, from its verified device log (devices.ts). */
  readonly devices: Pick<AccountDevices, 'recipientsOf'>;
  readonly spaces: Pick<SpaceRegistry, 'get' | 'update' | 'view' | 'setView' | 'index' | 'register' | 'name' | 'isDevicesOnly'>;
  readonly status: Pick<StatusBoard, 'warn'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  client(url: string): Promise<C>;
  /** After the log was refreshed: what account deletions in it ask of this vault (main/sync/account.ts). */
  afterMembership(spaceId: string, client: C): Promise<void>;
  /** Pulls the space's index document (its directory of members' keys and names). */
  pullIndex(spaceId: string, client: C): Promise<unknown>;
}

export class Membership<C extends MembershipClient = RelayClient> {
  constructor(private readonly host: MembershipHost<C>) {}

  /** Seals a space key of `epoch` to one member's X25519 key, signed by this vault. */
  sealEnvelope(space: string, epoch: number, key: Uint8Array, recipient: string, recipientBoxKey: Uint8Array): Uint8Array {
    return sealEnvelope({ space, epoch, recipient, recipientBoxPublicKey: recipientBoxKey, key, sender: this.host.vault.identityKeys() });
  }

  /** The active devices of `account` as its signed device log (verified, fetched fresh) lists them; undefined when it has none. */
  devicesOf(account: string, client: C): Promise<Array<{ id: string; box: string }> | undefined> {
    return this.host.devices.recipientsOf(account, client);
  }

  /**
   * Seals `key` to each active device of each of `accounts`, as its device log (verified, fetched
   * fresh) lists them; for an account without a device log, to the box key the space's directory
   * (or `boxKeys`) lists for it, CONFLICT saying `whenMissing` when it has published none yet.
   */
  async sealForMembers(
    client: C,
    spaceId: string,
    accounts: Iterable<string>,
    epoch: number,
    key: Uint8Array,
    whenMissing: string,
    boxKeys: Record<string, string> = {},
  ): Promise<SealedKeys> {
    const sealed: SealedKeys = [];
    for (const account of accounts) {
      const devices = await this.host.devices.recipientsOf(account, client);
      if (devices) {
        for (const device of devices)
          sealed.push({ recipient: device.id, envelope: this.sealEnvelope(spaceId, epoch, key, device.id, fromBase64Url(device.box)) });
        continue;
      }
      let boxKey = boxKeys[account] ?? this.host.spaces.index(spaceId).members?.[account]?.boxPublicKey;
      if (!boxKey && account === this.host.account) boxKey = toBase64Url(this.host.vault.identityKeys().boxPublicKey);
      if (!boxKey) throw new HearthError('CONFLICT', `The member ${account} has no published key in this workspace's directory yet; ${whenMissing}`);
      sealed.push({ recipient: account, envelope: this.sealEnvelope(spaceId, epoch, key, account, fromBase64Url(boxKey)) });
    }
    return sealed;
  }

  /**
   * Opens an envelope if it is sealed to this device (or, from before the account had a device
   * log, to the account) and signed by someone who managed the space, or by the member whose
   * device revocation started the epoch; else undefined.
   */
  openEnvelope(view: MembershipView, epoch: number, sealed: Uint8Array): string | undefined {
    const history = MembershipHistory.replay(view.current.space, view.entries);
    const revoker = view.epochRevoker(epoch);
    for (const keys of [this.host.vault.devices.keys(), this.host.vault.identityKeys()]) {
      try {
        return toHex(openEnvelope(sealed, keys, { space: view.current.space, epoch }, history, revoker).key);
      } catch {
        // not sealed to these keys, or not by someone allowed to: try the next, then give up
      } finally {
        keys.signSecretKey.fill(0);
        keys.boxSecretKey.fill(0);
      }
    }
    return undefined;
  }

  /**
   * Takes in the entries the relay's log has past the last one this device verified; refuses a
   * rolled-back, forked or invalid log. `read` is how the log is asked for: getMembership as a
   * member, getRemoval once removed.
   */
  async refreshMembership(spaceId: string, client: C, read = (since: number) => client.getMembership(spaceId, since)): Promise<void> {
    const { spaces } = this.host;
    const view = spaces.view(spaceId);
    // Ask from the last entry this device verified: the relay must still hold it, unchanged.
    const overlap = await read(view.current.nextSeq - 1);
    const last = view.entries.at(-1);
    const first = overlap[0];
    if (last && (!first || first.seq !== last.seq || first.sig !== last.sig)) {
      const message = !first
        ? `the relay's membership log for this workspace ends before entry ${last.seq}, which this device already verified: it was rolled back. Nothing from it was used; distrust this relay until it is fixed.`
        : `the relay's membership log for this workspace differs at entry ${last.seq} from the one this device verified (a forked log). Nothing from it was used; distrust this relay until it is fixed.`;
      this.host.status.warn(spaceId, INDEX_DOC, 'RECORD_TAMPERED', message);
      throw new HearthError('RECORD_TAMPERED', `${spaces.name(spaceId)}: ${message}`);
    }
    const more = overlap.slice(1);
    if (more.length === 0) return;
    let next: MembershipView;
    try {
      next = view.extend(more);
    } catch (error) {
      throw new HearthError(
        'RECORD_TAMPERED',
        `The relay's membership log for this workspace does not verify (${reasonOf(error).message}); nothing from it was used. Distrust this relay until it is fixed.`,
      );
    }
    spaces.setView(spaceId, next);
  }

  /**
   * After the relay refused this vault the log: reads it up to the entry that took this vault out
   * and verifies it like any other, so the view knows it is no longer a member, who removed it and
   * when. A relay without getRemoval, or a log that does not verify, leaves the view as it was.
   */
  async learnRemoval(spaceId: string, client: C): Promise<void> {
    await this.refreshMembership(spaceId, client, (since) => client.getRemoval(spaceId, since)).catch(() => undefined);
  }

  /** Keeps the keys of epochs sealed to this vault since the last look. */
  async refreshKeys(spaceId: string, client: C): Promise<void> {
    const { spaces } = this.host;
    const known = spaces.get(spaceId).epochKeys;
    const added: Record<string, string> = {};
    for (const { epoch, envelope } of await client.getEnvelopes(spaceId)) {
      if (known[epoch]) continue;
      const key = this.openEnvelope(spaces.view(spaceId), epoch, envelope);
      if (key) added[epoch] = key;
    }
    if (Object.keys(added).length > 0) spaces.update(spaceId, (state) => ({ epochKeys: { ...state.epochKeys, ...added } }));
  }

  /** Membership, keys, and what account deletions ask: what to learn before judging a change or acting on the space. */
  async catchUp(spaceId: string, client: C): Promise<void> {
    await this.refreshMembership(spaceId, client);
    await this.afterMembership(spaceId, client);
  }

  /** After the log was refreshed: the keys sealed to this vault since, and what account deletions in the log ask. */
  async afterMembership(spaceId: string, client: C): Promise<void> {
    await this.refreshKeys(spaceId, client);
    await this.host.afterMembership(spaceId, client);
  }

  /** Catches up with the relay in the space's queue, the index included, and returns the client (before changing membership or deleting). */
  async refresh(spaceId: string): Promise<C> {
    const client = await this.host.client(this.host.spaces.get(spaceId).relay);
    await this.host.queues.run(spaceId, async () => {
      await this.catchUp(spaceId, client);
      await this.host.pullIndex(spaceId, client);
    });
    return client;
  }

  /**
   * `refresh`, or undefined when the relay cannot be reached (also when the connection drops on
   * the way): a caller that works offline too goes on with what this device last verified.
   */
  async refreshIfReachable(spaceId: string): Promise<C | undefined> {
    try {
      return await this.refresh(spaceId);
    } catch (error) {
      if (isHearthError(error, 'UNAVAILABLE')) return undefined;
      throw error;
    }
  }

  /**
   * Appends a membership entry built on the newest log, rebuilding it (and the key epoch it starts,
   * when `rotation` is given) if another member's entry got in first.
   */
  async appendEntry(
    spaceId: string,
    client: C,
    action: MembershipAction,
    subject: string,
    role: Role | null,
    rotation?: (view: MembershipView) => Promise<{ epoch: number; sealed: SealedKeys }>,
  ): Promise<void> {
    // A personal workspace synced between this account's devices: the same rule the relay applies.
    if (this.host.spaces.isDevicesOnly(spaceId)) assertPersonalSpaceEntry({ action, actor: this.host.account, subject });
    const keys = this.host.vault.identityKeys();
    for (let attempt = 0; ; attempt++) {
      const view = this.host.spaces.view(spaceId);
      const entry = signMembershipEntry(nextEntry(view.current, { actor: this.host.account, action, subject, role }), keys.signSecretKey);
      try {
        await client.appendMembership(entry, await rotation?.(view));
        // After leaving, the relay no longer shows this account the log.
        if (!(action === 'remove' && subject === this.host.account)) await this.refreshMembership(spaceId, client);
        return;
      } catch (error) {
        // Someone else changed the membership meanwhile: catch up and build the entry again.
        if (!isHearthError(error, 'CONFLICT') || attempt >= 3) throw error;
        await this.refreshMembership(spaceId, client);
      }
    }
  }

  /**
   * Founds a space on the relay: its genesis entry (this vault its Owner), a fresh epoch-0 key
   * sealed to this vault, and an index named `name` listing this vault in its directory, queued
   * for the relay. `record` writes the local side (the workspace or share record, its audit
   * entry) in the same transaction and returns what the space's state adds.
   */
  async found(client: C, spaceId: string, kind: SpaceKind, relay: string, name: string, record: () => Partial<SpaceState>): Promise<void> {
    const { vault, account, spaces } = this.host;
    const keys = vault.identityKeys();
    await client.createSpace(keys, spaceId, kind);
    const view = MembershipView.replay(spaceId, await client.getMembership(spaceId, 0));
    const key = randomKey();
    await client.putEnvelopes(spaceId, 0, await this.sealForMembers(client, spaceId, [account], 0, key, '', { [account]: toBase64Url(keys.boxPublicKey) }));
    const profile = vault.profile;
    const index = A.change(newIndex(name), (d) => {
      d.members[account] = { username: profile.username, displayName: profile.displayName, boxPublicKey: toBase64Url(keys.boxPublicKey) };
      if (kind === 'personal') d.personalTo = account;
    });
    vault.transaction(() => {
      const extra = record();
      spaces.register(
        spaceId,
        { relay, epochKeys: { 0: toHex(key) }, membership: [...view.entries], index: saveIndex(index), paused: false, ...extra },
        view,
        index,
      );
      vault.syncState.enqueue(spaceId, { documentId: INDEX_DOC, kind: 'content', payload: encodeChanges(A.getAllChanges(index)) });
      vault.syncState.putDocument(spaceId, INDEX_DOC, { cursor: 0, heads: A.getHeads(index), comments: {} });
    });
  }
}
