/**
 * Forgetting the edit history of the `automerge-paper` trace document (259,778 edits, one
 * Automerge change per edit): how long "Erase edit history" takes in a vault, the vault's bytes
 * afterwards beside a fresh vault holding only the final text, and opening the document
 * afterwards beside `Automerge.load` of a history-free save of the same text.
 *
 *   npm run bench -- --only history      (or node --import tsx bench/history.ts: 3 runs, printed)
 */
import * as A from '@automerge/automerge';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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
import { goals, measureSection, renderSection, type BenchOptions, type SectionPlan } from './harness.ts';

const TRACE = new URL('../../shared/data/editing-traces/automerge-paper.json.gz', import.meta.url);

type Patch = [number, number, string];

/** The trace replayed as it was typed: one change per transaction. */
function traceDocument(limit?: number): { doc: A.Doc<DocumentContent>; edits: number; end: string } {
  const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as { endContent: string; txns: Array<{ patches: Patch[] }> };
  let doc = A.from<DocumentContent>({ title: 'The paper', body: '', tags: [], createdAt: Date.now() });
  let edits = 0;
  const txns = limit === undefined ? trace.txns : trace.txns.slice(0, limit);
  for (const txn of txns) {
    doc = A.change(doc, (d) => {
      for (const [pos, del, text] of txn.patches) A.splice(d, ['body'], pos, del, text);
    });
    edits += txn.patches.length;
  }
  if (limit === undefined && doc.body !== trace.endContent) throw new Error('the trace did not replay to its end content');
  return { doc, edits, end: doc.body };
}

function vaultBytes(dir: string): number {
  const file = join(dir, VAULT_FILE_NAME);
  return statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
}

async function newVault(root: string, name: string): Promise<Vault> {
  return Vault.create(join(root, name), { passphrase: 'bench passphrase', profile: { username: name, displayName: name }, kdfCost: MIN_KDF_COST });
}

/** The section for bench/run.ts: Hearth erases the trace document's history; the peers hold only its final text. */
export async function historyPlans(options: BenchOptions): Promise<SectionPlan[]> {
  await loadSodium();
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-history-'));
  const { doc, edits, end } = traceDocument(options.quick ? 20_000 : undefined);
  const saved = A.save(doc);
  const historyFree = A.save(A.from<{ body: string }>({ body: end }));
  return [
    {
      title: 'Erase edit history (automerge-paper trace document)',
      peer: 'a fresh vault holding only the final text; Automerge.load of a history-free save',
      contenders: {
        async hearth(round) {
          const vault = await newVault(root, `forget-${round}`);
          const id = `paper${round}`;
          vault.documents.adoptLoaded(vault.workspaces.list()[0]!.id, id, A.load(saved), { createdAt: Date.now(), updatedAt: Date.now() }, saved);
          vault.documents.get(id);
          const started = performance.now();
          forgetHere(vault, id);
          const forgetMs = performance.now() - started;
          const bytes = vaultBytes(vault.dir);
          if (vault.documents.get(id).body !== end) throw new Error('the text changed');
          const dir = vault.dir;
          vault.lock();
          const again = await Vault.unlock(dir, 'bench passphrase');
          const opened = performance.now();
          again.documents.get(id);
          const openMs = performance.now() - opened;
          again.lock();
          rmSync(dir, { recursive: true, force: true });
          return { forgetMs, bytes, openMs };
        },
        async peer(round) {
          const fresh = await newVault(root, `fresh-${round}`);
          const freshDoc = buildGeneration<DocumentContent>(stateAt(doc), doc.createdAt);
          fresh.documents.adoptLoaded(fresh.workspaces.list()[0]!.id, 'paper', freshDoc, { createdAt: Date.now(), updatedAt: Date.now() });
          fresh.documents.scrub();
          const bytes = vaultBytes(fresh.dir);
          fresh.lock();
          rmSync(join(root, `fresh-${round}`), { recursive: true, force: true });
          const loaded = performance.now();
          A.load(historyFree);
          return { bytes, openMs: performance.now() - loaded };
        },
      },
      rows: [
        {
          name: `erase the history of ${edits.toLocaleString('en')} edits (${end.length.toLocaleString('en')} chars)`,
          hearth: { contender: 'hearth', metric: 'forgetMs', unit: 'ms' },
          goal: goals.below(2000),
        },
        {
          name: 'vault file + WAL afterwards',
          hearth: { contender: 'hearth', metric: 'bytes', unit: 'KiB' },
          peer: { contender: 'peer', metric: 'bytes', unit: 'KiB' },
          goal: goals.ratioAtMost(1.2),
        },
        {
          name: 'open the document afterwards',
          hearth: { contender: 'hearth', metric: 'openMs', unit: 'ms' },
          peer: { contender: 'peer', metric: 'openMs', unit: 'ms' },
          goal: goals.report('—'),
        },
      ],
      notes: [`The trace replayed as typed, one change per transaction; its snapshot was ${(saved.length / 1024).toFixed(0)} KiB before.`],
      teardown: () => rmSync(root, { recursive: true, force: true }),
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options: BenchOptions = { runs: 3, quick: false };
  for (const plan of await historyPlans(options)) console.log(renderSection(await measureSection(plan, options)));
}
