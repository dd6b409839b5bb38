// The Node side does its crypto with sodium-native, the page with libsodium's wasm build: each
// must open what the other sealed and verify what the other signed, and both must give the
// published test vectors' bytes. A vault made under one opens under the other.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as A from '@automerge/automerge';
import { sodiumNativeBackend, wasmBackend, type CryptoBackend, type SodiumNativeBinding } from '../../../common/crypto/backends.ts';
import { generateIdentityKeys } from '../../../common/crypto/identity.ts';
import { cryptoBackend, fromHex, loadSodium, randomBytes, randomKey, toBase64Url, toHex, useCryptoBackend, utf8 } from '../../../common/crypto/sodium.ts';
import { openChange, sealChange, verifyChange } from '../../../common/protocol/change.ts';
import { useNativeCrypto } from '../../../main/native-crypto.ts';
import { MIN_KDF_COST } from '../../../main/vault/keys.ts';
import { Vault } from '../../../main/vault/vault.ts';

let wasm: CryptoBackend;
let native: CryptoBackend;
const pairs = () => [
  { from: wasm, to: native },
  { from: native, to: wasm },
];

beforeAll(async () => {
  wasm = wasmBackend(await loadSodium());
  native = sodiumNativeBackend(createRequire(import.meta.url)('sodium-native') as SodiumNativeBinding);
});
afterAll(() => {
  useNativeCrypto();
});

