/** Shared shape of benchmark results, and the statistics every bench reports. */
import { cpus, totalmem } from 'node:os';

export interface BenchRow {
  name: string;
  hearth: string;
  peer: string;
  ratio: string;
  goal: string;
}

export interface BenchSection {
  title: string;
  peer: string;
  rows: BenchRow[];
  notes?: string[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : value >= 1 ? `${value.toFixed(1)} ms` : `${(value * 1000).toFixed(0)} µs`;
}

export function ratio(hearth: number, peer: number): string {
  return `${(hearth / peer).toFixed(2)}x`;
}

/** Times `fn` `runs` times after `warmup` runs and returns the median in milliseconds. */
export function timeMedian(fn: () => void, runs = 7, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/**
 * Times `fn` `runs` times after `warmup` runs: the median, fastest and slowest in milliseconds.
 * `beforeEach`, if given, runs untimed before every run (to set up a fresh input).
 */
export function timeSpread(fn: () => void, runs = 7, warmup = 2, beforeEach?: () => void): Spread {
  for (let i = 0; i < warmup; i++) {
    beforeEach?.();
    fn();
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    beforeEach?.();
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

/** A median with its range, e.g. `14.2 ms (12.9 ms–20.1 ms)`. */
export function msSpread(spread: Spread): string {
  return `${ms(spread.median)} (${ms(spread.min)}–${ms(spread.max)})`;
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

export function renderSection(section: BenchSection): string {
  const lines = [`## ${section.title}`, '', `Peer: ${section.peer}`, '', '| measure | Hearth | peer | ratio | goal |', '|---|---|---|---|---|'];
  for (const row of section.rows) lines.push(`| ${row.name} | ${row.hearth} | ${row.peer} | ${row.ratio} | ${row.goal} |`);
  if (section.notes?.length) lines.push('', ...section.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
