/**
 * Markdown edits made concurrently on replicas of one document (as `hearth doc edit` makes them)
 * merge into what a person would expect: each inserted word, sentence or paragraph whole, each
 * replica's edits kept. Issue 16: two appended paragraphs used to merge into "Carol joins net." /
 * "Next mexet weeking is on Friday.". Actors are fixed so that the order of two runs inserted at
 * one place (Automerge orders them by actor) is the same on every run.
 */
import { describe, expect, it } from 'vitest';
import * as A from '@automerge/automerge';
import { pmDocFromSpans } from '@automerge/prosemirror';
import { patchesToTr } from '@automerge/prosemirror/dist/patchesToTr.js';
import { EditorState } from 'prosemirror-state';
import { bodyAsMarkdown, markdownToSpans, setBodyFromMarkdown } from '../../../common/richtext/index.ts';
import { hearthSchemaAdapter as adapter } from '../../../renderer/editor/schema.ts';

type BodyDoc = { body: string };

const actors = ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'cccccccccccccccccccccccccccccccc'];

function docWithBody(markdown: string): A.Doc<BodyDoc> {
  return A.change(A.from<BodyDoc>({ body: '' }, 'dddddddddddddddddddddddddddddddd'), (doc) => setBodyFromMarkdown(doc, markdown));
}

/**
 * Forks `base` once per edit, applies each edit on its own replica, merges the replicas in order
 * and in reverse, and returns the merged Markdown (asserting that both orders agree and that each
 * replica alone said what its author wrote).
 */
function mergeConcurrent(base: string, edits: string[]): string {
  const start = docWithBody(base);
  const replicas = edits.map((markdown, index) => {
    const replica = A.change(A.clone(start, actors[index]), (doc) => setBodyFromMarkdown(doc, markdown));
    expect(bodyAsMarkdown(replica)).toBe(markdown);
    return replica;
  });
  const mergeAll = (order: A.Doc<BodyDoc>[]): string =>
    bodyAsMarkdown(order.slice(1).reduce((merged, replica) => A.merge(merged, replica), A.clone(order[0]!)));
  const forward = mergeAll(replicas);
  expect(mergeAll([...replicas].reverse())).toBe(forward);
  return forward;
}

