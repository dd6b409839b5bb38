// The import matrix from STYLE.md ("folders are processes"), enforced so a wrong arrow fails CI.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const folder = (name) => ({ group: [`**/${name}/**`, `**/${name}`], message: `This layer may not import ${name}/ (see STYLE.md: folders are processes).` });
const noNode = { paths: nodeBuiltins.map((name) => ({ name, message: 'Pure layer: no Node built-ins here.' })) };
const noElectron = { name: 'electron', message: "Only main/electron/ and preload/ may import 'electron'." };

function restrict({ folders = [], node = false, electron = false }) {
  return [
    'error',
    {
      paths: [...(electron ? [] : [noElectron]), ...(node ? [] : noNode.paths)],
      patterns: folders.map(folder),
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

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test-results/**', 'playwright-report/**', 'bench/out/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...Object.entries(importMatrix).map(([glob, rule]) => ({
    files: [glob.replace('/**', '/**/*.{ts,tsx,js,mjs}')],
    rules: { 'no-restricted-imports': rule },
  })),
);
