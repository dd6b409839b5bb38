/**
 * Export and import at scale: 10,000 documents and 1 GB of files, beside copying the same bytes
 * with plain file-system calls (the floor any export must pay), with peak memory sampled.
 */
import * as A from '@automerge/automerge';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { exportVault } from '../main/portability/export.ts';
import { importPath } from '../main/portability/import.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { Vault } from '../main/vault/vault.ts';
import { goals, type BenchOptions, type SectionPlan } from './harness.ts';

function peakRss(): { stop: () => number } {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss) - base;
    },
  };
}

export async function portabilityPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const documents = options.quick ? 500 : 10_000;
  const fileBytes = (options.quick ? 32 : 1024) * 1024 * 1024;
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-portability-'));
  const profile = { username: 'bench', displayName: 'Bench' };
  let vault: Vault;
  let docsVault: Vault;
  let workspaceId = '';
  const fresh = (name: string, round: number) => join(root, `${name}-${round}`);
  const memoryLimit = Math.max(fileBytes / 8, 64 * 1024 ** 2);
  return [
    {
      title: `Export and import: ${documents.toLocaleString('en')} documents and ${fileBytes / 1024 ** 2} MiB of files`,
      peer: 'copying the same file bytes with plain Node streams (no crypto, no vault)',
      async setup() {
        vault = await Vault.create(join(root, 'source'), { passphrase: 'bench passphrase', profile, kdfCost: MIN_KDF_COST });
        workspaceId = vault.workspaces.list()[0]!.id;
        vault.transaction(() => {
          for (let i = 0; i < documents; i++) {
            vault.documents.create(workspaceId, {
              title: `Note ${i}`,
              tags: ['bench'],
              init: (d) => A.splice(d, ['body'], 0, 0, `Body of note ${i}. `.repeat(20)),
            });
          }
        });
        // Eight files from a pattern, streamed in.
        const piece = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
        const perFile = fileBytes / 8;
        for (let f = 0; f < 8; f++) {
          await vault.files.add(workspaceId, {
            name: `blob-${f}.bin`,
            source: (function* () {
              for (let sent = 0; sent < perFile; sent += piece.length) yield piece;
            })(),
          });
        }
        // The documents alone: a vault with the same documents and no files.
        docsVault = await Vault.create(join(root, 'docs-only'), { passphrase: 'bench passphrase', profile, kdfCost: MIN_KDF_COST });
        const docsWs = docsVault.workspaces.list()[0]!;
        docsVault.transaction(() => {
          for (let i = 0; i < documents; i++)
            docsVault.documents.create(docsWs.id, { title: `Note ${i}`, init: (d) => A.splice(d, ['body'], 0, 0, `Body of note ${i}. `.repeat(20)) });
        });
      },
      teardown() {
        vault.lock();
        docsVault.lock();
        rmSync(root, { recursive: true, force: true });
      },
      contenders: {
        async hearth(round) {
          const out = fresh('export-all', round);
          let memory = peakRss();
          let start = performance.now();
          await exportVault(vault, out);
          const exportAll = performance.now() - start;
          const exportPeak = memory.stop();
          const target = await Vault.create(fresh('target', round), {
            passphrase: 'bench passphrase',
            profile,
            kdfCost: MIN_KDF_COST,
            personalWorkspace: false,
          });
          memory = peakRss();
          start = performance.now();
          await importPath(target, out);
          const importAll = performance.now() - start;
          const importPeak = memory.stop();
          target.lock();
          const docsOut = fresh('docs-export', round);
          start = performance.now();
          await exportVault(docsVault, docsOut);
          const exportDocs = performance.now() - start;
          const docsTarget = await Vault.create(fresh('docs-target', round), {
            passphrase: 'bench passphrase',
            profile,
            kdfCost: MIN_KDF_COST,
            personalWorkspace: false,
          });
          start = performance.now();
          await importPath(docsTarget, docsOut);
          const importDocs = performance.now() - start;
          docsTarget.lock();
          for (const name of ['export-all', 'target', 'docs-export', 'docs-target']) rmSync(fresh(name, round), { recursive: true, force: true });
          return { exportAll, importAll, exportDocs, importDocs, exportPeak, importPeak };
        },
        async copy(round) {
          // The floor: the same file bytes read and written with plain streams.
          const source = fresh('copy-source', round);
          const copyDir = fresh('copy', round);
          mkdirSync(copyDir, { recursive: true });
          await exportVault(vault, source);
          const start = performance.now();
          for (const file of vault.files.list(workspaceId)) {
            const exported = join(source, 'workspaces', workspaceId, 'files', file.id, file.name);
            await pipeline(createReadStream(exported), createWriteStream(join(copyDir, file.name)));
          }
          const copy = performance.now() - start;
          rmSync(source, { recursive: true, force: true });
          rmSync(copyDir, { recursive: true, force: true });
          return { exportAll: copy, importAll: copy };
        },
      },
      rows: [
        {
          name: `export, ${documents.toLocaleString('en')} documents only`,
          hearth: { contender: 'hearth', metric: 'exportDocs', unit: 'ms' },
          goal: goals.below(10_000),
        },
        {
          name: `import, ${documents.toLocaleString('en')} documents only`,
          hearth: { contender: 'hearth', metric: 'importDocs', unit: 'ms' },
          goal: goals.below(10_000),
        },
        {
          name: 'export, documents + files',
          hearth: { contender: 'hearth', metric: 'exportAll', unit: 'ms' },
          peer: { contender: 'copy', metric: 'exportAll', unit: 'ms' },
        },
        {
          name: 'import, documents + files',
          hearth: { contender: 'hearth', metric: 'importAll', unit: 'ms' },
          peer: { contender: 'copy', metric: 'importAll', unit: 'ms' },
        },
        {
          name: 'peak memory above baseline, export',
          hearth: { contender: 'hearth', metric: 'exportPeak', unit: 'MiB' },
          goal: goals.below(memoryLimit, 'MiB'),
        },
        {
          name: 'peak memory above baseline, import',
          hearth: { contender: 'hearth', metric: 'importPeak', unit: 'MiB' },
          goal: goals.below(memoryLimit, 'MiB'),
        },
      ],
      notes: [`Memory goal: streamed, well under the ${fileBytes / 1024 ** 2} MiB of files (here: under ${memoryLimit / 1024 ** 2} MiB above the baseline).`],
    },
  ];
}
