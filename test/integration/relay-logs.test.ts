// The relay's own records (issue 11, item 6 and 7; S9): its log names no account and nothing that
// links a line to one (a sign-in carries a pseudonym that changes every day; the deletion of an
// account carries nothing of its caller), its daily log files are deleted after the retention, its
// right-of-access answer says what the logs hold, and a deleted file's chunks leave the database
// file and its WAL.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../common/crypto/sodium.ts';
import { filesUnder } from '../support/vault.ts';
import { connect, createSpace, register, startTestRelay, type TestRelay } from './relay-fixture.ts';

const DAY = 24 * 3600 * 1000;
let relay: TestRelay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

/** A relay whose clock the test moves, logging into its default daily files. */
async function relayWithClock(logDays?: number): Promise<{ relay: TestRelay; clock: { at: number }; lines: () => Array<Record<string, unknown>> }> {
  const clock = { at: Date.UTC(2030, 0, 10, 12) };
  const started = await startTestRelay({ log: undefined, now: () => clock.at, ...(logDays ? { logDays } : {}) });
  const lines = () =>
    readdirSync(join(started.dataDir, 'logs'))
      .flatMap((name) => readFileSync(join(started.dataDir, 'logs', name), 'utf8').split('\n'))
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { relay: started, clock, lines };
}

describe('the relay log', () => {
  it('names no account: a pseudonym per caller and day, none on the deletion line, nothing to link them', async () => {
    const started = await relayWithClock();
    relay = started.relay;
    const ann = await register(relay.url, 'ann');
    const bob = await register(relay.url, 'bob');
    const signIn = async (person: typeof ann) => {
      const client = await connect(relay!.url);
      await client.signIn(person.keys);
      return client;
    };
    (await signIn(ann)).close();
    started.clock.at += DAY;
    const annTomorrow = await signIn(ann);
    await annTomorrow.deleteAccount();
    annTomorrow.close();
    ann.client.close();
    bob.client.close();

    const lines = started.lines();
    const text = JSON.stringify(lines);
    // The control: the log does hold the sign-ins and the deletion.
    expect(lines.filter((l) => l.event === 'signed_in')).toHaveLength(2);
    expect(lines.filter((l) => l.event === 'registered')).toHaveLength(2);
    for (const secret of [ann.id, bob.id, ann.username, bob.username, ann.keys.boxPublicKey])
      expect(text).not.toContain(typeof secret === 'string' ? secret : Buffer.from(secret).toString('base64url'));
    const callers = (event: string) => lines.filter((l) => l.event === event).map((l) => l.caller);
    const [annRegistered, bobRegistered] = callers('registered');
    const [annToday, annNextDay] = callers('signed_in');
    expect(annToday).toBe(annRegistered); // one caller, one day: one pseudonym
    expect(bobRegistered).not.toBe(annRegistered);
    expect(annNextDay).not.toBe(annToday); // the next day's key is another
    const deletion = lines.find((l) => l.event === 'account_deleted')!;
    expect(Object.keys(deletion).sort()).toEqual(['at', 'event', 'level', 'purgeWindowMs', 'spacesDeleted']);
  });

  it('keeps one file per day and deletes the ones past the retention', async () => {
    const started = await relayWithClock(2);
    relay = started.relay;
    const dir = join(relay.dataDir, 'logs');
    const day = (offset: number) => new Date(Date.UTC(2030, 0, 10 + offset)).toISOString().slice(0, 10);
    for (let offset = 0; offset < 3; offset++) {
      if (offset > 0) started.clock.at += DAY;
      const person = await register(relay.url, `day${offset}`);
      person.client.close();
    }
    expect(readdirSync(dir).sort()).toEqual([`relay-${day(1)}.log`, `relay-${day(2)}.log`]);
    expect(existsSync(join(dir, `relay-${day(0)}.log`))).toBe(false);
  });

  it('says in the right-of-access answer what the logs hold and for how long', async () => {
    relay = await startTestRelay({ logDays: 7 });
    const ann = await register(relay.url, 'ann');
    const report = await ann.client.access();
    expect(report.report.logs).toEqual({ retentionDays: 7, holds: expect.stringMatching(/never your account id/i) });
    ann.client.close();
  });
});

describe('file deletion at the relay', () => {
  it("scrubs: the chunks' ciphertext is in the database or its WAL before, in neither after", async () => {
    relay = await startTestRelay();
    const owner = await register(relay.url, 'owner');
    const space = await createSpace(owner);
    const chunk = randomBytes(4096);
    await owner.client.fileBegin(space.id, 'file0', chunk.length, 4096);
    await owner.client.fileChunk(space.id, 'file0', 0, chunk);
    const piece = Buffer.from(chunk.subarray(1000, 1064));
    const stored = () => Buffer.concat(filesUnder(relay!.dataDir).map((f) => readFileSync(f)));
    expect(stored().includes(piece)).toBe(true);
    await owner.client.fileDelete(space.id, 'file0');
    expect(stored().includes(piece)).toBe(false);
    owner.client.close();
  });
});
