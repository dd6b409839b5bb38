/** Markdown ⇄ rich text at 100k characters, beside the Markdown parser it is built on. */
import { fromMarkdown } from 'mdast-util-from-markdown';
import { markdownToSpans, plainText, spansToMarkdown } from '../common/richtext/index.ts';
import { goals, timeOnce, type BenchOptions, type SectionPlan } from './harness.ts';

function sized(section: string, length: number): string {
  let markdown = '';
  while (markdown.length < length) markdown += `${section}\n\n`;
  return `${markdown.slice(0, markdown.lastIndexOf('\n\n', length))}\n`;
}

export async function richtextPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const prose = sized(
    '## A heading\n\nA paragraph of ordinary prose with a **bold** phrase, an *emphasised* word and a [link](https://example.com). It goes on for a while, as prose does, before it ends.',
    options.quick ? 20_000 : 100_000,
  );
  const spans = markdownToSpans(prose);
  // Both parsers warmed up before the first timed run (JIT, the parsers' lazy tables).
  for (let i = 0; i < 2; i++) {
    markdownToSpans(prose);
    fromMarkdown(prose);
  }
  return [
    {
      title: 'Rich text: a 100k-character Markdown document',
      peer: 'mdast-util-from-markdown parsing the same text (the parser markdownToSpans is built on)',
      contenders: {
        hearth: () => ({
          parse: timeOnce(() => markdownToSpans(prose)),
          render: timeOnce(() => spansToMarkdown(spans)),
          text: timeOnce(() => plainText(spans)),
        }),
        mdast: () => ({ parse: timeOnce(() => fromMarkdown(prose)) }),
      },
      rows: [
        { name: `Markdown → spans (${prose.length.toLocaleString('en')} characters)`, hearth: { contender: 'hearth', metric: 'parse', unit: 'ms' }, peer: { contender: 'mdast', metric: 'parse', unit: 'ms' }, goal: goals.below(100) },
        { name: 'spans → Markdown', hearth: { contender: 'hearth', metric: 'render', unit: 'ms' }, goal: goals.below(100) },
        { name: 'spans → plain text (search index)', hearth: { contender: 'hearth', metric: 'text', unit: 'ms' } },
      ],
    },
  ];
}
