/** The member directory's rules (workspace-index.ts directoryRefusal): who may change an entry, and which names it may carry. */
import { describe, expect, it } from 'vitest';
import { directoryRefusal, type DirectoryEntry } from '../../../../main/sync/workspace-index.ts';

const entry = (username: string, more: Partial<DirectoryEntry> = {}): DirectoryEntry => ({ username, displayName: username, boxPublicKey: 'key', ...more });
const before = { ada: entry('ada'), bob: entry('bob', { formerUsernames: ['bobby'] }) };

describe('directoryRefusal', () => {
  it('lets a member change their own name, avatar and username, keeping the old username as a former one', () => {
    expect(
      directoryRefusal(
        before,
        { ...before, ada: entry('ada2', { displayName: 'Ada', avatar: 'data:image/png;base64,AA==', formerUsernames: ['ada'] }) },
        'ada',
      ),
    ).toBeUndefined();
  });

  it("refuses a change to another member's entry", () => {
    expect(directoryRefusal(before, { ...before, ada: entry('ada', { displayName: 'Impostor' }) }, 'bob')).toMatch(/only a member changes their own/);
  });

  it('refuses a former username the entry never had, and a username or former username another entry has', () => {
    expect(directoryRefusal(before, { ...before, bob: entry('bob', { formerUsernames: ['bobby', 'ada'] }) }, 'bob')).toMatch(/never had/);
    expect(directoryRefusal(before, { ...before, bob: entry('ada', { formerUsernames: ['bobby', 'bob'] }) }, 'bob')).toMatch(/another member has/);
    expect(directoryRefusal(before, { ...before, ada: entry('bobby', { formerUsernames: ['ada'] }) }, 'ada')).toMatch(/another member has/);
  });

  it('leaves additions and removals to the membership rules (an invitation adds an entry, a removal drops it)', () => {
    expect(directoryRefusal(before, { ...before, cy: entry('cy') }, 'ada')).toBeUndefined();
    expect(directoryRefusal(before, { ada: before.ada }, 'ada')).toBeUndefined();
  });
});
