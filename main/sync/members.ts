/**
 * The people in a space and changing them: listing members with their published names, inviting
 * by username (with every key epoch this vault holds), changing a role, removing someone with a
 * new key epoch in the same step (S4), and handing ownership on. Each checks this vault's role
 * first, after catching up with the relay, so the refusal names the role it really has.
 */
import type { TeamMember as Member } from '../../common/api/contract.ts';
import { fromHex, randomKey, toHex } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import { refusePersonalMember } from '../../common/membership/log.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { Roles, type Role } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { Membership, MembershipClient } from './membership.ts';
import type { AccountPermissions } from './permissions.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';

/** The part of a relay client that managing members needs (pushing the index goes through the host). */
export type MembersClient = MembershipClient & Pick<RelayClient, 'lookup'>;

export interface MembersHost<C extends MembersClient> {
  readonly vault: Pick<Vault, 'workspaces' | 'audit'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'get' | 'state' | 'update' | 'view' | 'index' | 'changeIndex'>;
  readonly permissions: Pick<AccountPermissions, 'assertManager' | 'assertOwner'>;
  readonly membership: Pick<Membership<C>, 'appendEntry' | 'sealForMembers' | 'refresh' | 'devicesOf'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  /** Sends the space's outbox (the index's directory change). */
  push(spaceId: string, client: C): Promise<unknown>;
  /** One full exchange for the space, run inside its queue. */
  syncSpace(spaceId: string, client: C): Promise<unknown>;
}

/** A member's published profile: from the space's directory, else looked up on the relay. */
interface Profile {
  account: string;
  username: string;
  displayName: string;
  boxPublicKey: string;
}

function assertRole(role: Role): void {
  if (!Roles.includes(role)) throw new HearthError('BAD_REQUEST', `${role} is not a role; use one of ${Roles.join(', ')}.`);
}

export class Members<C extends MembersClient = RelayClient> {
  constructor(private readonly host: MembersHost<C>) {}

  /** The members of a space with their published names (refreshed from the relay when reachable). */
  async list(workspaceIdOrName: string): Promise<Member[]> {
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    await host.membership.refresh(workspace.id).catch(() => undefined);
    const directory = host.spaces.index(workspace.id).members ?? {};
    return [...host.spaces.view(workspace.id).current.members].map(([account, role]) => {
      const entry = directory[account];
      return {
        account,
        role,
        isMe: account === host.account,
        ...(entry ? { username: entry.username, displayName: entry.displayName } : {}),
        ...(entry?.avatar ? { avatar: entry.avatar } : {}),
        ...(entry?.formerUsernames?.length ? { formerUsernames: [...entry.formerUsernames] } : {}),
      };
    });
  }

  /**
   * Who removed this vault's account from a space (or a document shared with it), and when, as the
   * verified membership log says; undefined while it is a member or if it left itself.
   */
  removal(workspaceIdOrName: string): { account: string; username?: string; displayName?: string; at: number } | undefined {
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    if (!host.spaces.state(workspace.id)) return undefined;
    const entry = host.spaces.view(workspace.id).removal(host.account);
    if (!entry) return undefined;
    const remover = host.spaces.index(workspace.id).members?.[entry.actor];
    return { account: entry.actor, at: entry.at, ...(remover ? { username: remover.username, displayName: remover.displayName } : {}) };
  }

  private async profileOf(spaceId: string, username: string, client: C): Promise<Profile> {
    const members = this.host.spaces.index(spaceId).members ?? {};
    for (const [account, entry] of Object.entries(members)) if (entry.username === username) return { account, ...entry };
    const found = await client.lookup(username);
    return { account: found.account, username: found.username, displayName: found.displayName, boxPublicKey: found.boxPublicKey };
  }

