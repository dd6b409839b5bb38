/**
 * Automerge for the page: the slim entry plus its wasm, fetched as a separate file from 'self'
 * (CSP allows compiling it through 'wasm-unsafe-eval'). Everything in the renderer that touches
 * Automerge waits for `automergeReady` first; the Vite alias makes `@automerge/automerge` (used by
 * common/richtext) resolve to this same slim instance.
 */
import { initializeWasm } from '@automerge/automerge/slim';
import wasmUrl from '@automerge/automerge/automerge.wasm?url';

let ready: Promise<void> | null = null;

export function automergeReady(): Promise<void> {
  ready ??= initializeWasm(wasmUrl);
  return ready;
}
