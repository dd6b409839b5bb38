// The status board tells a page about a space only when what the page shows changed: the same
// status twice, or only a newer "last synced" time, sends nothing; a change in state, in what
// waits to be sent, in what was kept aside, or a reason does.
import type { SyncStatus } from '../../../../common/api/contract.ts';
import { HearthError } from '../../../../common/errors.ts';
import { describe, expect, it } from 'vitest';
import { reasonOf, StatusBoard } from '../../../../main/sync/status.ts';

function board() {
  const counts = { pending: 0, quarantined: 0, waiting: 0 };
  const spaces = new Map([['s1', { relay: 'ws://r/', paused: false }]]);
  const status = new StatusBoard({
    spaceOf: (id) => spaces.get(id),
    name: () => 'Team',
    pending: () => counts.pending,
    quarantined: () => counts.quarantined,
    waiting: () => counts.waiting,
  });
  const told: SyncStatus[] = [];
  status.statuses.on((s) => told.push(s));
  return { status, told, counts, spaces };
}

describe('StatusBoard', () => {
  it('tells a status once, not again while nothing a page shows changed', () => {
    const { status, told } = board();
    status.set('s1', { state: 'synced', lastSyncedAt: 1 });
    status.set('s1', { state: 'synced', lastSyncedAt: 2 });
    status.set('s1', {});
    expect(told.map((s) => s.state)).toEqual(['synced']);
    // The newest time is not lost: it travels with the next change and get() has it.
    expect(status.get('s1').lastSyncedAt).toBe(2);
  });

  it('tells when the outbox or the quarantine count changes, and shows synced-with-pending as syncing', () => {
    const { status, told, counts } = board();
    status.set('s1', { state: 'synced' });
    counts.pending = 3;
    status.set('s1', {});
    counts.pending = 0;
    status.set('s1', {});
    counts.quarantined = 1;
    status.set('s1', {});
    expect(told.map((s) => [s.state, s.pending, s.quarantined])).toEqual([
      ['synced', 0, 0],
      ['syncing', 3, 0],
      ['synced', 0, 0],
      ['synced', 0, 1],
    ]);
  });

  it('tells how many changes wait for history, and says nothing of it while none does', () => {
    const { status, told, counts } = board();
    status.set('s1', { state: 'synced' });
    expect(told.at(-1)).not.toHaveProperty('waiting');
    counts.quarantined = 9;
    counts.waiting = 8;
    status.set('s1', {});
    expect(told.at(-1)).toMatchObject({ quarantined: 9, waiting: 8 });
    counts.quarantined = 1;
    counts.waiting = 0;
    status.set('s1', {});
    expect(told.at(-1)).not.toHaveProperty('waiting');
  });

  it('drops a reason once synced, and progress once a round ends', () => {
    const { status, told } = board();
    status.set('s1', { state: 'offline', reason: { code: 'UNAVAILABLE', message: 'down' } });
    status.set('s1', { state: 'syncing', progress: { done: 1, total: 40 } });
    status.set('s1', { state: 'synced' });
    expect(told.map((s) => ({ state: s.state, reason: s.reason?.code, progress: s.progress?.done }))).toEqual([
      { state: 'offline', reason: 'UNAVAILABLE', progress: undefined },
      { state: 'syncing', reason: undefined, progress: 1 },
      { state: 'synced', reason: undefined, progress: undefined },
    ]);
  });

  it('warns naming the space, says nothing about a space that is gone, and forgets one', () => {
    const { status, told, spaces } = board();
    const warnings: string[] = [];
    status.warnings.on((w) => warnings.push(w.message));
    status.warn('s1', 'doc', 'RECORD_TAMPERED', 'a change that is not genuine');
    expect(warnings).toEqual(['Team: a change that is not genuine']);
    spaces.delete('s1');
    status.set('s1', { state: 'error' });
    expect(told.every((s) => s.state !== 'error')).toBe(true);
    expect(() => status.get('s1')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    status.forget('s1');
    expect(status.stateOf('s1')).toBeUndefined();
  });

  it('turns an error into a reason with its code, and its cause in the message', () => {
    expect(reasonOf(new HearthError('UNAVAILABLE', 'Cannot reach the relay.', { cause: new Error('ECONNREFUSED') }))).toEqual({
      code: 'UNAVAILABLE',
      message: 'Cannot reach the relay. (ECONNREFUSED)',
    });
    expect(reasonOf(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
  });
});
