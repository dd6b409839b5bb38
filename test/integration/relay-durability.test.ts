// Durability: the relay is killed with SIGKILL while a client pushes as fast as it can (20
// pushes in flight) and another types one change at a time (each checked inline on the relay's
// main thread and committed at once, the quiet path); after a restart on the same folder, every
// change it acknowledged is there, with the sequence number it was given, and so is every change
// a follower was sent (fan-out comes only after the commit that holds the change, which happens
// on another thread).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { loadSodium, newId, randomKey, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { sealChange } from '../../common/protocol/change.ts';
import { connect } from './relay-fixture.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'hearth-relay-kill-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the relay as its own process (the real CLI) and resolves with its WebSocket address. */
async function spawnRelay(): Promise<{ child: ChildProcess; url: string }> {
  // --log-stdout: the listening line comes on stdout (by default the log goes to a daily file in the data folder).
  const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', '--port', '0', '--data', dataDir, '--log-stdout'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { event: string; port?: number };
      if (entry.event === 'listening') resolve(`ws://127.0.0.1:${entry.port}/`);
    });
  });
  return { child, url };
}

describe('durability', () => {
  it('keeps every acknowledged change across three SIGKILLs mid-push', async () => {
    await loadSodium();
    const keys = generateIdentityKeys();
    const me = toBase64Url(keys.signPublicKey);
    const key = randomKey();
    const acked = new Map<number, Uint8Array>(); // seq → the change blob the relay acknowledged
    const delivered = new Map<number, Uint8Array>(); // seq → the change blob a follower was sent
    let space = '';
    let head = '';
    let typedAcked = 0; // of them, the changes pushed one at a time

    for (let round = 0; round < 3; round++) {
      const { child, url } = await spawnRelay();
      const client = await connect(url);
      if (round === 0) {
        await client.register(keys, { username: `durable-${process.pid}`, displayName: 'Durable' });
        space = newId();
        head = (await client.createSpace(keys, space, 'workspace')).head!;
      }
      // A second connection of the same account follows the document and keeps what it is sent.
      const follower = await connect(url);
      await follower.signIn(keys);
      await follower.subscribe(space, 'doc', ({ seq, bytes }) => delivered.set(seq, bytes));
      if (round > 0) {
        await client.signIn(keys);
        // Everything acknowledged before the last kill is still there, under the same seq.
        const { changes } = await client.pullAll(space, 'doc', 0);
        const stored = new Map(changes.map((c) => [c.seq, Buffer.from(c.bytes)]));
        const lost = [...acked].filter(([seq, bytes]) => !stored.get(seq)?.equals(bytes)).map(([seq]) => seq);
        expect(lost, `acknowledged changes lost after kill ${round}`).toEqual([]);
      }
      let stop = false;
      let inFlight = 0;
      const pushes: Promise<void>[] = [];
      // The typist: a third connection of the account, one push at a time, a few milliseconds apart.
      const typist = await connect(url);
      await typist.signIn(keys);
      const typing = (async () => {
        while (!stop) {
          const change = sealChange(
            { space, doc: 'doc', kind: 'content', epoch: 0, head, author: me, id: newId(), at: Date.now() },
            utf8(`typed-${round}-${newId()}`),
            key,
            keys.signSecretKey,
          );
          try {
            acked.set(await typist.push(space, 'doc', change), change);
            typedAcked++;
          } catch {
            return; // the relay was killed
          }
          await new Promise((resolve) => setTimeout(resolve, 3));
        }
      })();
      const killAt = acked.size + 100 + Math.floor(Math.random() * 100);
      await new Promise<void>((resolve) => {
        const pump = () => {
          while (!stop && inFlight < 20) {
            const text = `text-${round}-${newId()}`;
            const change = sealChange(
              { space, doc: 'doc', kind: 'content', epoch: 0, head, author: me, id: newId(), at: Date.now() },
              utf8(text),
              key,
              keys.signSecretKey,
            );
            inFlight++;
            pushes.push(
              client.push(space, 'doc', change).then(
                (seq) => {
                  inFlight--;
                  acked.set(seq, change);
                  if (acked.size >= killAt && !stop) {
                    stop = true;
                    child.kill('SIGKILL');
                    resolve();
                  }
                  pump();
                },
                () => {
                  inFlight--;
                },
              ),
            );
          }
        };
        pump();
      });
      await Promise.allSettled([...pushes, typing]);
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve(undefined) : child.once('exit', resolve)));
    }

    const { child, url } = await spawnRelay();
    const client = await connect(url);
    await client.signIn(keys);
    const { changes, latest } = await client.pullAll(space, 'doc', 0);
    const stored = new Map(changes.map((c) => [c.seq, Buffer.from(c.bytes)]));
    const lost = [...acked].filter(([seq, bytes]) => !stored.get(seq)?.equals(bytes)).map(([seq]) => seq);
    expect(lost).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(300);
    expect(typedAcked).toBeGreaterThan(0);
    const lostAfterDelivery = [...delivered].filter(([seq, bytes]) => !stored.get(seq)?.equals(Buffer.from(bytes))).map(([seq]) => seq);
    expect(lostAfterDelivery).toEqual([]);
    expect(delivered.size).toBeGreaterThanOrEqual(300);
    // Sequence numbers stay dense: nothing was assigned twice or skipped across the crashes.
    expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    client.close();
    child.kill('SIGTERM');
  });
});