describe('the two crypto backends', () => {
  it('are what they say they are, and the Node side picks the native one', () => {
    expect([wasm.name, native.name]).toEqual(['libsodium-wasm', 'sodium-native']);
    expect(useNativeCrypto()).toEqual({ backend: 'sodium-native' });
    expect(cryptoBackend().name).toBe('sodium-native');
  });

  it('give the XChaCha20-Poly1305 test vector of draft-irtf-cfrg-xchacha (A.3.1), and open each other’s ciphertext', () => {
    const plaintext = utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const expected =
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49';
    for (const { from, to } of pairs()) {
      const sealed = from.aeadEncrypt(plaintext, ad, nonce, key);
      expect(toHex(sealed)).toBe(expected);
      expect(to.aeadDecrypt(sealed, ad, nonce, key)).toEqual(plaintext);
    }
  });

  it('refuse, each alike, what was altered, moved or sealed under another key', () => {
    for (const { from, to } of pairs()) {
      const key = randomKey();
      const nonce = randomBytes(24);
      const ad = utf8('hearth/1|comment|abc');
      const sealed = from.aeadEncrypt(utf8('MARKER'), ad, nonce, key);
      const flipped = sealed.slice();
      flipped[2] = flipped[2]! ^ 1;
      expect(to.aeadDecrypt(flipped, ad, nonce, key)).toBeUndefined();
      expect(to.aeadDecrypt(sealed, utf8('hearth/1|comment|abd'), nonce, key)).toBeUndefined();
      expect(to.aeadDecrypt(sealed, ad, nonce, randomKey())).toBeUndefined();
      expect(to.aeadDecrypt(sealed.subarray(0, 10), ad, nonce, key)).toBeUndefined();
    }
  });

  it('sign the RFC 8032 Ed25519 test vector (test 2) alike, and verify each other’s signatures', () => {
    const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
    const publicKey = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
    const secretKey = new Uint8Array([...seed, ...publicKey]);
    const message = fromHex('72');
    const expected = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';
    for (const { from, to } of pairs()) {
      const signature = from.signDetached(message, secretKey);
      expect(toHex(signature)).toBe(expected);
      expect(to.verifyDetached(signature, message, publicKey)).toBe(true);
      const keys = from.signKeypair();
      const own = from.signDetached(utf8('a change'), keys.secretKey);
      expect(to.verifyDetached(own, utf8('a change'), keys.publicKey)).toBe(true);
      expect(to.verifyDetached(own, utf8('a chance'), keys.publicKey)).toBe(false);
      expect(to.verifyDetached(own.subarray(0, 63), utf8('a change'), keys.publicKey)).toBe(false);
      expect(to.verifyDetached(own, utf8('a change'), keys.publicKey.subarray(0, 31))).toBe(false);
    }
  });

  it('open each other’s sealed boxes, and only with the right key', () => {
    for (const { from, to } of pairs()) {
      const recipient = to.boxKeypair();
      const sealed = from.boxSeal(utf8('workspace key'), recipient.publicKey);
      expect(to.boxSealOpen(sealed, recipient.publicKey, recipient.secretKey)).toEqual(utf8('workspace key'));
      const stranger = to.boxKeypair();
      expect(to.boxSealOpen(sealed, stranger.publicKey, stranger.secretKey)).toBeUndefined();
      expect(to.boxSealOpen(sealed.subarray(0, 20), recipient.publicKey, recipient.secretKey)).toBeUndefined();
    }
  });

  it('hash (BLAKE2b test vectors), derive subkeys and Argon2id keys to the same bytes', () => {
    for (const backend of [wasm, native]) {
      expect(toHex(backend.hash(new Uint8Array(0), 32))).toBe('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
      expect(toHex(backend.hash(utf8('abc'), 64))).toBe(
        'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
      );
      const hasher = backend.hasher(64);
      hasher.update(utf8('a'));
      hasher.update(utf8('bc'));
      expect(toHex(hasher.digest())).toBe(toHex(backend.hash(utf8('abc'), 64)));
    }
    const master = randomKey();
    expect(native.deriveSubkey(32, 1, 'hearthvk', master)).toEqual(wasm.deriveSubkey(32, 1, 'hearthvk', master));
    expect(native.deriveSubkey(32, 2, 'hearthvk', master)).not.toEqual(wasm.deriveSubkey(32, 1, 'hearthvk', master));
    const salt = randomBytes(16);
    const { opsLimit, memLimit } = MIN_KDF_COST;
    expect(native.argon2id(32, utf8('correct horse'), salt, opsLimit, memLimit)).toEqual(wasm.argon2id(32, utf8('correct horse'), salt, opsLimit, memLimit));
  });

  it('let a relay on one verify and a member on the other open a signed, sealed change', () => {
    for (const { from, to } of pairs()) {
      useCryptoBackend(from);
      const author = generateIdentityKeys();
      const key = randomKey();
      const blob = sealChange(
        { space: 's', doc: 'd', kind: 'content', epoch: 0, head: 'ab'.repeat(32), author: toBase64Url(author.signPublicKey), id: 'c1', at: 1 },
        utf8('MARKER-body'),
        key,
        author.signSecretKey,
      );
      useCryptoBackend(to);
      expect(new TextDecoder().decode(openChange(verifyChange(blob), key)!)).toBe('MARKER-body');
      const forged = blob.slice();
      forged[forged.length - 1] = forged[forged.length - 1]! ^ 1;
      expect(() => verifyChange(forged)).toThrow();
    }
  });

  it('open a vault made under the other backend, with its documents', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hearth-backends-'));
    try {
      for (const [i, { from, to }] of pairs().entries()) {
        useCryptoBackend(from);
        const dir = join(root, `vault${i}`);
        const made = await Vault.create(dir, {
          passphrase: 'a passphrase long enough',
          profile: { username: `backend${i}`, displayName: 'B' },
          kdfCost: MIN_KDF_COST,
        });
        const ws = made.workspaces.list()[0]!;
        const doc = made.documents.create(ws.id, { title: 'Made elsewhere', init: (d) => A.splice(d, ['body'], 0, 0, 'MARKER body') });
        made.lock();
        useCryptoBackend(to);
        const opened = await Vault.unlock(dir, 'a passphrase long enough');
        expect(opened.documents.get(doc.id).body).toBe('MARKER body');
        opened.documents.change(doc.id, (d) => A.splice(d, ['body'], 0, 0, 'more '));
        opened.lock();
        useCryptoBackend(from);
        const back = await Vault.unlock(dir, 'a passphrase long enough');
        expect(back.documents.get(doc.id).body).toBe('more MARKER body');
        back.lock();
        await expect(Vault.unlock(dir, 'a wrong passphrase here')).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
