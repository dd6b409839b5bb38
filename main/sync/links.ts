/**
 * Public links: a read-only copy of one document, encrypted with a fresh key that lives only in
 * the link's fragment (common/protocol/link.ts), hosted by the relay of the document's team
 * workspace. The relay serves the ciphertext at /p/<id>/data and its viewer page decrypts it in
 * any browser; `openPublicLink` does the same here and hands back Markdown.
 *
 * A link is a snapshot: `create` publishes the document as it is now. To publish later edits,
 * create a new link (and revoke the old one). The copy is hosted in a space the document syncs
 * through — its team workspace, or else a space it is shared in selectively — where this vault
 * is Owner or Admin; the relay checks that role again. A document that syncs nowhere (a personal
 * workspace, not shared) has no relay to go to, and says so.
 */
import { checkLinkAddress } from '../../common/transport.ts';
import type { LinkInfo, OpenedLink, PendingLinkRevocation } from '../../common/api/contract.ts';
import { loadSodium, newId } from '../../common/crypto/sodium.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import type { RelayClient } from '../../common/protocol/client.ts';
import { openLink, sealLink } from '../../common/protocol/link.ts';
import * as A from '@automerge/automerge';
import { bodyAsMarkdown } from '../../common/richtext/index.ts';
import { linkDocument } from '../../common/richtext/linkDocument.ts';
import { canManageLinks, type Role } from '../../common/roles.ts';
import { bodyText } from '../vault/documents.ts';
import type { LinkRecord } from '../vault/links.ts';
import type { Vault } from '../vault/vault.ts';

export type { LinkInfo, OpenedLink, PendingLinkRevocation } from '../../common/api/contract.ts';

/** What the links need from the sync engine (its relay connections and verified membership). */
export interface LinkHost {
  readonly vault: Vault;
  /** The relay spaces a document syncs through, its team workspace first, with a name for messages. */
  spacesOf(documentId: string): Array<{ space: string; relay: string; name: string }>;
  /** This vault's role in a space after catching up with the relay's membership log. */
  currentRole(space: string): Promise<Role | undefined>;
  client(relayUrl: string): Promise<RelayClient>;
}

/** The longest expiry accepted: ten years. */
export const MAX_LINK_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;
/**
 * What a link's images may add to its copy, encoded: the relay's default maxLinkBytes is 4 MiB
 * for the whole copy. Images past it (or of another type) are left out and show their description.
 */
const MAX_LINK_IMAGE_BYTES = 3 * 1024 * 1024;
const linkImageTypes = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;

/** A link copy is at most this large when opened (the relay's default maxLinkBytes is 4 MiB). */
const MAX_FETCH_BYTES = 16 * 1024 * 1024;

const capitalised = (role: string) => `${role[0]!.toUpperCase()}${role.slice(1)}`;
const withArticle = (word: string) => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;

