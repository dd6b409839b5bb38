// The import matrix from STYLE.md ("folders are processes"), enforced so a wrong arrow fails CI;
// test/unit/common/import-matrix.test.ts lints a wrong-arrow sample for each rule.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import hearth from './scripts/eslint-plugin-hearth.js';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const folder = (name) => ({ group: [`**/${name}/**`, `**/${name}`], message: `This layer may not import ${name}/ (see STYLE.md: folders are processes).` });
const noNode = { paths: nodeBuiltins.map((name) => ({ name, message: 'Pure layer: no Node built-ins here.' })) };
const noElectron = { name: 'electron', message: "Only main/electron/ and preload/ may import 'electron'." };
// npm packages that need Node (native code, sockets, files, processes); common/ and renderer/ run where there is none.
const nodeOnlyPackages = ['better-sqlite3', 'pg', 'ws', 'sodium-native', 'yauzl', 'yazl', 'tsx']; // esbuild: refused everywhere as a build tool
const noNodeOnlyPackages = {
  regex: `^(${nodeOnlyPackages.join('|')})(/|$)`,
  message: 'This package needs Node: common/ runs anywhere and renderer/ in the page. Keep it in main/ or sync-server/ behind an interface.',
};
// Tools that build, test or format the code; the code they build never imports them.
const buildTools = ['esbuild', 'vite', '@vitejs/plugin-react', 'electron-builder', 'vitest', '@playwright/test', 'playwright-core', 'eslint', 'prettier'];
const noBuildTools = {
  regex: `^(${buildTools.map((name) => name.replace('/', '\\/')).join('|')})(/|$)`,
  message: 'Build tools belong in scripts/ (or tests, bench, config files), not in the code they build.',
};

function restrict({ folders = [], node = false, electron = false }) {
  return [
    'error',
    {
      paths: [...(electron ? [] : [noElectron]), ...(node ? [] : noNode.paths)],
      patterns: [...[...folders, 'scripts'].map(folder), noBuildTools, ...(node ? [] : [noNodeOnlyPackages])],
    },
  ];
}

export const importMatrix = {
  'common/**': restrict({ folders: ['main', 'renderer', 'preload', 'sync-server'] }),
  'main/**': restrict({ folders: ['renderer', 'preload', 'sync-server'], node: true }),
  'main/electron/**': restrict({ folders: ['renderer', 'preload', 'sync-server'], node: true, electron: true }),
  'preload/**': restrict({ folders: ['main', 'renderer', 'sync-server'], electron: true }),
  'renderer/**': restrict({ folders: ['main', 'preload', 'sync-server'] }),
  'sync-server/**': restrict({ folders: ['main', 'renderer', 'preload'], node: true }),
};

// Layers inside main/, lowest first; each may import those below it (issue 10):
// vault ← sync ← portability ← app (use cases) ← cli, api ← electron, browser.
// The two doors (cli, api) and the two shells (electron, browser) never import each other, and
// nothing imports a door or a shell from below. main/*.ts at the root (paths.ts) is for all.
const below = (...layers) => layers.map((name) => `main/${name}`);
export const mainLayers = {
  'main/vault': [],
  'main/sync': below('vault'),
  'main/portability': below('vault', 'sync'),
  'main/app': below('vault', 'sync', 'portability', 'usecases'),
  'main/usecases': below('vault', 'sync', 'portability', 'app'),
  'main/cli': below('vault', 'sync', 'portability', 'app', 'usecases'),
  'main/api': below('vault', 'sync', 'portability', 'app', 'usecases'),
  'main/electron': below('vault', 'sync', 'portability', 'app', 'usecases', 'api'),
  'main/browser': below('vault', 'sync', 'portability', 'app', 'usecases', 'api'),
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test-results/**', 'playwright-report/**', 'bench/out/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { hearth },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'hearth/no-import-cycle': 'error',
    },
  },
  ...Object.entries(importMatrix).map(([glob, rule]) => ({
    files: [glob.replace('/**', '/**/*.{ts,tsx,js,mjs}')],
    rules: { 'no-restricted-imports': rule },
  })),
  {
    files: ['main/**/*.{ts,tsx,js,mjs}'],
    rules: {
      'hearth/layers': [
        'error',
        { folders: mainLayers, message: 'Layers inside main/: vault ← sync ← portability ← app ← cli, api ← electron, browser (eslint.config.js).' },
      ],
    },
  },
  {
    // A sandboxed preload is one bundled file that may use contextBridge and ipcRenderer only:
    // anything else it imports is a type, erased before it runs.
    files: ['preload/**/*.{ts,tsx,js,mjs}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!electron$)', allowTypeImports: true, message: "The preload imports types only (import type), apart from 'electron'." }] },
      ],
    },
  },
);
