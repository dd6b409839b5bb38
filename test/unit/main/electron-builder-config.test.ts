/**
 * electron-builder cannot package here (it downloads Electron), so its own validator checks our
 * electron-builder.yml, and the test pins what the package must and must not contain.
 * app-builder-lib, builder-util and js-yaml come with electron-builder.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const require = createRequire(join(repo, 'package.json'));
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const yaml = require('js-yaml') as { load(text: string): Record<string, unknown> };

interface BuilderConfig {
  files: string[];
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  electronFuses: Record<string, boolean>;
}

const config = yaml.load(readFileSync(join(repo, 'electron-builder.yml'), 'utf8')) as unknown as BuilderConfig;

test('electron-builder accepts the configuration, and rejects a broken one (so acceptance means something)', async () => {
  await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  await expect(validateConfiguration({ ...config, bogusKey: 1 }, new DebugLogger(false))).rejects.toThrow(/unknown property 'bogusKey'/);
});

test('it builds AppImage, deb, dmg and nsis from the built app, with Node-in-Electron switches off', () => {
  expect([config.linux.target, config.mac.target, config.win.target]).toEqual([['AppImage', 'deb'], ['dmg'], ['nsis']]);
  expect(config.files).toEqual(expect.arrayContaining(['package.json', 'dist/main/**', 'dist/preload/**', 'dist/renderer/**', '!dist/native/**']));
  expect(config.asar).toBe(true);
  // Packaged better-sqlite3 is rebuilt for Electron's ABI; the dev build in dist/native stays out.
  expect(config.npmRebuild).toBe(true);
  expect(config.electronFuses).toMatchObject({
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
});

test('sodium-native goes in unpacked, with an N-API build (which Electron loads as it is) for every platform packaged', () => {
  expect(config.asarUnpack).toContain('node_modules/sodium-native/prebuilds/**');
  for (const platform of ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64']) {
    const addon = readFileSync(join(repo, 'node_modules', 'sodium-native', 'prebuilds', platform, 'sodium-native.node'));
    // An N-API addon registers through napi_register_module_v1; an ABI-bound one would need a rebuild per Electron.
    expect(addon.includes('napi_register_module_v1'), platform).toBe(true);
  }
});
