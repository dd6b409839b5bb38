/**
 * Attachments of a team workspace through the relay: each file sealed chunk by chunk with the
 * space key (files.ts) and listed in the encrypted index; what the index lists and this device
 * lacks comes down, what this device has and the index lacks goes up (a converted workspace's
 * older files stay here, as promised). A file deleted here without the engine is deleted at the
 * relay where this role may, else fetched again; a file a peer deleted goes here too.
 */
import type { ChangeOrigin } from '../vault/events.ts';
import { fromHex } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { canDeleteContent, canWriteContent, withArticle } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import { downloadFile, uploadFile } from './files.ts';
import type { AccountPermissions } from './permissions.ts';
import type { SpaceQueues } from './queues.ts';
import type { SpaceRegistry } from './spaces.ts';
import { reasonOf, type StatusBoard } from './status.ts';
import { INDEX_DOC } from './workspace-index.ts';

/** The part of a relay client that file sync needs. */
export type FileClient = Pick<RelayClient, 'fileBegin' | 'fileStatus' | 'fileChunk' | 'fileGet' | 'fileDelete'>;

export interface FileSyncHost<C extends FileClient> {
  readonly vault: Pick<Vault, 'files'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'get' | 'put' | 'state' | 'view' | 'index' | 'changeIndex' | 'shareOf' | 'isTeam'>;
  readonly status: Pick<StatusBoard, 'set' | 'warn'>;
  readonly queues: Pick<SpaceQueues, 'run'>;
  readonly permissions: Pick<AccountPermissions, 'assertCan'>;
  isLive(): boolean;
  /** The open client of a relay, if any (never connects). */
  openClient(url: string): Promise<C | undefined>;
  /** Catches up with the space's membership and index; the signed-in client, or undefined when the relay is out of reach. */
  refreshIfReachable(spaceId: string): Promise<C | undefined>;
  /** Whether the relays of these spaces answer now. */
  reachable(spaces: string[]): Promise<boolean>;
  /** Sends the space's outbox (the index's change). */
  push(spaceId: string, client: C): Promise<unknown>;
}

const REMOTE: ChangeOrigin = { kind: 'remote' };

export class FileSync<C extends FileClient = RelayClient> {
  constructor(private readonly host: FileSyncHost<C>) {}

  /** A peer deleted files from the index: the copies here go too. */
  removed(spaceId: string, files: string[]): void {
    const { vault, spaces } = this.host;
    for (const file of files) {
      const local = vault.files.has(file) ? vault.files.info(file) : undefined;
      if (local?.workspaceId === spaceId) vault.files.delete(file);
      if (spaces.state(spaceId)) this.mark(spaceId, file, false);
    }
  }

  /** A file was added here: while live, it goes up through the open connection now (else on the next round). */
  added(spaceId: string): void {
    if (!this.host.isLive() || !this.host.spaces.isTeam(spaceId) || this.host.spaces.get(spaceId).paused) return;
    void this.host.queues
      .run(spaceId, async () => {
        const client = await this.host.openClient(this.host.spaces.get(spaceId).relay);
        if (!client) return; // the next round uploads it
        await this.sync(spaceId, client);
        await this.host.push(spaceId, client);
      })
      .catch((error) => this.host.status.set(spaceId, { state: 'error', reason: reasonOf(error) }));
  }

