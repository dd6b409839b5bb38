// The recovery key's text and keys (common/devices/recovery-key.ts), as a person typing it from
// paper meets them: eight groups of four, read back whatever the case and separators, with I/L/O
// taken for 1/1/0; any one wrong character caught by the checksum before anything is sent; the
// same key derives the same device on both crypto backends, a different key another device.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sodiumNativeBackend, wasmBackend, type SodiumNativeBinding } from '../../../common/crypto/backends.ts';
import { loadSodium, useCryptoBackend } from '../../../common/crypto/sodium.ts';
import { newRecoveryKey, parseRecoveryKey, recoveryDeviceKeys } from '../../../common/devices/recovery-key.ts';
import { useNativeCrypto } from '../../../main/native-crypto.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

beforeAll(loadSodium);
afterAll(() => {
  useNativeCrypto();
});

describe('the recovery key', () => {
  it('is eight groups of four characters of 160 bits (128 of them random), and reads back however it is typed', () => {
    const key = newRecoveryKey();
    expect(key).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(newRecoveryKey()).not.toBe(key);
    const secret = parseRecoveryKey(key);
    expect(secret).toHaveLength(16);
    expect(parseRecoveryKey(` ${key.toLowerCase().replaceAll('-', ' ')} `)).toEqual(secret);
    const confusable = key.replaceAll('1', 'l').replaceAll('0', 'O');
    expect(parseRecoveryKey(confusable)).toEqual(secret);
  });

  it('catches every single-character typo, a missing or extra character, and characters outside its alphabet', () => {
    const key = newRecoveryKey().replaceAll('-', '');
    for (let at = 0; at < key.length; at++) {
      const other = ALPHABET[(ALPHABET.indexOf(key[at]!) + 1 + (at % 31)) % 32]!;
      expect(() => parseRecoveryKey(key.slice(0, at) + other + key.slice(at + 1)), `position ${at}`).toThrow(
        expect.objectContaining({ code: 'BAD_RECOVERY_KEY', message: expect.stringContaining('typo') }),
      );
    }
    for (const wrong of [key.slice(1), `${key}A`, `${key.slice(1)}U`, ''])
      expect(() => parseRecoveryKey(wrong)).toThrow(expect.objectContaining({ code: 'BAD_RECOVERY_KEY' }));
  });

  it('derives the same device from the same key on both crypto backends, and another device from another key', async () => {
    const secret = parseRecoveryKey(newRecoveryKey());
    useCryptoBackend(wasmBackend(await loadSodium()));
    const fromWasm = recoveryDeviceKeys(secret);
    useCryptoBackend(sodiumNativeBackend(createRequire(import.meta.url)('sodium-native') as SodiumNativeBinding));
    const fromNative = recoveryDeviceKeys(secret);
    expect(fromNative).toEqual(fromWasm);
    expect(fromNative.id).toHaveLength(43);
    expect(recoveryDeviceKeys(parseRecoveryKey(newRecoveryKey())).id).not.toBe(fromNative.id);
  });
});
