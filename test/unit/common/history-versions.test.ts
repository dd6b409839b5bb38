// A document's history as versions: grouped by author and by pauses, each a state to read back,
// and word-level comparison of two texts.
import * as A from '@automerge/automerge';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSodium } from '../../../common/crypto/sodium.ts';
import { actorPrefix, newActor, prefixOf } from '../../../common/history/authors.ts';
import { compareTexts } from '../../../common/history/compare.ts';
import { findVersion, listVersions, stateAt, stateText, VERSION_IDLE_SECONDS } from '../../../common/history/versions.ts';

type Doc = { title: string; body: string; tags: string[] };

beforeAll(() => loadSodium());

/** `doc` with one more edit by `actor` at `time` (seconds), appending `text` to the body. */
function edit(doc: A.Doc<Doc>, actor: string, time: number, text: string): A.Doc<Doc> {
  const mine = A.clone(doc, { actor });
  return A.merge(
    doc,
    A.change(mine, { time }, (d) => A.splice(d, ['body'], d.body.length, 0, text)),
  );
}

describe('versions', () => {
  it('an actor names its account by prefix, and every replica gets its own actor', () => {
    const one = newActor('account-a');
    const two = newActor('account-a');
    expect(one).not.toBe(two);
    expect(prefixOf(one)).toBe(actorPrefix('account-a'));
    expect(prefixOf(two)).toBe(actorPrefix('account-a'));
    expect(actorPrefix('account-b')).not.toBe(actorPrefix('account-a'));
    // No account id inside the actor: the prefix is a hash of it.
    expect(one).not.toContain('account');
  });

  it('groups edits into one version per author and pause, newest state at the last', () => {
    const ada = newActor('ada');
    const grace = newActor('grace');
    let doc = A.from<Doc>({ title: 'T', body: '', tags: [] }, { actor: ada });
    const t0 = 1_700_000_000;
    doc = edit(doc, ada, t0, 'one ');
    doc = edit(doc, ada, t0 + 60, 'two ');
    doc = edit(doc, grace, t0 + 120, 'three ');
    doc = edit(doc, grace, t0 + 120 + VERSION_IDLE_SECONDS + 1, 'four ');
    const versions = listVersions(doc);
    // The document's creation and Ada's two edits within five minutes are one version.
    expect(versions.map((v) => [v.author === actorPrefix('ada') ? 'ada' : 'grace', v.changes])).toEqual([
      ['ada', 3],
      ['grace', 1],
      ['grace', 1],
    ]);
    expect(stateText(stateAt(doc, versions[0]!.heads))).toBe('one two ');
    expect(stateText(stateAt(doc, versions[1]!.heads))).toBe('one two three ');
    expect(versions[2]!.heads).toEqual(A.getHeads(doc));
    expect(findVersion(versions, versions[1]!.id.slice(0, 8)).id).toBe(versions[1]!.id);
    expect(() => findVersion(versions, 'abc')).toThrow(/no version/);
  });

  it('compares two texts word by word', () => {
    expect(compareTexts('the quick brown fox', 'the slow brown fox jumps')).toEqual([
      { kind: 'same', text: 'the ' },
      { kind: 'removed', text: 'quick' },
      { kind: 'added', text: 'slow' },
      { kind: 'same', text: ' brown fox' },
      { kind: 'added', text: ' jumps' },
    ]);
    expect(compareTexts('same', 'same')).toEqual([{ kind: 'same', text: 'same' }]);
    // A rewrite that shares only its spaces reads as one change, not word salad.
    expect(compareTexts('The first draft says ninety.', 'Bob rewrote it to say eleven.')).toEqual([
      { kind: 'removed', text: 'The first draft says ninety' },
      { kind: 'added', text: 'Bob rewrote it to say eleven' },
      { kind: 'same', text: '.' },
    ]);
  });
});
