// S6 for public links: a link does not outlive what it publishes. Over a real relay on 127.0.0.1
// with real sockets: deleting the document (by its Owner online, offline then reconnecting, or by a
// peer), deleting the workspace, or deleting the account of the member who created the link
// ends the link (the relay answers 410/404), and the relay's SQLite file and WAL hold no byte of
// the link's ciphertext any more (compared against the bytes fetched before). The vault forgets
// the link's record, the key in its URL included.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketLike } from '../../common/protocol/client.ts';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { filesUnder } from '../support/vault.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, eventually, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
const peers: Peer[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  for (const peer of peers) await closePeer(peer);
  await relay?.stop();
});

async function peer(name: string, options: ConstructorParameters<typeof SyncEngine>[1] = {}): Promise<Peer> {
  const made = await makePeer(relay.url, name, options);
  peers.push(made);
  return made;
}

const dataUrl = (linkId: string) => new URL(`/p/${linkId}/data`, relay.httpUrl);

/** The link's copy as the relay serves it now, with stretches of it to look for in the relay's files. */
async function fetchCopy(linkId: string): Promise<Buffer[]> {
  const response = await fetch(dataUrl(linkId));
  expect(response.status).toBe(200);
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(bytes.length).toBeGreaterThan(200);
  // Three 32-byte stretches of ciphertext: random bytes that occur nowhere else.
  return [0.25, 0.5, 0.75].map((at) => bytes.subarray(Math.floor(bytes.length * at), Math.floor(bytes.length * at) + 32));
}

/** Whether the relay's database file, WAL (and any other file it keeps) still hold any of `pieces`. */
function relayHolds(pieces: Buffer[]): boolean {
  const stored = Buffer.concat(filesUnder(relay.dataDir).map((f) => readFileSync(f)));
  return pieces.some((piece) => stored.includes(piece));
}

async function teamWithDocument(owner: Peer, marker: string): Promise<{ workspaceId: string; documentId: string }> {
  const workspaceId = (await owner.engine.createTeamWorkspace(`Team ${marker}`, relay.url)).id;
  const documentId = owner.vault.documents.create(workspaceId, {
    title: marker,
    init: (d) => setBodyFromMarkdown(d, `# ${marker}\n\nThe body ${marker} ${'x'.repeat(400)}\n`),
  }).id;
  await owner.engine.syncOnce(workspaceId);
  return { workspaceId, documentId };
}

