// The import matrix in STYLE.md is enforced by the lint; this proves a wrong arrow fails it.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: Array<[file: string, source: string, allowed: boolean]> = [
  ['common/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", false],
  ['common/x.ts', "import { app } from 'electron';\nexport const x = app;\n", false],
  ['common/x.ts', "import { v } from '../main/vault/vault.ts';\nexport const x = v;\n", false],
  ['common/x.ts', "import { v } from './errors.ts';\nexport const x = v;\n", true],
  ['main/vault/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", true],
  ['main/vault/x.ts', "import { app } from 'electron';\nexport const x = app;\n", false],
  ['main/vault/x.ts', "import { r } from '../../sync-server/relay.ts';\nexport const x = r;\n", false],
  ['main/electron/x.ts', "import { app } from 'electron';\nexport const x = app;\n", true],
  ['main/electron/x.ts', "import { r } from '../../renderer/app.tsx';\nexport const x = r;\n", false],
  ['preload/x.ts', "import { contextBridge } from 'electron';\nexport const x = contextBridge;\n", true],
  ['preload/x.ts', "import { v } from '../main/vault/vault.ts';\nexport const x = v;\n", false],
  ['renderer/x.ts', "import { v } from '../main/vault/vault.ts';\nexport const x = v;\n", false],
  ['renderer/x.ts', "import { join } from 'node:path';\nexport const x = join;\n", false],
  ['renderer/x.ts', "import { e } from '../common/errors.ts';\nexport const x = e;\n", true],
  ['sync-server/x.ts', "import { v } from '../main/vault/vault.ts';\nexport const x = v;\n", false],
  ['sync-server/x.ts', "import { createServer } from 'node:http';\nexport const x = createServer;\n", true],
];

describe('import matrix lint', () => {
  it.each(cases)('%s: %s → allowed=%s', async (file, source, allowed) => {
    const errors = await importErrors(file, source);
    expect(errors.length === 0).toBe(allowed);
  });
});
