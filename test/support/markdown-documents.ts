/** Full-size Markdown documents (just under 100,000 characters), for the rich-text tests and bench. */

/** Repeats `section` into a document of just under 100k characters that ends on a whole section. */
function sized(section: string): string {
  let markdown = '';
  while (markdown.length < 100_000) markdown += `${section}\n\n`;
  return `${markdown.slice(0, markdown.lastIndexOf('\n\n', 100_000))}\n`;
}

/** Typical prose: paragraphs with some marks and a heading now and then. */
export const proseDocument = sized(
  '## A heading\n\nA paragraph of ordinary prose with a **bold** phrase, an *emphasised* word and a [link](https://example.com). ' +
    'It goes on for a few more sentences, as paragraphs do, before the next one starts. '.repeat(3).trim(),
);

/** Worst case: every block a list, quote or code block. */
export const denseDocument = sized(
  [
    '## Section heading',
    'A paragraph with **bold**, *emphasis*, `code`, a [link](https://example.com) and some plain words to fill the line.',
    '- list item one\n- list item two\n  - nested item',
    '> a quotation that runs on for a while',
    '```js\nconsole.log("code");\n```',
  ].join('\n\n'),
);
