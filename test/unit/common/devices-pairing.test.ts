// The pairing's pieces (common/devices/pairing.ts) as a relay in the middle would probe them: the
// code changes with every key it could swap, a secret that does not match its commitment is
// refused, and the account material opens only on the device it was sealed to, unaltered.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../../common/crypto/identity.ts';
import { loadSodium, randomBytes, toBase64Url } from '../../../common/crypto/sodium.ts';
import { confirmationCode, openMaterial, pairingCommit, sealMaterial, type AccountMaterial } from '../../../common/devices/pairing.ts';

beforeAll(loadSodium);

const key = () => toBase64Url(generateIdentityKeys().signPublicKey);

describe('pairing', () => {
  it('shows a 6-digit code that changes with the account, either key, the secret or the nonce', () => {
    const secret = toBase64Url(randomBytes(32));
    const offer = { device: key(), box: key(), name: 'Desk', commit: pairingCommit(secret) };
    const [account, nonce] = [key(), key()];
    const code = confirmationCode(account, offer, secret, nonce);
    expect(code).toMatch(/^\d{6}$/);
    expect(confirmationCode(account, offer, secret, nonce)).toBe(code);
    const variants = [
      confirmationCode(key(), offer, secret, nonce),
      confirmationCode(account, { ...offer, device: key() }, secret, nonce),
      confirmationCode(account, { ...offer, box: key() }, secret, nonce),
      confirmationCode(account, offer, secret, key()),
    ];
    // Each differs except one time in a million; four at once are all different here.
    for (const other of variants) expect(other).not.toBe(code);
    const otherSecret = toBase64Url(randomBytes(32));
    expect(() => confirmationCode(account, offer, otherSecret, nonce)).toThrow(expect.objectContaining({ code: 'RECORD_TAMPERED' }));
  });

  it('opens the account material only on the device it was sealed to, for the pairing it was made for, unaltered', () => {
    const [approver, device, stranger] = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
    const material: AccountMaterial = {
      account: key(),
      keys: { signPublicKey: 'a', signSecretKey: 'b', boxPublicKey: 'c', boxSecretKey: 'd' },
      profile: { username: 'ada', displayName: 'Ada' },
      devices: [],
      relays: [],
      spaces: [],
    };
    const sealed = sealMaterial('p1', material, toBase64Url(device.boxPublicKey), {
      id: toBase64Url(approver.signPublicKey),
      signSecretKey: approver.signSecretKey,
    });
    expect(openMaterial('p1', sealed, device)).toEqual({ material, by: toBase64Url(approver.signPublicKey) });
    expect(() => openMaterial('p1', sealed, stranger)).toThrow(expect.objectContaining({ code: 'RECORD_TAMPERED' }));
    expect(() => openMaterial('p2', sealed, device)).toThrow(expect.objectContaining({ code: 'RECORD_TAMPERED' }));
    const outer = JSON.parse(new TextDecoder().decode(sealed)) as { by: string };
    const reattributed = new TextEncoder().encode(JSON.stringify({ ...outer, by: toBase64Url(stranger.signPublicKey) }));
    expect(() => openMaterial('p1', reattributed, device)).toThrow(expect.objectContaining({ code: 'RECORD_TAMPERED' }));
  });
});
