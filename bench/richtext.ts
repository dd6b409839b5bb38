/** Markdown ⇄ rich text at 100k characters, beside the Markdown parser it is built on. */
import { fromMarkdown } from 'mdast-util-from-markdown';
import { markdownToSpans, plainText, spansToMarkdown } from '../common/richtext/index.ts';
import { ms, ratio, timeMedian, type BenchSection } from './report.ts';

function sized(section: string): string {
  let markdown = '';
  while (markdown.length < 100_000) markdown += `${section}\n\n`;
  return `${markdown.slice(0, markdown.lastIndexOf('\n\n', 100_000))}\n`;
}

export async function runRichtextBench(): Promise<BenchSection[]> {
  const prose = sized(
    '## A heading\n\nA paragraph of ordinary prose with a **bold** phrase, an *emphasised* word and a [link](https://example.com). It goes on for a while, as prose does, before it ends.',
  );
  const parse = timeMedian(() => markdownToSpans(prose));
  const parsePeer = timeMedian(() => fromMarkdown(prose));
  const spans = markdownToSpans(prose);
  const render = timeMedian(() => spansToMarkdown(spans));
  const text = timeMedian(() => plainText(spans));
  return [
    {
      title: 'Rich text: a 100k-character Markdown document',
      peer: 'mdast-util-from-markdown parsing the same text (the parser markdownToSpans is built on)',
      rows: [
        { name: 'Markdown → spans', hearth: ms(parse), peer: ms(parsePeer), ratio: ratio(parse, parsePeer), goal: '< 100 ms' },
        { name: 'spans → Markdown', hearth: ms(render), peer: '—', ratio: '—', goal: '< 100 ms' },
        { name: 'spans → plain text (search index)', hearth: ms(text), peer: '—', ratio: '—', goal: '—' },
      ],
    },
  ];
}
