// The presence payload: sealed with the space key, bound to space, document and epoch, and to the
// sender the relay names; anything else opens to nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSodium, randomKey, utf8 } from '../../../common/crypto/sodium.ts';
import { MAX_PRESENCE_BYTES, openPresence, sealPresence } from '../../../common/protocol/presence.ts';

beforeAll(() => loadSodium());

describe('presence payload', () => {
  it('opens only for its space, document, epoch key and sender', () => {
    const key = randomKey();
    const body = { account: 'ann', selection: { from: 3, to: 8 }, at: 1000 };
    const payload = sealPresence({ space: 's1', doc: 'd1', epoch: 2 }, body, key);
    expect(payload.length).toBeLessThan(MAX_PRESENCE_BYTES);
    const keyOf = (epoch: number) => (epoch === 2 ? key : undefined);
    expect(openPresence(payload, { space: 's1', doc: 'd1', from: 'ann' }, keyOf)).toEqual(body);
    expect(openPresence(payload, { space: 's1', doc: 'd2', from: 'ann' }, keyOf)).toBeUndefined();
    expect(openPresence(payload, { space: 's2', doc: 'd1', from: 'ann' }, keyOf)).toBeUndefined();
    expect(openPresence(payload, { space: 's1', doc: 'd1', from: 'bob' }, keyOf)).toBeUndefined();
    expect(openPresence(payload, { space: 's1', doc: 'd1', from: 'ann' }, () => randomKey())).toBeUndefined();
    const relabelled = payload.slice();
    relabelled[3] = 1; // claims epoch 1
    expect(openPresence(relabelled, { space: 's1', doc: 'd1', from: 'ann' }, () => key)).toBeUndefined();
    const flipped = payload.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(openPresence(flipped, { space: 's1', doc: 'd1', from: 'ann' }, keyOf)).toBeUndefined();
    for (const junk of [new Uint8Array(0), new Uint8Array(3), utf8('0000{"account":"ann"}'), new Uint8Array(MAX_PRESENCE_BYTES + 1)]) {
      expect(openPresence(junk, { space: 's1', doc: 'd1', from: 'ann' }, () => key)).toBeUndefined();
    }
  });

  it('refuses to seal a selection that is not one', () => {
    expect(() => sealPresence({ space: 's', doc: 'd', epoch: 0 }, { account: 'a', selection: { from: 5, to: 1 }, at: 0 }, randomKey())).toThrow();
  });
});