/** The relay's HTTP address for a ws:// or wss:// relay URL (same host, port and path). */
export function relayHttpBase(relayUrl: string): URL {
  const url = new URL(relayUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

function info(record: LinkRecord): LinkInfo {
  const { id, documentId, workspaceId, title, url, createdAt, expiresAt } = record;
  return { id, documentId, workspaceId, title, url, createdAt, expiresAt };
}

export class PublicLinks {
  /** The revocation pass under way (passes run one at a time). */
  private revocations: Promise<void> = Promise.resolve();

  constructor(private readonly host: LinkHost) {}

  /**
   * Tells the relays about the links of deleted documents, after any pass already under way;
   * never rejects: an unreachable relay (or a vault locked meanwhile) keeps its links pending for
   * the next round.
   */
  revokeDeleted(onlyRelay?: string): Promise<void> {
    const run = this.revocations
      .then(() => this.revokePending(onlyRelay))
      .then(
        () => undefined,
        () => undefined,
      );
    this.revocations = run;
    return run;
  }

  /** The first of `spaces` where this vault may manage links; FORBIDDEN naming the role otherwise. */
  private async managedSpace(spaces: Array<{ space: string; relay: string; name: string }>, action: string): Promise<{ space: string; relay: string }> {
    let refusal: HearthError | undefined;
    for (const candidate of spaces) {
      const role = await this.host.currentRole(candidate.space);
      if (role && canManageLinks(role)) return candidate;
      refusal ??= role
        ? new HearthError(
            'FORBIDDEN',
            `You are ${withArticle(capitalised(role))} in ${candidate.name}: ${withArticle(role)} cannot ${action}. Only Owners and Admins manage public links; ask one of them.`,
          )
        : new HearthError('FORBIDDEN', `You are not a member of ${candidate.name} any more; you cannot ${action} there.`);
    }
    throw refusal!;
  }

  /** Publishes the document as it is now; the returned URL carries the key after '#'. */
  async create(documentId: string, options: { expiresInMs?: number; includeImages?: boolean } = {}): Promise<LinkInfo> {
    const { expiresInMs } = options;
    if (expiresInMs !== undefined && !(Number.isInteger(expiresInMs) && expiresInMs > 0 && expiresInMs <= MAX_LINK_LIFETIME_MS)) {
      throw new HearthError('BAD_REQUEST', 'A link expires between 1 ms and 10 years from now; give a positive duration such as 30m, 12h or 7d.');
    }
    const vault = this.host.vault;
    const summary = vault.documents.summary(documentId);
    const workspaceId = vault.documents.workspaceOf(documentId);
    const spaces = this.host.spacesOf(documentId);
    if (spaces.length === 0) {
      throw new HearthError(
        'BAD_REQUEST',
        `${vault.workspaces.get(workspaceId).name} is a personal workspace and this document is not shared: it never leaves this device, so there is no relay to host a public link. ` +
          'Move the document to a team workspace (or make its workspace a team workspace), then create the link.',
      );
    }
    const { space, relay } = await this.managedSpace(spaces, 'publish public links');
    const doc = vault.documents.get(documentId);
    const publishedAt = Date.now();
    const expiresAt = expiresInMs === undefined ? null : publishedAt + expiresInMs;
    const id = newId();
    const imageIds = new Set<string>();
    const blocks = linkDocument(A.spans(doc, ['body']), imageIds);
    const images = options.includeImages ? await this.linkImages(workspaceId, imageIds) : undefined;
    const { ciphertext, fragmentKey } = await sealLink(id, {
      title: summary.title,
      text: bodyText(doc),
      markdown: bodyAsMarkdown(doc),
      publishedAt,
      expiresAt,
      blocks,
      ...(images && Object.keys(images).length > 0 ? { images } : {}),
    });
    const client = await this.host.client(relay);
    // Naming the document lets the relay drop the link when anyone deletes the document (it knows document ids from the change logs).
    await client.linkCreate(space, id, ciphertext, expiresAt, documentId);
    const url = new URL(`p/${id}`, relayHttpBase(relay));
    url.hash = fragmentKey;
    const record: LinkRecord = {
      id,
      documentId,
      workspaceId,
      ...(space === workspaceId ? {} : { space }),
      title: summary.title,
      url: url.href,
      relay,
      createdAt: publishedAt,
      expiresAt,
      revokedAt: null,
    };
    vault.syncState.transaction(() => {
      vault.links.put(record);
      vault.audit.record('link.created', `${workspaceId}/${documentId}/${id}`);
    });
    return info(record);
  }

  /** The attached images a link shows, as data URLs by file id: files of the document's workspace only, within MAX_LINK_IMAGE_BYTES. */
  private async linkImages(workspaceId: string, fileIds: ReadonlySet<string>): Promise<Record<string, string>> {
    const vault = this.host.vault;
    const images: Record<string, string> = {};
    let budget = MAX_LINK_IMAGE_BYTES;
    for (const fileId of fileIds) {
      if (!vault.files.has(fileId)) continue;
      const file = vault.files.info(fileId);
      const encodedSize = Math.ceil(file.size / 3) * 4;
      if (file.workspaceId !== workspaceId || !linkImageTypes.test(file.type) || encodedSize > budget) continue;
      const parts: Uint8Array[] = [];
      for await (const part of vault.files.read(fileId)) parts.push(part);
      images[fileId] = `data:${file.type};base64,${Buffer.concat(parts).toString('base64')}`;
      budget -= encodedSize;
    }
    return images;
  }

  /** The links this vault published that are neither revoked nor expired, oldest first. */
  list(now = Date.now()): LinkInfo[] {
    // A document deleted while no engine ran (the CLI, with the app closed): its links are not active.
    this.markVanished();
    return this.host.vault.links
      .list()
      .filter((r) => r.revokedAt === null && (r.expiresAt === null || r.expiresAt > now))
      .map(info);
  }

  /** Revokes a link at its relay (which drops the copy) and marks it revoked here. */
  async revoke(linkId: string): Promise<void> {
    const vault = this.host.vault;
    const record = vault.links.get(linkId);
    if (!record) throw new HearthError('NOT_FOUND', `No link ${linkId} was created on this device; \`hearth link list\` shows the active ones.`);
    if (record.revokedAt !== null) throw new HearthError('NOT_FOUND', `The link ${linkId} is already revoked.`);
    const space = record.space ?? record.workspaceId;
    let name = 'the space this link was published in';
    try {
      name = this.host.spacesOf(record.documentId).find((s) => s.space === space)?.name ?? name;
    } catch {
      // The document was deleted since; its link can still be revoked.
    }
    await this.managedSpace([{ space, relay: record.relay, name }], 'revoke public links');
    const client = await this.host.client(record.relay);
    try {
      await client.linkRevoke(space, linkId);
    } catch (error) {
      // Already gone at the relay (revoked from another device): it is revoked all the same.
      if (!isHearthError(error, 'NOT_FOUND')) throw error;
    }
    vault.syncState.transaction(() => {
      vault.links.put({ ...record, revokedAt: Date.now() });
      vault.audit.record('link.revoked', `${record.workspaceId}/${record.documentId}/${linkId}`);
    });
  }

  /**
   * S6: the document is gone, so are its links. Every record of it is marked pending revocation
   * at once (sealed in the vault, its key dropped from the URL), so it is not forgotten if the
   * relay cannot be told now; `revokePending` tells the relay and then forgets the record.
   */
  markDocumentDeleted(documentId: string, now = Date.now()): number {
    const vault = this.host.vault;
    let marked = 0;
    vault.syncState.transaction(() => {
      for (const record of vault.links.list()) {
        if (record.documentId !== documentId || record.pendingRevocation) continue;
        if (record.revokedAt !== null) {
          vault.links.delete(record.id); // revoked earlier: nothing left to tell the relay
          continue;
        }
        vault.links.put({ ...record, url: record.url.split('#')[0]!, revokedAt: now, pendingRevocation: true });
        marked++;
      }
    });
    return marked;
  }

  /** Links waiting to be revoked at their relay (their document was deleted). */
  pending(): LinkRecord[] {
    return this.host.vault.links.list().filter((r) => r.pendingRevocation);
  }

  /** Marks pending the links whose document vanished while no engine was running (deleted by another process). */
  private markVanished(): void {
    const vault = this.host.vault;
    const present = new Set(vault.documents.allIds().map((d) => d.id));
    for (const record of vault.links.list()) {
      if (!record.pendingRevocation && !present.has(record.documentId)) this.markDocumentDeleted(record.documentId);
    }
  }

  /**
   * What the user is shown of the pending revocations: which copy, on which relay, since when.
   * A link whose document vanished unnoticed is marked first (its key dropped), so it is listed too.
   */
  pendingRevocations(): PendingLinkRevocation[] {
    this.markVanished();
    const vault = this.host.vault;
    return this.pending().map(({ id, documentId, workspaceId, title, relay, createdAt, revokedAt }) => {
      let workspaceName: string | undefined;
      try {
        workspaceName = vault.workspaces.get(workspaceId).name;
      } catch {
        // Its workspace is being deleted: the record goes with it.
      }
      return {
        id,
        documentId,
        workspaceId,
        ...(workspaceName === undefined ? {} : { workspaceName }),
        title,
        relay,
        createdAt,
        deletedAt: revokedAt ?? createdAt,
      };
    });
  }

  /**
   * Revokes at the relay the links whose document was deleted (also those whose document vanished
   * while no engine was running), then forgets their records. A relay that cannot be reached keeps
   * them pending for the next round. Returns how many were revoked (or found gone already).
   */
  async revokePending(onlyRelay?: string): Promise<number> {
    const vault = this.host.vault;
    this.markVanished();
    let done = 0;
    const unreachable = new Set<string>();
    for (const record of this.pending()) {
      if ((onlyRelay && record.relay !== onlyRelay) || unreachable.has(record.relay)) continue;
      const space = record.space ?? record.workspaceId;
      try {
        const client = await this.host.client(record.relay);
        await client.linkRevoke(space, record.id);
      } catch (error) {
        // NOT_FOUND: already gone (the relay dropped it with the document, or its space was deleted).
        // FORBIDDEN: this vault may no longer manage links there; the relay dropped the links of the
        // document when it was deleted (it knows each link's document), so there is nothing more to do.
        if (!isHearthError(error, 'NOT_FOUND') && !isHearthError(error, 'FORBIDDEN')) {
          unreachable.add(record.relay); // kept pending; the next round retries
          continue;
        }
      }
      vault.syncState.transaction(() => {
        vault.links.delete(record.id);
        vault.audit.record('link.revoked', `${record.workspaceId}/${record.documentId}/${record.id}`);
      });
      done++;
    }
    return done;
  }
}

/** Splits a link into where its copy is and the key after '#'; BAD_REQUEST when it is not a link. */
export function parseLinkUrl(text: string): { dataUrl: URL; linkId: string; fragmentKey: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new HearthError('BAD_REQUEST', `${text} is not a link; a Hearth link looks like https://relay.example/p/<id>#<key>.`);
  }
  const match = /^(.*\/)p\/([A-Za-z0-9_-]{1,64})\/?$/.exec(url.pathname);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !match) {
    throw new HearthError('BAD_REQUEST', `${text} is not a Hearth link; one looks like https://relay.example/p/<id>#<key>.`);
  }
  const fragmentKey = url.hash.slice(1);
  if (!fragmentKey) throw new HearthError('BAD_REQUEST', 'This link is missing its key (the part after #); ask for the whole link.');
  const dataUrl = new URL(`${match[1]}p/${match[2]}/data`, url.origin);
  return { dataUrl, linkId: match[2]!, fragmentKey };
}

