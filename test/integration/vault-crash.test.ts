// Crash safety: a writer killed with SIGKILL at random moments never leaves a vault that will not
// open, and every write it acknowledged is there afterwards.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Vault } from '../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE } from '../support/vault.ts';

const KILLS = Number(process.env.HEARTH_CRASH_KILLS ?? 20);

/** Starts the writer, lets it run for `runMs` after its first ack, kills it, returns the acks. */
function runAndKill(dir: string, start: number, runMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/crash-writer.ts', dir, PASSPHRASE, String(start)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: number[] = [];
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) acks.push(Number(line.slice(4)));
      timer ??= setTimeout(() => child.kill('SIGKILL'), runMs);
    });
    child.stderr.on('data', (text: Buffer) => (stderr += text.toString()));
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`writer exited on its own: ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs mid-write with every acknowledged write intact`, async () => {
    const setup = await createTestVault();
    const dir = setup.dir;
    setup.lock();
    let next = 1;
    const acknowledged: number[] = [];
    // A fixed sequence of kill moments, so a failure can be replayed.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < KILLS; round++) {
      const acks = await runAndKill(dir, next, 5 + Math.floor(random() * 250));
      expect(acks.length).toBeGreaterThan(0);
      acknowledged.push(...acks);
      next = acks.at(-1)! + 1;

      const vault = await Vault.unlock(dir, PASSPHRASE);
      try {
        const docs = vault.documents.list(vault.workspaces.list()[0]!.id);
        const titles = new Set(docs.map((d) => d.title));
        let bodies = '';
        let comments = '';
        for (const d of docs) {
          bodies += vault.documents.get(d.id).body;
          comments += vault.comments
            .records(d.id)
            .map((c) => `${c.text}|`)
            .join('');
        }
        const missing = acks.filter((n) =>
          n % 50 === 0 ? !titles.has(`doc ${n}`) : n % 7 === 0 ? !comments.includes(`comment ${n}|`) : !bodies.includes(`w${n};`),
        );
        expect(missing, `round ${round}`).toEqual([]);
      } finally {
        vault.lock();
      }
    }
    expect(acknowledged.length).toBeGreaterThan(KILLS);
  }, 240_000);
});
