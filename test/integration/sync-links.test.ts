// Public links end to end over a real relay: an Owner publishes a document, the relay holds and
// serves only ciphertext, the client opens the link back as the same Markdown; expiry and
// revocation end it (410 at the relay, EXPIRED in the client); a tampered key shows nothing;
// Editors and Viewers cannot publish; documents in personal workspaces have no relay to go to.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyAsMarkdown, setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { parseLinkUrl } from '../../main/sync/links.ts';
import { outcome, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, eventually, makePeer, type Peer } from './sync-fixture.ts';

const MARKER_TITLE = 'LINKMARKER-title-7f3a';
const MARKER_BODY = 'LINKMARKER-body-91c2';
const MARKDOWN = `# Launch plan\n\nThe **secret** part: ${MARKER_BODY}\n\n- first item\n- second item\n`;

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
let vic: Peer;
let workspaceId: string;
let documentId: string;

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a refusal');
}

function relayBytes(): Buffer {
  return Buffer.concat(readdirSync(relay.dataDir).map((f) => readFileSync(join(relay.dataDir, f))));
}

beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
  vic = await makePeer(relay.url, 'vic');
  workspaceId = (await ann.engine.createTeamWorkspace('Launch team', relay.url)).id;
  documentId = ann.vault.documents.create(workspaceId, { title: MARKER_TITLE, init: (d) => setBodyFromMarkdown(d, MARKDOWN) }).id;
  await ann.engine.syncOnce(workspaceId);
  await ann.engine.invite(workspaceId, bob.vault.profile.username, 'editor');
  await ann.engine.invite(workspaceId, vic.vault.profile.username, 'viewer');
  await bob.engine.acceptInvitation(workspaceId);
  await vic.engine.acceptInvitation(workspaceId);
});
afterAll(async () => {
  for (const peer of [ann, bob, vic]) if (peer) await closePeer(peer);
  await relay?.stop();
});

