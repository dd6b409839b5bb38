/**
 * Forgetting the edit history of the `automerge-paper` trace document (259,778 edits, one
 * Automerge change per edit): how long "Erase edit history" takes in a vault, the vault's bytes
 * afterwards beside a fresh vault holding only the final text, and opening the document
 * afterwards beside `Automerge.load` of a history-free save of the same text.
 *
 *   node --import tsx bench/history.ts
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadSodium } from '../common/crypto/sodium.ts';
import { buildGeneration } from '../common/history/generation.ts';
import { stateAt } from '../common/history/versions.ts';
import type { DocumentContent } from '../main/vault/documents.ts';
import { forgetHere } from '../main/vault/generations.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { Vault, VAULT_FILE_NAME } from '../main/vault/vault.ts';
import { machine, median, ms, type BenchSection } from './report.ts';

function ratio(hearth: number, peer: number): string {
  return `${(hearth / peer).toFixed(2)}x`;
}

const TRACE = new URL('../../shared/data/editing-traces/automerge-paper.json.gz', import.meta.url);
const RUNS = 3;

type Patch = [number, number, string];

/** The trace replayed as it was typed: one change per transaction. */
function traceDocument(): { doc: A.Doc<DocumentContent>; edits: number; end: string } {
  const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as { endContent: string; txns: Array<{ patches: Patch[] }> };
  let doc = A.from<DocumentContent>({ title: 'The paper', body: '', tags: [], createdAt: Date.now() });
  let edits = 0;
  for (const txn of trace.txns) {
    doc = A.change(doc, (d) => {
      for (const [pos, del, text] of txn.patches) A.splice(d, ['body'], pos, del, text);
    });
    edits += txn.patches.length;
  }
  if (doc.body !== trace.endContent) throw new Error('the trace did not replay to its end content');
  return { doc, edits, end: trace.endContent };
}

function vaultBytes(dir: string): number {
  const file = join(dir, VAULT_FILE_NAME);
  let total = statSync(file).size;
  for (const suffix of ['-wal']) {
    try {
      total += statSync(file + suffix).size;
    } catch {
      // no WAL
    }
  }
  return total;
}

async function newVault(root: string, name: string): Promise<Vault> {
  return Vault.create(join(root, name), { passphrase: 'bench passphrase', profile: { username: name, displayName: name }, kdfCost: MIN_KDF_COST });
}

export async function runHistoryBench(): Promise<BenchSection[]> {
  await loadSodium();
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-history-'));
  try {
    const { doc, edits, end } = traceDocument();
    const saved = A.save(doc);
    const forgetTimes: number[] = [];
    const openTimes: number[] = [];
    let after = 0;
    let before = 0;
    for (let run = 0; run < RUNS; run++) {
      const vault = await newVault(root, `forget-${run}`);
      const ws = vault.workspaces.list()[0]!.id;
      const id = `paper${run}`;
      vault.documents.adoptLoaded(ws, id, A.load(saved), { createdAt: Date.now(), updatedAt: Date.now() }, saved);
      vault.documents.get(id);
      before = vaultBytes(vault.dir);
      const started = performance.now();
      forgetHere(vault, id);
      forgetTimes.push(performance.now() - started);
      after = vaultBytes(vault.dir);
      if (vault.documents.get(id).body !== end) throw new Error('the text changed');
      const dir = vault.dir;
      vault.lock();
      const again = await Vault.unlock(dir, 'bench passphrase');
      const opened = performance.now();
      again.documents.get(id);
      openTimes.push(performance.now() - opened);
      again.lock();
    }
    // The peer: a fresh vault that holds only the final text (one document, no history).
    const fresh = await newVault(root, 'fresh');
    const freshDoc = buildGeneration<DocumentContent>(stateAt(doc), doc.createdAt);
    fresh.documents.adoptLoaded(fresh.workspaces.list()[0]!.id, 'paper', freshDoc, { createdAt: Date.now(), updatedAt: Date.now() });
    fresh.documents.scrub();
    const freshBytes = vaultBytes(fresh.dir);
    fresh.lock();
    const historyFree = A.save(A.from<{ body: string }>({ body: end }));
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      A.load(historyFree);
      loads.push(performance.now() - t);
    }
    const forget = median(forgetTimes);
    const open = median(openTimes);
    const load = median(loads);
    return [
      {
        title: 'Erase edit history (automerge-paper trace document)',
        peer: 'a fresh vault holding only the final text; Automerge.load of a history-free save',
        rows: [
          { name: `Erase the history of ${edits.toLocaleString('en')} edits (${end.length.toLocaleString('en')} chars)`, hearth: ms(forget), peer: '—', ratio: '—', goal: '< 2 s' },
          { name: 'Vault file + WAL bytes afterwards', hearth: `${(after / 1024).toFixed(0)} KiB (before: ${(before / 1024).toFixed(0)} KiB)`, peer: `${(freshBytes / 1024).toFixed(0)} KiB`, ratio: ratio(after, freshBytes), goal: '≤ 1.2x' },
          { name: 'Opening the document afterwards (unlocked vault, first read)', hearth: ms(open), peer: ms(load), ratio: ratio(open, load), goal: '—' },
        ],
        notes: [`Median of ${RUNS} runs on ${machine()}; the document's snapshot was ${(saved.length / 1024).toFixed(0)} KiB before.`],
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const section of await runHistoryBench()) console.log(JSON.stringify(section, null, 2));
}
