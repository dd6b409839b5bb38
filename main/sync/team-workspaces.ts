/**
 * A team workspace's life: founding one on a relay, turning a personal workspace into one (after
 * the user confirmed what will leave the device), leaving it, and deleting it for everyone.
 */
import type { TeamConversion } from '../../common/api/records.ts';
import { newId } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { capitalise, countOf } from '../../common/wording.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import type { RelayConnections } from './connections.ts';
import type { Membership, MembershipClient } from './membership.ts';
import type { AccountPermissions } from './permissions.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import type { StatusBoard } from './status.ts';

export type TeamClient = MembershipClient & Pick<RelayClient, 'deleteSpace'>;

/** What turning a personal workspace into a team one would send, for the user's confirmation (the API's record). */
export type TeamConversionPlan = TeamConversion;

export interface TeamWorkspacesHost<C extends TeamClient> {
  readonly vault: Pick<Vault, 'workspaces' | 'documents' | 'comments' | 'files' | 'audit'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'state' | 'docsOf' | 'forget'>;
  readonly connections: Pick<RelayConnections, 'hasAccount' | 'register'>;
  readonly membership: Pick<Membership<C>, 'found' | 'appendEntry' | 'refresh'>;
  readonly permissions: Pick<AccountPermissions, 'assertOwner' | 'role'>;
  readonly status: Pick<StatusBoard, 'set'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  client(url: string): Promise<C>;
  isLive(): boolean;
  /** Sends the space's outbox. */
  push(spaceId: string, client: C): Promise<unknown>;
  /** One full exchange for the space (following its documents when `follow`), run inside its queue. */
  syncSpace(spaceId: string, client: C, follow: boolean): Promise<unknown>;
  /** Starts following a relay that gained a space (while live). */
  ensureRelayLoop(url: string): void;
  /** Ends, at the relay and here, the share spaces this vault made for `documents`. */
  endOwnShares(documents: string[]): Promise<void>;
}

export class TeamWorkspaces<C extends TeamClient = RelayClient> {
  constructor(private readonly host: TeamWorkspacesHost<C>) {}

  /** Creates a team workspace on a relay: the space, its genesis entry, the epoch-0 key sealed to this vault. */
  async create(name: string, relayUrl: string): Promise<Workspace> {
    const { host } = this;
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100) throw new HearthError('BAD_REQUEST', 'A workspace name is 1–100 characters.');
    if (!host.connections.hasAccount(relayUrl)) await host.connections.register(relayUrl);
    const client = await host.client(relayUrl);
    const id = newId();
    await host.membership.found(client, id, 'workspace', relayUrl, trimmed, () => {
      host.vault.workspaces.adopt({ id, name: trimmed, kind: 'team', createdAt: Date.now(), relay: relayUrl });
      host.vault.audit.record('workspace.created', id);
      return {};
    });
    await host.queues.run(id, () => host.push(id, client));
    host.status.set(id, { state: 'synced', lastSyncedAt: Date.now() });
    host.ensureRelayLoop(relayUrl);
    return host.vault.workspaces.get(id);
  }

  /**
   * What turning a personal workspace into a team one would send to the relay, for the
   * confirmation the user must give: every document and comment, encrypted; files stay here.
   */
  describeConversion(workspaceIdOrName: string): TeamConversionPlan {
    const { vault } = this.host;
    const { workspace } = vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind !== 'personal') throw new HearthError('BAD_REQUEST', `${workspace.name} is already a team workspace.`);
    const documents = vault.documents.list(workspace.id);
    const comments = documents.reduce((n, d) => n + vault.comments.records(d.id).length, 0);
    const filesStayLocal = vault.files.list(workspace.id).length;
    return {
      workspaceId: workspace.id,
      name: workspace.name,
      documents: documents.length,
      comments,
      filesStayLocal,
      message:
        `${capitalise(countOf(documents.length, 'document'))} with ${documents.length === 1 ? 'its' : 'their'} full history and ${countOf(comments, 'comment')} will be encrypted on this device and uploaded to the relay, ` +
        `where only members you invite can read them; the relay sees their sizes and timing, never their content.` +
        (filesStayLocal ? ` ${capitalise(countOf(filesStayLocal, 'attached file'))} ${filesStayLocal === 1 ? 'stays' : 'stay'} on this device.` : ''),
    };
  }

  /** Turns a personal workspace into a team one on `relayUrl`; `confirmed` must echo the user's explicit yes. */
  async convert(workspaceIdOrName: string, relayUrl: string, confirmed: boolean): Promise<Workspace> {
    const { host } = this;
    const plan = this.describeConversion(workspaceIdOrName);
    if (!confirmed) throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Confirm to go ahead.`);
    if (!host.spaces.state(plan.workspaceId) && !host.connections.hasAccount(relayUrl)) await host.connections.register(relayUrl);
    const client = await host.client(relayUrl);
    await host.membership.found(client, plan.workspaceId, 'workspace', relayUrl, plan.name, () => {
      host.vault.workspaces.makeTeam(plan.workspaceId, relayUrl);
      // The files already here stay here, as the conversion's message says; files added later sync.
      return { localFiles: host.vault.files.list(plan.workspaceId).map((f) => f.id) };
    });
    await host.queues.run(plan.workspaceId, () => host.syncSpace(plan.workspaceId, client, host.isLive()));
    host.ensureRelayLoop(relayUrl);
    return host.vault.workspaces.get(plan.workspaceId);
  }

  /**
   * Leaves a team workspace: this vault's account is removed from the space and the local copy is
   * deleted with its key. (The remaining members keep the current key epoch: leaving is voluntary,
   * unlike a removal, which rotates it.)
   */
  async leave(workspaceIdOrName: string): Promise<void> {
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    if (!host.permissions.role(workspace.id)) return this.forgetRemoved(workspace.id);
    let client: C;
    try {
      client = await host.membership.refresh(workspace.id);
    } catch (error) {
      // Removed meanwhile (the relay no longer reads the log to this vault): there is nothing left to leave.
      if (isHearthError(error, 'FORBIDDEN')) return this.forgetRemoved(workspace.id);
      throw error;
    }
    await host.queues.run(workspace.id, () => host.syncSpace(workspace.id, client, false));
    await host.queues.run(workspace.id, () => host.membership.appendEntry(workspace.id, client, 'remove', host.account, null));
    // Its documents leave this device, so the shares this vault made of them end too.
    await host.endOwnShares(host.spaces.docsOf(workspace.id));
    host.spaces.forget(workspace.id);
  }

  /** Erases a workspace this vault was removed from: its copy here, and in time the shares made of its documents (endOrphanShares). */
  private async forgetRemoved(spaceId: string): Promise<void> {
    const documents = this.host.spaces.docsOf(spaceId);
    this.host.spaces.forget(spaceId);
    await this.host.endOwnShares(documents).catch(() => undefined);
  }

  /** Deletes a team workspace on the relay (Owner only) and then here. */
  async delete(workspaceIdOrName: string): Promise<void> {
    const { host } = this;
    const { workspace } = host.vault.workspaces.find(workspaceIdOrName);
    const client = await host.membership.refresh(workspace.id);
    host.permissions.assertOwner(workspace, 'delete it');
    await host.queues.run(workspace.id, () => client.deleteSpace(workspace.id));
    await host.endOwnShares(host.spaces.docsOf(workspace.id));
    host.spaces.forget(workspace.id);
  }
}