describe('concurrent Markdown edits merge as a person expects', () => {
  it('keeps two paragraphs appended to a one-paragraph document whole (issue 16)', () => {
    expect(mergeConcurrent('Agenda\n', ['Agenda\n\nCarol joins next week.\n', 'Agenda\n\nNext meeting is on Friday.\n'])).toBe(
      'Agenda\n\nNext meeting is on Friday.\n\nCarol joins next week.\n',
    );
  });

  it('gives the one paragraph no second block marker when two replicas append to it', () => {
    const start = docWithBody('Agenda\n');
    const alice = A.change(A.clone(start, actors[0]), (doc) => setBodyFromMarkdown(doc, 'Agenda\n\nCarol joins next week.\n'));
    const bob = A.change(A.clone(start, actors[1]), (doc) => setBodyFromMarkdown(doc, 'Agenda\n\nNext meeting is on Friday.\n'));
    // Markdown cannot show an empty paragraph, the editor would: one marker per new paragraph, no more.
    const blocks = A.spans(A.merge(A.clone(alice), bob), ['body']).filter((span) => span.type === 'block');
    expect(blocks.length).toBe(2);
  });

  it('keeps two paragraphs appended to a longer document whole', () => {
    const base = '# Team notes\n\nThe meeting is on Monday.\n';
    expect(mergeConcurrent(base, [`${base}\nCarol joins next week.\n`, `${base}\nNext meeting is on Friday.\n`])).toBe(
      '# Team notes\n\nThe meeting is on Monday.\n\nNext meeting is on Friday.\n\nCarol joins next week.\n',
    );
  });

  it('keeps three paragraphs appended by three replicas whole', () => {
    const base = 'Minutes\n';
    expect(
      mergeConcurrent(base, [
        `${base}\nAlice: the budget is approved.\n`,
        `${base}\nBob: the release moves to March.\n`,
        `${base}\nCarol: the offsite is in Lisbon.\n`,
      ]),
    ).toBe('Minutes\n\nCarol: the offsite is in Lisbon.\n\nBob: the release moves to March.\n\nAlice: the budget is approved.\n');
  });

  it('keeps paragraphs inserted in the middle at different places', () => {
    const base = '# Plan\n\nFirst we gather.\n\nThen we build.\n\nFinally we ship.\n';
    expect(
      mergeConcurrent(base, [
        '# Plan\n\nFirst we gather.\n\nWe gather in the main hall.\n\nThen we build.\n\nFinally we ship.\n',
        '# Plan\n\nFirst we gather.\n\nThen we build.\n\nWe build with the new tools.\n\nFinally we ship.\n',
      ]),
    ).toBe('# Plan\n\nFirst we gather.\n\nWe gather in the main hall.\n\nThen we build.\n\nWe build with the new tools.\n\nFinally we ship.\n');
  });

  it('keeps a paragraph inserted in the middle whole while the next paragraph gains a word at its start', () => {
    const base = '# Plan\n\nFirst we gather.\n\nThen we build.\n';
    expect(
      mergeConcurrent(base, ['# Plan\n\nFirst we gather.\n\nWe gather in the hall.\n\nThen we build.\n', '# Plan\n\nFirst we gather.\n\nAnd then we build.\n']),
    ).toBe('# Plan\n\nFirst we gather.\n\nWe gather in the hall.\n\nAnd then we build.\n');
  });

  it('restyles the block the other replica restyled, not the paragraph inserted before it', () => {
    const base = '# Plan\n\nFirst we gather.\n\nThen we build.\n';
    expect(
      mergeConcurrent(base, ['# Plan\n\nFirst we gather.\n\nWe gather in the hall.\n\nThen we build.\n', '# Plan\n\nFirst we gather.\n\n## Then we build.\n']),
    ).toBe('# Plan\n\nFirst we gather.\n\nWe gather in the hall.\n\n## Then we build.\n');
  });

  it('keeps two paragraphs inserted at the same place whole', () => {
    const base = 'Before.\n\nAfter.\n';
    expect(mergeConcurrent(base, ['Before.\n\nThe meeting moved to Tuesday.\n\nAfter.\n', 'Before.\n\nThe weekly meeting is cancelled.\n\nAfter.\n'])).toBe(
      'Before.\n\nThe weekly meeting is cancelled.\n\nThe meeting moved to Tuesday.\n\nAfter.\n',
    );
  });

  it('keeps words added to a one-paragraph document in it while the other appends a paragraph', () => {
    const base = 'The meeting is on Monday.\n';
    expect(mergeConcurrent(base, ['The meeting is on Monday.\n\nBring the notes.\n', 'The meeting is on Monday at noon.\n'])).toBe(
      'The meeting is on Monday at noon.\n\nBring the notes.\n',
    );
  });

  it('keeps a word edit inside a paragraph and a paragraph appended by the other', () => {
    const base = 'The meeting is on Monday at noon.\n\nBring the notes.\n';
    expect(
      mergeConcurrent(base, [
        'The meeting is on Thursday at noon.\n\nBring the notes.\n',
        'The meeting is on Monday at noon.\n\nBring the notes.\n\nNext meeting is on Friday.\n',
      ]),
    ).toBe('The meeting is on Thursday at noon.\n\nBring the notes.\n\nNext meeting is on Friday.\n');
  });

  it('keeps both edits of one paragraph when they change different words', () => {
    const base = 'The quick fox jumps over the dog.\n\nSecond paragraph.\n';
    expect(
      mergeConcurrent(base, [
        'The quick brown fox jumps over the dog.\n\nSecond paragraph.\n',
        'The quick fox leaps over the lazy dog.\n\nSecond paragraph.\n',
      ]),
    ).toBe('The quick brown fox leaps over the lazy dog.\n\nSecond paragraph.\n');
  });

  it('leaves no stray space when two replicas each delete one of two neighbouring words', () => {
    expect(mergeConcurrent('Bring the budget notes.\n', ['Bring the budget.\n', 'Bring the notes.\n'])).toBe('Bring the.\n');
  });

  it('keeps words inserted at the same place whole, one after the other', () => {
    const base = 'We meet on Monday.\n';
    expect(mergeConcurrent(base, ['We meet on Monday morning.\n', 'We meet on Monday in room four.\n'])).toBe('We meet on Monday in room four morning.\n');
  });

  it('keeps bold and a link added by one while the other edits the text', () => {
    const base = 'Read the design notes before the review on Monday.\n';
    expect(
      mergeConcurrent(base, [
        'Read the **design notes** before the [review](https://example.com/review) on Monday.\n',
        'Please read the design notes before the review on Tuesday.\n',
      ]),
    ).toBe('Please read the **design notes** before the [review](https://example.com/review) on Tuesday.\n');
  });

  it('keeps a link on its word, not on a paragraph appended meanwhile', () => {
    expect(mergeConcurrent('See the plan.\n', ['See the [plan](https://example.com/plan).\n', 'See the plan.\n\nNext meeting is on Friday.\n'])).toBe(
      'See the [plan](https://example.com/plan).\n\nNext meeting is on Friday.\n',
    );
  });

  it('keeps a block restyled by one and its text edited by the other', () => {
    const base = 'Shopping\n\n- milk\n- bread\n';
    expect(mergeConcurrent(base, ['# Shopping\n\n- milk\n- bread\n', 'Shopping list\n\n- milk\n- bread\n- eggs\n'])).toBe(
      '# Shopping list\n\n- milk\n- bread\n- eggs\n',
    );
  });

  it('keeps a paragraph split by one and a word added by the other', () => {
    const base = 'The plan is ready. The budget is not.\n';
    expect(mergeConcurrent(base, ['The plan is ready.\n\nThe budget is not.\n', 'The plan is ready. The budget is not final.\n'])).toBe(
      'The plan is ready.\n\nThe budget is not final.\n',
    );
  });
});