  /**
   * Uploads the workspace's files the relay does not have (sealed chunk by chunk with the space
   * key, listed in the encrypted index) and downloads the ones listed there that are not here.
   */
  async sync(spaceId: string, client: FileClient): Promise<void> {
    if (this.host.spaces.shareOf(spaceId)) return; // a shared document's space carries that document only
    const view = this.host.spaces.view(spaceId);
    const role = view.role(this.host.account);
    const listed = () => this.host.spaces.index(spaceId).files ?? {};
    // Files this device had (uploaded or downloaded) that are gone without the engine deleting them.
    for (const id of this.host.spaces.get(spaceId).haveFiles ?? []) {
      if (this.host.vault.files.has(id)) continue;
      this.mark(spaceId, id, false);
      if (!listed()[id]) continue;
      if (role && canDeleteContent(role)) {
        this.host.spaces.changeIndex(spaceId, (d) => {
          if (d.files?.[id]) delete d.files[id];
        });
        await client.fileDelete(spaceId, id);
      } else {
        this.host.status.warn(
          spaceId,
          INDEX_DOC,
          'FORBIDDEN',
          `a file deleted on this device is fetched again: as ${role ? `${withArticle(role)}` : 'a non-member'} you cannot delete files in this workspace.`,
        );
      }
    }
    if (role && canWriteContent(role)) {
      const keep = new Set(this.host.spaces.get(spaceId).localFiles ?? []);
      for (const file of this.host.vault.files.list(spaceId)) {
        if (listed()[file.id] || keep.has(file.id)) continue;
        const state = this.host.spaces.get(spaceId);
        const epoch = state.uploads?.[file.id] ?? view.currentEpoch;
        const keyHex = state.epochKeys[epoch];
        if (!keyHex)
          throw new HearthError('UNAVAILABLE', `The key for epoch ${epoch} of this workspace has not reached this device yet; files wait until it does.`);
        if (state.uploads?.[file.id] === undefined) this.host.spaces.put(spaceId, { ...state, uploads: { ...state.uploads, [file.id]: epoch } });
        const up = (done: number) => this.host.status.set(spaceId, { transfer: { fileId: file.id, name: file.name, direction: 'up', done, total: file.size } });
        up(0);
        try {
          await uploadFile(client, spaceId, file.id, file.size, fromHex(keyHex), this.host.vault.files.read(file.id), up);
        } finally {
          this.host.status.set(spaceId, { transfer: undefined });
        }
        this.host.spaces.changeIndex(spaceId, (d) => {
          if (!d.files) d.files = {};
          d.files[file.id] = { name: file.name, type: file.type, size: file.size, createdAt: file.createdAt, epoch };
        });
        const after = this.host.spaces.get(spaceId);
        const uploads = { ...after.uploads };
        delete uploads[file.id];
        this.host.spaces.put(spaceId, { ...after, uploads });
        this.mark(spaceId, file.id, true);
      }
    }
    for (const [id, meta] of Object.entries(listed())) {
      if (this.host.vault.files.has(id)) continue;
      const keyHex = this.host.spaces.get(spaceId).epochKeys[meta.epoch];
      if (!keyHex) {
        this.host.status.warn(
          spaceId,
          INDEX_DOC,
          'RECORD_TAMPERED',
          `the file "${meta.name}" is sealed under key epoch ${meta.epoch}, whose key this device was never given; it was not downloaded.`,
        );
        continue;
      }
      let source: AsyncGenerator<Uint8Array> | undefined;
      try {
        source = await downloadFile(client, spaceId, id, meta, fromHex(keyHex));
      } catch (error) {
        if (isHearthError(error, 'NOT_FOUND')) continue; // deleted meanwhile, or not begun yet
        throw error;
      }
      if (!source) continue; // still uploading; a later round fetches it
      try {
        const down = (done: number) => this.host.status.set(spaceId, { transfer: { fileId: id, name: meta.name, direction: 'down', done, total: meta.size } });
        down(0);
        // Origin 'remote': the vault's listeners (this engine's upload among them) know it came from the relay.
        await this.host.vault.files.add(spaceId, { id, name: meta.name, type: meta.type, createdAt: meta.createdAt, source, onProgress: down, origin: REMOTE });
        this.mark(spaceId, id, true);
      } catch (error) {
        if (isHearthError(error, 'RECORD_TAMPERED')) {
          this.host.status.warn(spaceId, INDEX_DOC, 'RECORD_TAMPERED', `The relay delivered ${reasonOf(error).message} ("${meta.name}"); it was not kept.`);
          continue;
        }
        throw error;
      } finally {
        this.host.status.set(spaceId, { transfer: undefined });
      }
    }
  }

  /** Records whether this device holds a synced file (so a deletion made without the engine is noticed). */
  mark(spaceId: string, fileId: string, have: boolean): void {
    const state = this.host.spaces.get(spaceId);
    const set = new Set(state.haveFiles ?? []);
    if (set.has(fileId) === have) return;
    if (have) set.add(fileId);
    else set.delete(fileId);
    this.host.spaces.put(spaceId, { ...state, haveFiles: [...set] });
  }

  /**
   * Deletes an attachment here and, in a team workspace, at the relay and at every member (it
   * leaves the encrypted index; peers delete their copies when they see that). Not for Editors.
   * Offline, like a document: deleted here now, the relay and the members told on the next round.
   */
  async delete(fileId: string): Promise<{ waitsForRelay: boolean }> {
    const { workspaceId: spaceId } = this.host.vault.files.info(fileId);
    if (!this.host.spaces.isTeam(spaceId)) {
      this.host.vault.files.delete(fileId);
      return { waitsForRelay: false };
    }
    const client = (await this.host.reachable([spaceId])) ? await this.host.refreshIfReachable(spaceId) : undefined;
    // Decided once: on the role as the relay's log says now, or, out of reach, as last verified here.
    this.host.permissions.assertCan(spaceId, 'delete');
    if (!client) {
      this.host.vault.files.delete(fileId);
      return { waitsForRelay: true };
    }
    await this.host.queues.run(spaceId, async () => {
      this.host.spaces.changeIndex(spaceId, (d) => {
        if (d.files?.[fileId]) delete d.files[fileId];
      });
      await this.host.push(spaceId, client);
      await client.fileDelete(spaceId, fileId);
      this.host.vault.files.delete(fileId);
      this.mark(spaceId, fileId, false);
    });
    return { waitsForRelay: false };
  }
}
