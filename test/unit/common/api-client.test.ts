// The one client-side builder of HearthApi (common/api/client.ts), which the browser-mode client
// and the in-process client share: every contract method calls through with its name and
// arguments, and events reach their listeners, one broken listener not stopping the others.
import { describe, expect, it } from 'vitest';
import { buildApiClient } from '../../../common/api/client.ts';
import { apiMethods } from '../../../common/api/contract.ts';

describe('buildApiClient', () => {
  it('has every method of the contract, each calling through with its name and arguments', async () => {
    const calls: Array<[string, unknown[]]> = [];
    const { api } = buildApiClient(async (method, args) => {
      calls.push([method, args]);
      return { ok: true, value: method };
    });
    expect(Object.keys(api).sort()).toEqual([...apiMethods, 'on'].sort());
    expect(await api.renameWorkspace('w1', 'Notes')).toEqual({ ok: true, value: 'renameWorkspace' });
    expect(calls).toEqual([['renameWorkspace', ['w1', 'Notes']]]);
  });

  it('delivers events to their listeners only, until they unsubscribe; a listener that throws is reported and the rest still hear it', () => {
    const reported: unknown[] = [];
    const { api, deliver } = buildApiClient(
      async () => ({ ok: true, value: null }),
      (error) => reported.push(error),
    );
    const heard: string[] = [];
    api.on('locked', () => {
      throw new Error('broken listener');
    });
    const off = api.on('locked', ({ reason }) => heard.push(`locked:${reason}`));
    api.on('wiped', ({ reason }) => heard.push(`wiped:${reason}`));
    deliver('locked', { reason: 'idle' });
    off();
    deliver('locked', { reason: 'user' });
    deliver('wiped', { reason: 'wipe' });
    expect(heard).toEqual(['locked:idle', 'wiped:wipe']);
    expect(reported).toHaveLength(2);
  });
});
