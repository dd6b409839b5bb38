/** Markdown ⇄ Automerge rich text, shared by the editor, the CLI and the search index. */
export { markdownToSpans } from './markdownToSpans.ts';
export { spansToMarkdown } from './spansToMarkdown.ts';
export { plainText } from './plainText.ts';
export { setBodyFromMarkdown, bodyAsMarkdown, bodyPath } from './body.ts';
export { BlockType, MarkName, encodeLinkMark, decodeLinkMark, updateSpansConfig, type BlockMarker, type LinkTarget, type Span } from './schema.ts';
