/**
 * How every bench section is measured and written, so that a figure can carry a decision:
 * - a section names its contenders (Hearth and its peers); each run ("round") runs every
 *   contender once, in an order that rotates from round to round, so drift on a loaded machine
 *   falls on all of them alike;
 * - every figure is the median of the rounds with the min–max beside it, and a ratio is the
 *   ratio of the medians with the range of the per-round ratios beside it;
 * - every section records the commit it measured, the machine, the number of runs, and the load
 *   average before and after, and is marked when the machine was busy.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** What one contender's run produced: named figures (milliseconds, bytes, shares…). */
export type Trial = Record<string, number>;

export interface BenchOptions {
  /** Rounds per section (at least 5 for figures that go into RESULTS.md). */
  runs: number;
  /** Smaller sizes and windows, to check that the bench works, not to measure. */
  quick: boolean;
}

export type Unit = 'ms' | 'KiB' | 'MiB' | '%' | 'count' | 'x';

export interface Figure {
  contender: string;
  metric: string;
  unit: Unit;
}

export interface Goal {
  text: string;
  /** Whether the medians meet it; `ratio` is undefined where the row has no peer. */
  met(hearth: number, ratio: number | undefined): boolean;
}

export interface RowPlan {
  name: string;
  hearth: Figure;
  peer?: Figure;
  goal?: Goal;
}

export interface SectionPlan {
  title: string;
  /** Who the peers are and how they were run. */
  peer: string;
  /** One run of each contender; `round` counts from 0. Hearth is conventionally 'hearth'. */
  contenders: Record<string, (round: number) => Promise<Trial> | Trial>;
  rows: RowPlan[];
  notes?: string[] | ((trials: Record<string, Trial[]>) => string[]);
  setup?(): Promise<void> | void;
  teardown?(): Promise<void> | void;
}

export interface SectionResult {
  title: string;
  peer: string;
  runs: number;
  rows: Array<{ name: string; hearth: string; peer: string; ratio: string; goal: string; met: string }>;
  notes: string[];
  commit: string;
  machine: string;
  loadBefore: number[];
  loadAfter: number[];
  busy: boolean;
  at: string;
  seconds: number;
  quick: boolean;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value >= 100 ? `${value.toFixed(0)} ms` : value >= 1 ? `${value.toFixed(1)} ms` : `${(value * 1000).toFixed(0)} µs`;
}

function formatted(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '—';
  switch (unit) {
    case 'ms':
      return ms(value);
    case 'KiB':
      return `${(value / 1024).toFixed(1)} KiB`;
    case 'MiB':
      return `${(value / 1024 ** 2).toFixed(0)} MiB`;
    case '%':
      return `${(100 * value).toFixed(0)}%`;
    case 'count':
      return value >= 100 ? value.toFixed(0) : value.toFixed(1);
    case 'x':
      return `${value.toFixed(2)}x`;
  }
}

/** "median (min–max)" of one figure's samples. */
export function spread(samples: number[], unit: Unit): string {
  const finite = samples.filter(Number.isFinite);
  if (finite.length === 0) return '—';
  const m = formatted(median(finite), unit);
  if (finite.length === 1) return m;
  return `${m} (${formatted(Math.min(...finite), unit)}–${formatted(Math.max(...finite), unit)})`;
}

/** Milliseconds one call of `fn` takes. */
export function timeOnce(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Goals as the issue states them. */
export const goals = {
  ratioAtMost: (limit: number): Goal => ({ text: `≤ ${limit}x`, met: (_, r) => r !== undefined && r <= limit }),
  below: (limit: number, unit: Unit = 'ms'): Goal => ({ text: `< ${formatted(limit, unit)}`, met: (h) => h < limit }),
  atLeast: (limit: number, unit: Unit): Goal => ({ text: `≥ ${formatted(limit, unit)}`, met: (h) => h >= limit }),
  report: (text: string): Goal => ({ text, met: () => true }),
};

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

/** The commit measured, with "+ changes" when the work tree differs from it. */
export function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { encoding: 'utf8' }).trim();
    // The results file this run is writing does not make the measured code uncommitted.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)bench/RESULTS.md'], { encoding: 'utf8' }).trim();
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** A 1-minute load average above the core count means other work shared the machine with the bench. */
export function busyLoad(load: number[]): boolean {
  return (load[0] ?? 0) > cpus().length;
}

