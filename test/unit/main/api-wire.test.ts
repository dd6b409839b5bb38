/** Browser mode's wire codec: bytes travel raw, and a hostile message cannot confuse the decoder. */
import { describe, expect, test } from 'vitest';
import { decodeWireMessage, encodeWireMessage } from '../../../common/api/wire.ts';
import { encodeRawFrame } from '../../../common/protocol/frame.ts';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('wire codec', () => {
  test('nested bytes round-trip as raw binary, not base64', () => {
    const change = new Uint8Array(1000).map((_, i) => i % 251);
    const encoded = encodeWireMessage({ type: 'request', id: 7, method: 'applyChanges', args: ['doc1', [change, new Uint8Array(0), change.subarray(10, 20)]] });
    // The frame is the bytes plus a small envelope: base64 would be a third larger.
    expect(encoded.length).toBeLessThan(1000 + 10 + 200);
    const decoded = decodeWireMessage(encoded);
    expect(decoded).toEqual({ type: 'request', id: 7, method: 'applyChanges', args: ['doc1', [change, new Uint8Array(0), change.subarray(10, 20)]] });
  });

  test('an event with changes and a response with a result round-trip', () => {
    const event = {
      type: 'event' as const,
      event: 'documentChanged' as const,
      payload: {
        documentId: 'd',
        changes: [new Uint8Array([1, 2])],
        summary: { id: 'd', workspaceId: 'w', title: 'T', tags: ['a'], createdAt: 1, updatedAt: 2 },
      },
    };
    expect(decodeWireMessage(encodeWireMessage(event))).toEqual(event);
    const response = {
      type: 'response' as const,
      id: 1,
      result: { ok: true as const, value: { summary: { title: 'x'.repeat(100_000) }, bytes: new Uint8Array([9]) } },
    };
    // Larger than the relay frame's 64 KiB header limit: the JSON travels as a part.
    expect(decodeWireMessage(encodeWireMessage(response))).toEqual(response);
  });

  test('more byte arrays than the frame has parts still fit (applyChanges allows 10,000 changes)', () => {
    const changes = Array.from({ length: 10_000 }, (_, i) => new Uint8Array([i & 255, i >> 8]));
    const decoded = decodeWireMessage(encodeWireMessage({ type: 'request', id: 1, method: 'applyChanges', args: ['d', changes] }));
    expect(decoded.type === 'request' && (decoded.args[1] as Uint8Array[])[9_999]).toEqual(new Uint8Array([9_999 & 255, 9_999 >> 8]));
  });

  test.each([
    ['bytes pointing outside the message', { type: 'request', id: 1, method: 'x', args: [{ $bytes: [0, 10] }] }, new Uint8Array(4)],
    ['a negative offset', { type: 'request', id: 1, method: 'x', args: [{ $bytes: [-1, 1] }] }, new Uint8Array(4)],
    ['a placeholder with company', { type: 'request', id: 1, method: 'x', args: [{ $bytes: [0, 1], evil: true }] }, new Uint8Array(4)],
    ['a request without args', { type: 'request', id: 1, method: 'x' }, new Uint8Array(0)],
    ['an unknown type', { type: 'shell', id: 1 }, new Uint8Array(0)],
    ['a non-object body', [1, 2, 3], new Uint8Array(0)],
  ])('%s is refused as BAD_REQUEST', (_what, body, blob) => {
    expect(() => decodeWireMessage(encodeRawFrame({ kind: 'hearth-api' }, [json(body), blob]))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  test('garbage, truncated frames and foreign frames are refused as BAD_REQUEST', () => {
    const good = encodeWireMessage({ type: 'request', id: 1, method: 'status', args: [] });
    for (const bad of [
      new Uint8Array(0),
      good.subarray(0, good.length - 1),
      encodeRawFrame({ kind: 'relay' }, [json({}), new Uint8Array(0)]),
      new Uint8Array(100).fill(255),
    ]) {
      expect(() => decodeWireMessage(bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    }
  });

  test('a "__proto__" key in a message stays plain data and pollutes nothing', () => {
    const body = '{"type":"request","id":1,"method":"updateProfile","args":[{"__proto__":{"polluted":true},"displayName":{"$bytes":[0,1]}}]}';
    const decoded = decodeWireMessage(encodeRawFrame({ kind: 'hearth-api' }, [new TextEncoder().encode(body), new Uint8Array([5])]));
    const arg = (decoded as { args: Array<Record<string, unknown>> }).args[0]!;
    expect(Object.getPrototypeOf(arg)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(arg.displayName).toEqual(new Uint8Array([5]));
  });

  test('an object that looks like a placeholder cannot be sent', () => {
    expect(() => encodeWireMessage({ type: 'request', id: 1, method: 'x', args: [{ $bytes: [0, 0] }] })).toThrow(/\$bytes/);
  });
});
