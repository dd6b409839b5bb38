/**
 * `npm run bench`: every section in one run, each figure the median of at least 5 runs with its
 * min–max, contenders interleaved, each section stamped with its commit, machine and load. The
 * full run rewrites bench/RESULTS.md.
 *
 *   npm run bench                        everything, 5 runs per section (about an hour and a half)
 *   npm run bench -- --only records      one section (repeat --only, or separate names by commas)
 *   npm run bench -- --runs 7            more runs per section
 *   npm run bench -- --quick             small sizes and 2 runs, to check the bench works
 *   npm run bench -- --list              the section names
 *
 * A run with --quick or fewer than 5 runs writes bench/out/RESULTS.quick.md instead: such
 * figures check the harness, they do not carry decisions. A --only run replaces its sections in
 * RESULTS.md and keeps the others, each of which still names the commit and time it measured.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { useNativeCrypto } from '../main/native-crypto.ts';
import { busyLoad, commit, measureSection, renderSection, type BenchOptions, type SectionPlan } from './harness.ts';

/** Section groups in the order a full run measures them; each returns its sections' plans. */
const suites: Record<string, (options: BenchOptions) => Promise<SectionPlan[]>> = {
  richtext: async (o) => (await import('./richtext.ts')).richtextPlans(o),
  records: async (o) => (await import('./vault.ts')).recordPlans(o),
  unlock: async (o) => (await import('./vault.ts')).unlockPlans(o),
  trace: async (o) => (await import('./vault.ts')).tracePlans(o),
  typing: async (o) => (await import('./app.ts')).typingPlans(o),
  app: async (o) => (await import('./app.ts')).appPlans(o),
  sync: async (o) => (await import('./sync.ts')).syncPlans(o),
  join: async (o) => (await import('./join.ts')).joinPlans(o),
  portability: async (o) => (await import('./portability.ts')).portabilityPlans(o),
  history: async (o) => (await import('./history.ts')).historyPlans(o),
};

/**
 * The relay's scenarios (bench/relay-load.ts) run as their own process, as they do on their own,
 * and write their sections into this run's file; this run stamps them like the others.
 */
async function runRelayScenarios(options: BenchOptions, target: URL, sections: Map<string, string>): Promise<void> {
  const args = ['--import', 'tsx', new URL('./relay-load.ts', import.meta.url).pathname, '--repeat', String(options.runs)];
  if (options.quick) args.push('--scenario', 'peers,memory', '--sizes', '10,50', '--idle', '200');
  const before = readSections(target);
  const loadBefore = loadavg();
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, HEARTH_BENCH_RESULTS: target.pathname } });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) console.error(`bench: the relay scenarios exited with ${code}; their finished sections are kept.`);
  const stamp = `_Relay scenarios run by \`npm run bench\` (--repeat ${options.runs}${options.quick ? ', quick: peers at 10 and 50, memory at 200' : ''}). Commit ${commit()}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} after${
    // The scenarios load the machine themselves (a thousand clients): only a load before them is other work.
    busyLoad(loadBefore) ? ' (busy machine: other work inflated these figures)' : ' (the load after is the scenarios’ own)'
  }; ${((performance.now() - started) / 1000).toFixed(0)} s._\n`;
  for (const [title, text] of readSections(target)) if (before.get(title) !== text) sections.set(title, `${text}\n${stamp}`);
}

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});
if (values.list) {
  console.log([...Object.keys(suites), 'relay'].join('\n'));
  process.exit(0);
}
const only = (values.only ?? []).flatMap((o) => o.split(',')).filter(Boolean);
const unknown = only.filter((name) => !(name in suites) && name !== 'relay');
if (unknown.length) {
  console.error(`No bench section named ${unknown.join(', ')}. Sections: ${[...Object.keys(suites), 'relay'].join(', ')}.`);
  process.exit(2);
}
const options: BenchOptions = { quick: values.quick, runs: Number(values.runs ?? (values.quick ? 2 : 5)) };
if (!Number.isInteger(options.runs) || options.runs < 1) {
  console.error('--runs takes a whole number of runs (5 or more for figures that go into RESULTS.md).');
  process.exit(2);
}
const forResults = !options.quick && options.runs >= 5;
const target = forResults ? new URL('./RESULTS.md', import.meta.url) : new URL('./out/RESULTS.quick.md', import.meta.url);
mkdirSync(new URL('./out/', import.meta.url), { recursive: true });

// As the app's Node side does: crypto through sodium-native.
const crypto = useNativeCrypto();
if (crypto.fallbackReason) console.error(`bench: sodium-native did not load (${crypto.fallbackReason}); Hearth runs on libsodium's wasm build.`);

/** The sections of an earlier file, by their "## " title, in order. */
function readSections(file: URL): Map<string, string> {
  const sections = new Map<string, string>();
  if (!existsSync(file)) return sections;
  for (const part of readFileSync(file, 'utf8')
    .split(/^(?=## )/m)
    .slice(1))
    sections.set(part.split('\n', 1)[0]!, part.trimEnd() + '\n');
  return sections;
}

const header = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (bench/run.ts); every row comes from code in bench/. Each figure is the median of the runs',
  'named under its section, with min–max beside it; a ratio is Hearth ÷ peer of the medians, with the range of the',
  'per-run ratios. Peers run in the same run, interleaved with Hearth. Each section names the commit it measured, the',
  'machine, and the load average before and after it; a section is marked busy when the 1-minute load average exceeded',
  'the core count. `--only NAME` refreshes one section (see `npm run bench -- --list`).',
  '',
].join('\n');

// A full run replaces the whole file, so no section outlives the run that measured it.
const sections = only.length ? readSections(target) : new Map<string, string>();
const started = Date.now();
for (const [name, plan] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  console.error(`bench: ${name}…`);
  for (const section of await plan(options)) {
    const result = await measureSection(section, options, (line) => console.error(line));
    const text = renderSection(result);
    sections.set(`## ${result.title}`, text);
    // Written after every section, so a long run that dies keeps what it measured.
    writeFileSync(target, `${header}\n${[...sections.values()].join('\n')}`);
    console.log(text);
  }
}
if (!only.length || only.includes('relay')) {
  console.error('bench: relay…');
  // The file as this run has it so far; the scenarios add their sections to it.
  writeFileSync(target, `${header}\n${[...sections.values()].join('\n')}`);
  await runRelayScenarios(options, target, sections);
  writeFileSync(target, `${header}\n${[...sections.values()].join('\n')}`);
}
console.error(`bench: done in ${((Date.now() - started) / 60_000).toFixed(1)} min; wrote ${target.pathname}`);
// Some peers (automerge-repo, sessions) keep timers; the results are written, so end here.
process.exit(0);
