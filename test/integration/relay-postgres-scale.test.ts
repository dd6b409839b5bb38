// Scale-out on PostgreSQL (issue 14): what one instance decides holds on every instance from the
// moment it commits, not from the moment the others hear of it; what an instance misses hearing
// it reads back; limits count every instance; and a kill -9 of one instance in the middle of a
// load loses no acknowledged edit. Listening connections are cut on purpose (pg_terminate_backend)
// to stand for an announcement that never arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8 } from '../../common/crypto/sodium.ts';
import { openChange, verifyChange } from '../../common/protocol/change.ts';
import { percentile } from '../../bench/report.ts';
import { connectRooms, missingEdits, newProbe, setUpRooms, startTyping } from '../support/load-client.ts';
import { startPostgres, type PostgresServer } from '../unit/sync-server/postgres-server.ts';
import { changeMembership, connect, createSpace, outcome, register, sealedChange, startTestRelay, type TestRelay } from './relay-fixture.ts';

let server: PostgresServer;
let url: string;
let east: TestRelay;
let west: TestRelay;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('relay_scale');
  [east, west] = await Promise.all([startTestRelay({ postgresUrl: url, catchUpMs: 500 }), startTestRelay({ postgresUrl: url, catchUpMs: 500 })]);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await east?.stop();
  await west?.stop();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Cuts every instance's listening connection: announcements made meanwhile reach no one. */
async function cutListeners(): Promise<void> {
  await server.admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
  await sleep(200);
}

describe('instances on one PostgreSQL', () => {
  it('refuse a removed member on every instance from the moment the removal commits, even when no instance hears of it', async () => {
    const ann = await register(east.url, 'ann');
    const bob = await register(west.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    // West knows Bob as an Editor (it let him push), and will not hear that he was removed.
    expect(await outcome(bob.client.push(space.id, 'doc', sealedChange(space, bob, 'doc', 'allowed')))).toBe('ok');
    await cutListeners();
    await changeMembership(space, ann, 'remove', bob, null);
    expect(await outcome(bob.client.push(space.id, 'doc', sealedChange(space, bob, 'doc', 'refused')))).toBe('FORBIDDEN');
    expect(await outcome(bob.client.fileBegin(space.id, 'f', 10, 1024))).toBe('FORBIDDEN');
    expect(await outcome(bob.client.pull(space.id, 'doc', 0))).toBe('FORBIDDEN');
    const { changes } = await ann.client.pull(space.id, 'doc', 0);
    expect(changes.map((c) => fromUtf8(openChange(verifyChange(c.bytes), space.key)!))).toEqual(['allowed']);
  });

  it('let a member added through one instance act through another at once', async () => {
    const ann = await register(east.url, 'ann');
    const cat = await register(west.url, 'cat');
    const space = await createSpace(ann);
    // West has the space's roles cached without Cat…
    expect(await outcome(cat.client.pull(space.id, 'doc', 0))).toBe('FORBIDDEN');
    await cutListeners();
    await changeMembership(space, ann, 'add', cat, 'editor');
    // …and does not hear of the addition: a refusal reads the roles again before it refuses.
    expect(await outcome(cat.client.push(space.id, 'doc', sealedChange(space, cat, 'doc', 'welcome')))).toBe('ok');
  });

  it('deliver a change whose announcement was lost to a follower on another instance', async () => {
    const ann = await register(east.url, 'ann');
    const bob = await register(west.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    const atBob: string[] = [];
    await bob.client.subscribe(space.id, 'doc', ({ bytes }) => atBob.push(fromUtf8(openChange(verifyChange(bytes), space.key)!)));
    await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'heard'));
    await expect.poll(() => atBob).toEqual(['heard']);
    await cutListeners();
    await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'unannounced 1'));
    await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'unannounced 2'));
    await expect.poll(() => atBob, { timeout: 10_000 }).toEqual(['heard', 'unannounced 1', 'unannounced 2']);
  });

  it("hold an account's connection limit across instances", async () => {
    const [small1, small2] = await Promise.all([
      startTestRelay({ postgresUrl: url, limits: { connectionsPerAccount: 2 } }),
      startTestRelay({ postgresUrl: url, limits: { connectionsPerAccount: 2 } }),
    ]);
    try {
      const ann = await register(small1.url, 'ann');
      const second = await connect(small1.url);
      await second.signIn(ann.keys);
      const third = await connect(small2.url);
      await expect(third.signIn(ann.keys)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
      // Closing one on the first instance frees a place on the second.
      second.close();
      await expect
        .poll(() => outcome(connect(small2.url).then((c) => c.signIn(ann.keys).finally(() => c.close()))), { timeout: 10_000, interval: 100 })
        .toBe('ok');
      third.close();
    } finally {
      await small1.stop();
      await small2.stop();
    }
  });
});

/** A relay instance as its own process (the real CLI) on the shared database. */
async function spawnRelay(): Promise<{ child: ChildProcess; url: string }> {
  // --log-stdout: the listening line comes on stdout (by default the log goes to a daily file in the data folder).
  const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', '--port', '0', '--postgres', url, '--log-stdout'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { event: string; port?: number };
      if (entry.event === 'listening') resolve(`ws://127.0.0.1:${entry.port}/`);
    });
  });
  return { child, url: address };
}

describe('kill -9 of one instance under load', () => {
  it('loses no acknowledged edit: its clients reconnect to the other, and every peer ends with every edit', async () => {
    const [a, b] = await Promise.all([spawnRelay(), spawnRelay()]);
    const rooms = await setUpRooms(a.url, 40, 10, 'kill');
    const probe = newProbe();
    // Each room has clients on both instances (a load balancer's round robin).
    const clients = await connectRooms(rooms, probe, [a.url, b.url], { backoffMs: 100 });
    try {
      for (const client of clients) client.prepare(30);
      const typing = startTyping(clients, 6);
      probe.measuring = true;
      await sleep(1500);
      a.child.kill('SIGKILL');
      await sleep(1500);
      typing.stop();
      await expect.poll(() => clients.every((c) => c.connected && c.unacknowledged === 0), { timeout: 30_000, interval: 100 }).toBe(true);
      await expect.poll(() => missingEdits(rooms, clients, true).length, { timeout: 20_000, interval: 100 }).toBe(0);
      const acknowledged = clients.reduce((n, c) => n + c.acked.size, 0);
      const sorted = probe.latencies.sort((x, y) => x - y);
      console.log(
        `kill -9 under load: ${typing.typed()} edits typed, ${acknowledged} acknowledged, ${clients.filter((c) => c.reconnects > 0).length} clients moved; p99 ${percentile(sorted, 99).toFixed(0)} ms`,
      );
      expect(acknowledged).toBe(typing.typed());
      expect(clients.filter((c) => c.reconnects > 0).length).toBeGreaterThanOrEqual(20);
      // The survivors never reconnected or pulled: what they have came live, or from their instance's catch-up.
      expect(missingEdits(rooms, clients, false)).toEqual([]);
    } finally {
      for (const client of clients) client.close();
      b.child.kill('SIGKILL');
    }
  });
});
