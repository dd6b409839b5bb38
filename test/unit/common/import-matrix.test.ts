// The import matrix in STYLE.md is enforced by the lint; this proves a wrong arrow fails it.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });
const importRules = new Set(['no-restricted-imports', '@typescript-eslint/no-restricted-imports', 'hearth/no-import-cycle', 'hearth/layers']);

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && importRules.has(m.ruleId)).map((m) => m.message);
}

/** A one-line module importing `name` from `from`; built, not written out, so this file imports nothing it lints. */
const importing = (name: string, from: string) => `import { ${name} } from '${from}';\nexport const x = ${name};\n`;

const cases: Array<[file: string, source: string, allowed: boolean]> = [
  ['common/x.ts', importing('readFileSync', 'node:fs'), false],
  ['common/x.ts', importing('app', 'electron'), false],
  ['common/x.ts', importing('v', '../main/vault/vault.ts'), false],
  ['common/x.ts', importing('v', './errors.ts'), true],
  ['main/vault/x.ts', importing('readFileSync', 'node:fs'), true],
  ['main/vault/x.ts', importing('app', 'electron'), false],
  ['main/vault/x.ts', importing('r', '../../sync-server/relay.ts'), false],
  ['main/electron/x.ts', importing('app', 'electron'), true],
  ['main/electron/x.ts', importing('r', '../../renderer/app.tsx'), false],
  ['preload/x.ts', importing('contextBridge', 'electron'), true],
  ['preload/x.ts', importing('v', '../main/vault/vault.ts'), false],
  ['renderer/x.ts', importing('v', '../main/vault/vault.ts'), false],
  ['renderer/x.ts', importing('join', 'node:path'), false],
  ['renderer/x.ts', importing('e', '../common/errors.ts'), true],
  ['sync-server/x.ts', importing('v', '../main/vault/vault.ts'), false],
  ['sync-server/x.ts', importing('createServer', 'node:http'), true],
  // Layers inside main/: vault ← sync ← portability ← app ← cli, api ← electron, browser.
  ['main/vault/x.ts', importing('SyncEngine', '../sync/engine.ts'), false],
  ['main/sync/x.ts', importing('v', '../vault/vault.ts'), true],
  ['main/sync/x.ts', importing('exportVault', '../portability/export.ts'), false],
  ['main/sync/nested/x.ts', importing('exportVault', '../../portability/export.ts'), false],
  ['main/portability/x.ts', importing('e', '../sync/engine.ts'), true],
  ['main/portability/x.ts', importing('Session', '../app/session.ts'), false],
  ['main/app/x.ts', importing('e', '../portability/export.ts'), true],
  ['main/app/x.ts', importing('run', '../cli/main.ts'), false],
  ['main/app/x.ts', importing('h', '../api/handlers.ts'), false],
  ['main/app/x.ts', importing('c', '../../common/api/contract.ts'), true],
  ['main/cli/x.ts', importing('e', '../portability/export.ts'), true],
  ['main/cli/x.ts', importing('h', '../api/handlers.ts'), false],
  ['main/api/x.ts', importing('Session', '../app/session.ts'), true],
  ['main/api/x.ts', importing('run', '../cli/main.ts'), false],
  ['main/api/x.ts', importing('s', '../browser/server.ts'), false],
  ['main/browser/x.ts', importing('h', '../api/handlers.ts'), true],
  ['main/browser/x.ts', importing('o', '../electron/window-options.ts'), false],
  ['main/electron/x.ts', importing('s', '../browser/server.ts'), false],
  ['main/browser/x.ts', importing('defaultVaultDir', '../paths.ts'), true],
  // Node-only packages stay out of common/ and renderer/.
  ['common/x.ts', importing('Database', 'better-sqlite3'), false],
  ['common/x.ts', importing('open', 'yauzl'), false],
  ['common/x.ts', importing('x', 'sodium-native'), false],
  ['common/x.ts', importing('z', 'zod'), true],
  ['renderer/x.ts', importing('WebSocket', 'ws'), false],
  ['renderer/x.ts', importing('Pool', 'pg'), false],
  ['renderer/x.ts', importing('readFile', 'fs'), false],
  ['renderer/x.ts', importing('create', 'zustand'), true],
  ['main/vault/x.ts', importing('Database', 'better-sqlite3'), true],
  ['sync-server/x.ts', importing('WebSocketServer', 'ws'), true],
  // Build tools stay out of the code they build.
  ['main/electron/x.ts', importing('build', 'esbuild'), false],
  ['renderer/x.ts', importing('defineConfig', 'vite'), false],
  ['scripts/x.ts', importing('build', 'esbuild'), true],
  ['main/vault/x.ts', importing('buildElectronApp', '../../scripts/build-electron.ts'), false],
  // The preload imports types only, besides electron.
  ['preload/x.ts', importing('ErrorCodes', '../common/errors.ts'), false],
  ['preload/x.ts', "import type { Result } from '../common/errors.ts';\nexport type X = Result<number>;\n", true],
  ['preload/x.ts', importing('z', 'zod'), false],
  // No import cycles: common/protocol/messages.ts imports common/errors.ts, so errors.ts may not import it.
  ['common/errors.ts', importing('decodeClientFrame', './protocol/messages.ts'), false],
  ['common/errors.ts', "import type { ClientFrame } from './protocol/messages.ts';\nexport type X = ClientFrame;\n", false],
  ['common/errors.ts', importing('Roles', './roles.ts'), true],
  ['sync-server/requests/request.ts', importing('requestTable', './table.ts'), false],
];

describe('import matrix lint', () => {
  it.each(cases)('%s: %s → allowed=%s', async (file, source, allowed) => {
    const errors = await importErrors(file, source);
    expect(errors.length === 0).toBe(allowed);
  });

  it('names every module on an import cycle, in order', async () => {
    const errors = await importErrors('sync-server/requests/request.ts', importing('requestTable', './table.ts'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^Import cycle: sync-server\/requests\/request\.ts → sync-server\/requests\/table\.ts → sync-server\/requests\/\w+\.ts → sync-server\/requests\/request\.ts\. /,
    );
  });
});