describe('setBodyFromMarkdown on its own', () => {
  it('writes the same spans as the Markdown reads, and nothing when nothing changed', () => {
    const markdown = '# Title\n\nSome **bold** text with a [link](https://e.x).\n\n- one\n- two\n\n> quote\n\n```ts\ncode\n```\n';
    const doc = docWithBody('Old text.\n');
    const edited = A.change(doc, (d) => setBodyFromMarkdown(d, markdown));
    expect(bodyAsMarkdown(edited)).toBe(markdown);
    expect(JSON.stringify(A.spans(edited, ['body']).map((span) => (span.type === 'text' ? span.value : String(span.value['type']))))).toBe(
      JSON.stringify(markdownToSpans(markdown).map((span) => (span.type === 'text' ? span.value : String(span.value['type'])))),
    );
    const again = A.change(edited, (d) => setBodyFromMarkdown(d, markdown));
    expect(A.getHeads(again)).toEqual(A.getHeads(edited));
  });

  it('reaches an open editor as the blocks it restyled in place', () => {
    // What the page does with a change from the CLI or a peer (renderer/editor/sync.ts).
    const steps = [
      'Title\n\nThe plan.\n\n- milk\n- bread\n\n> Quote.\n',
      '# Title\n\nThe plan.\n\n1. milk\n2. bread\n\n> Quote.\n',
      '## Title\n\n> The plan.\n\n1. milk\n2. bread\n\nQuote.\n',
      '## Title\n\n```ts\nThe plan.\n```\n\n- milk\n  - bread\n\nQuote.\n',
    ];
    let doc = docWithBody(steps[0]!);
    let state = EditorState.create({ schema: adapter.schema, doc: pmDocFromSpans(adapter, A.spans(doc, ['body'])) });
    for (const markdown of steps.slice(1)) {
      let patches: A.Patch[] = [];
      const after = A.change(doc, { patchCallback: (p) => (patches = p) }, (d) => setBodyFromMarkdown(d, markdown));
      // No marker deleted or inserted in the text: only their fields change.
      expect(patches.filter((patch) => (patch.action === 'insert' || patch.action === 'del') && patch.path.length === 2)).toEqual([]);
      state = state.apply(patchesToTr({ adapter, path: ['body'], before: doc, after, patches, state }));
      expect(state.doc.toJSON()).toEqual(pmDocFromSpans(adapter, A.spans(after, ['body'])).toJSON());
      doc = after;
    }
  });

  it('inserts a new paragraph as one run of characters, in one splice', () => {
    const base = docWithBody('The meeting is on Monday.\n\nBring notes.\n');
    const patches: A.Patch[] = [];
    A.change(base, { patchCallback: (p) => patches.push(...p) }, (doc) =>
      setBodyFromMarkdown(doc, 'The meeting is on Monday.\n\nBring notes.\n\nNext meeting is on Friday.\n'),
    );
    const inserted = patches.filter((patch): patch is A.SpliceTextPatch => patch.action === 'splice').map((patch) => patch.value);
    expect(inserted).toEqual(['Next meeting is on Friday.']);
  });

  it('rewrites a whole document of many blocks, with as many blocks after or more', () => {
    const before = Array.from({ length: 300 }, (_, index) => `Paragraph ${index} says something.`).join('\n\n') + '\n';
    const sameCount =
      Array.from({ length: 300 }, (_, index) => (index % 3 === 0 ? `- item ${index}` : `Paragraph ${index} says **another** thing.`)).join('\n\n') + '\n';
    const moreBlocks = Array.from({ length: 450 }, (_, index) => `${index % 2 ? '## ' : ''}Block ${index} is new.`).join('\n\n') + '\n';
    for (const after of [sameCount, moreBlocks]) {
      const doc = A.change(docWithBody(before), (d) => setBodyFromMarkdown(d, after));
      expect(bodyAsMarkdown(doc)).toBe(bodyAsMarkdown(docWithBody(after)));
    }
  });
});

