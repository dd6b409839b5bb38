// Bounded fuzz: 12,000 malformed, truncated, oversized and out-of-order frames from several
// connections while a well-behaved pair of clients keeps editing. The relay must stay up, answer
// every bad frame with a proper error (never INTERNAL), and lose none of the good client's work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fromUtf8, newId } from '../../common/crypto/sodium.ts';
import { signAuth } from '../../common/protocol/auth.ts';
import { openChange, verifyChange } from '../../common/protocol/change.ts';
import { encodeRawFrame } from '../../common/protocol/frame.ts';
import { decodeRelayFrame, encodeFrame } from '../../common/protocol/messages.ts';
import { RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import { MembershipHistory } from '../../common/protocol/verify.ts';
import { nextEntry, signMembershipEntry } from '../../common/membership/log.ts';
import { changeMembership, createSpace, register, sealedChange, startTestRelay, type Person, type TestRelay, type TestSpace } from './relay-fixture.ts';

const FRAMES = 12_000;
const CONNECTIONS = 6;
const MAX_FRAME = 64 * 1024;

// A small seeded PRNG (mulberry32), so a failure can be replayed.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay({ limits: { maxFrameBytes: MAX_FRAME, messagesPerSecond: 1_000_000, messageBurst: 1_000_000, connectionsPerAccount: 100 } });
});
afterAll(() => relay.stop());

