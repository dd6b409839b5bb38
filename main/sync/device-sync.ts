/**
 * "Sync between my devices" for one personal workspace (issue 12, item 2; DESIGN.md S2). Turned
 * on, after the person confirmed what will leave the device, the workspace becomes a space of kind
 * 'personal' on one relay whose only member is this account, so every device of the account gets
 * its keys (sealed per device) and a revoked device loses them like in any space. No one else can
 * ever be added: the relay and this client refuse it (common/membership/log.ts,
 * assertPersonalSpaceEntry), and the space's signed index names the account it belongs to.
 * Turned off, this device stops syncing it and keeps everything; what the relay holds stays there
 * for the other devices unless the person asks to delete it there too.
 */
import type { DeviceSyncPlan, DeviceSyncStop } from '../../common/api/contract.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { capitalise, countOf, formatSize } from '../../common/wording.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import type { RelayConnections } from './connections.ts';
import type { Membership } from './membership.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import type { StatusBoard } from './status.ts';

export type { DeviceSyncPlan, DeviceSyncStop };

export interface DeviceSyncHost {
  readonly vault: Pick<Vault, 'workspaces' | 'documents' | 'comments' | 'files' | 'audit' | 'transaction'>;
  readonly spaces: Pick<SpaceRegistry, 'state' | 'isDevicesOnly' | 'stopSyncing' | 'index' | 'changeIndex'>;
  readonly connections: Pick<RelayConnections, 'hasAccount' | 'register'>;
  readonly membership: Pick<Membership, 'found' | 'refresh'>;
  readonly status: Pick<StatusBoard, 'set'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  client(url: string): Promise<RelayClient>;
  isLive(): boolean;
  syncSpace(spaceId: string, client: RelayClient, follow: boolean): Promise<unknown>;
  ensureRelayLoop(url: string): void;
  /** Joins the account's personal space `spaceId` again with the copy here (invitations.ts). */
  rejoin(spaceId: string): Promise<Workspace>;
}

export class DeviceSync {
  constructor(private readonly host: DeviceSyncHost) {}

  private personal(workspaceIdOrName: string): Workspace {
    const { workspace } = this.host.vault.workspaces.find(workspaceIdOrName);
    if (workspace.kind !== 'personal')
      throw new HearthError('BAD_REQUEST', `${workspace.name} is not a personal workspace; only a personal workspace has "Sync between my devices".`);
    return workspace;
  }

  /** Whether the workspace syncs between this account's devices now. */
  isOn(workspaceId: string): boolean {
    return this.host.spaces.isDevicesOnly(workspaceId);
  }

  /** What turning it on for the workspace would send to `relayUrl`: counts, sizes, the relay, and what the relay sees. */
  describe(workspaceIdOrName: string, relayUrl = ''): DeviceSyncPlan {
    const { vault } = this.host;
    const workspace = this.personal(workspaceIdOrName);
    const documents = vault.documents.list(workspace.id);
    const documentBytes = documents.reduce((n, d) => n + vault.documents.save(d.id).length, 0);
    const comments = documents.reduce((n, d) => n + vault.comments.records(d.id).length, 0);
    const files = vault.files.list(workspace.id);
    const fileBytes = files.reduce((n, f) => n + f.size, 0);
    return {
      workspaceId: workspace.id,
      name: workspace.name,
      relay: relayUrl,
      documents: documents.length,
      documentBytes,
      comments,
      files: files.length,
      fileBytes,
      message:
        `${capitalise(countOf(documents.length, 'document'))} (${formatSize(documentBytes)} with ${documents.length === 1 ? 'its' : 'their'} history), ${countOf(comments, 'comment')} and ` +
        `${countOf(files.length, 'file')} (${formatSize(fileBytes)}) will leave this device for ${relayUrl || 'the relay you choose'}, where only your own devices can read them: ` +
        `encrypted end-to-end; the relay sees sizes and times. No one else can be added to this workspace.`,
    };
  }

