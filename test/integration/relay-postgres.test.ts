// Scale-out: two relay processes' worth of relays on one PostgreSQL. A client on each sees the
// other's changes live (LISTEN/NOTIFY), and a membership change made through one instance is
// enforced by the other.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8, newId, randomKey, seal, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { nextEntry, signMembershipEntry } from '../../common/membership/log.ts';
import { envelopeSender } from '../../common/protocol/envelope.ts';
import { sealLink } from '../../common/protocol/link.ts';
import { openPresence, sealPresence } from '../../common/protocol/presence.ts';
import { openChange, verifyChange } from '../../common/protocol/change.ts';
import { startPostgres, type PostgresServer } from '../unit/sync-server/postgres-server.ts';
import {
  changeMembership,
  connect,
  createSpace,
  envelopeFor,
  outcome,
  register,
  sealedChange,
  startTestRelay,
  type Person,
  type TestRelay,
} from './relay-fixture.ts';

let server: PostgresServer;
let east: TestRelay;
let west: TestRelay;
beforeAll(async () => {
  server = await startPostgres();
  const url = await server.createDatabase('relay_pair');
  [east, west] = await Promise.all([startTestRelay({ postgresUrl: url }), startTestRelay({ postgresUrl: url })]);
});
afterAll(async () => {
  await east?.stop();
  await west?.stop();
  await server?.stop();
});

