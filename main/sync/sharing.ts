/**
 * One document shared with people outside its workspace: the document gets its own relay space
 * (its own membership log, key epochs and index) whose Owner is the vault that shared it; that
 * vault passes changes between the space and the workspace (outbox.ts forward). A received share
 * lives in the workspace "Shared with me" (made on the first accept). A share ends with what it
 * hangs on: the document or the workspace holding it.
 */
import { newId } from '../../common/crypto/sodium.ts';
import type { SharePlan, TeamMember as Member } from '../../common/api/contract.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { countOf } from '../../common/wording.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { canManageMembers, Roles, withArticle, type Role } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { Workspace } from '../vault/workspaces.ts';
import type { RelayConnections } from './connections.ts';
import type { Members } from './members.ts';
import type { Membership, MembershipClient } from './membership.ts';
import type { MembershipView } from './membership-view.ts';
import type { AccountPermissions } from './permissions.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import type { StatusBoard } from './status.ts';
import type { IndexDoc } from './workspace-index.ts';

/** The name of the local workspace that holds the documents others shared with this vault. */
export const SHARED_WITH_ME = 'Shared with me';

export type SharingClient = MembershipClient & Pick<RelayClient, 'deleteSpace'>;

/** What an invitation's space showed before accepting it (invitations.ts). */
/** How a document is shared: `confirmed` after the person saw the plan, the relay to use, and whether its edit history goes along. */
export type ShareOptions = { confirmed?: boolean; relay?: string; keepHistory?: boolean };

export interface Peek {
  view: MembershipView;
  epochKeys: Record<string, string>;
  index: IndexDoc;
}

export interface SharingHost<C extends SharingClient> {
  readonly vault: Pick<Vault, 'workspaces' | 'documents' | 'comments' | 'syncState' | 'audit' | 'transaction'>;
  readonly account: string;
  readonly spaces: SpaceRegistry;
  readonly status: Pick<StatusBoard, 'warn'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  readonly permissions: Pick<AccountPermissions, 'role'>;
  readonly connections: Pick<RelayConnections, 'hasAccount' | 'register'>;
  client(url: string): Promise<C>;
  readonly membership: Pick<Membership<C>, 'found' | 'appendEntry'>;
  readonly members: Pick<Members<C & Pick<RelayClient, 'lookup'>>, 'invite' | 'remove' | 'list'>;
  isLive(): boolean;
  /** One full exchange for the space (following its documents when `follow`), run inside its queue. */
  syncSpace(spaceId: string, client: C, follow: boolean): Promise<unknown>;
  ensureRelayLoop(url: string): void;
  /** Erases the document's edit history (generations.ts): sharing it alone sends its state, not how it got there. */
  forgetHistory(documentId: string): Promise<unknown>;
}

export class Sharing<C extends SharingClient = RelayClient> {
  constructor(private readonly host: SharingHost<C>) {}

  /**
   * Ends share spaces that lost their reason to be (the holding workspace was deleted here, or the
   * document this vault shared was deleted without the engine): a share this vault made is deleted
   * at the relay (S6: its ciphertext goes), one it received is left. Unreachable relays: next time.
   */
  async endOrphans(onlyRelay?: string): Promise<void> {
    const holders = new Set(this.host.vault.workspaces.list().map((w) => w.id));
    const docs = new Set(this.host.vault.documents.allIds().map((d) => d.id));
    for (const row of this.host.vault.workspaces.shareSpaces()) {
      const state = this.host.spaces.state(row.id);
      const share = state?.share;
      if (!state || !share || (onlyRelay && state.relay !== onlyRelay)) continue;
      if (holders.has(share.workspace) && (share.received || docs.has(share.document))) continue;
      try {
        const client = await this.host.client(state.relay);
        await this.host.queues.run(row.id, async () => {
          try {
            if (share.received) await this.host.membership.appendEntry(row.id, client, 'remove', this.host.account, null);
            else await client.deleteSpace(row.id);
          } catch (error) {
            // Already gone there, or this vault was removed meanwhile: nothing left to end.
            if (!isHearthError(error, 'NOT_FOUND') && !isHearthError(error, 'FORBIDDEN')) throw error;
          }
        });
        this.host.spaces.forget(row.id);
      } catch {
        // The relay is not reachable now; the next round ends it.
      }
    }
  }

  /**
   * Before a document's edit history is erased: the share space this vault made for it, when
   * nobody but this vault is left in it (everyone was removed), is deleted at the relay and here,
   * with the copy of the history it held. Returns the names of the people it is still shared with
   * (none when it was not shared alone, or is not any more).
   */
  async endIfAlone(documentId: string): Promise<string[]> {
    const space = this.host.spaces.ownShareOf(documentId);
    if (!space) return [];
    const others = (await this.host.members.list(space)).filter((m) => !m.isMe);
    if (others.length > 0) return others.map((m) => (m.displayName && m.username ? `${m.displayName} (${m.username})` : (m.username ?? m.account)));
    await this.endOwn([documentId]);
    return [];
  }

