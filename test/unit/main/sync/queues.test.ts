// One queue per space: operations on a space run one after another in the order they were
// queued, a failure does not stop the ones behind it, and idle() waits for work queued meanwhile.
import { describe, expect, it } from 'vitest';
import { SpaceQueues } from '../../../../main/sync/queues.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('SpaceQueues', () => {
  it('runs one space in order, never two of its operations at once, and other spaces alongside', async () => {
    const queues = new SpaceQueues();
    const log: string[] = [];
    let inside = 0;
    const op = (space: string, name: string) =>
      queues.run(space, async () => {
        inside++;
        expect(inside).toBe(1);
        log.push(`${name} start`);
        await tick();
        log.push(`${name} end`);
        inside--;
      });
    await Promise.all([op('a', 'a1'), op('a', 'a2')]);
    expect(log).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end']);
  });

  it('goes on after a failure, which its caller still sees', async () => {
    const queues = new SpaceQueues();
    const failed = queues.run('a', async () => {
      throw new Error('relay gone');
    });
    const next = queues.run('a', async () => 'ran');
    await expect(failed).rejects.toThrow('relay gone');
    await expect(next).resolves.toBe('ran');
  });

  it('idle() also waits for what was queued while it waited', async () => {
    const queues = new SpaceQueues();
    let last = '';
    void queues.run('a', async () => {
      await tick();
      void queues.run('b', async () => {
        await tick();
        last = 'b';
      });
    });
    await queues.idle();
    expect(last).toBe('b');
  });
});
