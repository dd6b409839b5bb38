// What a client of the relay relies on: live changes, snapshots, resumable files, share links
// with their viewer page, the right-of-access report, limits, and the health endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fromUtf8, newId, randomBytes } from '../../common/crypto/sodium.ts';
import { openChange, verifyChange } from '../../common/protocol/change.ts';
import { encodeRawFrame } from '../../common/protocol/frame.ts';
import { PROTOCOL_VERSION, decodeRelayFrame, encodeFrame } from '../../common/protocol/messages.ts';
import { openLink, sealLink } from '../../common/protocol/link.ts';
import { viewerCsp, viewerScript } from '../../sync-server/viewer-page.ts';
import { changeMembership, connect, createSpace, outcome, register, sealedChange, startTestRelay, type TestRelay } from './relay-fixture.ts';

let relay: TestRelay;
let tight: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
  tight = await startTestRelay({
    limits: {
      maxFrameBytes: 64 * 1024,
      messagesPerSecond: 5,
      messageBurst: 10,
      connectionsPerAccount: 2,
      bytesPerSpace: 4000,
      maxFileBytes: 3000,
      maxAvatarBytes: 100,
    },
  });
});
afterAll(async () => {
  await relay.stop();
  await tight.stop();
});

describe('documents', () => {
  it('delivers a change live to a subscriber, in order, and a pull since a cursor returns only what is new', async () => {
    const ann = await register(relay.url, 'ann');
    const bob = await register(relay.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    const received: Array<{ seq: number; text: string }> = [];
    const done = new Promise<void>((resolve) => {
      void bob.client.subscribe(space.id, 'doc', ({ seq, bytes }) => {
        received.push({ seq, text: fromUtf8(openChange(verifyChange(bytes), space.key)!) });
        if (received.length === 3) resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const text of ['one', 'two', 'three']) await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', text));
    await done;
    expect(received).toEqual([
      { seq: 1, text: 'one' },
      { seq: 2, text: 'two' },
      { seq: 3, text: 'three' },
    ]);
    const tail = await bob.client.pull(space.id, 'doc', 2);
    expect(tail.changes.map((c) => c.seq)).toEqual([3]);
    expect(tail.latest).toBe(3);
  });

  it('treats a retried push of the same change as one change', async () => {
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    const change = sealedChange(space, ann, 'doc', 'once');
    const first = await ann.client.push(space.id, 'doc', change);
    expect(await ann.client.push(space.id, 'doc', change)).toBe(first);
    expect((await ann.client.pull(space.id, 'doc', 0)).changes).toHaveLength(1);
  });

  it('drops the changes a snapshot covers: a newcomer gets one snapshot and a short tail', async () => {
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    for (let i = 1; i <= 10; i++) await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', `edit ${i}`));
    await ann.client.putSnapshot(space.id, 'doc', 8, sealedChange(space, ann, 'doc', 'state after 8', 'snapshot'));
    const fromStart = await ann.client.pull(space.id, 'doc', 0);
    expect(fromStart.snapshot?.covers).toBe(8);
    expect(fromUtf8(openChange(verifyChange(fromStart.snapshot!.bytes), space.key)!)).toBe('state after 8');
    expect(fromStart.changes.map((c) => c.seq)).toEqual([9, 10]);
    expect((await ann.client.pull(space.id, 'doc', 9)).snapshot).toBeNull();
    expect(await outcome(ann.client.putSnapshot(space.id, 'doc', 5, sealedChange(space, ann, 'doc', 'older', 'snapshot')))).toBe('CONFLICT');
    expect(await outcome(ann.client.putSnapshot(space.id, 'doc', 50, sealedChange(space, ann, 'doc', 'future', 'snapshot')))).toBe('BAD_REQUEST');
  });
});

describe('files', () => {
  it('resumes an interrupted upload and returns the same bytes', async () => {
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    const file = randomBytes(2048 * 3 + 100);
    const chunk = (i: number) => file.subarray(i * 2048, Math.min(file.length, (i + 1) * 2048));
    expect((await ann.client.fileBegin(space.id, 'f1', file.length, 2048)).received).toEqual([]);
    await ann.client.fileChunk(space.id, 'f1', 0, chunk(0));
    await ann.client.fileChunk(space.id, 'f1', 2, chunk(2));
    ann.client.close();

    const again = await connect(relay.url);
    await again.signIn(ann.keys);
    const status = await again.fileBegin(space.id, 'f1', file.length, 2048);
    expect(status.received).toEqual([0, 2]);
    expect(status.complete).toBe(false);
    for (const i of [1, 3]) await again.fileChunk(space.id, 'f1', i, chunk(i));
    expect((await again.fileStatus(space.id, 'f1')).complete).toBe(true);
    const parts = await Promise.all([0, 1, 2, 3].map((i) => again.fileGet(space.id, 'f1', i)));
    expect(Buffer.concat(parts).equals(Buffer.from(file))).toBe(true);
    expect(await outcome(again.fileChunk(space.id, 'f1', 1, randomBytes(10)))).toBe('BAD_REQUEST');
    expect(await outcome(again.fileChunk(space.id, 'f1', 9, randomBytes(2048)))).toBe('BAD_REQUEST');
    expect(await outcome(again.fileBegin(space.id, 'f1', 10, 2048))).toBe('CONFLICT');
  });
});

describe('share links', () => {
  it('serves a viewer page that decrypts with the fragment key; revoke and expiry end it', async () => {
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    const link = newId();
    const { ciphertext, fragmentKey } = await sealLink(link, { title: 'Plan', text: 'Shared <b>body</b>' });
    await ann.client.linkCreate(space.id, link, ciphertext);

    const page = await fetch(new URL(`/p/${link}`, relay.httpUrl));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(viewerCsp);
    const html = await page.text();
    expect(html).not.toContain('Plan');

    // The page's script runs in a real browser in test/e2e/link-viewer.test.ts; here, that it is the hashed one.
    expect(html).toContain(viewerScript);
    const data = new Uint8Array(await (await fetch(new URL(`/p/${link}/data`, relay.httpUrl))).arrayBuffer());
    expect(await openLink(link, data, fragmentKey)).toEqual({ title: 'Plan', text: 'Shared <b>body</b>' });
    await ann.client.linkRevoke(space.id, link);
    const revoked = await fetch(new URL(`/p/${link}/data`, relay.httpUrl));
    expect(revoked.status).toBe(410);
    expect(await revoked.json()).toMatchObject({ code: 'EXPIRED', reason: 'revoked' });

    const shortLived = newId();
    await ann.client.linkCreate(space.id, shortLived, (await sealLink(shortLived, { title: 't', text: 'x' })).ciphertext, Date.now() + 300);
    expect((await fetch(new URL(`/p/${shortLived}/data`, relay.httpUrl))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const expired = await fetch(new URL(`/p/${shortLived}/data`, relay.httpUrl));
    expect(expired.status).toBe(410);
    expect(await expired.json()).toMatchObject({ code: 'EXPIRED', reason: 'expired', expiredAt: expect.any(Number) });
    expect((await fetch(new URL(`/p/${newId()}/data`, relay.httpUrl))).status).toBe(404);
  });
});

describe('right of access', () => {
  it('reports the profile, spaces, roles, bytes, links and last sign-in of the signed-in account only', async () => {
    const avatar = randomBytes(500);
    const ann = await register(relay.url, 'ann', avatar);
    const bob = await register(relay.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'commenter');
    const change = sealedChange(space, ann, 'doc', 'hello');
    await ann.client.push(space.id, 'doc', change);
    await ann.client.linkCreate(space.id, 'link-of-ann', randomBytes(40));
    const { report, avatar: returnedAvatar } = await ann.client.access();
    expect(report).toMatchObject({
      account: ann.id,
      username: ann.username,
      avatarBytes: 500,
      links: [{ link: 'link-of-ann', space: space.id, revoked: false }],
    });
    expect(report.spaces).toEqual([{ space: space.id, kind: 'workspace', role: 'owner', bytesStored: change.length + 40, bytesAuthored: change.length }]);
    expect(report.lastSignInAt).toBeGreaterThan(Date.now() - 60_000);
    expect(Buffer.from(returnedAvatar!).equals(Buffer.from(avatar))).toBe(true);
    const bobs = (await bob.client.access()).report;
    expect(bobs.spaces).toEqual([{ space: space.id, kind: 'workspace', role: 'commenter', bytesStored: change.length + 40, bytesAuthored: 0 }]);
    expect(bobs.links).toEqual([]);
  });
});

describe('limits', () => {
  it('answers each exceeded limit with an error frame naming it, and keeps the connection usable', async () => {
    const ann = await register(tight.url, 'ann');
    const space = await createSpace(ann);
    // storage per space
    await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'x'.repeat(1500)));
    await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'x'.repeat(1500)));
    const over = await ann.client
      .request({ t: 'push', space: space.id, doc: 'doc', parts: [sealedChange(space, ann, 'doc', 'x'.repeat(1500))] })
      .catch((e: Error) => e);
    expect(over).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(await outcome(ann.client.fileBegin(space.id, 'big', 5000, 1024))).toBe('TOO_LARGE');
    // connections per account
    const second = await connect(tight.url);
    await second.signIn(ann.keys);
    const third = await connect(tight.url);
    expect(await outcome(third.signIn(ann.keys))).toBe('LIMIT_EXCEEDED');

    // frame size and rate, seen as raw error frames with their `limit`
    const socket = new WebSocket(tight.url);
    await new Promise((resolve) => socket.once('open', resolve));
    const errors: Array<{ code: string; limit?: string }> = [];
    socket.on('message', (data: Buffer) => {
      const frame = decodeRelayFrame(new Uint8Array(data));
      if (frame.t === 'error') errors.push({ code: frame.code, ...(frame.limit ? { limit: frame.limit } : {}) });
    });
    socket.send(encodeRawFrame({ t: 'push', rid: 1, space: 's', doc: 'd' }, [randomBytes(100 * 1024)]));
    for (let i = 0; i < 15; i++) socket.send(encodeFrame({ t: 'hello', rid: 10 + i, protocol: 1, parts: [] }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors).toContainEqual({ code: 'TOO_LARGE', limit: 'maxFrameBytes' });
    expect(errors).toContainEqual({ code: 'RATE_LIMITED', limit: 'messagesPerSecond' });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    // A client that keeps flooding after being told is disconnected (policy violation).
    const closed = new Promise<number>((resolve) => socket.once('close', (code: number) => resolve(code)));
    for (let i = 0; i < 100; i++) socket.send(encodeFrame({ t: 'hello', rid: 100 + i, protocol: 1, parts: [] }));
    expect(await closed).toBe(1008);
    for (const c of [second, third]) c.close();
  });

  it('caps connections per relay and subscriptions per connection', async () => {
    const small = await startTestRelay({ limits: { maxConnections: 2, subscriptionsPerConnection: 2 } });
    try {
      const ann = await register(small.url, 'ann');
      const space = await createSpace(ann);
      await ann.client.subscribe(space.id, 'a', () => undefined);
      await ann.client.subscribe(space.id, 'b', () => undefined);
      expect(await outcome(ann.client.subscribe(space.id, 'c', () => undefined))).toBe('LIMIT_EXCEEDED');
      const second = await connect(small.url);
      const refused = new WebSocket(small.url);
      const answer = await new Promise<{ code: string; limit?: string }>((resolve) =>
        refused.once('message', (data: Buffer) => resolve(decodeRelayFrame(new Uint8Array(data)) as { code: string; limit?: string })),
      );
      expect(answer).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxConnections' });
      second.close();
      refused.close();
    } finally {
      await small.stop();
    }
  });

  it('refuses an oversized avatar', async () => {
    const client = await connect(tight.url);
    const { generateIdentityKeys } = await import('../../common/crypto/identity.ts');
    expect(await outcome(client.register(generateIdentityKeys(), { username: `big-avatar-${process.pid}`, displayName: 'B', avatar: randomBytes(101) }))).toBe(
      'TOO_LARGE',
    );
    client.close();
  });
});

describe('http', () => {
  it('serves health and version', async () => {
    expect(await (await fetch(new URL('/health', relay.httpUrl))).json()).toEqual({ ok: true });
    expect(await (await fetch(new URL('/version', relay.httpUrl))).json()).toMatchObject({
      name: 'hearth-relay',
      protocol: PROTOCOL_VERSION,
      relayId: relay.relayId,
    });
    expect((await fetch(new URL('/nothing', relay.httpUrl))).status).toBe(404);
  });
});