function badFrames(
  random: () => number,
  ctx: { space: TestSpace; victim: Person; relayId: string; insider: Person },
  count: number,
): Array<Uint8Array | string> {
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const valid = (): Uint8Array => {
    const choices = [
      () => encodeFrame({ t: 'push', rid: int(1000), space: ctx.space.id, doc: 'doc', parts: [sealedChange(ctx.space, ctx.victim, 'doc', 'fuzz')] }),
      () => encodeFrame({ t: 'pull', rid: int(1000), space: ctx.space.id, doc: 'doc', since: int(5), parts: [] }),
      () => encodeFrame({ t: 'hello', rid: int(1000), protocol: 1, parts: [] }),
      () => encodeFrame({ t: 'fileChunk', rid: 1, space: ctx.space.id, file: 'f', index: int(3), parts: [bytes(int(100))] }),
      () => encodeFrame({ t: 'getMembership', rid: 2, space: ctx.space.id, since: 0, parts: [] }),
    ];
    return choices[int(choices.length)]!();
  };
  const weirdValues = [null, -1, 1.5, 2 ** 53, 'x'.repeat(100), {}, [], true, '', '../../etc', '\u0000'];
  const generators: Array<() => Uint8Array | string> = [
    () => bytes(int(300)),
    () => {
      const frame = valid();
      return frame.subarray(0, int(frame.length));
    },
    () => {
      const frame = valid().slice();
      for (let i = 0; i < 1 + int(4); i++) frame[int(frame.length)] = int(256);
      return frame;
    },
    () => {
      const header: Record<string, unknown> = {
        t: ['push', 'pull', 'signIn', 'register', 'createSpace', 'appendMembership', 'putEnvelopes', 'nope'][int(8)],
        rid: int(10),
      };
      for (const key of ['space', 'doc', 'since', 'account', 'nonce', 'entry', 'recipients', 'epoch', 'extra'])
        if (random() < 0.5) header[key] = weirdValues[int(weirdValues.length)];
      return encodeRawFrame(header, random() < 0.5 ? [] : [bytes(int(50))]);
    },
    () => {
      // a header that lies about its parts
      const frame = encodeRawFrame({ t: 'push', rid: 3, space: ctx.space.id, doc: 'doc' }, [bytes(10)]);
      const text = new TextDecoder().decode(frame.subarray(4));
      const lied = new TextEncoder().encode(text.replace('"parts":[10]', `"parts":[${int(2 ** 32)}]`));
      const out = new Uint8Array(4 + lied.length);
      new DataView(out.buffer).setUint32(0, lied.length);
      out.set(lied, 4);
      return out;
    },
    () => new Uint8Array(MAX_FRAME + 1 + int(MAX_FRAME)), // oversized, within what ws accepts
    () => JSON.stringify({ t: 'hello', rid: 1, protocol: 1 }), // a text frame
    () =>
      encodeFrame({
        t: 'signIn',
        rid: 4,
        account: ctx.victim.id,
        nonce: newId().padEnd(43, 'A').slice(0, 43),
        signature: signAuth('signIn', ctx.relayId, 'x', ctx.victim.id, ctx.victim.keys.signSecretKey),
        parts: [],
      }),
    () => encodeFrame({ t: 'push', rid: 5, space: ctx.space.id, doc: 'doc', parts: [bytes(int(400))] }), // schema-valid, garbage change
    () => encodeFrame({ t: 'putSnapshot', rid: 6, space: ctx.space.id, doc: 'doc', covers: int(1e9), parts: [bytes(int(400))] }),
    () => encodeFrame({ t: 'deleteSpace', rid: 7, space: ctx.space.id, parts: [] }), // anonymous: not signed in; insider: an editor
    // Schema-valid frames that only the handlers behind sign-in can refuse:
    () => {
      const who = random() < 0.5 ? ctx.insider : ctx.victim;
      const entry = signMembershipEntry(
        nextEntry(ctx.space.state, {
          actor: ctx.insider.id,
          action: ['add', 'change_role', 'remove', 'transfer'][int(4)] as 'add',
          subject: who.id,
          role: random() < 0.5 ? 'owner' : null,
        }),
        (random() < 0.5 ? ctx.insider : ctx.victim).keys.signSecretKey,
      );
      return encodeFrame({ t: 'appendMembership', rid: 8, space: ctx.space.id, entry: { ...entry, seq: random() < 0.3 ? int(5) : entry.seq }, parts: [] });
    },
    () => encodeFrame({ t: 'putEnvelopes', rid: 9, space: ctx.space.id, epoch: int(3), recipients: [ctx.insider.id], parts: [bytes(int(5000))] }),
    () =>
      encodeFrame({
        t: 'fileBegin',
        rid: 10,
        space: ctx.space.id,
        file: `f${int(3)}`,
        size: int(2 ** 40),
        chunkSize: 1024 + int(16 * 1024 * 1024 - 1024),
        parts: [],
      }),
    () => encodeFrame({ t: 'linkCreate', rid: 11, space: ctx.space.id, link: `l${int(5)}`, expiresAt: int(2) ? int(1e6) : null, parts: [bytes(int(300))] }),
    () => encodeFrame({ t: 'push', rid: 12, space: ctx.space.id, doc: 'doc', parts: [sealedChange(ctx.space, ctx.insider, 'other-doc', 'misfiled')] }),
    // (on another document: an editor's genuine snapshot of 'good' would rightly replace its history)
    () =>
      encodeFrame({
        t: 'putSnapshot',
        rid: 13,
        space: ctx.space.id,
        doc: 'doc',
        covers: int(100),
        parts: [sealedChange(ctx.space, ctx.insider, 'doc', 'snap', random() < 0.5 ? 'snapshot' : 'comment')],
      }),
    // Keys and signatures whose last base64url character carries stray bits:
    () =>
      encodeRawFrame(
        {
          t: 'register',
          rid: 16,
          account: `${ctx.insider.id.slice(0, 42)}B`,
          nonce: 'A'.repeat(43),
          signature: `${'A'.repeat(85)}B`,
          username: `u${int(99)}`,
          displayName: 'x',
          boxPublicKey: `${'A'.repeat(42)}B`,
        },
        [],
      ),
    () =>
      encodeRawFrame(
        {
          t: 'appendMembership',
          rid: 17,
          space: ctx.space.id,
          entry: {
            v: 1,
            space: ctx.space.id,
            seq: 1,
            prev: null,
            actor: `${'A'.repeat(42)}B`,
            action: 'add',
            subject: ctx.insider.id,
            role: 'viewer',
            at: 1,
            sig: `${'A'.repeat(85)}B`,
          },
        },
        [],
      ),
    () => encodeFrame({ t: 'lookup', rid: 14, username: `nobody-${int(1000)}`, parts: [] }),
    () => encodeFrame({ t: 'getEnvelopes', rid: 15, space: `nospace${int(100)}`, parts: [] }),
  ];
  return Array.from({ length: count }, () => generators[int(generators.length)]!());
}

async function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

