/**
 * Characters that steer a terminal or reorder text instead of showing: the C0 controls (tab and
 * newline aside), DEL, the C1 controls (U+009B alone starts an escape sequence in some
 * terminals), and the bidirectional marks, overrides and isolates that make text read
 * differently from what it holds. One rule for every place that cleans or escapes text.
 */
const CONTROLS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/** A fresh global pattern of the characters above; with `lineBreaks`, tab and newline too. */
export function controlCharacters(options: { lineBreaks?: boolean } = {}): RegExp {
  return new RegExp(`[${CONTROLS}${options.lineBreaks ? '\\t\\n' : ''}]`, 'gu');
}

/** A name or title on one line: every run of control characters, tabs and newlines becomes one space. */
export function singleLine(text: string): string {
  return text.replace(new RegExp(`${controlCharacters({ lineBreaks: true }).source}+`, 'gu'), ' ').trim();
}

/** Text that may span lines (a comment): control characters dropped, tabs and newlines kept. */
export function withoutControlCharacters(text: string): string {
  return text.replace(controlCharacters(), '');
}
