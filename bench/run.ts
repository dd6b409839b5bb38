/**
 * `npm run bench`: runs every benchmark side by side with its peer and writes bench/RESULTS.md.
 * `npm run bench -- vault` runs only the sections whose name matches.
 */
import { writeFileSync } from 'node:fs';
import { machine, renderSection, type BenchSection } from './report.ts';

const suites: Record<string, () => Promise<BenchSection[]>> = {
  vault: async () => (await import('./vault.ts')).runVaultBench(),
  richtext: async () => (await import('./richtext.ts')).runRichtextBench(),
  portability: async () => (await import('./portability.ts')).runPortabilityBench(),
};

const only = process.argv.slice(2);
const sections: BenchSection[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  console.error(`bench: ${name}…`);
  sections.push(...(await run()));
}
const body = [
  '# Benchmark results',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}. Ratios are Hearth ÷ peer, run side by side in one process run (\`npm run bench\`).`,
  '',
  ...sections.map(renderSection),
].join('\n');
// A partial run prints its sections but leaves RESULTS.md to full runs.
if (only.length === 0) writeFileSync(new URL('./RESULTS.md', import.meta.url), body);
console.log(body);
