/**
 * The renderer build: small enough (the goal is under 1.5 MB gzipped, wasm included) and
 * loadable under main's CSP: no inline script or style in index.html, no eval, no data: URLs
 * for code, and Automerge's wasm as a file of its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { buildRenderer } from './app-fixture.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

test('the renderer bundle is under 1.5 MB gzipped and fits the CSP', async () => {
  const dir = await buildRenderer();
  const files = filesUnder(dir);
  const gzipped = files.reduce((sum, file) => sum + gzipSync(readFileSync(file), { level: 9 }).length, 0);
  console.log(`renderer bundle: ${files.length} files, ${(gzipped / 1024).toFixed(0)} KiB gzipped`);
  expect(gzipped).toBeLessThan(1.5 * 1024 * 1024);

  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThan(0);
  for (const [, attributes, body] of scripts) {
    expect(attributes).toMatch(/\bsrc="\.\/assets\//);
    expect(body!.trim()).toBe('');
  }
  expect(html).not.toMatch(/<style\b|\sstyle="|\son[a-z]+=/i);

  const code = files.filter((file) => file.endsWith('.js')).map((file) => readFileSync(file, 'utf8'));
  for (const source of code) {
    expect(source).not.toMatch(/\beval\(|new Function\(/);
    expect(source).not.toMatch(/data:application\/wasm|data:text\/javascript/);
  }
  expect(files.filter((file) => file.endsWith('.wasm'))).toHaveLength(1);
});