  /** Turns it on: the workspace syncs through `relayUrl` with this account's devices as its only members; `confirmed` echoes the person's yes. */
  async turnOn(workspaceIdOrName: string, relayUrl: string, confirmed: boolean): Promise<Workspace> {
    const { host } = this;
    if (!relayUrl) throw new HearthError('BAD_REQUEST', 'Name the relay to sync through (one your other devices use).');
    const plan = this.describe(workspaceIdOrName, relayUrl);
    if (host.spaces.state(plan.workspaceId)) {
      const relay = host.vault.workspaces.get(plan.workspaceId).relay;
      if (relay === relayUrl) return host.vault.workspaces.get(plan.workspaceId);
      throw new HearthError('CONFLICT', `${plan.name} already syncs between your devices through ${relay}; turn that off first to move it.`);
    }
    if (!confirmed) throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Confirm to go ahead.`);
    if (!host.connections.hasAccount(relayUrl)) await host.connections.register(relayUrl);
    const client = await host.client(relayUrl);
    // Turned off here earlier while the relay kept it for the other devices: this copy joins it again.
    if ((await client.access()).report.spaces.some((s) => s.space === plan.workspaceId && s.kind === 'personal')) {
      const joined = await host.rejoin(plan.workspaceId);
      host.vault.audit.record('workspace.device_sync_on', plan.workspaceId);
      return joined;
    }
    const retention = host.vault.workspaces.get(plan.workspaceId).retention;
    await host.membership.found(client, plan.workspaceId, 'personal', relayUrl, plan.name, () => {
      host.vault.workspaces.setDeviceSync(plan.workspaceId, relayUrl);
      host.vault.audit.record('workspace.device_sync_on', plan.workspaceId);
      return {};
    });
    // A synced workspace keeps its retention in its signed index, so that every device keeps to it.
    if (retention)
      host.spaces.changeIndex(plan.workspaceId, (d) => {
        d.retention = retention;
      });
    await host.queues.run(plan.workspaceId, () => host.syncSpace(plan.workspaceId, client, host.isLive()));
    host.status.set(plan.workspaceId, { state: 'synced', lastSyncedAt: Date.now() });
    host.ensureRelayLoop(relayUrl);
    return host.vault.workspaces.get(plan.workspaceId);
  }

  /**
   * Turns it off on this device: it stops syncing here and keeps everything it holds. The relay
   * keeps the encrypted workspace for the account's other devices, unless `deleteFromRelay`: then
   * it goes from the relay too, and the other devices keep their copies and stop syncing it.
   */
  async turnOff(workspaceIdOrName: string, options: { deleteFromRelay?: boolean } = {}): Promise<DeviceSyncStop> {
    const { host } = this;
    const workspace = this.personal(workspaceIdOrName);
    if (!host.spaces.isDevicesOnly(workspace.id))
      throw new HearthError('BAD_REQUEST', `${workspace.name} does not sync between your devices; it stays on this device only.`);
    const relay = workspace.relay ?? '';
    if (options.deleteFromRelay) {
      const client = await host.membership.refresh(workspace.id);
      await host.queues.run(workspace.id, () => client.deleteSpace(workspace.id));
    }
    this.stopHere(workspace.id);
    return {
      workspaceId: workspace.id,
      deletedFromRelay: options.deleteFromRelay === true,
      message: options.deleteFromRelay
        ? `${workspace.name} no longer syncs and was deleted from ${relay}. It stays on this device; your other devices keep their copies and stop syncing it.`
        : `${workspace.name} no longer syncs from this device; it stays here. ${relay} still holds its encrypted copy for your other devices (they keep syncing it); delete it there to remove it from the relay.`,
    };
  }

  /** This device stops syncing the workspace (turned off here, or deleted from the relay by another device); everything it holds stays. */
  stopHere(workspaceId: string): void {
    const { host } = this;
    const retention = host.spaces.index(workspaceId).retention;
    host.vault.transaction(() => {
      // The retention its devices kept to stays this copy's.
      host.vault.workspaces.setRetention(workspaceId, retention ?? 'forever');
      host.spaces.stopSyncing(workspaceId);
      host.vault.workspaces.setDeviceSync(workspaceId, undefined);
      host.vault.audit.record('workspace.device_sync_off', workspaceId);
    });
  }

  /** Whether a round's failure means another device deleted the workspace from the relay (then this one stops syncing it). */
  goneFromRelay(workspaceId: string, error: unknown): boolean {
    return this.host.spaces.isDevicesOnly(workspaceId) && isHearthError(error, 'NOT_FOUND');
  }
}