  /** Deletes, at the relay and here, the share spaces this vault made for `documents` (the people they were shared with lose their copies on their next sync). */
  async endOwn(documents: string[]): Promise<void> {
    for (const documentId of documents) {
      const space = this.host.spaces.ownShareOf(documentId);
      if (!space) continue;
      const client = await this.host.client(this.host.spaces.get(space).relay);
      await this.host.queues.run(space, () => client.deleteSpace(space));
      this.host.spaces.forget(space);
    }
  }

  /**
   * Accepts a shared document: its space's state is kept under a hidden record, and the document
   * comes into the local workspace "Shared with me" (made on the first accept).
   */
  async accept(invitation: { id: string; relay: string }, peek: Peek, client: C): Promise<Workspace> {
    const documents = Object.keys(peek.index.docs ?? {});
    if (documents.length !== 1)
      throw new HearthError('UNAVAILABLE', 'The shared document has not reached the relay yet; ask the person who shared it to sync, then accept again.');
    const documentId = documents[0]!;
    const here = this.host.vault.documents.allIds().find((d) => d.id === documentId);
    const holder = here?.workspaceId ?? this.sharedWithMe().id;
    this.host.vault.transaction(() => {
      this.host.vault.workspaces.createShareSpace(invitation.id, invitation.relay, documentId);
      this.host.spaces.register(
        invitation.id,
        {
          relay: invitation.relay,
          epochKeys: peek.epochKeys,
          membership: [...peek.view.entries],
          index: '',
          paused: false,
          share: { document: documentId, workspace: holder, received: true },
        },
        peek.view,
      );
    });
    await this.host.queues.run(invitation.id, () => this.host.syncSpace(invitation.id, client, this.host.isLive()));
    this.host.ensureRelayLoop(invitation.relay);
    return this.host.vault.workspaces.get(holder);
  }

  /** The local workspace for documents shared with this vault (kind 'shared-with-me'), made when first needed. */
  private sharedWithMe(): Workspace {
    const { workspaces } = this.host.vault;
    return workspaces.list().find((w) => w.kind === 'shared-with-me') ?? workspaces.create({ name: SHARED_WITH_ME, kind: 'shared-with-me' });
  }

  /** The relay a document's share space goes to: its team workspace's, else the one relay this vault has an account on. */
  private shareRelay(documentId: string, relay?: string): string {
    const holder = this.host.vault.documents.workspaceOf(documentId);
    if (this.host.spaces.isTeam(holder)) {
      const own = this.host.spaces.get(holder).relay;
      if (relay && relay !== own) throw new HearthError('BAD_REQUEST', `This document's workspace syncs through ${own}; it is shared there.`);
      return own;
    }
    if (relay) return relay;
    const registered = this.host.vault.syncState.relays().filter((r) => r.account);
    if (registered.length === 1) return registered[0]!.url;
    throw new HearthError(
      'BAD_REQUEST',
      registered.length === 0
        ? 'Sharing needs an account on a relay; run `hearth account register --relay URL` first.'
        : `This vault has accounts on ${registered.length} relays; say which one to share through (--relay URL).`,
    );
  }

  /** What sharing `documentId` would upload, in words the confirmation shows. */
  describe(documentId: string, relay?: string, keepHistory = false): SharePlan {
    const summary = this.host.vault.documents.summary(documentId);
    const url = this.host.spaces.ownShareOf(documentId)
      ? this.host.spaces.get(this.host.spaces.ownShareOf(documentId)!).relay
      : this.shareRelay(documentId, relay);
    const comments = this.host.vault.comments.records(documentId).length;
    const holder = this.host.vault.documents.workspaceOf(documentId);
    const leavesDevice = !this.host.spaces.isTeam(holder) && !this.host.spaces.ownShareOf(documentId);
    const first = !this.host.spaces.ownShareOf(documentId);
    const history = !first
      ? ''
      : keepHistory
        ? ' It goes with its whole edit history: they can read every earlier version, and text deleted before.'
        : ' It goes without its edit history: its earlier versions are erased, here too (and for the workspace, if it has others), so that they can read only what it says now. Choose to keep the history to send it whole.';
    const message =
      (leavesDevice
        ? `The document "${summary.title}" with ${countOf(comments, 'comment')} will be encrypted on this device and uploaded to ${url}, ` +
          'where only the people you share it with can read it; the relay sees its size and timing, never its content. Nothing else in this workspace leaves the device.'
        : `The document "${summary.title}" gets its own encrypted space on ${url}; the people you share it with can read it and nothing else of this workspace.`) +
      history;
    return { documentId, title: summary.title, relay: url, leavesDevice, comments, message };
  }

