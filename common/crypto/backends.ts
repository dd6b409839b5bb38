/**
 * The primitives Hearth needs from libsodium, behind one interface with two implementations:
 * libsodium's WebAssembly build (anywhere, the default, and the renderer's) and sodium-native
 * (Node and Electron's main process, chosen at startup by main/ and sync-server/). Both are the
 * same C library, so their bytes are interchangeable: test/unit/common/crypto-backends.test.ts
 * proves that each opens what the other sealed and verifies what the other signed.
 *
 * This file stays pure: the native module is handed in by the Node side, never imported here.
 */
import type sodiumModule from 'libsodium-wrappers-sumo';

export interface CryptoBackend {
  /** 'libsodium-wasm' or 'sodium-native': which implementation does the work. */
  readonly name: string;
  /** XChaCha20-Poly1305 (IETF): ciphertext || 16-byte tag. */
  aeadEncrypt(plaintext: Uint8Array, associatedData: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** The plaintext, or undefined when key, nonce, associated data or bytes do not match. */
  aeadDecrypt(ciphertext: Uint8Array, associatedData: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined;
  /** A fresh Ed25519 pair, or with a 32-byte `seed` the pair derived from it (crypto_sign_seed_keypair). */
  signKeypair(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** False for a wrong or malformed signature or key; never throws. */
  verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** A fresh X25519 pair, or with a 32-byte `seed` the pair derived from it (crypto_box_seed_keypair). */
  boxKeypair(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  /** crypto_box_seal: anonymous sealing to an X25519 public key. */
  boxSeal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
  boxSealOpen(sealed: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined;
  /** BLAKE2b (crypto_generichash) of `length` bytes, unkeyed. */
  hash(bytes: Uint8Array, length: number): Uint8Array;
  /** Incremental BLAKE2b, for files hashed chunk by chunk. */
  hasher(length: number): { update(bytes: Uint8Array): void; digest(): Uint8Array };
  /** crypto_kdf_derive_from_key: subkey `id` of `key` under an 8-character context. */
  deriveSubkey(length: number, id: number, context: string, key: Uint8Array): Uint8Array;
  /** Argon2id v1.3 (crypto_pwhash with ALG_ARGON2ID13). */
  argon2id(length: number, passphrase: Uint8Array, salt: Uint8Array, opsLimit: number, memLimit: number): Uint8Array;
  memzero(bytes: Uint8Array): void;
  /** Constant-time equality of two byte strings of the same length. */
  memcmp(a: Uint8Array, b: Uint8Array): boolean;
}

type Wasm = typeof sodiumModule;

/** The WebAssembly build, once `ready` has resolved. */
export function wasmBackend(s: Wasm): CryptoBackend {
  return {
    name: 'libsodium-wasm',
    aeadEncrypt: (plaintext, ad, nonce, key) => s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
    aeadDecrypt(ciphertext, ad, nonce, key) {
      try {
        return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
      } catch {
        return undefined;
      }
    },
    signKeypair(seed) {
      const pair = seed ? s.crypto_sign_seed_keypair(seed) : s.crypto_sign_keypair();
      return { publicKey: pair.publicKey, secretKey: pair.privateKey };
    },
    signDetached: (message, secretKey) => s.crypto_sign_detached(message, secretKey),
    verifyDetached(signature, message, publicKey) {
      try {
        return s.crypto_sign_verify_detached(signature, message, publicKey);
      } catch {
        return false;
      }
    },
    boxKeypair(seed) {
      const pair = seed ? s.crypto_box_seed_keypair(seed) : s.crypto_box_keypair();
      return { publicKey: pair.publicKey, secretKey: pair.privateKey };
    },
    boxSeal: (message, publicKey) => s.crypto_box_seal(message, publicKey),
    boxSealOpen(sealed, publicKey, secretKey) {
      try {
        return s.crypto_box_seal_open(sealed, publicKey, secretKey);
      } catch {
        return undefined;
      }
    },
    hash: (bytes, length) => s.crypto_generichash(length, bytes, null),
    hasher(length) {
      const state = s.crypto_generichash_init(null, length);
      return { update: (bytes) => s.crypto_generichash_update(state, bytes), digest: () => s.crypto_generichash_final(state, length) };
    },
    deriveSubkey: (length, id, context, key) => s.crypto_kdf_derive_from_key(length, id, context, key),
    argon2id: (length, passphrase, salt, opsLimit, memLimit) => s.crypto_pwhash(length, passphrase, salt, opsLimit, memLimit, s.crypto_pwhash_ALG_ARGON2ID13),
    memzero: (bytes) => s.memzero(bytes),
    memcmp: (a, b) => s.memcmp(a, b),
  };
}

/**
 * The part of sodium-native's API that Hearth calls (sodium-native 5): outputs are written into
 * buffers the caller allocates; a failed decryption or opening throws or returns false.
 */
export interface SodiumNativeBinding {
  crypto_aead_xchacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
  crypto_sign_keypair(pk: Uint8Array, sk: Uint8Array): void;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
  crypto_box_keypair(pk: Uint8Array, sk: Uint8Array): void;
  crypto_box_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_box_seal(c: Uint8Array, m: Uint8Array, pk: Uint8Array): void;
  crypto_box_seal_open(m: Uint8Array, c: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean;
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
  crypto_generichash_init(state: Uint8Array, key: Uint8Array | null, outlen: number): void;
  crypto_generichash_update(state: Uint8Array, input: Uint8Array): void;
  crypto_generichash_final(state: Uint8Array, out: Uint8Array): void;
  crypto_kdf_derive_from_key(subkey: Uint8Array, id: number, ctx: Uint8Array, key: Uint8Array): void;
  crypto_pwhash(out: Uint8Array, passwd: Uint8Array, salt: Uint8Array, opslimit: number, memlimit: number, alg: number): void;
  sodium_memzero(bytes: Uint8Array): void;
  sodium_memcmp(a: Uint8Array, b: Uint8Array): boolean;
  readonly crypto_aead_xchacha20poly1305_ietf_ABYTES: number;
  readonly crypto_sign_BYTES: number;
  readonly crypto_sign_PUBLICKEYBYTES: number;
  readonly crypto_sign_SECRETKEYBYTES: number;
  readonly crypto_box_PUBLICKEYBYTES: number;
  readonly crypto_box_SECRETKEYBYTES: number;
  readonly crypto_box_SEALBYTES: number;
  readonly crypto_generichash_STATEBYTES: number;
  readonly crypto_pwhash_ALG_ARGON2ID13: number;
}

const KDF_CONTEXT = new TextEncoder();

/**
 * sodium-native behind the same interface. Its functions check sizes with assertions that throw;
 * the wrapper checks them first where an attacker chooses them (signatures, sealed bytes), so a
 * malformed value is "does not verify / does not open", as with the wasm build.
 */
export function sodiumNativeBackend(n: SodiumNativeBinding): CryptoBackend {
  const tag = n.crypto_aead_xchacha20poly1305_ietf_ABYTES;
  return {
    name: 'sodium-native',
    aeadEncrypt(plaintext, ad, nonce, key) {
      const out = new Uint8Array(plaintext.length + tag);
      n.crypto_aead_xchacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key);
      return out;
    },
    aeadDecrypt(ciphertext, ad, nonce, key) {
      if (ciphertext.length < tag) return undefined;
      const out = new Uint8Array(ciphertext.length - tag);
      try {
        n.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, ciphertext, ad, nonce, key);
        return out;
      } catch {
        return undefined;
      }
    },
    signKeypair(seed) {
      const publicKey = new Uint8Array(n.crypto_sign_PUBLICKEYBYTES);
      const secretKey = new Uint8Array(n.crypto_sign_SECRETKEYBYTES);
      if (seed) n.crypto_sign_seed_keypair(publicKey, secretKey, seed);
      else n.crypto_sign_keypair(publicKey, secretKey);
      return { publicKey, secretKey };
    },
    signDetached(message, secretKey) {
      const signature = new Uint8Array(n.crypto_sign_BYTES);
      n.crypto_sign_detached(signature, message, secretKey);
      return signature;
    },
    verifyDetached(signature, message, publicKey) {
      if (signature.length !== n.crypto_sign_BYTES || publicKey.length !== n.crypto_sign_PUBLICKEYBYTES) return false;
      try {
        return n.crypto_sign_verify_detached(signature, message, publicKey);
      } catch {
        return false;
      }
    },
    boxKeypair(seed) {
      const publicKey = new Uint8Array(n.crypto_box_PUBLICKEYBYTES);
      const secretKey = new Uint8Array(n.crypto_box_SECRETKEYBYTES);
      if (seed) n.crypto_box_seed_keypair(publicKey, secretKey, seed);
      else n.crypto_box_keypair(publicKey, secretKey);
      return { publicKey, secretKey };
    },
    boxSeal(message, publicKey) {
      const out = new Uint8Array(message.length + n.crypto_box_SEALBYTES);
      n.crypto_box_seal(out, message, publicKey);
      return out;
    },
    boxSealOpen(sealed, publicKey, secretKey) {
      if (sealed.length < n.crypto_box_SEALBYTES || publicKey.length !== n.crypto_box_PUBLICKEYBYTES || secretKey.length !== n.crypto_box_SECRETKEYBYTES)
        return undefined;
      const out = new Uint8Array(sealed.length - n.crypto_box_SEALBYTES);
      try {
        return n.crypto_box_seal_open(out, sealed, publicKey, secretKey) ? out : undefined;
      } catch {
        return undefined;
      }
    },
    hash(bytes, length) {
      const out = new Uint8Array(length);
      n.crypto_generichash(out, bytes);
      return out;
    },
    hasher(length) {
      const state = new Uint8Array(n.crypto_generichash_STATEBYTES);
      n.crypto_generichash_init(state, null, length);
      return {
        update: (bytes) => n.crypto_generichash_update(state, bytes),
        digest() {
          const out = new Uint8Array(length);
          n.crypto_generichash_final(state, out);
          return out;
        },
      };
    },
    deriveSubkey(length, id, context, key) {
      const out = new Uint8Array(length);
      n.crypto_kdf_derive_from_key(out, id, KDF_CONTEXT.encode(context), key);
      return out;
    },
    argon2id(length, passphrase, salt, opsLimit, memLimit) {
      const out = new Uint8Array(length);
      n.crypto_pwhash(out, passphrase, salt, opsLimit, memLimit, n.crypto_pwhash_ALG_ARGON2ID13);
      return out;
    },
    memzero: (bytes) => n.sodium_memzero(bytes),
    memcmp: (a, b) => a.length === b.length && n.sodium_memcmp(a, b),
  };
}
