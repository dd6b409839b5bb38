/**
 * Markdown ⇄ rich text at 100k characters, beside the parser it is built on; and a Markdown edit
 * of a 100k-character document (what `hearth doc edit` does), beside Automerge's own `A.updateSpans`.
 */
import { cpus, loadavg } from 'node:os';
import * as A from '@automerge/automerge';
import MarkdownIt from 'markdown-it';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { markdownToSpans, plainText, setBodyFromMarkdown, spansToMarkdown, updateSpansConfig } from '../common/richtext/index.ts';
import { denseDocument, proseDocument } from '../test/support/markdown-documents.ts';
import { ms, msSpread, ratio, timeSpread, type BenchSection, type Spread } from './report.ts';

type BodyDoc = { body: string };

export async function runRichtextBench(): Promise<BenchSection[]> {
  const markdownIt = new MarkdownIt('commonmark');
  const parse = timeSpread(() => markdownToSpans(proseDocument));
  const parsePeer = timeSpread(() => markdownIt.parse(proseDocument, {}));
  const parseDense = timeSpread(() => markdownToSpans(denseDocument));
  const parseDensePeer = timeSpread(() => markdownIt.parse(denseDocument, {}));
  const formerParser = timeSpread(() => fromMarkdown(proseDocument), 5, 1);
  const spans = markdownToSpans(proseDocument);
  const render = timeSpread(() => spansToMarkdown(spans));
  const text = timeSpread(() => plainText(spans));

  // One Markdown edit of a 100k-character document, each on a fresh copy (copying is not timed).
  const document = A.change(A.from<BodyDoc>({ body: '' }), (doc) => setBodyFromMarkdown(doc, proseDocument));
  const edits: [string, string][] = [
    ['one word changed', proseDocument.replace('before the next one starts.', 'before the next one begins.')],
    ['a paragraph appended', `${proseDocument}\nNext meeting is on Friday.\n`],
  ];
  const editRows = edits.map(([what, markdown]) => {
    const target = markdownToSpans(markdown);
    const edit = timeEach(() => A.clone(document), (copy) => A.change(copy, (doc) => setBodyFromMarkdown(doc, markdown)));
    const peer = timeEach(() => A.clone(document), (copy) => A.change(copy, (doc) => A.updateSpans(doc, ['body'], target, updateSpansConfig)));
    return { name: `setBodyFromMarkdown, ${what}`, hearth: msSpread(edit), peer: msSpread(peer), ratio: ratio(edit.median, peer.median), goal: '—' };
  });

  return [
    {
      title: 'Rich text: a 100k-character Markdown document',
      peer: 'markdown-it 14 parsing the same text (the parser markdownToSpans is built on); for the edits, A.updateSpans with the same spans (what setBodyFromMarkdown called before)',
      rows: [
        { name: 'Markdown → spans (prose)', hearth: msSpread(parse), peer: msSpread(parsePeer), ratio: ratio(parse.median, parsePeer.median), goal: '< 100 ms' },
        { name: 'Markdown → spans (lists, quotes, code)', hearth: msSpread(parseDense), peer: msSpread(parseDensePeer), ratio: ratio(parseDense.median, parseDensePeer.median), goal: '< 100 ms' },
        { name: 'spans → Markdown', hearth: msSpread(render), peer: '—', ratio: '—', goal: '< 100 ms' },
        { name: 'spans → plain text (search index)', hearth: msSpread(text), peer: '—', ratio: '—', goal: '—' },
        ...editRows,
      ],
      notes: [
        `Times are the median of 7 runs after 2 warm-ups, with the fastest and slowest in brackets (edits: 5 runs, 1 warm-up).`,
        `The former parser, mdast-util-from-markdown, took ${ms(formerParser.median)} for the prose alone.`,
        `Load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores when this section finished: other work shares the machine, hence the wide ranges.`,
      ],
    },
  ];
}

/** Times `run` on a fresh `prepare()`d value 5 times after one warm-up; preparing is not timed. */
function timeEach<T>(prepare: () => T, run: (value: T) => unknown): Spread {
  let prepared: T | null = null;
  return timeSpread(
    () => void run(prepared!),
    5,
    1,
    () => (prepared = prepare()),
  );
}
