/**
 * `npm run bench`: runs the benchmarks side by side with their peers and updates bench/RESULTS.md.
 * `npm run bench -- vault` runs only the suites whose name matches. Each run replaces the
 * sections it measured and keeps the others (the relay bench, `bench/relay-load.ts`, writes its
 * own section the same way), so every section says when and where it was measured.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { machine, renderSection, type BenchSection } from './report.ts';

const suites: Record<string, () => Promise<BenchSection[]>> = {
  vault: async () => (await import('./vault.ts')).runVaultBench(),
  richtext: async () => (await import('./richtext.ts')).runRichtextBench(),
  portability: async () => (await import('./portability.ts')).runPortabilityBench(),
  app: async () => (await import('./app.ts')).runAppBench(),
  sync: async () => (await import('./sync.ts')).runSyncBench(),
  join: async () => (await import('./join.ts')).runJoinBench(),
  history: async () => (await import('./history.ts')).runHistoryBench(),
};

const RESULTS = new URL('./RESULTS.md', import.meta.url);

/** The file's sections by their "## " title, in order. */
function readSections(): Map<string, string> {
  const sections = new Map<string, string>();
  if (!existsSync(RESULTS)) return sections;
  const text = readFileSync(RESULTS, 'utf8');
  for (const part of text.split(/^(?=## )/m).slice(1)) sections.set(part.split('\n', 1)[0]!, part.trimEnd() + '\n');
  return sections;
}

const only = process.argv.slice(2);
const sections = readSections();
for (const [name, run] of Object.entries(suites)) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  console.error(`bench: ${name}…`);
  for (const section of await run()) {
    const text = `${renderSection(section)}\n_Measured ${new Date().toISOString().slice(0, 16)}Z on ${machine()}._\n`;
    sections.set(`## ${section.title}`, text);
    console.log(text);
  }
}
const header = [
  '# Benchmark results',
  '',
  'Ratios are Hearth ÷ peer, measured side by side in one run. Each section names its time and machine;',
  '`npm run bench` refreshes the vault, rich-text, export, app and sync sections, `node --import tsx bench/relay-load.ts` the relay one.',
  '',
].join('\n');
writeFileSync(RESULTS, `${header}\n${[...sections.values()].join('\n')}`);
// Some peers (automerge-repo, sessions) keep timers; the results are written, so end here.
process.exit(0);
