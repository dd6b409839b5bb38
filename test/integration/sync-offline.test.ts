// Offline edits survive a SIGKILL: a client edits with its relay unreachable, is killed mid-way,
// and on the next start its outbox (and anything persisted but not yet queued) goes out; both
// sides converge with every acknowledged edit, while the other side kept editing meanwhile.
import * as A from '@automerge/automerge';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../main/sync/engine.ts';
import { Vault } from '../../main/vault/vault.ts';
import { PASSPHRASE } from '../support/vault.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { bodyOf, closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
let ann: Peer;
let bob: Peer;
beforeAll(async () => {
  relay = await startTestRelay();
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
});
afterAll(async () => {
  for (const peer of [ann, bob]) if (peer) await closePeer(peer);
  await relay?.stop();
});

/** An address where nothing listens: connections are refused at once. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `ws://127.0.0.1:${port}/`;
}

function runWriterAndKill(dir: string, documentId: string, deadUrl: string, acksBeforeKill: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/sync-offline-writer.ts', dir, PASSPHRASE, documentId, deadUrl], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: number[] = [];
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) acks.push(Number(line.slice(4)));
      if (acks.length >= acksBeforeKill) child.kill('SIGKILL');
    });
    child.stderr.on('data', (text: Buffer) => (stderr += text.toString()));
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(acks) : reject(new Error(`writer exited on its own: ${stderr}`))));
  });
}

describe('offline edits and SIGKILL', () => {
  it('an offline client killed mid-edit converges with every acknowledged edit on the next start', { timeout: 120_000 }, async () => {
    const workspace = await ann.engine.createTeamWorkspace('Field notes', relay.url);
    await ann.engine.invite(workspace.id, bob.vault.profile.username, 'editor');
    await bob.engine.acceptInvitation(workspace.id);
    const id = ann.vault.documents.create(workspace.id, { title: 'Log', init: (d) => A.updateText(d, ['body'], 'start') }).id;
    await ann.engine.syncOnce();
    await bob.engine.syncOnce();
    expect(bodyOf(bob, id)).toBe('start');

    // Bob goes offline in another process, edits, and is killed; Ann keeps editing online.
    await closePeer(bob);
    const writer = runWriterAndKill(bob.dir, id, await deadAddress(), 150);
    for (let i = 0; i < 20; i++) {
      ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, `a${i} `));
      await ann.engine.syncOnce();
    }
    const acks = await writer;
    expect(acks.length).toBeGreaterThanOrEqual(150);

    const vault = await Vault.unlock(bob.dir, PASSPHRASE);
    bob = { ...bob, vault, engine: new SyncEngine(vault) };
    expect(bob.engine.status(workspace.id)[0]!.pending).toBeGreaterThan(0);
    await bob.engine.syncOnce();
    await ann.engine.syncOnce();
    expect(bodyOf(ann, id)).toBe(bodyOf(bob, id));
    const body = bodyOf(ann, id);
    for (const i of acks) expect(body).toContain(` w${i}`);
    for (let i = 0; i < 20; i++) expect(body).toContain(`a${i} `);
    expect(bob.engine.status(workspace.id)[0]).toMatchObject({ state: 'synced', pending: 0, quarantined: 0 });
  });
});
