// The import matrix in STYLE.md is enforced by the lint; this proves a wrong arrow fails it.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
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
];

describe('import matrix lint', () => {
  it.each(cases)('%s: %s → allowed=%s', async (file, source, allowed) => {
    const errors = await importErrors(file, source);
    expect(errors.length === 0).toBe(allowed);
  });
});