describe('public links', () => {
  it('publishes a copy the relay cannot read, and the client opens it as the same Markdown', async () => {
    const link = await ann.engine.createLink(documentId);
    expect(link).toEqual(expect.objectContaining({ documentId, workspaceId, title: MARKER_TITLE, expiresAt: null }));
    const url = new URL(link.url);
    expect(`${url.protocol}//${url.host}/`).toBe(relay.httpUrl);
    expect(url.pathname).toBe(`/p/${link.id}`);
    expect(url.hash.length).toBeGreaterThan(20);

    // What the relay serves over HTTP: ciphertext and a static page, neither holding the text.
    const data = await fetch(new URL(`/p/${link.id}/data`, relay.httpUrl));
    expect(data.status).toBe(200);
    const bytes = Buffer.from(await data.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(MARKDOWN.length);
    for (const marker of [MARKER_TITLE, MARKER_BODY, 'secret']) expect(bytes.includes(marker)).toBe(false);
    const page = await (await fetch(new URL(`/p/${link.id}`, relay.httpUrl))).text();
    expect(page).not.toContain(MARKER_BODY);

    // Opened by the app (any vault, even one that is no member): the same Markdown as the document.
    const opened = await vic.engine.openLink(link.url);
    expect(opened.title).toBe(MARKER_TITLE);
    expect(opened.markdown).toBe(bodyAsMarkdown(ann.vault.documents.get(documentId)));
    expect(opened.markdown).toContain(`**secret** part: ${MARKER_BODY}`);
    expect(opened.publishedAt).toBe(link.createdAt);
    expect(opened.expiresAt).toBeNull();

    expect(await ann.engine.listLinks()).toEqual([link]);
    expect(
      ann.vault.audit
        .list()
        .filter((e) => e.action === 'link.created')
        .map((e) => e.target),
    ).toEqual([`${workspaceId}/${documentId}/${link.id}`]);

    // The relay's database, WAL and log hold neither the text nor the key in the fragment.
    const stored = relayBytes();
    const key = url.hash.slice(1);
    for (const secret of [MARKER_TITLE, MARKER_BODY, key]) {
      expect(stored.includes(secret)).toBe(false);
      expect(relay.logLines.join('\n')).not.toContain(secret);
    }
    // The vault keeps its link records sealed: neither the title nor the key is in clear on disk.
    const vaultBytes = Buffer.concat(readdirSync(ann.dir).map((f) => readFileSync(join(ann.dir, f))));
    expect(vaultBytes.includes(key)).toBe(false);
  });

  it('a tampered key (or a link without one) opens nothing and says so', async () => {
    const link = await ann.engine.createLink(documentId);
    const key = new URL(link.url).hash.slice(1);
    const flipped = `${key.slice(0, 5)}${key[5] === 'A' ? 'B' : 'A'}${key.slice(6)}`;
    const tampered = await errorOf(vic.engine.openLink(link.url.replace(key, flipped)));
    expect(tampered.code).toBe('RECORD_TAMPERED');
    expect(tampered.message).toMatch(/key .* does not match/);
    expect(tampered.message).not.toContain(MARKER_BODY);
    const missing = await errorOf(vic.engine.openLink(link.url.split('#')[0]!));
    expect(missing).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/missing its key/) });
    expect(await outcome(vic.engine.openLink('https://example.org/not-a-link'))).toBe('BAD_REQUEST');
    // Another link's key does not open this one either.
    const other = await ann.engine.createLink(documentId);
    expect(await outcome(vic.engine.openLink(`${link.url.split('#')[0]}#${new URL(other.url).hash.slice(1)}`))).toBe('RECORD_TAMPERED');
  });

  it('an expired link is refused: EXPIRED in the client, 410 from the relay, gone from the list', async () => {
    const link = await ann.engine.createLink(documentId, { expiresInMs: 3_000 });
    expect(link.expiresAt).toBe(link.createdAt + 3_000);
    expect((await ann.engine.listLinks()).map((l) => l.id)).toContain(link.id);
    expect((await vic.engine.openLink(link.url)).expiresAt).toBe(link.expiresAt);
    await eventually(async () => (await fetch(new URL(`/p/${link.id}/data`, relay.httpUrl))).status === 410, 'the link to expire');
    const expired = await errorOf(vic.engine.openLink(link.url));
    expect(expired).toMatchObject({ code: 'EXPIRED', message: expect.stringMatching(/revoked or has expired/) });
    expect((await ann.engine.listLinks()).map((l) => l.id)).not.toContain(link.id);
    expect(await outcome(ann.engine.createLink(documentId, { expiresInMs: -5 }))).toBe('BAD_REQUEST');
  });

  it('a revoked link is refused the same way, and the relay drops its copy', async () => {
    const link = await ann.engine.createLink(documentId, { expiresInMs: 3600_000 });
    expect((await vic.engine.openLink(link.url)).title).toBe(MARKER_TITLE);
    await ann.engine.revokeLink(link.id);
    expect((await fetch(new URL(`/p/${link.id}/data`, relay.httpUrl))).status).toBe(410);
    expect(await errorOf(vic.engine.openLink(link.url))).toMatchObject({ code: 'EXPIRED' });
    expect((await ann.engine.listLinks()).map((l) => l.id)).not.toContain(link.id);
    expect(
      ann.vault.audit
        .list()
        .filter((e) => e.action === 'link.revoked')
        .map((e) => e.target),
    ).toEqual([`${workspaceId}/${documentId}/${link.id}`]);
    expect(await outcome(ann.engine.revokeLink(link.id))).toBe('NOT_FOUND');
    expect(await outcome(ann.engine.revokeLink('no-such-link'))).toBe('NOT_FOUND');
  });

  it("a member's links end when they leave or are removed; the Owner's stay", async () => {
    const ada = await makePeer(relay.url, 'ada');
    const cyd = await makePeer(relay.url, 'cyd');
    try {
      for (const peer of [ada, cyd]) {
        await ann.engine.invite(workspaceId, peer.vault.profile.username, 'admin');
        await peer.engine.acceptInvitation(workspaceId);
        await peer.engine.syncOnce(workspaceId);
      }
      const byAda = await ada.engine.createLink(documentId);
      const byCyd = await cyd.engine.createLink(documentId);
      const byAnn = await ann.engine.createLink(documentId);
      const status = async (link: { id: string }) => (await fetch(new URL(`/p/${link.id}/data`, relay.httpUrl))).status;
      expect([await status(byAda), await status(byCyd), await status(byAnn)]).toEqual([200, 200, 200]);
      await ada.engine.leave(workspaceId);
      await ann.engine.removeMember(workspaceId, cyd.vault.profile.username);
      expect([await status(byAda), await status(byCyd), await status(byAnn)]).toEqual([410, 410, 200]);
      expect(await errorOf(vic.engine.openLink(byCyd.url))).toMatchObject({ code: 'EXPIRED' });
      await ann.engine.revokeLink(byAnn.id);
    } finally {
      await closePeer(ada);
      await closePeer(cyd);
    }
  });

  it('a document deleted while no engine ran does not list its links as active when the next engine starts', async () => {
    const dee = await makePeer(relay.url, 'dee');
    try {
      const own = (await dee.engine.createTeamWorkspace('Dee team', relay.url)).id;
      const doomed = dee.vault.documents.create(own, { title: 'Doomed', init: (d) => setBodyFromMarkdown(d, 'soon gone\n') }).id;
      await dee.engine.syncOnce(own);
      const link = await dee.engine.createLink(doomed);
      await dee.engine.close();
      dee.vault.documents.delete(doomed); // as the CLI would, with the app closed
      dee.engine = new SyncEngine(dee.vault, { backoff: { initialMs: 50, maxMs: 500 } });
      expect((await dee.engine.listLinks()).map((l) => l.id)).not.toContain(link.id);
      expect((await dee.engine.pendingLinkRevocations()).map((l) => l.id)).toEqual([link.id]);
      await dee.engine.retryLinkRevocations();
      expect((await fetch(new URL(`/p/${link.id}/data`, relay.httpUrl))).status).toBe(410);
    } finally {
      await closePeer(dee);
    }
  });

  it('Editors and Viewers cannot publish: FORBIDDEN naming their role, and nothing reaches the relay', async () => {
    for (const [peer, role] of [
      [bob, 'an Editor'],
      [vic, 'a Viewer'],
    ] as const) {
      const refused = await errorOf(peer.engine.createLink(documentId));
      expect(refused.code).toBe('FORBIDDEN');
      expect(refused.message).toContain(`You are ${role} in Launch team`);
      expect(await peer.engine.listLinks()).toEqual([]);
    }
    // Made an Admin, Bob may.
    await ann.engine.setRole(workspaceId, bob.vault.profile.username, 'admin');
    const link = await bob.engine.createLink(documentId);
    expect((await ann.engine.openLink(link.url)).title).toBe(MARKER_TITLE);
    await bob.engine.revokeLink(link.id);
  });

  it('a document in a personal workspace has no relay: a clear error, nothing sent', async () => {
    const personal = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!;
    const doc = ann.vault.documents.create(personal.id, { title: 'Private', init: (d) => setBodyFromMarkdown(d, 'never leaves') });
    const refused = await errorOf(ann.engine.createLink(doc.id));
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.message).toMatch(/personal workspace and this document is not shared.*no relay to host a public link/);
    expect(await ann.engine.listLinks()).not.toContainEqual(expect.objectContaining({ documentId: doc.id }));
  });

  it('a document shared selectively is published through its own space, by its Owner only', async () => {
    const personal = ann.vault.workspaces.list().find((w) => w.kind === 'personal')!;
    const doc = ann.vault.documents.create(personal.id, { title: 'One-off', init: (d) => setBodyFromMarkdown(d, `Shared alone ${MARKER_BODY}`) });
    await ann.engine.shareDocument(doc.id, vic.vault.profile.username, 'viewer', { confirmed: true });
    const link = await ann.engine.createLink(doc.id);
    expect(link.workspaceId).toBe(personal.id);
    expect(await vic.engine.openLink(link.url)).toMatchObject({ title: 'One-off', markdown: expect.stringContaining(`Shared alone ${MARKER_BODY}`) });
    const invitation = (await vic.engine.invitations()).find((i) => i.kind === 'document')!;
    await vic.engine.acceptInvitation(invitation.id);
    const refused = await errorOf(vic.engine.createLink(doc.id));
    expect(refused).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('You are a Viewer in the shared document One-off') });
    await ann.engine.revokeLink(link.id);
    expect(await outcome(vic.engine.openLink(link.url))).toBe('EXPIRED');
  });

  it('parses only Hearth link addresses', () => {
    expect(parseLinkUrl('http://127.0.0.1:9/p/abc#key').dataUrl.href).toBe('http://127.0.0.1:9/p/abc/data');
    expect(parseLinkUrl('https://relay.example/hearth/p/abc/#key').dataUrl.href).toBe('https://relay.example/hearth/p/abc/data');
    expect(() => parseLinkUrl('ftp://relay.example/p/abc#key')).toThrow(/not a Hearth link/);
    expect(() => parseLinkUrl('not a url')).toThrow(/not a link/);
  });
});
