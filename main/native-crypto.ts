/**
 * The app's Node side (Electron's main process, the CLI, browser mode) does its crypto with
 * sodium-native: the same libsodium, compiled, through N-API prebuilds that load in Node and in
 * Electron alike. The page keeps libsodium's wasm build (see common/crypto/backends.ts).
 */
import { createRequire } from 'node:module';
import { useNativeSodium } from '../common/crypto/sodium.ts';

/** Called once at startup, before the first vault opens. */
export function useNativeCrypto(): { backend: string; fallbackReason?: string } {
  return useNativeSodium(() => createRequire(import.meta.url)('sodium-native'));
}