  /**
   * Shares one document with a registered user and a role, without giving them the workspace:
   * the document gets its own relay space (its own membership log, key epochs and index) whose
   * Owner is this vault, and this vault passes changes between that space and the workspace.
   * Sharing a personal workspace's document uploads that one document: `confirmed` must echo the
   * user's explicit yes to describeShare's message.
   */
  async share(documentId: string, username: string, role: Role, options: ShareOptions = {}): Promise<Member> {
    if (!Roles.includes(role)) throw new HearthError('BAD_REQUEST', `${role} is not a role; use one of ${Roles.join(', ')}.`);
    if (role === 'owner')
      throw new HearthError('BAD_REQUEST', 'A shared document has one Owner, the person who shared it; share it as admin, editor, commenter or viewer.');
    const holder = this.host.vault.documents.workspaceOf(documentId);
    if (this.host.spaces.receivedShareOf(documentId) && !this.host.spaces.isTeam(holder)) {
      throw new HearthError('FORBIDDEN', 'This document was shared with you; only the person who shared it can share it further.');
    }
    if (this.host.spaces.isTeam(holder)) {
      const mine = this.host.permissions.role(holder);
      if (!mine || !canManageMembers(mine)) {
        throw new HearthError(
          'FORBIDDEN',
          `As ${mine ? `${withArticle(mine)}` : 'a non-member'} in ${this.host.vault.workspaces.get(holder).name} you cannot share its documents; ask an Owner or Admin.`,
        );
      }
    }
    let space = this.host.spaces.ownShareOf(documentId);
    if (!space) {
      const plan = this.describe(documentId, options.relay, options.keepHistory);
      if (plan.leavesDevice && !options.confirmed) throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Confirm to go ahead.`);
      // Before its space exists, so the first upload is the new generation alone.
      if (!options.keepHistory) await this.host.forgetHistory(documentId);
      space = await this.createShareSpace(documentId, plan.relay);
    }
    return this.host.members.invite(space, username, role);
  }

  private async createShareSpace(documentId: string, relayUrl: string): Promise<string> {
    if (!this.host.connections.hasAccount(relayUrl)) await this.host.connections.register(relayUrl);
    const client = await this.host.client(relayUrl);
    const id = newId();
    await this.host.membership.found(client, id, 'document', relayUrl, this.host.vault.documents.summary(documentId).title, () => {
      this.host.vault.workspaces.createShareSpace(id, relayUrl, documentId);
      this.host.vault.audit.record('document.shared', documentId);
      return { share: { document: documentId, workspace: this.host.vault.documents.workspaceOf(documentId), received: false } };
    });
    // The index lists the document and the whole document goes up before anyone is invited.
    await this.host.queues.run(id, () => this.host.syncSpace(id, client, this.host.isLive()));
    this.host.ensureRelayLoop(relayUrl);
    return id;
  }

  /** The share space of a document this vault shared, or NOT_FOUND in words the user can act on. */
  private sharedSpace(documentId: string): string {
    this.host.vault.documents.summary(documentId);
    const space = this.host.spaces.ownShareOf(documentId);
    if (!space) throw new HearthError('NOT_FOUND', 'This document is not shared with anyone from this device; share it first.');
    return space;
  }

  /**
   * Revokes a person's access to a shared document: they are removed from the document's space
   * and its key rotates in the same step, so nothing written afterwards is readable to them (S4).
   */
  async unshare(documentId: string, username: string): Promise<void> {
    await this.host.members.remove(this.sharedSpace(documentId), username);
    this.host.vault.audit.record('document.unshared', `${documentId}/${username}`);
  }

  /** The people a document is shared with (this vault, its Owner, included), with their roles. */
  async sharedWith(documentId: string): Promise<Member[]> {
    this.host.vault.documents.summary(documentId);
    const space = this.host.spaces.ownShareOf(documentId) ?? this.host.spaces.sharesOf(documentId)[0]?.space;
    if (!space) return [];
    return this.host.members.list(space);
  }

  /** Forgets a share space here; with `deleteCopy`, also the received document (its sharer deleted it). */
  drop(spaceId: string, deleteCopy: boolean): void {
    const share = this.host.spaces.shareOf(spaceId);
    if (share && deleteCopy && share.received && this.host.vault.documents.allIds().some((d) => d.id === share.document && d.workspaceId === share.workspace)) {
      this.host.status.warn(spaceId, share.document, 'NOT_FOUND', 'the person who shared this document deleted it; the copy on this device was removed too.');
      this.host.vault.documents.delete(share.document);
    }
    this.host.spaces.forget(spaceId);
  }
}