describe('public links end with what they publish', () => {
  it('deleting the document (Owner online) revokes its links: 410, no ciphertext left in the relay files, no record left in the vault', async () => {
    const ann = await peer('ann');
    const { documentId } = await teamWithDocument(ann, 'MARKER-online');
    const [first, second] = [await ann.engine.createLink(documentId), await ann.engine.createLink(documentId, { expiresInMs: 3600_000 })];
    const pieces = [...(await fetchCopy(first.id)), ...(await fetchCopy(second.id))];
    expect(relayHolds(pieces)).toBe(true); // the scan sees the copies while they exist

    await ann.engine.deleteDocument(documentId);
    for (const link of [first, second]) expect((await fetch(dataUrl(link.id))).status).toBe(410);
    expect(await ann.engine.openLink(first.url).catch((e: { code: string }) => e.code)).toBe('EXPIRED');
    expect(relayHolds(pieces)).toBe(false);
    expect(ann.vault.links.list()).toEqual([]);
    expect(await ann.engine.listLinks()).toEqual([]);
    expect(
      ann.vault.audit
        .list()
        .filter((e) => e.action === 'link.revoked')
        .map((e) => e.target?.split('/')[2])
        .sort(),
    ).toEqual([first.id, second.id].sort());
  });

  it('deleted through the vault while live sync runs: the engine notices and revokes its links', async () => {
    const ann = await peer('ann');
    const { documentId } = await teamWithDocument(ann, 'MARKER-live');
    const link = await ann.engine.createLink(documentId);
    const pieces = await fetchCopy(link.id);
    ann.engine.start();
    ann.vault.documents.delete(documentId);
    await eventually(async () => (await fetch(dataUrl(link.id))).status === 410, 'the link to be revoked');
    await eventually(() => ann.vault.links.list().length === 0, 'the link record to go');
    expect(relayHolds(pieces)).toBe(false);
    await ann.engine.stop();
  });

  it('deleted while offline: the revocation waits sealed in the vault (key already gone) and reaches the relay on reconnecting', async () => {
    let offline = false;
    const createSocket = (url: string) => new WebSocket(offline ? 'ws://127.0.0.1:1/' : url) as unknown as WebSocketLike;
    const ann = await peer('ann', { createSocket });
    const { workspaceId, documentId } = await teamWithDocument(ann, 'MARKER-offline');
    const link = await ann.engine.createLink(documentId);
    const key = new URL(link.url).hash.slice(1);
    const pieces = await fetchCopy(link.id);

    // Offline: the app closes and comes back without a network; the document is deleted then.
    await ann.engine.close();
    offline = true;
    ann.engine = new SyncEngine(ann.vault, { createSocket, backoff: { initialMs: 50, maxMs: 200 } });
    ann.vault.documents.delete(documentId);
    await ann.engine.syncOnce(workspaceId).catch(() => undefined); // the relay is out of reach
    const [pending] = ann.vault.links.list();
    expect(pending).toMatchObject({ id: link.id, documentId, pendingRevocation: true });
    expect(pending!.url).not.toContain(key);
    expect(await ann.engine.listLinks()).toEqual([]);
    expect((await fetch(dataUrl(link.id))).status).toBe(200); // nobody told the relay yet

    // It survives a restart of the engine (it is in the vault, not in memory), then goes out.
    await ann.engine.close();
    offline = false;
    ann.engine = new SyncEngine(ann.vault, { createSocket, backoff: { initialMs: 50, maxMs: 200 } });
    await ann.engine.syncOnce();
    expect((await fetch(dataUrl(link.id))).status).toBe(410);
    expect(relayHolds(pieces)).toBe(false);
    expect(ann.vault.links.list()).toEqual([]);
    expect(ann.vault.audit.list().some((e) => e.action === 'link.revoked' && e.target?.endsWith(`/${link.id}`))).toBe(true);
  });

  it('deleted by a peer: the relay drops the links of the document whoever made them; the creator forgets its record on its next round', async () => {
    const ann = await peer('ann');
    const bob = await peer('bob');
    const { workspaceId, documentId } = await teamWithDocument(ann, 'MARKER-peer');
    await ann.engine.invite(workspaceId, bob.vault.profile.username, 'admin');
    await bob.engine.acceptInvitation(workspaceId);
    await bob.engine.syncOnce(workspaceId);
    const annLink = await ann.engine.createLink(documentId);
    const bobLink = await bob.engine.createLink(documentId);
    const pieces = [...(await fetchCopy(annLink.id)), ...(await fetchCopy(bobLink.id))];

    // Ann (the Owner) deletes it; Bob's link goes too, though Bob is not told and did nothing.
    await ann.engine.deleteDocument(documentId);
    for (const link of [annLink, bobLink]) expect((await fetch(dataUrl(link.id))).status).toBe(410);
    expect(relayHolds(pieces)).toBe(false);
    expect(bob.vault.links.list().map((l) => l.id)).toEqual([bobLink.id]);
    await bob.engine.syncOnce(workspaceId);
    expect(bob.vault.documents.has(documentId)).toBe(false);
    expect(bob.vault.links.list()).toEqual([]);
  });

  it('deleting the team workspace drops its links at the relay, ciphertext and all', async () => {
    const ann = await peer('ann');
    const { workspaceId, documentId } = await teamWithDocument(ann, 'MARKER-workspace');
    const link = await ann.engine.createLink(documentId);
    const pieces = await fetchCopy(link.id);
    await ann.engine.deleteTeamWorkspace(workspaceId);
    expect((await fetch(dataUrl(link.id))).status).toBe(404); // no row left at all
    expect(relayHolds(pieces)).toBe(false);
    expect(ann.vault.links.list()).toEqual([]);
  });

  it('deleting the account of a member who created a link ends it, in a workspace that outlives them', async () => {
    const bob = await peer('bob');
    const cat = await peer('cat');
    const { workspaceId, documentId } = await teamWithDocument(bob, 'MARKER-account');
    await bob.engine.invite(workspaceId, cat.vault.profile.username, 'admin');
    await cat.engine.acceptInvitation(workspaceId);
    await cat.engine.syncOnce(workspaceId);
    const catLink = await cat.engine.createLink(documentId);
    const bobLink = await bob.engine.createLink(documentId);
    const pieces = await fetchCopy(catLink.id);

    const result = await cat.engine.deleteAccount();
    expect(result.spacesKept).toBe(1);
    expect((await fetch(dataUrl(catLink.id))).status).toBe(410);
    expect(relayHolds(pieces)).toBe(false);
    // The workspace and the other member's link live on.
    expect((await fetch(dataUrl(bobLink.id))).status).toBe(200);
    await bob.engine.syncOnce(workspaceId);
    expect(bob.vault.documents.has(documentId)).toBe(true);
  });
});