  /** Adds a registered user as a member with `role` and gives them every key epoch this vault holds. */
  async invite(workspaceIdOrName: string, username: string, role: Role): Promise<Member> {
    assertRole(role);
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind === 'personal') refusePersonalMember();
    const client = await host.membership.refresh(workspace.id);
    // The role first: someone who may not invite learns nothing about which usernames exist.
    host.permissions.assertManager(workspace.id, undefined, role);
    const profile = await this.profileOf(workspace.id, username, client);
    if (host.spaces.view(workspace.id).role(profile.account))
      throw new HearthError('ALREADY_EXISTS', `${username} is already a member; change their role with \`hearth member role\`.`);
    // Keys go only to devices the invitee's account signed for, never to a key the relay names: a relay cannot swap the key an invitation is sealed to.
    if (!(await host.membership.devicesOf(profile.account, client))?.length) {
      throw new HearthError(
        'CONFLICT',
        `${username} has no signed device list on this relay yet (an older Hearth): ask them to update Hearth and sign in once, then invite them again.`,
      );
    }
    await host.queues.run(workspace.id, async () => {
      await host.membership.appendEntry(workspace.id, client, 'add', profile.account, role);
      // To each of the new member's devices, as its verified device log lists them.
      for (const [epoch, key] of Object.entries(host.spaces.get(workspace.id).epochKeys)) {
        const sealed = await host.membership.sealForMembers(client, workspace.id, [profile.account], Number(epoch), fromHex(key), 'invite them again.');
        await client.putEnvelopes(workspace.id, Number(epoch), sealed);
      }
      host.spaces.changeIndex(workspace.id, (d) => {
        d.members[profile.account] = { username: profile.username, displayName: profile.displayName, boxPublicKey: profile.boxPublicKey };
      });
      host.vault.audit.record('member.invited', `${workspace.id}/${username}`);
      await host.push(workspace.id, client);
    });
    return { account: profile.account, username: profile.username, displayName: profile.displayName, role, isMe: false };
  }

  async setRole(workspaceIdOrName: string, username: string, role: Role): Promise<void> {
    assertRole(role);
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind === 'personal') refusePersonalMember();
    const client = await host.membership.refresh(workspace.id);
    const profile = await this.profileOf(workspace.id, username, client);
    const from = host.spaces.view(workspace.id).role(profile.account);
    if (!from) throw new HearthError('NOT_FOUND', `${username} is not a member of this workspace; add them with \`hearth member add\`.`);
    if (from === role) return;
    host.permissions.assertManager(workspace.id, from, role);
    await host.queues.run(workspace.id, () => host.membership.appendEntry(workspace.id, client, 'change_role', profile.account, role));
    host.vault.audit.record('member.role_changed', `${workspace.id}/${username}:${role}`);
  }

  /**
   * Removes a member and, in the same step, starts a new key epoch: a fresh key sealed to every
   * remaining member travels in the same frame as the removal entry and the relay stores both or
   * neither, so no write after the removal can be made under a key the removed member holds (S4),
   * and two managers removing people at once each get their own epoch (the second rebuilds its
   * entry and key on the first's). Pulls everything first so that the removed member's last
   * accepted edits are here.
   */
  async remove(workspaceIdOrName: string, username: string): Promise<void> {
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    const client = await host.membership.refresh(workspace.id);
    await host.queues.run(workspace.id, () => host.syncSpace(workspace.id, client));
    const profile = await this.profileOf(workspace.id, username, client);
    const from = host.spaces.view(workspace.id).role(profile.account);
    if (!from) throw new HearthError('NOT_FOUND', `${username} is not a member of this workspace.`);
    if (profile.account === host.account) throw new HearthError('BAD_REQUEST', 'To leave a workspace yourself, use leave, not remove.');
    host.permissions.assertManager(workspace.id, from, undefined);
    await host.queues.run(workspace.id, async () => {
      let rotated: { epoch: number; key: Uint8Array } | undefined;
      await host.membership.appendEntry(workspace.id, client, 'remove', profile.account, null, async (view) => {
        const epoch = view.currentEpoch + 1;
        const key = randomKey();
        const remaining = [...view.current.members.keys()].filter((account) => account !== profile.account);
        rotated = { epoch, key };
        return { epoch, sealed: await host.membership.sealForMembers(client, workspace.id, remaining, epoch, key, 'sync and try again.') };
      });
      // The relay keeps this vault's envelope too; holding the key here spares the round trip.
      host.spaces.update(workspace.id, (state) => ({ epochKeys: { ...state.epochKeys, [rotated!.epoch]: toHex(rotated!.key) } }));
      host.spaces.changeIndex(workspace.id, (d) => {
        delete d.members[profile.account];
      });
      host.vault.audit.record('member.removed', `${workspace.id}/${username}`);
      await host.push(workspace.id, client);
    });
  }

  /** Makes another member the Owner; this vault's account stays on as Admin (the shared role rules). */
  async transferOwnership(workspaceIdOrName: string, username: string): Promise<void> {
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind === 'personal') refusePersonalMember();
    const client = await host.membership.refresh(workspace.id);
    host.permissions.assertOwner(workspace, 'transfer its ownership');
    const profile = await this.profileOf(workspace.id, username, client);
    if (!host.spaces.view(workspace.id).role(profile.account)) throw new HearthError('NOT_FOUND', `${username} is not a member; add them first.`);
    await host.queues.run(workspace.id, () => host.membership.appendEntry(workspace.id, client, 'transfer', profile.account, 'owner'));
    host.vault.audit.record('member.role_changed', `${workspace.id}/${username}:owner`);
  }
}
