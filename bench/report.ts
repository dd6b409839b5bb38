/**
 * Sections that a script renders itself, in the table layout of bench/RESULTS.md: the relay
 * bench run on its own (bench/relay-load.ts). The statistics are the harness's (bench/harness.ts).
 */
export { machine, median, ms, percentile } from './harness.ts';

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

export function renderSection(section: BenchSection): string {
  const lines = [`## ${section.title}`, '', `Peer: ${section.peer}`, '', '| measure | Hearth | peer | ratio | goal |', '|---|---|---|---|---|'];
  for (const row of section.rows) lines.push(`| ${row.name} | ${row.hearth} | ${row.peer} | ${row.ratio} | ${row.goal} |`);
  if (section.notes?.length) lines.push('', ...section.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
