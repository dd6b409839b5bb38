/**
 * The one door to libsodium. Both the app and the relay use it, so it lives in common/ and
 * touches neither Node nor the DOM: libsodium-wrappers-sumo is pure JavaScript + WebAssembly.
 * The Node side hands in sodium-native at startup (useCryptoBackend), and the hot primitives
 * (sealing, signing, hashing, Argon2id) then run natively; the page keeps the wasm build.
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { HearthError } from '../errors.ts';
import { sodiumNativeBackend, wasmBackend, type CryptoBackend, type SodiumNativeBinding } from './backends.ts';

export type Sodium = typeof sodiumModule;

let ready: Promise<Sodium> | undefined;
let instance: Sodium | undefined;
let chosen: CryptoBackend | undefined;
let wasm: CryptoBackend | undefined;

/** Makes `backend` do this process's crypto from now on (main/ and sync-server/ pass sodium-native). */
export function useCryptoBackend(backend: CryptoBackend): void {
  chosen = backend;
}

/**
 * Switches to the sodium-native binding that `loadBinding` returns (the Node side passes a
 * require of 'sodium-native'). Where the addon cannot load (no build for this platform), the wasm
 * build stays in use, with the same bytes, and the reason is returned for the caller to report.
 */
export function useNativeSodium(loadBinding: () => SodiumNativeBinding): { backend: string; fallbackReason?: string } {
  try {
    useCryptoBackend(sodiumNativeBackend(loadBinding()));
  } catch (error) {
    return { backend: 'libsodium-wasm', fallbackReason: (error as Error).message };
  }
  return { backend: 'sodium-native' };
}

/** The implementation in use: the one set by useCryptoBackend(), else libsodium's wasm build. */
export function cryptoBackend(): CryptoBackend {
  if (chosen) return chosen;
  wasm ??= wasmBackend(sodium());
  return wasm;
}

/** Resolves once libsodium's WebAssembly is initialised; safe to call many times. */
export function loadSodium(): Promise<Sodium> {
  ready ??= sodiumModule.ready.then(() => {
    instance = sodiumModule;
    return sodiumModule;
  });
  return ready;
}

/** The initialised library; callers must have awaited loadSodium() once. */
export function sodium(): Sodium {
  if (!instance) throw new HearthError('INTERNAL', 'libsodium used before loadSodium() finished.');
  return instance;
}

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;

/**
 * Random bytes from the platform's CSPRNG (Web Crypto, present in Node, browsers and Electron).
 * libsodium's WebAssembly build asks the host for four bytes at a time, which made a nonce cost
 * ~70 µs; this costs ~1 µs.
 */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65_536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return out;
}

export function randomKey(): Uint8Array {
  return randomBytes(KEY_BYTES);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Seals plaintext with XChaCha20-Poly1305 under `key`. The associated data names where the
 * ciphertext belongs, so a sealed value copied to another place fails to open.
 * Output: nonce (24 bytes) || ciphertext || tag (16 bytes).
 */
/** Nonces come from a pool refilled 4 KiB at a time: one CSPRNG call per 170 seals, not per seal. */
const noncePool = new Uint8Array(NONCE_BYTES * 170);
let noncePoolUsed = noncePool.length;

function nextNonce(): Uint8Array {
  if (noncePoolUsed === noncePool.length) {
    globalThis.crypto.getRandomValues(noncePool);
    noncePoolUsed = 0;
  }
  const nonce = noncePool.slice(noncePoolUsed, noncePoolUsed + NONCE_BYTES);
  // Each nonce is handed out once; wipe it from the pool so it cannot be handed out again.
  noncePool.fill(0, noncePoolUsed, noncePoolUsed + NONCE_BYTES);
  noncePoolUsed += NONCE_BYTES;
  return nonce;
}

export function seal(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  const nonce = nextNonce();
  const ciphertext = cryptoBackend().aeadEncrypt(plaintext, associatedData, nonce, key);
  const out = new Uint8Array(NONCE_BYTES + ciphertext.length);
  out.set(nonce, 0);
  out.set(ciphertext, NONCE_BYTES);
  return out;
}

/** Opens a value made by seal(); returns undefined when the key, bytes or place do not match. */
export function tryOpen(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  return cryptoBackend().aeadDecrypt(sealed.subarray(NONCE_BYTES), associatedData, sealed.subarray(0, NONCE_BYTES), key);
}

/** Overwrites secret bytes in place (best effort in a garbage-collected runtime). */
export function wipeBytes(bytes: Uint8Array | undefined): void {
  if (bytes) cryptoBackend().memzero(bytes);
}

export function hash(bytes: Uint8Array, length = 32): Uint8Array {
  return cryptoBackend().hash(bytes, length);
}

export function toHex(bytes: Uint8Array): string {
  return sodium().to_hex(bytes);
}

export function fromHex(hex: string): Uint8Array {
  return sodium().from_hex(hex);
}

export function toBase64Url(bytes: Uint8Array): string {
  return sodium().to_base64(bytes, sodium().base64_variants.URLSAFE_NO_PADDING);
}

export function fromBase64Url(text: string): Uint8Array {
  return sodium().from_base64(text, sodium().base64_variants.URLSAFE_NO_PADDING);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && cryptoBackend().memcmp(a, b);
}

/**
 * A random, URL-safe identifier with ~128 bits of entropy. It never starts with "-" or "_", so
 * it can follow a command on a command line without being read as an option.
 */
export function newId(): string {
  for (;;) {
    const id = toBase64Url(randomBytes(16));
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}
