/**
 * The two write figures the multi-process vault must not slow down, measured alone and repeated
 * so a change can be compared before/after: the 100-row transaction (as in bench/vault.ts) and
 * keystroke to saved, through both write paths (documents.change, and the editor's
 * appendChanges). `node --import tsx bench/vault-writes.ts [runs]` prints each run and the
 * median with min–max over the runs; HEARTH_BENCH_EDITS sets how many trace edits a run replays.
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { useNativeCrypto } from '../main/native-crypto.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { Vault } from '../main/vault/vault.ts';
import { median, ms, percentile, timeOnce } from './harness.ts';

/** The median of `runs` timed calls of `fn`, after `warmup` untimed ones. */
function timeMedian(fn: () => void, runs: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  return median(Array.from({ length: runs }, () => timeOnce(fn)));
}

type Patch = [pos: number, del: number, text: string];
const TRACE = new URL('../../shared/data/editing-traces/automerge-paper.json.gz', import.meta.url);

interface RunFigures {
  transaction100: number;
  changeMedian: number;
  changeP99: number;
  appendMedian: number;
  appendP99: number;
}

async function newVault(root: string, name: string): Promise<Vault> {
  return Vault.create(join(root, name), { passphrase: 'bench passphrase', profile: { username: 'bench', displayName: 'Bench' }, kdfCost: MIN_KDF_COST });
}

async function oneRun(root: string, patches: Patch[]): Promise<RunFigures> {
  const records = await newVault(root, `records-${Math.random()}`);
  const ws = records.workspaces.list()[0]!;
  const target = records.documents.create(ws.id, { title: 'comments' });
  const text = 'A comment of ordinary length, about a sentence or two long.';
  const transaction100 = timeMedian(
    () =>
      records.transaction(() => {
        for (let i = 0; i < 100; i++) records.comments.add(target.id, { text });
      }),
    21,
    3,
  );
  records.lock();

  const vault = await newVault(root, `trace-${Math.random()}`);
  const workspaceId = vault.workspaces.list()[0]!.id;
  const viaChange = vault.documents.create(workspaceId, { title: 'change' });
  const changeTimes: number[] = [];
  for (const [pos, del, insert] of patches) {
    const start = performance.now();
    vault.documents.change(viaChange.id, (d) => A.splice(d, ['body'], pos, del, insert));
    changeTimes.push(performance.now() - start);
  }
  // The editor's path: the page's replica makes the change, main persists its bytes.
  const viaAppend = vault.documents.create(workspaceId, { title: 'append' });
  let replica = A.load<{ body: string }>(vault.documents.save(viaAppend.id));
  const appendTimes: number[] = [];
  for (const [pos, del, insert] of patches) {
    replica = A.change(replica, (d) => A.splice(d, ['body'], pos, del, insert));
    const change = A.getLastLocalChange(replica)!;
    const start = performance.now();
    vault.documents.appendChanges(viaAppend.id, [change]);
    appendTimes.push(performance.now() - start);
  }
  vault.lock();
  changeTimes.sort((a, b) => a - b);
  appendTimes.sort((a, b) => a - b);
  return {
    transaction100,
    changeMedian: percentile(changeTimes, 50),
    changeP99: percentile(changeTimes, 99),
    appendMedian: percentile(appendTimes, 50),
    appendP99: percentile(appendTimes, 99),
  };
}

function spread(values: number[]): string {
  return `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
}

// As the app's Node side does: crypto through sodium-native.
const crypto = useNativeCrypto();
if (crypto.fallbackReason) console.error(`sodium-native did not load (${crypto.fallbackReason})`);
const runs = Number(process.argv[2] ?? 5);
const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as { txns: Array<{ patches: Patch[] }> };
const patches = trace.txns.flatMap((t) => t.patches).slice(0, Number(process.env.HEARTH_BENCH_EDITS ?? 20_000));
const root = mkdtempSync(join(tmpdir(), 'hearth-bench-writes-'));
const all: RunFigures[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const figures = await oneRun(root, patches);
    all.push(figures);
    console.error(`run ${run + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(4))])))}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const pick = (key: keyof RunFigures) => spread(all.map((f) => f[key]));
console.log(`${runs} runs, ${patches.length} trace edits each; median (min–max) over runs`);
console.log(`100-row transaction:                    ${pick('transaction100')}`);
console.log(`keystroke to saved, change() median:    ${pick('changeMedian')}`);
console.log(`keystroke to saved, change() p99:       ${pick('changeP99')}`);
console.log(`keystroke to saved, appendChanges median: ${pick('appendMedian')}`);
console.log(`keystroke to saved, appendChanges p99:    ${pick('appendP99')}`);
