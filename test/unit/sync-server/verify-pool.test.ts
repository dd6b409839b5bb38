// The relay's signature checks take two paths: a lone check runs inline on the main thread, a
// burst past a few per turn of the event loop goes to the verification threads. Both paths refuse
// a forged or altered change and a forged sign-in exactly as the other does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys, type IdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, newId, randomKey, toBase64Url, utf8 } from '../../../common/crypto/sodium.ts';
import { signAuth } from '../../../common/protocol/auth.ts';
import { sealChange } from '../../../common/protocol/change.ts';
import { INLINE_CHECKS_PER_TURN, VerifyPool } from '../../../sync-server/verify-pool.ts';

let author: IdentityKeys;
let mallory: IdentityKeys;
let pool: VerifyPool;
const onFailure = () => undefined;

beforeAll(async () => {
  await loadSodium();
  author = generateIdentityKeys();
  mallory = generateIdentityKeys();
  pool = await VerifyPool.acquire(1, onFailure);
});
afterAll(() => pool.release(onFailure));

/** A content change that names `author` as its author, signed with `signer`'s key. */
function change(signer: IdentityKeys): Uint8Array {
  const meta = {
    space: newId(),
    doc: 'doc',
    kind: 'content' as const,
    epoch: 0,
    head: 'a'.repeat(64),
    author: toBase64Url(author.signPublicKey),
    id: newId(),
    at: 1,
  };
  return sealChange(meta, utf8('text'), randomKey(), signer.signSecretKey);
}

function altered(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.length - 80]! ^= 0x01;
  return copy;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const outcomeOf = (check: Promise<unknown>) =>
  check.then(
    () => 'ok',
    (error: { code?: string }) => error.code ?? 'crash',
  );

describe('signature checks inline and on threads', () => {
  it('checks a lone change inline, and refuses it there when it is forged or altered', async () => {
    await nextTurn();
    const before = { ...pool.checked };
    expect(await outcomeOf(pool.verifyChange(change(author)))).toBe('ok');
    await nextTurn();
    expect(await outcomeOf(pool.verifyChange(change(mallory)))).toBe('RECORD_TAMPERED');
    await nextTurn();
    expect(await outcomeOf(pool.verifyChange(altered(change(author))))).toBe('RECORD_TAMPERED');
    expect(pool.checked.inline - before.inline).toBe(3);
    expect(pool.checked.onThreads - before.onThreads).toBe(0);
  });

  it('sends a burst past the inline budget to the threads, which refuse the same forgeries', async () => {
    await nextTurn();
    const before = { ...pool.checked };
    const burst = Array.from({ length: 4 * INLINE_CHECKS_PER_TURN }, (_, i) =>
      i % 3 === 0 ? change(author) : i % 3 === 1 ? change(mallory) : altered(change(author)),
    );
    const outcomes = await Promise.all(burst.map((bytes) => outcomeOf(pool.verifyChange(bytes))));
    expect(outcomes).toEqual(burst.map((_, i) => (i % 3 === 0 ? 'ok' : 'RECORD_TAMPERED')));
    expect(pool.checked.inline - before.inline).toBe(INLINE_CHECKS_PER_TURN);
    expect(pool.checked.onThreads - before.onThreads).toBe(3 * INLINE_CHECKS_PER_TURN);
  });

  it('refuses a sign-in signed by another key on either path', async () => {
    await nextTurn();
    const account = toBase64Url(author.signPublicKey);
    const genuine = signAuth('signIn', 'relay', 'nonce', account, author.signSecretKey);
    const forged = signAuth('signIn', 'relay', 'nonce', account, mallory.signSecretKey);
    const before = { ...pool.checked };
    const checks = Array.from({ length: 2 * INLINE_CHECKS_PER_TURN }, (_, i) => pool.verifyAuth('signIn', 'relay', 'nonce', account, i % 2 ? forged : genuine));
    expect(await Promise.all(checks)).toEqual(checks.map((_, i) => i % 2 === 0));
    expect(pool.checked.inline - before.inline).toBe(INLINE_CHECKS_PER_TURN);
    expect(pool.checked.onThreads - before.onThreads).toBe(INLINE_CHECKS_PER_TURN);
  });
});
