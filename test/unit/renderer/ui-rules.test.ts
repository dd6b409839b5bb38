/** The small rules the UI applies on its own: which links it follows, the passphrase hint, tags. */
import { describe, expect, test } from 'vitest';
import { passphraseStrength } from '../../../renderer/components/passphraseStrength.ts';
import { parseTags } from '../../../renderer/components/TagEditor.tsx';
import { safeHref } from '../../../renderer/editor/schema.ts';
import { statusText } from '../../../renderer/state/team.ts';

describe('links', () => {
  test('only web and mail links keep an address', () => {
    expect(safeHref('https://example.org/a?b#c')).toBe('https://example.org/a?b#c');
    expect(safeHref('http://example.org')).toBe('http://example.org/');
    expect(safeHref('mailto:ada@example.org')).toBe('mailto:ada@example.org');
    for (const hostile of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>1</script>',
      'vbscript:x',
      'file:///etc/passwd',
      'blob:https://x/y',
      '/relative',
      '',
      null,
      42,
    ]) {
      expect(safeHref(hostile), String(hostile)).toBeNull();
    }
  });
});

describe('passphrase hint', () => {
  test('asks for 8 characters, then grows with length and variety', () => {
    expect(passphraseStrength('').score).toBe(0);
    expect(passphraseStrength('short').label).toBe('Too short');
    expect(passphraseStrength('password123').score).toBeLessThanOrEqual(1);
    expect(passphraseStrength('aaaaaaaaaaaaaaaa').score).toBeLessThanOrEqual(1);
    expect(passphraseStrength('ember lantern quiet harbor').score).toBeGreaterThanOrEqual(3);
    expect(passphraseStrength('Copper-kettle 42 winter road!').score).toBe(4);
  });
});

describe('tags', () => {
  test('are trimmed, de-duplicated, at most 50 characters and 50 tags', () => {
    expect(parseTags(' coast , harbor,,coast ')).toEqual(['coast', 'harbor']);
    expect(parseTags('x'.repeat(80))).toEqual(['x'.repeat(50)]);
    expect(parseTags(Array.from({ length: 60 }, (_, i) => `t${i}`).join(','))).toHaveLength(50);
  });
});

describe('sync status line', () => {
  const base = { workspaceId: 'w', name: 'Team', relay: 'ws://127.0.0.1:1', pending: 0, quarantined: 0 } as const;
  test('says how far a long round got, then what a file transfer is doing, then what waits', () => {
    expect(statusText({ ...base, state: 'syncing', progress: { done: 120, total: 1000 } })).toBe('Syncing 120 of 1000 documents');
    expect(statusText({ ...base, state: 'syncing', transfer: { fileId: 'f', name: 'plan.pdf', direction: 'down', done: 1, total: 4 } })).toBe(
      'Downloading plan.pdf: 25%',
    );
    expect(statusText({ ...base, state: 'syncing', pending: 3 })).toBe('Syncing 3 changes');
    expect(statusText({ ...base, state: 'synced' })).toBe('Synced');
    expect(statusText(undefined)).toBe('Not synced yet');
  });
});