describe('fuzz', () => {
  it('stays up and keeps serving a good client through 12,000 bad frames', async () => {
    const writer = await register(relay.url, 'writer');
    const reader = await register(relay.url, 'reader');
    const space = await createSpace(writer);
    await changeMembership(space, writer, 'add', reader, 'viewer');
    const live: string[] = [];
    await reader.client.subscribe(space.id, 'good', ({ bytes }) => live.push(fromUtf8(openChange(verifyChange(bytes), space.key)!)));

    const insiders = [await register(relay.url, 'insider'), await register(relay.url, 'insider')];
    for (const insider of insiders) await changeMembership(space, writer, 'add', insider, 'editor');
    const membersBefore = new Map(space.state.members);
    const random = prng(20261123);
    const codes = new Map<string, number>();
    let sent = 0;
    let reconnects = 0;
    const attacker = async (index: number) => {
      const frames = badFrames(random, { space, victim: writer, relayId: relay.relayId, insider: insiders[index % insiders.length]! }, FRAMES / CONNECTIONS);
      // Odd attackers are signed-in members (an editor), so their frames reach the role checks
      // and handlers behind sign-in; even ones stay anonymous.
      const open = async () => {
        if (index % 2 === 0) return openSocket(relay.url);
        let captured: WebSocket | undefined;
        const client = await RelayClient.connect(relay.url, (u) => (captured = new WebSocket(u)) as unknown as WebSocketLike);
        await client.signIn(insiders[index % insiders.length]!.keys);
        return captured!;
      };
      let socket = await open();
      const listen = (s: WebSocket) =>
        s.on('message', (data: Buffer) => {
          const frame = decodeRelayFrame(new Uint8Array(data)); // the relay's answers must themselves be valid
          if (frame.t === 'error') codes.set(frame.code, (codes.get(frame.code) ?? 0) + 1);
        });
      listen(socket);
      for (let i = 0; i < frames.length; i++) {
        if (socket.readyState !== WebSocket.OPEN) {
          socket = await open();
          listen(socket);
          reconnects++;
        }
        socket.send(frames[i]!);
        sent++;
        // Yield now and then so the good clients' requests interleave with the flood.
        if (i % 50 === index) await new Promise((resolve) => setImmediate(resolve));
      }
      // A final hello proves this connection is still answered after everything before it.
      const answered = new Promise((resolve) =>
        socket.on('message', (data: Buffer) => decodeRelayFrame(new Uint8Array(data)).t === 'challenge' && resolve(true)),
      );
      socket.send(encodeFrame({ t: 'hello', rid: 999_999, protocol: 1, parts: [] }));
      await answered;
      socket.close();
    };
    const good = async () => {
      const acked: number[] = [];
      for (let i = 0; i < 60; i++) {
        acked.push(await writer.client.push(space.id, 'good', sealedChange(space, writer, 'good', `line ${i}`)));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return acked;
    };
    const [acked] = await Promise.all([good(), ...Array.from({ length: CONNECTIONS }, (_, i) => attacker(i))]);

    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect(acked).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const pulled = await reader.client.pullAll(space.id, 'good', 0);
    expect(pulled.changes.map((c) => fromUtf8(openChange(verifyChange(c.bytes), space.key)!))).toEqual(Array.from({ length: 60 }, (_, i) => `line ${i}`));
    await expect.poll(() => live.length).toBe(60);
    expect(live).toEqual(Array.from({ length: 60 }, (_, i) => `line ${i}`));
    expect(codes.get('INTERNAL') ?? 0).toBe(0);
    expect(codes.get('FORBIDDEN') ?? 0).toBeGreaterThan(100); // signed-in frames reached the role checks
    const log = await reader.client.getMembership(space.id);
    expect(log.at(-1)).toBeDefined();
    // The log still verifies, and nobody gained a seat or a role (insiders may only have left).
    const after = MembershipHistory.replay(space.id, log).current.members;
    for (const [account, role] of after) expect(role).toBe(membersBefore.get(account));
    expect(after.get(writer.id)).toBe('owner');
    expect(after.get(reader.id)).toBe('viewer');
    expect(codes.get('BAD_REQUEST') ?? 0).toBeGreaterThan(FRAMES / 4);
    expect(relay.logLines.filter((l) => l.includes('request_failed'))).toEqual([]);
    expect((await fetch(new URL('/health', relay.httpUrl))).status).toBe(200);
    console.log(`fuzz: ${sent} frames, ${reconnects} reconnects, answers by code: ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});
