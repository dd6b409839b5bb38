// Sign-in at the relay: a signature over a relay-issued nonce, bound to this relay, used once.
// Each way an attacker might get in is tried and must be refused with UNAUTHENTICATED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { toBase64Url } from '../../common/crypto/sodium.ts';
import { signAuth } from '../../common/protocol/auth.ts';
import { connect, createSpace, outcome, register, startTestRelay, type TestRelay } from './relay-fixture.ts';

let relay: TestRelay;
let otherRelay: TestRelay;
let shortRelay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
  otherRelay = await startTestRelay();
  shortRelay = await startTestRelay({ sessionTtlMs: 2_000, nonceTtlMs: 1_500 });
});
afterAll(async () => {
  await relay.stop();
  await otherRelay.stop();
  await shortRelay.stop();
});

describe('sign-in', () => {
  it('accepts the right key, and refuses every request before sign-in', async () => {
    const alice = await register(relay.url, 'alice');
    const fresh = await connect(relay.url);
    expect(await outcome(fresh.pull('space', 'doc', 0))).toBe('UNAUTHENTICATED');
    expect(await outcome(fresh.lookup(alice.username))).toBe('UNAUTHENTICATED');
    expect(await outcome(fresh.signIn(alice.keys))).toBe('ok');
    expect((await fresh.lookup(alice.username)).account).toBe(alice.id);
    fresh.close();
  });

  it('refuses a wrong signature', async () => {
    const alice = await register(relay.url, 'alice');
    const mallory = generateIdentityKeys();
    const client = await connect(relay.url);
    const { nonce } = await client.hello();
    const signature = signAuth('signIn', client.relayId, nonce, alice.id, mallory.signSecretKey);
    expect(await outcome(client.request({ t: 'signIn', account: alice.id, nonce, signature, parts: [] }))).toBe('UNAUTHENTICATED');
    // A register proof is not a sign-in proof either.
    const { nonce: second } = await client.hello();
    const registerProof = signAuth('register', client.relayId, second, alice.id, alice.keys.signSecretKey);
    expect(await outcome(client.request({ t: 'signIn', account: alice.id, nonce: second, signature: registerProof, parts: [] }))).toBe('UNAUTHENTICATED');
    client.close();
  });

  it('refuses a replayed nonce, on the same connection and on another', async () => {
    const alice = await register(relay.url, 'alice');
    const client = await connect(relay.url);
    const { nonce } = await client.hello();
    const frame = {
      t: 'signIn' as const,
      account: alice.id,
      nonce,
      signature: signAuth('signIn', client.relayId, nonce, alice.id, alice.keys.signSecretKey),
      parts: [],
    };
    expect(await outcome(client.request(frame))).toBe('ok');
    expect(await outcome(client.request(frame))).toBe('UNAUTHENTICATED');
    const eavesdropper = await connect(relay.url);
    await eavesdropper.hello();
    expect(await outcome(eavesdropper.request(frame))).toBe('UNAUTHENTICATED');
    expect(await outcome(eavesdropper.pull('s', 'd', 0))).toBe('UNAUTHENTICATED');
    client.close();
    eavesdropper.close();
  });

  it('refuses a nonce and signature made for another relay', async () => {
    const alice = generateIdentityKeys();
    const account = toBase64Url(alice.signPublicKey);
    const home = await connect(relay.url);
    await home.register(alice, { username: `alice-home-${process.pid}`, displayName: 'Alice' });
    const elsewhere = await connect(otherRelay.url);
    const { nonce: foreignNonce, relayId: foreignId } = await elsewhere.hello();
    expect(foreignId).not.toBe(relay.relayId);
    const victim = await connect(relay.url);
    const { nonce: homeNonce } = await victim.hello();
    // The other relay's nonce, signed for the other relay, replayed here:
    const foreign = signAuth('signIn', foreignId, foreignNonce, account, alice.signSecretKey);
    expect(await outcome(victim.request({ t: 'signIn', account, nonce: foreignNonce, signature: foreign, parts: [] }))).toBe('UNAUTHENTICATED');
    // This relay's nonce, but signed for the other relay (a malicious relay relaying a challenge):
    const { nonce: homeNonce2 } = await victim.hello();
    expect(homeNonce2).not.toBe(homeNonce);
    const relayed = signAuth('signIn', foreignId, homeNonce2, account, alice.signSecretKey);
    expect(await outcome(victim.request({ t: 'signIn', account, nonce: homeNonce2, signature: relayed, parts: [] }))).toBe('UNAUTHENTICATED');
    for (const c of [home, elsewhere, victim]) c.close();
  });

  it('refuses an unknown account', async () => {
    const stranger = generateIdentityKeys();
    const client = await connect(relay.url);
    expect(await outcome(client.signIn(stranger))).toBe('UNAUTHENTICATED');
    client.close();
  });

  it('refuses requests after the session expired, and a nonce that waited too long', async () => {
    const alice = await register(shortRelay.url, 'alice');
    const space = await createSpace(alice);
    expect(await outcome(alice.client.pull(space.id, 'doc', 0))).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await outcome(alice.client.pull(space.id, 'doc', 0))).toBe('UNAUTHENTICATED');
    const { nonce } = await alice.client.hello();
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const late = signAuth('signIn', alice.client.relayId, nonce, alice.id, alice.keys.signSecretKey);
    expect(await outcome(alice.client.request({ t: 'signIn', account: alice.id, nonce, signature: late, parts: [] }))).toBe('UNAUTHENTICATED');
    expect(await outcome(alice.client.signIn(alice.keys))).toBe('ok');
    expect(await outcome(alice.client.pull(space.id, 'doc', 0))).toBe('ok');
  });

  it('refuses a second account with the same username or key', async () => {
    const alice = await register(relay.url, 'alice');
    const client = await connect(relay.url);
    expect(await outcome(client.register(generateIdentityKeys(), { username: alice.username, displayName: 'Impostor' }))).toBe('ALREADY_EXISTS');
    expect(await outcome(client.register(alice.keys, { username: `${alice.username}x`.slice(0, 32), displayName: 'Again' }))).toBe('ALREADY_EXISTS');
    client.close();
  });
});
