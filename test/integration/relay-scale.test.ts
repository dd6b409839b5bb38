// The relay on every core (issue 14), on SQLite: while a commit waits on the disk the relay
// still answers everyone else; a bounded load of typing clients gets every edit to every peer;
// and a restart with a hundred clients reconnecting at once (jittered backoff) serves them all.
// The full-size runs (1,000 clients, two instances, kill -9) are bench/relay-load.ts's.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { percentile } from '../../bench/report.ts';
import { connectRooms, missingEdits, newProbe, setUpRooms, startTyping, type TypingClient } from '../support/load-client.ts';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { INLINE_CHECKS_PER_TURN, VerifyPool, defaultVerifyThreads } from '../../sync-server/verify-pool.ts';
import { connect, createSpace, outcome, register, sealedChange, startTestRelay, type TestRelay } from './relay-fixture.ts';

const relays: TestRelay[] = [];
const clients: TypingClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const relay of relays.splice(0)) await relay.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the relay on every core', () => {
  it('keeps answering other clients while a commit waits on the disk, and commits once the disk is back', async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    const other = await connect(relay.url);
    // Another connection holds SQLite's write lock, as a stalled fsync or checkpoint would.
    const disk = new Database(join(relay.dataDir, 'relay.sqlite'));
    disk.exec('BEGIN IMMEDIATE');
    let pushed: number | string = 'waiting';
    const push = ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'written while the disk is busy')).then(
      (seq) => (pushed = seq),
      (error: { code?: string }) => (pushed = error.code ?? 'failed'),
    );
    // Ten round trips of another client, 50 ms apart, while the push waits for the disk.
    const started = performance.now();
    const roundTrips: number[] = [];
    for (let i = 0; i < 10; i++) {
      const sent = performance.now();
      await other.hello();
      roundTrips.push(performance.now() - sent);
      await sleep(50);
    }
    const elapsed = performance.now() - started;
    expect(pushed).toBe('waiting');
    disk.exec('COMMIT');
    disk.close();
    await push;
    console.log(`while the disk was held: 10 hellos in ${elapsed.toFixed(0)} ms, slowest ${Math.max(...roundTrips).toFixed(0)} ms`);
    // With the commit on the main thread, everything stopped until SQLite's busy timeout (5 s) ran out.
    expect(elapsed).toBeLessThan(2500);
    expect(pushed).toBe(1);
    expect((await other.signIn(ann.keys)).account).toBe(ann.id);
    expect((await other.pull(space.id, 'doc', 0)).changes.map((c) => c.seq)).toEqual([1]);
    other.close();
  });

  it('refuses a forged change checked inline (a lone push) and on a verification thread (a burst): nothing stored, nothing fanned out', async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    // The relay's pool is the process's shared one: its counts say which path each check took.
    const onFailure = () => undefined;
    const pool = await VerifyPool.acquire(defaultVerifyThreads(), onFailure);
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    const follower = await connect(relay.url);
    await follower.signIn(ann.keys);
    const received: string[] = [];
    await follower.subscribe(space.id, 'doc', ({ bytes }) => received.push(Buffer.from(bytes).toString('base64')));
    // Signed by another key in Ann's name, or Ann's own change with one ciphertext bit flipped.
    const mallory = { ...ann, keys: generateIdentityKeys() };
    const forged = () => sealedChange(space, mallory, 'doc', 'not written by ann');
    const altered = () => {
      const bytes = sealedChange(space, ann, 'doc', 'altered on the way');
      bytes[bytes.length - 80]! ^= 0x01;
      return bytes;
    };

    const lone = { ...pool.checked };
    expect(await outcome(ann.client.push(space.id, 'doc', forged()))).toBe('RECORD_TAMPERED');
    expect(await outcome(ann.client.push(space.id, 'doc', altered()))).toBe('RECORD_TAMPERED');
    expect(pool.checked.inline - lone.inline).toBe(2);
    expect(pool.checked.onThreads - lone.onThreads).toBe(0);

    const genuine = Array.from({ length: 2 * INLINE_CHECKS_PER_TURN }, (_, i) => sealedChange(space, ann, 'doc', `genuine ${i}`));
    const burst = genuine.flatMap((bytes) => [forged(), bytes, altered()]);
    const inBurst = { ...pool.checked };
    const outcomes = await Promise.all(burst.map((bytes) => outcome(ann.client.push(space.id, 'doc', bytes))));
    expect(outcomes).toEqual(burst.map((_, i) => (i % 3 === 1 ? 'ok' : 'RECORD_TAMPERED')));
    // The burst reaches the relay in a few reads: most of its checks ran on the threads.
    expect(pool.checked.onThreads - inBurst.onThreads).toBeGreaterThan(0);
    pool.release(onFailure);

    const stored = await ann.client.pull(space.id, 'doc', 0);
    const expected = genuine.map((bytes) => Buffer.from(bytes).toString('base64'));
    expect(stored.changes.map((c) => Buffer.from(c.bytes).toString('base64'))).toEqual(expected);
    await expect.poll(() => received.length).toBe(genuine.length);
    expect(received).toEqual(expected);
    follower.close();
  });

  it('gets every edit of 50 typing clients to every peer in their room', async () => {
    const relay = await startTestRelay({ limits: { messagesPerSecond: 10_000, messageBurst: 10_000 } });
    relays.push(relay);
    const rooms = await setUpRooms(relay.url, 50, 10, 'load');
    const probe = newProbe();
    clients.push(...(await connectRooms(rooms, probe, [relay.url])));
    for (const client of clients) client.prepare(30);
    const typing = startTyping(clients, 6);
    await sleep(500);
    probe.measuring = true;
    await sleep(3000);
    typing.stop();
    await expect.poll(() => missingEdits(rooms, clients, false).length, { timeout: 15_000, interval: 100 }).toBe(0);
    probe.measuring = false;
    const sorted = probe.latencies.sort((a, b) => a - b);
    console.log(
      `50 clients, ${typing.typed()} edits: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms over ${sorted.length} deliveries`,
    );
    expect(clients.every((client) => client.unacknowledged === 0)).toBe(true);
    expect(percentile(sorted, 99)).toBeLessThan(1500);
  });

  it('serves 100 clients that reconnect at once after a restart, with jittered backoff, and they converge', async () => {
    const first = await startTestRelay();
    const port = Number(new URL(first.url).port);
    const rooms = await setUpRooms(first.url, 100, 10, 'restart');
    const probe = newProbe();
    clients.push(...(await connectRooms(rooms, probe, [first.url], { backoffMs: 200 })));
    for (const client of clients.slice(0, 50)) client.type();
    await expect.poll(() => missingEdits(rooms, clients, false).length, { timeout: 15_000, interval: 100 }).toBe(0);
    await first.close();
    const restarted = performance.now();
    const second = await startTestRelay({ dataDir: first.dataDir, port });
    relays.push(second);
    await expect.poll(() => clients.filter((client) => client.connected).length, { timeout: 30_000, interval: 50 }).toBe(100);
    const back = Math.max(...clients.map((client) => client.lastReconnectAt ?? 0)) - restarted;
    for (const client of clients) client.type();
    await expect.poll(() => missingEdits(rooms, clients, false).length, { timeout: 15_000, interval: 100 }).toBe(0);
    console.log(`100 clients back ${back.toFixed(0)} ms after the restart began`);
    expect(clients.every((client) => client.reconnects >= 1)).toBe(true);
  });
});