describe('two relay instances on one PostgreSQL', () => {
  it('are one relay to clients: same id, shared accounts', async () => {
    expect(east.relayId).toBe(west.relayId);
    const ann = await register(east.url, 'ann');
    const elsewhere = await connect(west.url);
    await elsewhere.signIn(ann.keys);
    expect((await elsewhere.lookup(ann.username)).account).toBe(ann.id);
    elsewhere.close();
  });

  it('deliver a change pushed on one instance live to a subscriber on the other, both ways', async () => {
    const ann = await register(east.url, 'ann');
    const bob = await register(west.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    const atBob: string[] = [];
    const atAnn: string[] = [];
    await bob.client.subscribe(space.id, 'doc', ({ bytes }) => atBob.push(fromUtf8(openChange(verifyChange(bytes), space.key)!)));
    await ann.client.subscribe(space.id, 'doc', ({ bytes }) => atAnn.push(fromUtf8(openChange(verifyChange(bytes), space.key)!)));
    const started = Date.now();
    await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'from east'));
    await expect.poll(() => atBob, { timeout: 5000, interval: 5 }).toEqual(['from east']);
    const latency = Date.now() - started;
    await bob.client.push(space.id, 'doc', sealedChange(space, bob, 'doc', 'from west'));
    await expect.poll(() => atAnn, { timeout: 5000, interval: 5 }).toEqual(['from west']);
    expect(latency).toBeLessThan(2000);
    const everything = await bob.client.pull(space.id, 'doc', 0);
    expect(everything.changes.map((c) => c.seq)).toEqual([1, 2]);
  });

  it('enforce on one instance a removal made on the other', async () => {
    const ann = await register(east.url, 'ann');
    const bob = await register(west.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    expect(await outcome(bob.client.push(space.id, 'doc', sealedChange(space, bob, 'doc', 'allowed')))).toBe('ok');
    await changeMembership(space, ann, 'remove', bob, null);
    await expect.poll(() => outcome(bob.client.pull(space.id, 'doc', 0)), { timeout: 5000, interval: 20 }).toBe('FORBIDDEN');
    expect(await outcome(bob.client.push(space.id, 'doc', sealedChange(space, bob, 'doc', 'refused')))).toBe('FORBIDDEN');
  });

  it('tell a member following the space on the other instance that its membership or keys changed', async () => {
    const ann = await register(east.url, 'ann');
    const bob = await register(west.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    await bob.client.subscribe(space.id, 'doc', () => undefined);
    const heard: string[] = [];
    bob.client.onMembershipChanged((changed) => heard.push(changed));
    // Each change must reach Bob on the other instance. A frame more is allowed: an instance
    // whose listening connection dropped (a loaded machine) resyncs and tells every follower.
    await changeMembership(space, ann, 'change_role', bob, 'commenter');
    await expect.poll(() => heard.length, { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(1);
    const afterRole = heard.length;
    await ann.client.putEnvelopes(space.id, 0, [envelopeFor(space, ann, bob)]);
    await expect.poll(() => heard.length, { timeout: 5000, interval: 10 }).toBeGreaterThan(afterRole);
    expect(new Set(heard)).toEqual(new Set([space.id]));
  });

  it('let only one of two removals made at once through different instances start the next key epoch', async () => {
    const ann = await register(east.url, 'ann');
    const ada = await register(west.url, 'ada');
    const [xan, yul] = [await register(east.url, 'xan'), await register(west.url, 'yul')];
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', ada, 'admin');
    await changeMembership(space, ann, 'add', xan, 'editor');
    await changeMembership(space, ann, 'add', yul, 'editor');
    const removal = (actor: Person, subject: Person, keep: Person[]) => {
      const entry = signMembershipEntry(
        nextEntry(space.state, { actor: actor.id, action: 'remove', subject: subject.id, role: null }),
        actor.keys.signSecretKey,
      );
      const key = randomKey();
      return actor.client.appendMembership(entry, { epoch: 1, sealed: keep.map((p) => envelopeFor(space, actor, p, 1, key)) });
    };
    const results = await Promise.all([outcome(removal(ann, xan, [ann, ada, yul])), outcome(removal(ada, yul, [ann, ada, xan]))]);
    expect([...results].sort()).toEqual(['CONFLICT', 'ok']);
    const winner = results[0] === 'ok' ? ann : ada;
    const rows = await east.store.driver.all('SELECT recipient, sealed FROM envelopes WHERE space = ? AND epoch = 1', [space.id]);
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(envelopeSender(new Uint8Array(row.sealed as Buffer), { space: space.id, epoch: 1, recipient: row.recipient as string })).toBe(winner.id);
    expect((await ann.client.getMembership(space.id)).length).toBe(5);
  });

  it('carry presence between instances (and that a sender went away), storing none of it', async () => {
    const ann = await register(east.url, 'ann');
    const bob = await register(west.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    const atBob: Array<{ from: string; payload: Uint8Array | undefined }> = [];
    await bob.client.subscribe(space.id, 'doc', () => undefined);
    bob.client.onPresence(({ from, payload }) => atBob.push({ from, payload }));
    const payload = sealPresence({ space: space.id, doc: 'doc', epoch: 0 }, { account: ann.id, selection: { from: 1, to: 3 }, at: Date.now() }, space.key);
    await ann.client.sendPresence(space.id, 'doc', payload);
    await expect.poll(() => atBob.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(atBob[0]!.from).toBe(ann.id);
    expect(openPresence(atBob[0]!.payload!, { space: space.id, doc: 'doc', from: ann.id }, () => space.key)?.selection).toEqual({ from: 1, to: 3 });
    ann.client.close();
    await expect.poll(() => atBob.length, { timeout: 5000, interval: 10 }).toBe(2);
    expect(atBob[1]).toEqual({ from: ann.id, payload: undefined });
    await server.admin('CHECKPOINT');
    const tail = Buffer.from(payload.subarray(payload.length - 24));
    const stored = Buffer.concat(filesUnder(server.dataDir).map((f) => readFileSync(f)));
    expect(stored.includes(tail)).toBe(false);
    expect(stored.includes(Buffer.from(toBase64Url(payload.subarray(payload.length - 24))))).toBe(false);
  });

  it('never fork the sequence: concurrent pushes through both instances get distinct, dense numbers', async () => {
    const ann = await register(east.url, 'ann');
    const bob = await register(west.url, 'bob');
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    const seqs = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', `a${i}`))),
      ...Array.from({ length: 30 }, (_, i) => bob.client.push(space.id, 'doc', sealedChange(space, bob, 'doc', `b${i}`))),
    ]);
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('S1 on PostgreSQL', () => {
  it('stores no marker in clear in the database files or the WAL', async () => {
    const marker = `MARKER-pg-${newId()}`;
    const ann = await register(east.url, 'ann');
    const space = await createSpace(ann);
    for (let i = 0; i < 5; i++) await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', `${marker} body ${i}`));
    await ann.client.putSnapshot(space.id, 'doc', 2, sealedChange(space, ann, 'doc', `${marker} snapshot`, 'snapshot'));
    const file = seal(space.key, utf8(marker.repeat(20)), utf8('file'));
    await ann.client.fileBegin(space.id, 'f', file.length, 4096);
    await ann.client.fileChunk(space.id, 'f', 0, file);
    const link = newId();
    await ann.client.linkCreate(space.id, link, (await sealLink(link, { title: marker, text: marker })).ciphertext);
    await ann.client.putEnvelopes(space.id, 0, [envelopeFor(space, ann, ann)]);
    await server.admin('CHECKPOINT');
    const stored = Buffer.concat([...filesUnder(server.dataDir).map((f) => readFileSync(f)), Buffer.from([...east.logLines, ...west.logLines].join('\n'))]);
    expect(stored.includes(ann.username)).toBe(true); // the scan sees what the relay stored
    expect(stored.includes(Buffer.from(marker))).toBe(false);
    expect(stored.includes(Buffer.from(marker, 'utf16le'))).toBe(false);
  });
});
