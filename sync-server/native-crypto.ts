/**
 * The relay verifies the signature of everything it stores: it does that with sodium-native
 * (N-API, compiled libsodium), the same bytes as the wasm build for a fraction of the CPU.
 */
import { createRequire } from 'node:module';
import { useNativeSodium } from '../common/crypto/sodium.ts';

/** Called when a relay starts. */
export function useNativeCrypto(): { backend: string; fallbackReason?: string } {
  return useNativeSodium(() => createRequire(import.meta.url)('sodium-native'));
}
