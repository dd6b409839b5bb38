/**
 * Invitations: the spaces on this vault's relays where it is a member but has not accepted yet,
 * what each is called and who invited (read from its membership log, the keys sealed to this
 * vault and its index), and accepting one, which brings the workspace (or the shared document,
 * through sharing.ts) with its keys and documents into this vault.
 */
import * as A from '@automerge/automerge';
import type { TeamInvitation } from '../../common/api/contract.ts';
import { fromHex } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import { openChange } from '../../common/protocol/change.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import type { Membership } from './membership.ts';
import { MembershipView } from './membership-view.ts';
import { decodeChanges } from './payload.ts';
import type { SpaceQueues } from './queues.ts';
import type { Peek } from './sharing.ts';
import type { SpaceRegistry } from './spaces.ts';
import { verifyAgainst } from './verify.ts';
import { emptyIndex, INDEX_DOC, type IndexDoc } from './workspace-index.ts';

/** An invitation as the engine lists it: the API's, always saying what it is for. */
export interface Invitation extends TeamInvitation {
  /** A whole team workspace, one document shared selectively, or a personal workspace of this account that syncs between its devices. */
  kind: 'workspace' | 'document' | 'personal';
}

export type InvitationClient = Pick<RelayClient, 'access' | 'getMembership' | 'getEnvelopes' | 'pullAll'>;

export interface InvitationsHost<C extends InvitationClient> {
  readonly vault: Pick<Vault, 'workspaces' | 'syncState' | 'transaction'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'register' | 'state'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  client(url: string): Promise<C>;
  readonly membership: Pick<Membership, 'openEnvelope'>;
  isLive(): boolean;
  /** Accepts a shared document's invitation (sharing.ts). */
  acceptShare(invitation: Invitation, peek: Peek, client: C): Promise<Workspace>;
  /** One full exchange for the space (following its documents when `follow`), run inside its queue. */
  syncSpace(spaceId: string, client: C, follow: boolean): Promise<unknown>;
  ensureRelayLoop(url: string): void;
}

export class Invitations<C extends InvitationClient = RelayClient> {
  constructor(private readonly host: InvitationsHost<C>) {}

  /** Team workspaces on the relays this vault has accounts on, where it is a member but has not accepted yet. */
  async list(): Promise<Invitation[]> {
    const found: Invitation[] = [];
    // A personal workspace this device stopped syncing is offered again while its space is on the relay.
    const stopped = (w: Workspace) => w.kind === 'personal' && !this.host.spaces.state(w.id);
    const local = new Set([
      ...this.host.vault.workspaces
        .list()
        .filter((w) => !stopped(w))
        .map((w) => w.id),
      ...this.host.vault.workspaces.shareSpaces().map((w) => w.id),
    ]);
    for (const relay of this.host.vault.syncState.relays()) {
      if (!relay.account) continue;
      const client = await this.host.client(relay.url);
      const { report } = await client.access();
      for (const space of report.spaces) {
        if (local.has(space.space)) continue;
        const peek = await this.peek(space.space, client).catch(() => undefined);
        const name = peek?.name ?? '(name not readable yet)';
        found.push({
          id: space.space,
          // Personal only when its signed index says so: the relay's word for the kind is a hint.
          kind: space.kind === 'document' ? 'document' : peek?.index.personalTo !== undefined ? 'personal' : 'workspace',
          relay: relay.url,
          role: space.role,
          name,
          ...(space.kind === 'document' ? { documentTitle: name } : {}),
          ...(peek?.invitedBy ? { invitedBy: peek.invitedBy } : {}),
        });
      }
    }
    return found;
  }