describe('any Markdown edit (seeded random documents and edits)', () => {
  let seed = 16;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const words = ['alpha', 'beta', 'the', 'a', 'fox', 'Friday', 'meeting', 'é', '漢字', 'x'];
  const sentence = (): string => {
    const parts = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
      const word = pick(words);
      const style = random();
      return style < 0.1
        ? `**${word}**`
        : style < 0.15
          ? `*${word}*`
          : style < 0.2
            ? `[${word}](https://e.x/${pick(words)})`
            : style < 0.23
              ? `\`${word}\``
              : word;
    });
    return parts.join(pick([' ', ' ', ', '])) + pick(['.', '!', '']);
  };
  const block = (): string =>
    pick([
      sentence,
      sentence,
      () => `## ${sentence()}`,
      () => `- ${sentence()}\n- ${sentence()}`,
      () => `1. ${sentence()}`,
      () => `> ${sentence()}`,
      () => `\`\`\`js\n${sentence()}\n\`\`\``,
    ])();
  const edit = (blocks: string[]): string[] => {
    const out = [...blocks];
    for (let count = 1 + Math.floor(random() * 3); count > 0; count--) {
      const at = Math.floor(random() * (out.length + 1));
      const choice = random();
      if (choice < 0.3 || out.length === 0) out.splice(at, 0, block());
      else if (choice < 0.45) out.splice(at % out.length, 1);
      else if (choice < 0.8) {
        const tokens = out[at % out.length]!.split(' ');
        tokens.splice(Math.floor(random() * (tokens.length + 1)), random() < 0.5 ? 0 : 1, random() < 0.3 ? `**${pick(words)}**` : pick(words));
        out[at % out.length] = tokens.join(' ');
      } else out[at % out.length] = out[at % out.length]!.replace(/^(#+ |- |1\. |> )?/, pick(['', '## ', '- ', '> ', '1. ']));
    }
    return out;
  };
  /** Block and text spans in a comparable form; a leading plain paragraph marker is the implicit paragraph. */
  const shapeOf = (spans: A.Span[]): string => {
    const parts = spans.map((span) =>
      span.type === 'text'
        ? [
            span.value,
            Object.entries(span.marks ?? {})
              .filter(([, value]) => value !== null && value !== false)
              .sort(),
          ]
        : (JSON.parse(
            JSON.stringify(span.value, (_key, value: unknown) => (value instanceof Object && 'val' in value ? (value as { val: unknown }).val : value)),
          ) as unknown),
    );
    const text = JSON.stringify(parts.map((part) => (Array.isArray(part) ? part : Object.entries(part as object).sort())));
    const plainFirst = JSON.stringify([Object.entries({ attrs: {}, isEmbed: false, parents: [], type: 'paragraph' }).sort()]).slice(0, -1);
    return text.startsWith(`${plainFirst},`) ? `[${text.slice(plainFirst.length + 1)}` : text;
  };

  it('reads back as written, writes nothing when nothing changed, and merges the same both ways', () => {
    for (let round = 0; round < 150; round++) {
      const blocks = Array.from({ length: Math.floor(random() * 6) }, block);
      const start = docWithBody(blocks.join('\n\n'));
      const [first, second] = [edit(blocks).join('\n\n'), edit(blocks).join('\n\n')];
      const alice = A.change(A.clone(start, actors[0]), (doc) => setBodyFromMarkdown(doc, first));
      const bob = A.change(A.clone(start, actors[1]), (doc) => setBodyFromMarkdown(doc, second));
      expect(bodyAsMarkdown(alice), first).toBe(bodyAsMarkdown(docWithBody(first)));
      expect(shapeOf(A.spans(alice, ['body'])), first).toBe(shapeOf(markdownToSpans(first)));
      expect(A.getHeads(A.change(alice, (doc) => setBodyFromMarkdown(doc, first)))).toEqual(A.getHeads(alice));
      expect(bodyAsMarkdown(A.merge(A.clone(alice), bob))).toBe(bodyAsMarkdown(A.merge(A.clone(bob), alice)));
    }
  });
});