/** The origin (scheme, host, port) a relay serves links on: http(s) for its ws(s):// address. */
export function relayOrigin(relayUrl: string): string | undefined {
  try {
    return relayHttpBase(relayUrl).origin;
  } catch {
    return undefined;
  }
}

/**
 * S8 for the app: a link is fetched only from a relay this vault has added. A link hosted
 * anywhere else is refused before any connection is made (FORBIDDEN naming the host, nothing
 * fetched); the caller may open it once after the user said yes (`otherHost`), or the user opens
 * it in a browser. Bad links are BAD_REQUEST first, as in `parseLinkUrl`.
 */
export function assertLinkOnConfiguredRelay(text: string, relayUrls: readonly string[]): void {
  const { dataUrl } = parseLinkUrl(text);
  const origins = new Set(relayUrls.map(relayOrigin).filter((o): o is string => o !== undefined));
  if (origins.has(dataUrl.origin)) return;
  throw new HearthError(
    'FORBIDDEN',
    `This link is on ${dataUrl.host}, which is not a relay you added. Hearth only talks to the relays you added, so nothing was fetched. ` +
      `To read it, confirm once that Hearth may fetch this link from ${dataUrl.host}, or open the link in a web browser.`,
  );
}

/**
 * Fetches a link's copy from its relay and decrypts it with the key in the fragment. The key is
 * never sent: only /p/<id>/data is requested.
 */
