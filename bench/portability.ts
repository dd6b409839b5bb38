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
import { ms, ratio, type BenchSection } from './report.ts';

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

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

export async function runPortabilityBench(): Promise<BenchSection[]> {
  const documents = Number(process.env.HEARTH_BENCH_DOCS ?? 10_000);
  const fileBytes = Number(process.env.HEARTH_BENCH_FILE_MB ?? 1024) * 1024 * 1024;
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-portability-'));
  try {
    const profile = { username: 'bench', displayName: 'Bench' };
    const vault = await Vault.create(join(root, 'source'), { passphrase: 'bench passphrase', profile, kdfCost: MIN_KDF_COST });
    const ws = vault.workspaces.list()[0]!;
    vault.transaction(() => {
      for (let i = 0; i < documents; i++) {
        vault.documents.create(ws.id, { title: `Note ${i}`, tags: ['bench'], init: (d) => A.splice(d, ['body'], 0, 0, `Body of note ${i}. `.repeat(20)) });
      }
    });
    // Eight files of 128 MiB from a pattern, streamed in.
    const piece = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    const perFile = fileBytes / 8;
    for (let f = 0; f < 8; f++) {
      await vault.files.add(ws.id, {
        name: `blob-${f}.bin`,
        source: (function* () {
          for (let sent = 0; sent < perFile; sent += piece.length) yield piece;
        })(),
      });
    }

    // Everything: the documents and the gigabyte of files.
    const docsOut = join(root, 'export-all');
    const exportedFiles = vault.files.list(ws.id);
    let memory = peakRss();
    let start = performance.now();
    await exportVault(vault, docsOut);
    const exportAllMs = performance.now() - start;
    const exportPeak = memory.stop();

    const target = await Vault.create(join(root, 'target'), { passphrase: 'bench passphrase', profile, kdfCost: MIN_KDF_COST, personalWorkspace: false });
    memory = peakRss();
    start = performance.now();
    await importPath(target, docsOut);
    const importAllMs = performance.now() - start;
    const importPeak = memory.stop();

    // Peer: copy the exported file bytes with plain streams (no decryption, no encryption).
    const copyDir = join(root, 'copy');
    mkdirSync(copyDir);
    start = performance.now();
    for (const file of exportedFiles) {
      const exported = join(docsOut, 'workspaces', ws.id, 'files', file.id, file.name);
      await pipeline(createReadStream(exported), createWriteStream(join(copyDir, file.name)));
    }
    const copyMs = performance.now() - start;

    // The documents alone: a vault with the same documents and no files.
    const docsVault = await Vault.create(join(root, 'docs-only'), { passphrase: 'bench passphrase', profile, kdfCost: MIN_KDF_COST });
    const docsWs = docsVault.workspaces.list()[0]!;
    docsVault.transaction(() => {
      for (let i = 0; i < documents; i++) docsVault.documents.create(docsWs.id, { title: `Note ${i}`, init: (d) => A.splice(d, ['body'], 0, 0, `Body of note ${i}. `.repeat(20)) });
    });
    docsVault.lock();
    const reopened = await Vault.unlock(join(root, 'docs-only'), 'bench passphrase');
    start = performance.now();
    await exportVault(reopened, join(root, 'docs-export'));
    const exportDocsMs = performance.now() - start;
    const docsTarget = await Vault.create(join(root, 'docs-target'), { passphrase: 'bench passphrase', profile, kdfCost: MIN_KDF_COST, personalWorkspace: false });
    start = performance.now();
    await importPath(docsTarget, join(root, 'docs-export'));
    const importDocsMs = performance.now() - start;
    for (const v of [vault, target, reopened, docsTarget]) v.lock();

    return [
      {
        title: `Export and import: ${documents.toLocaleString('en')} documents and ${mib(fileBytes)} of files`,
        peer: 'copying the same file bytes with plain Node streams (no crypto, no vault)',
        rows: [
          { name: `export, ${documents.toLocaleString('en')} documents only`, hearth: ms(exportDocsMs), peer: '—', ratio: '—', goal: '< 10 s' },
          { name: `import, ${documents.toLocaleString('en')} documents only`, hearth: ms(importDocsMs), peer: '—', ratio: '—', goal: '< 10 s' },
          { name: 'export, documents + files', hearth: ms(exportAllMs), peer: ms(copyMs), ratio: ratio(exportAllMs, copyMs), goal: '—' },
          { name: 'import, documents + files', hearth: ms(importAllMs), peer: ms(copyMs), ratio: ratio(importAllMs, copyMs), goal: '—' },
          { name: 'peak memory above baseline, export / import', hearth: `${mib(exportPeak)} / ${mib(importPeak)}`, peer: '—', ratio: '—', goal: `streamed: ≪ ${mib(fileBytes)}` },
        ],
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