/** Runs every contender of `plan` for the section's rounds, interleaved, and summarises. */
export async function measureSection(plan: SectionPlan, options: BenchOptions, log: (line: string) => void = () => {}): Promise<SectionResult> {
  const runs = options.runs;
  const loadBefore = loadavg();
  const started = performance.now();
  const names = Object.keys(plan.contenders);
  const trials: Record<string, Trial[]> = Object.fromEntries(names.map((n) => [n, []]));
  await plan.setup?.();
  try {
    for (let round = 0; round < runs; round++) {
      // Rotate who goes first, so warm caches and the machine's drift favour no one.
      const order = names.map((_, i) => names[(i + round) % names.length]!);
      for (const name of order) {
        log(`  ${plan.title}: round ${round + 1}/${runs}, ${name}`);
        trials[name]!.push(await plan.contenders[name]!(round));
      }
    }
  } finally {
    await plan.teardown?.();
  }
  const loadAfter = loadavg();
  const samples = (figure: Figure) => trials[figure.contender]?.map((t) => t[figure.metric] ?? NaN) ?? [];
  const rows = plan.rows.map((row) => {
    const hearth = samples(row.hearth);
    const peer = row.peer ? samples(row.peer) : [];
    const hearthMedian = median(hearth.filter(Number.isFinite));
    const peerMedian = median(peer.filter(Number.isFinite));
    const ratio = row.peer ? hearthMedian / peerMedian : undefined;
    const perRound = row.peer ? hearth.map((h, i) => h / peer[i]!).filter(Number.isFinite) : [];
    const ratioText =
      ratio === undefined || !Number.isFinite(ratio)
        ? '—'
        : perRound.length > 1
          ? `${ratio.toFixed(2)}x (${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)})`
          : `${ratio.toFixed(2)}x`;
    const met = !row.goal || !Number.isFinite(hearthMedian) ? '' : row.goal.met(hearthMedian, ratio) ? 'yes' : '**no**';
    return {
      name: row.name,
      hearth: spread(hearth, row.hearth.unit),
      peer: row.peer ? spread(peer, row.peer.unit) : '—',
      ratio: ratioText,
      goal: row.goal?.text ?? '',
      met,
    };
  });
  const notes = typeof plan.notes === 'function' ? plan.notes(trials) : (plan.notes ?? []);
  return {
    title: plan.title,
    peer: plan.peer,
    runs,
    rows,
    notes,
    commit: commit(),
    machine: machine(),
    loadBefore,
    loadAfter,
    busy: busyLoad(loadBefore) || busyLoad(loadAfter),
    at: new Date().toISOString().slice(0, 16) + 'Z',
    seconds: (performance.now() - started) / 1000,
    quick: options.quick,
  };
}

const loadText = (load: number[]) => load.map((l) => l.toFixed(2)).join(' ');

export function renderSection(result: SectionResult): string {
  const lines = [`## ${result.title}`, ''];
  if (result.busy)
    lines.push(
      `> **Busy machine:** the load average was above ${cpus().length} (the core count) before or after this section; other work inflated its figures.`,
      '',
    );
  if (result.quick) lines.push('> **Quick run:** smaller sizes and fewer runs, to check the bench works; not for decisions.', '');
  lines.push(`Peer: ${result.peer}`, '', '| measure | Hearth | peer | ratio | goal | met |', '|---|---|---|---|---|---|');
  for (const row of result.rows) lines.push(`| ${row.name} | ${row.hearth} | ${row.peer} | ${row.ratio} | ${row.goal} | ${row.met} |`);
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `- ${n}`));
  lines.push(
    '',
    `_Median (min–max) of ${result.runs} runs, contenders interleaved. Commit ${result.commit}; ${result.machine}; load average ${loadText(result.loadBefore)} before, ${loadText(result.loadAfter)} after; measured ${result.at} in ${result.seconds.toFixed(0)} s._`,
  );
  return `${lines.join('\n')}\n`;
}