  /** Reads an invitation's name and inviter: its membership log, this vault's keys, and its index document. */
  private async peek(
    space: string,
    client: C,
    knownKeys: Record<string, string> = {},
  ): Promise<{ view: MembershipView; epochKeys: Record<string, string>; index: IndexDoc; name: string; invitedBy?: string }> {
    const view = MembershipView.replay(space, await client.getMembership(space, 0));
    const epochKeys: Record<string, string> = { ...knownKeys };
    for (const { epoch, envelope } of await client.getEnvelopes(space)) {
      const key = this.host.membership.openEnvelope(view, epoch, envelope);
      if (key) epochKeys[epoch] = key;
    }
    let index = emptyIndex();
    const { changes } = await client.pullAll(space, INDEX_DOC, 0);
    for (const { bytes } of changes) {
      try {
        const change = verifyAgainst(view, space, INDEX_DOC, bytes);
        const key = epochKeys[change.meta.epoch];
        const plain = key ? openChange(change, fromHex(key)) : undefined;
        if (plain) [index] = A.applyChanges(index, decodeChanges(plain));
      } catch {
        // The full sync after accepting verifies again and reports what is wrong.
      }
    }
    const adder = view.addedBy(this.host.account);
    const invitedBy = adder ? (index.members?.[adder]?.username ?? adder) : undefined;
    return { view, epochKeys, index, name: index.name ?? '', ...(invitedBy ? { invitedBy } : {}) };
  }

  /**
   * A personal workspace synced between devices must be this account's, with this account its
   * only member; else nothing of it is taken in (a device never shows other people in one).
   */
  private assertOwnPersonal(peek: { view: MembershipView; index: IndexDoc; name: string }): void {
    const members = [...peek.view.current.members.keys()];
    if (peek.index.personalTo !== this.host.account || members.length !== 1 || members[0] !== this.host.account)
      throw new HearthError(
        'RECORD_TAMPERED',
        `${peek.name || 'This workspace'} says it is a personal workspace, but it is not this account's alone; nothing of it was taken in. Distrust the relay that offered it.`,
      );
  }

  /**
   * Accepts an invitation: the workspace, its keys and its documents come into this vault.
   * `knownKeys` are epoch keys this vault got another way (from the device that linked it).
   */
  async accept(id: string, knownKeys: Record<string, string> = {}): Promise<Workspace> {
    const invitation = (await this.list()).find((i) => i.id === id);
    if (!invitation) throw new HearthError('NOT_FOUND', `No invitation ${id}; \`hearth invite list\` shows the open ones.`);
    const client = await this.host.client(invitation.relay);
    const peek = await this.peek(id, client, knownKeys);
    if (Object.keys(peek.epochKeys).length === 0)
      throw new HearthError('UNAVAILABLE', 'The workspace key has not been sealed to you yet; ask the person who invited you to sync, then accept again.');
    if (invitation.kind === 'document') return this.host.acceptShare(invitation, peek, client);
    // Whether it is personal is what its signed index says, not what the relay says.
    const personal = peek.index.personalTo !== undefined;
    if (personal) this.assertOwnPersonal(peek);
    const workspace: Workspace = {
      id,
      name: peek.name || (personal ? 'Personal workspace' : 'Team workspace'),
      kind: personal ? 'personal' : 'team',
      createdAt: Date.now(),
      relay: invitation.relay,
    };
    const here = personal && this.host.vault.workspaces.list().some((w) => w.id === id && w.kind === 'personal');
    this.host.vault.transaction(() => {
      // Synced here before and turned off: the copy here syncs again (its edits since go up, the others' come in).
      if (here) this.host.vault.workspaces.setDeviceSync(id, invitation.relay);
      else this.host.vault.workspaces.adopt(workspace);
      this.host.spaces.register(
        id,
        { relay: invitation.relay, epochKeys: peek.epochKeys, membership: [...peek.view.entries], index: '', paused: false },
        peek.view,
      );
    });
    await this.host.queues.run(id, () => this.host.syncSpace(id, client, this.host.isLive()));
    this.host.ensureRelayLoop(invitation.relay);
    return this.host.vault.workspaces.get(id);
  }
}
