/**
 * Markdown ⇄ rich text at 100k characters, beside the parser it is built on; and a Markdown edit
 * of a 100k-character document (what `hearth doc edit` does), beside Automerge's own `A.updateSpans`.
 */
import * as A from '@automerge/automerge';
import MarkdownIt from 'markdown-it';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { markdownToSpans, plainText, setBodyFromMarkdown, spansToMarkdown, updateSpansConfig } from '../common/richtext/index.ts';
import { denseDocument, proseDocument } from '../test/support/markdown-documents.ts';
import { goals, timeOnce, type BenchOptions, type SectionPlan } from './harness.ts';

type BodyDoc = { body: string };

export async function richtextPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const markdownIt = new MarkdownIt('commonmark');
  const spans = markdownToSpans(proseDocument);
  const document = A.change(A.from<BodyDoc>({ body: '' }), (doc) => setBodyFromMarkdown(doc, proseDocument));
  const edits: Array<[string, string]> = [
    ['wordChanged', proseDocument.replace('before the next one starts.', 'before the next one begins.')],
    ['paragraphAppended', `${proseDocument}\nNext meeting is on Friday.\n`],
  ];
  /** One Markdown edit on a fresh copy of the document (copying is not timed). */
  const timeEdit = (edit: (doc: BodyDoc) => void) => {
    const copy = A.clone(document);
    return timeOnce(() => A.change(copy, edit));
  };
  // Every parser and edit warmed up before the first timed run (JIT, the parsers' lazy tables).
  for (let i = 0; i < 2; i++) {
    markdownToSpans(proseDocument);
    markdownIt.parse(proseDocument, {});
  }
  const ms = (contender: string, metric: string) => ({ contender, metric, unit: 'ms' as const });
  return [
    {
      title: 'Rich text: a 100k-character Markdown document',
      peer: 'markdown-it 14 parsing the same text (the parser markdownToSpans is built on); mdast-util-from-markdown (the former parser) for reference; for the edits, A.updateSpans with the same spans (what setBodyFromMarkdown called before)',
      contenders: {
        hearth() {
          const trial: Record<string, number> = {
            prose: timeOnce(() => markdownToSpans(proseDocument)),
            dense: timeOnce(() => markdownToSpans(denseDocument)),
            render: timeOnce(() => spansToMarkdown(spans)),
            text: timeOnce(() => plainText(spans)),
          };
          if (!options.quick) for (const [name, markdown] of edits) trial[name] = timeEdit((doc) => setBodyFromMarkdown(doc, markdown));
          return trial;
        },
        markdownIt: () => ({
          prose: timeOnce(() => markdownIt.parse(proseDocument, {})),
          dense: timeOnce(() => markdownIt.parse(denseDocument, {})),
        }),
        mdast: () => ({ prose: timeOnce(() => fromMarkdown(proseDocument)) }),
        updateSpans() {
          const trial: Record<string, number> = {};
          if (!options.quick)
            for (const [name, markdown] of edits) trial[name] = timeEdit((doc) => A.updateSpans(doc, ['body'], markdownToSpans(markdown), updateSpansConfig));
          return trial;
        },
      },
      rows: [
        { name: 'Markdown → spans (prose)', hearth: ms('hearth', 'prose'), peer: ms('markdownIt', 'prose'), goal: goals.below(100) },
        { name: 'Markdown → spans (lists, quotes, code)', hearth: ms('hearth', 'dense'), peer: ms('markdownIt', 'dense'), goal: goals.below(100) },
        { name: 'Markdown → spans (prose), against the former parser', hearth: ms('hearth', 'prose'), peer: ms('mdast', 'prose') },
        { name: 'spans → Markdown', hearth: ms('hearth', 'render'), goal: goals.below(100) },
        { name: 'spans → plain text (search index)', hearth: ms('hearth', 'text') },
        { name: 'setBodyFromMarkdown, one word changed', hearth: ms('hearth', 'wordChanged'), peer: ms('updateSpans', 'wordChanged') },
        { name: 'setBodyFromMarkdown, a paragraph appended', hearth: ms('hearth', 'paragraphAppended'), peer: ms('updateSpans', 'paragraphAppended') },
      ],
      notes: options.quick ? ['Quick run: the two edits of the 100k-character document are left out.'] : [],
    },
  ];
}
