/**
 * Deleting documents: here and, in a team workspace or a shared document's space, at the relay and
 * at every member (the document leaves the encrypted index; peers delete their copies when they
 * see that). Local first: an unreachable relay is told on the next round. A document deleted
 * with the vault alone is noticed and its deletion goes out where this role may delete (else it
 * is fetched again); a document a peer deleted goes here too, with the share this vault made of it.
 */
import type { RelayClient } from '../../common/protocol/client.ts';
import { canDeleteContent, withArticle } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { AccountPermissions } from './permissions.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import { reasonOf, type StatusBoard } from './status.ts';

export type DeletionClient = Pick<RelayClient, 'deleteDoc' | 'deleteSpace'>;

export interface DeletionHost<C extends DeletionClient> {
  readonly vault: Pick<Vault, 'documents' | 'syncState' | 'workspaces'>;
  readonly account: string;
  readonly spaces: Pick<
    SpaceRegistry,
    'get' | 'state' | 'view' | 'changeIndex' | 'isTeam' | 'sharesOf' | 'sharesHeldIn' | 'spacesOf' | 'shareOf' | 'ownShareOf' | 'indexedDocs' | 'forget'
  >;
  readonly status: Pick<StatusBoard, 'set' | 'warn'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  readonly permissions: Pick<AccountPermissions, 'assertCan'>;
  isLive(): boolean;
  client(url: string): Promise<C>;
  /** The open client of a relay, if any (never connects). */
  openClient(url: string): Promise<C | undefined>;
  /** Catches up with the space's membership and index; the signed-in client, or undefined when the relay is out of reach. */
  refreshIfReachable(spaceId: string): Promise<C | undefined>;
  /** Whether the relays of these spaces answer now. */
  reachable(spaces: string[]): Promise<boolean>;
  push(spaceId: string, client: C): Promise<unknown>;
  pull(spaceId: string, documentId: string, client: C): Promise<unknown>;
  syncFiles(spaceId: string, client: C): Promise<void>;
  /** Revokes the public links of deleted documents at their relays (pending where out of reach). */
  revokeDeletedLinks(): Promise<void>;
  endOrphanShares(): Promise<void>;
  endOwnShares(documents: string[]): Promise<void>;
}

export class Deletion<C extends DeletionClient = RelayClient> {
  constructor(private readonly host: DeletionHost<C>) {}

  /**
   * Deletes a document here and, in a team workspace or a shared document's space, at the relay and
   * at every member. Local first: when the relay cannot be reached, the document is deleted here at
   * once (the role as this device last verified it allows it) and the next round tells the relay
   * and the others (as for a deletion made with the vault alone). Resolves with whether that is
   * still to do.
   */
  async delete(documentId: string): Promise<{ waitsForRelay: boolean }> {
    const holder = this.host.vault.documents.workspaceOf(documentId);
    let reachable = await this.host.reachable(this.host.spaces.spacesOf(documentId));
    const client = reachable && this.host.spaces.isTeam(holder) ? await this.host.refreshIfReachable(holder) : undefined;
    if (this.host.spaces.isTeam(holder) && !client) reachable = false;
    // Decided once: on the role as the relay's log says now, or, out of reach, as last verified here.
    this.host.permissions.assertCan(holder, 'delete', documentId);
    if (!reachable) {
      this.host.vault.documents.delete(documentId);
      await this.host.revokeDeletedLinks();
      return { waitsForRelay: true };
    }
    if (client) {
      await this.host.queues.run(holder, async () => {
        this.host.vault.syncState.forgetDocument(holder, documentId);
        this.host.spaces.changeIndex(holder, (d) => {
          if (d.docs?.[documentId]) delete d.docs[documentId];
        });
        await this.host.push(holder, client);
        await client.deleteDoc(holder, documentId);
      });
    }
    for (const { space, received } of this.host.spaces.sharesOf(documentId)) {
      if (received) {
        this.host.spaces.forget(space);
        continue;
      }
      const client = await this.host.client(this.host.spaces.get(space).relay);
      await this.host.queues.run(space, () => client.deleteSpace(space));
      this.host.spaces.forget(space);
    }
    this.host.vault.documents.delete(documentId);
    await this.host.revokeDeletedLinks(); // its public links end with it (kept pending if a relay is out of reach)
    return { waitsForRelay: false };
  }