export async function openPublicLink(text: string, fetchImpl: typeof fetch = fetch): Promise<OpenedLink> {
  const { dataUrl, linkId, fragmentKey } = parseLinkUrl(text);
  checkLinkAddress(dataUrl);
  // The key's base64url decoding is libsodium's; opening a link needs no unlocked vault to have loaded it.
  await loadSodium();
  let response: Response;
  try {
    response = await fetchImpl(dataUrl, { redirect: 'error', cache: 'no-store', referrerPolicy: 'no-referrer', signal: AbortSignal.timeout(30_000) });
  } catch (cause) {
    throw new HearthError('UNAVAILABLE', `Cannot reach ${dataUrl.origin} to open the link; check your connection and that the relay is running.`, { cause });
  }
  if (response.status === 410) {
    await response.body?.cancel();
    throw new HearthError('EXPIRED', 'This link was revoked or has expired; ask whoever shared it for a new one.');
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new HearthError('NOT_FOUND', 'This link does not exist on its relay; check that you copied all of it.');
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new HearthError('UNAVAILABLE', `The relay answered ${response.status} for this link; try again later.`);
  }
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_FETCH_BYTES) {
    await response.body?.cancel();
    throw new HearthError('TOO_LARGE', `This link's copy is ${length} bytes, more than Hearth opens (${MAX_FETCH_BYTES}).`);
  }
  const ciphertext = new Uint8Array(await response.arrayBuffer());
  if (ciphertext.length > MAX_FETCH_BYTES) throw new HearthError('TOO_LARGE', `This link's copy is larger than Hearth opens (${MAX_FETCH_BYTES} bytes).`);
  const content = await openLink(linkId, ciphertext, fragmentKey);
  if (!content) {
    throw new HearthError(
      'RECORD_TAMPERED',
      'This link cannot be opened: its key (the part after #) does not match the copy on the relay, or the copy was altered. Nothing was shown; check that you copied the whole link.',
    );
  }
  return { title: content.title, markdown: content.markdown ?? content.text, publishedAt: content.publishedAt ?? 0, expiresAt: content.expiresAt ?? null };
}
