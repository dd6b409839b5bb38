import { describe, expect, it } from 'vitest';
import { singleLine, withoutControlCharacters } from '../../../common/control-characters.ts';
import { terminalText } from '../../../main/cli/terminal-text.ts';

const NASTY = 'a\u0000b\u0007c\u001b[31md\u007fe\u0085f\u009b2Jg\u202eh\u2066i\r\nj\tk';

describe('control characters', () => {
  it('a name keeps to one line, each run of controls becoming one space', () => {
    expect(singleLine(`  ${NASTY}  `)).toBe('a b c [31md e f 2Jg h i j k');
    expect(singleLine('plain name')).toBe('plain name');
  });

  it('a comment keeps its lines and tabs and loses the rest', () => {
    expect(withoutControlCharacters(NASTY)).toBe('abc[31mdef2Jghi\nj\tk');
  });

  it('the terminal sees escapes, never the characters; JSON stays JSON with the same value', () => {
    const shown = terminalText(NASTY);
    expect(shown).toBe('a\\u0000b\\u0007c\\u001b[31md\\u007fe\\u0085f\\u009b2Jg\\u202eh\\u2066i\\u000d\nj\tk');
    expect(terminalText(NASTY, { inline: true })).not.toMatch(/[\n\t]/);
    const json = terminalText(JSON.stringify({ title: NASTY }));
    expect(json).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e\u2066]/);
    expect(JSON.parse(json)).toEqual({ title: NASTY });
  });
});