  /**
   * A document or file was deleted with the vault directly (the engine's own deletions have
   * already gone out): while live, the next exchange carries it to the relay and the peers (or
   * fetches it back where this role may not delete), as a full round would.
   */
  deletedHere(workspaceId: string): void {
    if (!this.host.isLive()) return;
    void this.host.endOrphanShares().then(() => this.reconcileLive(workspaceId));
  }

  private reconcileLive(workspaceId: string): void {
    if (!this.host.vault.workspaces.list().some((w) => w.id === workspaceId)) return;
    const spaces = [...(this.host.spaces.isTeam(workspaceId) ? [workspaceId] : []), ...this.host.spaces.sharesHeldIn(workspaceId).map((s) => s.space)];
    for (const space of spaces) {
      if (this.host.spaces.get(space).paused) continue;
      void this.host.queues
        .run(space, async () => {
          if (!this.host.spaces.state(space)) return;
          const client = await this.host.openClient(this.host.spaces.get(space).relay);
          if (!client) return; // the next round does it
          await this.reconcile(space, client);
          await this.host.syncFiles(space, client);
          await this.host.push(space, client);
          for (const doc of this.host.spaces.indexedDocs(space))
            if (!this.host.vault.documents.allIds().some((d) => d.id === doc)) await this.host.pull(space, doc, client);
        })
        .catch((error) => this.host.status.set(space, { state: 'error', reason: reasonOf(error) }));
    }
  }

  /**
   * Documents this device had (its heads were handed over or received) that are gone without the
   * engine having deleted them (the vault's own delete, e.g. from an older caller): where this
   * vault may delete content in a workspace, the deletion goes out now; otherwise (or in a shared
   * document's space) the document is fetched again, since deleting it is not this vault's to do.
   */
  async reconcile(spaceId: string, client: C): Promise<void> {
    const share = this.host.spaces.shareOf(spaceId);
    const here = new Set(this.host.vault.documents.allIds().map((d) => d.id));
    for (const doc of this.host.spaces.indexedDocs(spaceId)) {
      if (here.has(doc)) continue;
      const state = this.host.vault.syncState.document(spaceId, doc);
      if (!state || state.heads.length === 0) continue; // never here (not pulled yet, or refused)
      const role = this.host.spaces.view(spaceId).role(this.host.account);
      this.host.vault.syncState.forgetDocument(spaceId, doc);
      if (!share && role && canDeleteContent(role)) {
        this.host.spaces.changeIndex(spaceId, (d) => {
          if (d.docs?.[doc]) delete d.docs[doc];
        });
        await this.host.push(spaceId, client);
        await client.deleteDoc(spaceId, doc);
      } else if (!share) {
        this.host.status.warn(
          spaceId,
          doc,
          'FORBIDDEN',
          `a document deleted on this device is fetched again: as ${role ? `${withArticle(role)}` : 'a non-member'} you cannot delete documents in this workspace.`,
        );
      }
    }
  }

  /** A peer deleted the document: the local copy goes too, with what the space kept about it. */
  deletedByPeer(spaceId: string, documentId: string): void {
    this.host.vault.syncState.forgetDocument(spaceId, documentId);
    const here = this.host.vault.documents.allIds().find((d) => d.id === documentId);
    const share = this.host.spaces.shareOf(spaceId);
    if (!here || here.workspaceId !== (share ? share.workspace : spaceId)) return;
    for (const other of this.host.spaces.spacesOf(documentId)) if (other !== spaceId) this.host.vault.syncState.forgetDocument(other, documentId);
    const ownShare = this.host.spaces.ownShareOf(documentId);
    this.host.vault.documents.delete(documentId);
    // A document this vault shared and someone else deleted: its share space goes too, once this round is done.
    if (ownShare && ownShare !== spaceId) {
      void this.host.endOwnShares([documentId]).catch((error) => this.host.status.set(ownShare, { state: 'error', reason: reasonOf(error) }));
    }
  }
}
