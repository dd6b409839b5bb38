/**
 * Account deletion, both sides of it.
 *
 * This vault deleting its account (SyncEngine.deleteAccount): on every relay it is registered on,
 * first a last round of sync so nothing it wrote is lost to the others, then, in every space that
 * outlives it (it is not that space's only Owner), a signed `account_deleted` membership entry,
 * and then the relay's deleteAccount: the relay drops the profile, the key envelopes, every space
 * where this account was the only Owner, and its name on what it wrote in the others. The relay
 * refuses the deletion while the account is still a member of a space that outlives it, so its
 * members table and the signed log never disagree. The caller (Session, CLI) then wipes the vault.
 *
 * The other members learning it (hooks called by the engine after each membership refresh): the
 * `account_deleted` entry starts a new key epoch (MembershipView), so no one writes under a key
 * the deleted account held; an Owner or Admin seals a fresh key for that epoch to the remaining
 * members; comments the deleted account wrote are shown as "Deleted user" from then on, and a
 * writer drops its profile from the space's directory.
 */
import { hash, randomKey, toHex, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { nextEntry, signMembershipEntry } from '../../common/membership/log.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { canManageMembers } from '../../common/roles.ts';
import type { CommentRecord } from '../vault/comments.ts';
import type { SpaceState } from '../vault/sync-state.ts';
import type { Vault } from '../vault/vault.ts';
import { MembershipView } from './membership-view.ts';
import type { IndexDoc, WorkspaceIndex } from './workspace-index.ts';

/** How a deleted account's name is shown in comments and authors. Never a valid username (capitals, space). */
export const DELETED_USER = 'Deleted user';

export interface AccountDeletionResult {
  /** Relays where the account was deleted (or found already gone). */
  relays: number;
  /** Spaces the relay deleted because this account was their only Owner. */
  spacesDeleted: number;
  /** Spaces that stay with their other members (this account left them). */
  spacesKept: number;
  /** Relays that could not be reached and were skipped (only with `skipUnreachable`). */
  skipped: string[];
}

export interface AccountDeletionOptions {
  /**
   * For a relay that is gone for good: skip relays that cannot be reached instead of refusing.
   * Whatever such a relay still holds stays there; the result names them.
   */
  skipUnreachable?: boolean;
}

/** What the engine lends this module (its private parts, as closures). */
export interface AccountHost {
  vault: Vault;
  account: string;
  client(url: string): Promise<RelayClient>;
  view(workspaceId: string): MembershipView;
  space(workspaceId: string): SpaceState;
  putSpace(workspaceId: string, state: SpaceState): void;
  index(workspaceId: string): IndexDoc;
  changeIndex(workspaceId: string, fn: (d: WorkspaceIndex) => void): void;
  /** Seals `key` to each account with the box key the space's directory lists (CONFLICT saying `whenMissing` if one has none). */
  sealForMembers(
    client: RelayClient,
    space: string,
    accounts: Iterable<string>,
    epoch: number,
    key: Uint8Array,
    whenMissing: string,
  ): Promise<Array<{ recipient: string; envelope: Uint8Array }>>;
  refreshKeys(workspaceId: string, client: RelayClient): Promise<void>;
  /** One full exchange (push and pull) for a workspace, run in its queue. */
  finalSync(workspaceId: string, client: RelayClient): Promise<void>;
  /** Team workspaces (ids) of this vault with the relay each lives on, paused or not. */
  teamWorkspaces(): Array<{ id: string; relay: string; paused: boolean }>;
  /** Stops live sync; returns whether it was running. */
  stopLive(): Promise<boolean>;
  startLive(): void;
}

/** How a deleted member's username is remembered locally: only as a hash, to recognise it in comments arriving later. */
function nameHash(username: string): string {
  return toHex(hash(utf8(`hearth-deleted-author-v1\n${username}`), 16));
}

function isNoAccount(error: unknown): boolean {
  return isHearthError(error, 'UNAUTHENTICATED') && /no account/i.test(error.message);
}

export class AccountDeletion {
  constructor(private readonly host: AccountHost) {}

  /** SyncEngine.deleteAccount(): see the module comment. Refuses, changing nothing, when a relay cannot be reached. */
  async deleteAccount(options: AccountDeletionOptions = {}): Promise<AccountDeletionResult> {
    const { host } = this;
    const relays = host.vault.syncState.relays().filter((r) => r.account);
    const result: AccountDeletionResult = { relays: 0, spacesDeleted: 0, spacesKept: 0, skipped: [] };
    const wasRunning = await host.stopLive();
    try {
      // 1. Reach every relay and send what is still in the outbox, before anything is deleted anywhere.
      const reached = new Map<string, RelayClient | 'gone'>();
      for (const relay of relays) {
        try {
          reached.set(relay.url, await host.client(relay.url));
        } catch (error) {
          if (isNoAccount(error)) {
            reached.set(relay.url, 'gone'); // deleted there already (an earlier attempt, or purged)
            continue;
          }
          if (options.skipUnreachable && isHearthError(error, 'UNAVAILABLE')) {
            result.skipped.push(relay.url);
            continue;
          }
          throw new HearthError(
            isHearthError(error) ? error.code : 'UNAVAILABLE',
            `Cannot reach ${relay.url} to delete your account there (${(error as Error).message}); nothing was deleted, here or on any relay. Try again when it is back` +
              ` (if that relay is gone for good, \`hearth account delete --force-local\` skips it; whatever it still holds stays there).`,
            { cause: error },
          );
        }
      }
      for (const workspace of host.teamWorkspaces()) {
        const client = reached.get(workspace.relay);
        if (!client || client === 'gone' || workspace.paused) continue;
        try {
          await host.finalSync(workspace.id, client);
        } catch (error) {
          // Removed from it already, or the space is gone: nothing of ours can reach it anyway.
          if (isHearthError(error, 'FORBIDDEN') || isHearthError(error, 'NOT_FOUND')) continue;
          throw new HearthError(
            isHearthError(error) ? error.code : 'INTERNAL',
            `Could not send your last changes before deleting the account (${(error as Error).message}); nothing was deleted. Try again.`,
            {
              cause: error,
            },
          );
        }
      }
      // 2. Per relay: leave every space that outlives this account, then delete the account there.
      for (const relay of relays) {
        const client = reached.get(relay.url);
        if (!client) continue;
        if (client !== 'gone') {
          const counts = await this.deleteOn(client);
          result.spacesDeleted += counts.deleted;
          result.spacesKept += counts.kept;
        }
        host.vault.syncState.putRelay({ url: relay.url });
        host.vault.audit.record('account.deleted', relay.url);
        result.relays++;
      }
      return result;
    } catch (error) {
      if (wasRunning) host.startLive();
      throw error;
    }
  }

  private async deleteOn(client: RelayClient): Promise<{ deleted: number; kept: number }> {
    const { host } = this;
    const keys = host.vault.identityKeys();
    const { report } = await client.access();
    let deleted = 0;
    let kept = 0;
    for (const { space } of report.spaces) {
      for (let attempt = 0; ; attempt++) {
        const view = MembershipView.replay(space, await client.getMembership(space, 0));
        const owners = [...view.current.members].filter(([, role]) => role === 'owner').map(([account]) => account);
        if (owners.length === 1 && owners[0] === host.account) {
          deleted++; // the relay deletes it with the account
          break;
        }
        const entry = signMembershipEntry(
          nextEntry(view.current, { actor: host.account, action: 'account_deleted', subject: host.account, role: null }),
          keys.signSecretKey,
        );
        try {
          await client.appendMembership(entry);
          kept++;
          break;
        } catch (error) {
          // Someone changed the membership meanwhile: read it again and sign the entry again.
          if (!isHearthError(error, 'CONFLICT') || attempt >= 3) throw error;
        }
      }
    }
    await client.deleteAccount();
    return { deleted, kept };
  }

  /**
   * After the membership log of a workspace was refreshed: what the other members do about
   * accounts deleted since. Idempotent (state-based), so a crash in between only delays it.
   */
  async afterMembership(workspaceId: string, client: RelayClient): Promise<void> {
    const { host } = this;
    const view = host.view(workspaceId);
    const deleted = view.deletedAccounts();
    if (deleted.size === 0) return;
    this.anonymize(workspaceId, deleted);
    const mine = view.role(host.account);
    if (!mine || !view.epochStartedByDeletion()) return;
    const epoch = view.currentEpoch;
    if (host.space(workspaceId).epochKeys[epoch]) return;
    // Someone else may have sealed it already.
    await host.refreshKeys(workspaceId, client);
    if (host.space(workspaceId).epochKeys[epoch] || !canManageMembers(mine)) return;
    await this.rotate(workspaceId, client, epoch);
  }

  /** A fresh key for `epoch`, sealed to every remaining member (never to the deleted account, who is no member). */
  private async rotate(workspaceId: string, client: RelayClient, epoch: number): Promise<void> {
    const { host } = this;
    const view = host.view(workspaceId);
    const key = randomKey();
    const sealed = await host.sealForMembers(client, workspaceId, view.current.members.keys(), epoch, key, 'the new key waits for the next sync.');
    await client.putEnvelopes(workspaceId, epoch, sealed);
    // Read back what the relay keeps: it never replaces an envelope, so if another Owner or Admin
    // sealed this epoch at the same moment, the first one stored is the key everyone gets, this
    // vault included.
    await host.refreshKeys(workspaceId, client);
    const state = host.space(workspaceId);
    if (!state.epochKeys[epoch]) host.putSpace(workspaceId, { ...state, epochKeys: { ...state.epochKeys, [epoch]: toHex(key) } });
    host.vault.audit.record('member.removed', `${workspaceId}/deleted-account`);
  }

  /**
   * Comments the deleted accounts wrote here now read "Deleted user", and (when this vault may
   * write) their profile leaves the space's directory. Their name is taken from the directory
   * before it goes: a change removing it names a membership state after the deletion entry, so it
   * cannot be applied before this runs.
   */
  private anonymize(workspaceId: string, deleted: ReadonlyMap<string, number>): void {
    const { host } = this;
    const directory = host.index(workspaceId).members ?? {};
    const gone = [...deleted.keys()].filter((account) => directory[account] && !host.view(workspaceId).role(account));
    if (gone.length === 0) return;
    // Their former usernames too: comments written before a rename carry the old one.
    const usernames = new Set(gone.flatMap((account) => [directory[account]!.username, ...(directory[account]!.formerUsernames ?? [])]));
    const documents = host.vault.documents.allIds().filter((d) => d.workspaceId === workspaceId);
    host.vault.transaction(() => {
      const state = host.space(workspaceId);
      const hashes = new Set([...(state.deletedAuthors ?? []), ...[...usernames].map(nameHash)]);
      // The directory entry leaves the index's history too, in its next generation (an Owner or Admin rebuilds it).
      const forget = [...new Set([...(state.forgetInIndex ?? []), ...gone])].sort();
      host.putSpace(workspaceId, { ...state, deletedAuthors: [...hashes].sort(), forgetInIndex: forget });
      for (const { id } of documents) {
        for (const record of host.vault.comments.records(id)) {
          if (usernames.has(record.author)) host.vault.comments.replace({ ...record, author: DELETED_USER });
        }
      }
    });
    const role = host.view(workspaceId).role(host.account);
    // Only an Owner or Admin, who then rebuilds the index without it (an Editor's change would name
    // the account again in a history the rebuild has already left behind).
    if (role && canManageMembers(role)) {
      // (The index change names the membership state after the deletion entry, so every member
      // that applies it has run this first and taken the name from its own directory.)
      host.changeIndex(workspaceId, (d) => {
        for (const account of gone) delete d.members[account];
      });
    }
  }

  /**
   * After a comment from the relay was stored: if its signer is a deleted account, or it is
   * written in a deleted member's name (a snapshot made before the deletion), it reads "Deleted user".
   */
  afterRemoteComment(workspaceId: string, record: CommentRecord, signer: string | undefined): void {
    const { host } = this;
    const byDeleted = signer !== undefined && host.view(workspaceId).deletedAccounts().has(signer);
    if (!byDeleted && !(host.space(workspaceId).deletedAuthors ?? []).includes(nameHash(record.author))) return;
    const stored = host.vault.comments.records(record.documentId).find((r) => r.id === record.id);
    if (stored && stored.author !== DELETED_USER) host.vault.comments.replace({ ...stored, author: DELETED_USER });
  }
}
