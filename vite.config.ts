// The renderer build. Everything it emits must load under the strict CSP that main sends
// (script-src 'self' 'wasm-unsafe-eval'; style-src 'self'): no inline scripts, no inline <style>,
// no eval, and no data: URLs for code or wasm (connect-src does not allow data:).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'renderer',
  // Relative URLs, so the same build loads from the browser-mode server and from Electron's custom protocol.
  base: './',
  plugins: [react()],
  resolve: {
    // One Automerge instance for the page: the slim entry, whose wasm we load ourselves as a
    // separate file (see renderer/editor/automerge.ts). The default browser entry imports the
    // wasm as an ES module, which needs a bundler plugin we do not want.
    alias: [{ find: /^@automerge\/automerge$/, replacement: '@automerge/automerge/slim' }],
  },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs: the wasm must be fetched from 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
  },
});
