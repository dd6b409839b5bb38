/**
 * Everything the CLI prints goes through terminalText(): names, titles, comments and bodies come
 * from the vault, from imports and from other members, and a control character in them must not
 * reach the terminal, where it could recolour, move the cursor, rewrite earlier lines or set the
 * window title. Each one is shown as its \uXXXX escape instead, which is also how JSON writes it,
 * so `--json` output stays valid JSON with the same values.
 */
import { controlCharacters } from '../../common/control-characters.ts';

function escape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` safe for a terminal; with `inline` (a table cell), tabs and newlines are escaped too. */
export function terminalText(text: string, options: { inline?: boolean } = {}): string {
  return text.replace(controlCharacters({ lineBreaks: options.inline === true }), escape);
}
