// The wire protocol both sides share: framing round-trips binary without base64, and every
// malformed frame is refused with BAD_REQUEST before any handler could see it.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSodium, randomBytes } from '../../../common/crypto/sodium.ts';
import { isHearthError } from '../../../common/errors.ts';
import { decodeRawFrame, encodeRawFrame } from '../../../common/protocol/frame.ts';
import { decodeClientFrame, decodeRelayFrame, encodeFrame } from '../../../common/protocol/messages.ts';

beforeAll(loadSodium);

function refused(bytes: Uint8Array): boolean {
  try {
    decodeClientFrame(bytes);
    return false;
  } catch (error) {
    return isHearthError(error, 'BAD_REQUEST');
  }
}

describe('frames', () => {
  it('carries binary parts as raw bytes: a 100 KB change adds only a small header', () => {
    const change = randomBytes(100_000);
    const bytes = encodeFrame({ t: 'push', rid: 7, space: 'space1', doc: 'doc1', parts: [change] });
    expect(bytes.length - change.length).toBeLessThan(100);
    const frame = decodeClientFrame(bytes);
    expect(frame).toMatchObject({ t: 'push', rid: 7, space: 'space1', doc: 'doc1' });
    expect(Buffer.from(frame.parts[0]!).equals(Buffer.from(change))).toBe(true);
  });

  it('round-trips relay frames with a variable number of parts', () => {
    const parts = [randomBytes(10), randomBytes(0), randomBytes(3)];
    const bytes = encodeFrame({ t: 'changes', rid: 1, space: 's', doc: 'd', snapshot: null, seqs: [4, 5, 6], latest: 6, parts });
    const frame = decodeRelayFrame(bytes);
    expect(frame.t).toBe('changes');
    expect(frame.parts.map((p) => p.length)).toEqual([10, 0, 3]);
  });

  it('refuses to encode an invalid frame, so a client cannot send one by mistake', () => {
    expect(() => encodeFrame({ t: 'push', rid: 1, space: 'no spaces allowed', doc: 'd', parts: [new Uint8Array(1)] })).toThrow();
    expect(() => encodeFrame({ t: 'push', rid: 1, space: 's', doc: 'd', parts: [] })).toThrow();
  });

  it('refuses malformed, truncated and mislabelled frames', () => {
    const good = encodeFrame({ t: 'push', rid: 1, space: 's', doc: 'd', parts: [randomBytes(40)] });
    expect(refused(new Uint8Array(0))).toBe(true);
    expect(refused(good.subarray(0, good.length - 1))).toBe(true); // truncated part
    expect(refused(good.subarray(0, 10))).toBe(true); // truncated header
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(refused(longer)).toBe(true); // trailing byte
    expect(refused(encodeRawFrame({ t: 'push', rid: 1, space: 's', doc: 'd' }, []))).toBe(true); // missing part
    expect(refused(encodeRawFrame({ t: 'push', rid: 1, space: 's', doc: 'd', extra: 1 }, [randomBytes(3)]))).toBe(true); // unknown field
    expect(refused(encodeRawFrame({ t: 'teleport', rid: 1 }, []))).toBe(true);
    expect(refused(encodeRawFrame({ t: 'pull', rid: -1, space: 's', doc: 'd', since: 0 }, []))).toBe(true);
    expect(refused(encodeRawFrame({ t: 'pull', rid: 1, space: 's', doc: 'd', since: 1.5 }, []))).toBe(true);
    const lying = new Uint8Array(8);
    new DataView(lying.buffer).setUint32(0, 0xffffffff);
    expect(refused(lying)).toBe(true);
    // putEnvelopes must carry exactly one envelope per recipient
    // Non-canonical base64url (stray bits in the last character) is refused at the schema.
    expect(refused(encodeRawFrame({ t: 'signIn', rid: 1, account: `${'A'.repeat(42)}B`, nonce: 'A'.repeat(43), signature: 'A'.repeat(86) }, []))).toBe(true);
    expect(refused(encodeRawFrame({ t: 'signIn', rid: 1, account: 'A'.repeat(43), nonce: 'A'.repeat(43), signature: `${'A'.repeat(85)}B` }, []))).toBe(true);
    expect(refused(encodeRawFrame({ t: 'signIn', rid: 1, account: 'A'.repeat(43), nonce: 'A'.repeat(43), signature: 'A'.repeat(86) }, []))).toBe(false);
    const recipient = 'A'.repeat(43);
    expect(refused(encodeRawFrame({ t: 'putEnvelopes', rid: 1, space: 's', epoch: 0, recipients: [recipient, recipient] }, [randomBytes(80)]))).toBe(true);
  });

  it('never returns part lengths that point outside the frame', () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(1 + (i % 200));
      try {
        const { parts } = decodeRawFrame(bytes);
        for (const part of parts) expect(part.byteOffset + part.length).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
      } catch (error) {
        expect(isHearthError(error, 'BAD_REQUEST')).toBe(true);
      }
    }
  });
});
