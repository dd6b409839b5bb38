/**
 * Hearth's own lint rules about imports, which need the real path an import resolves to (a glob
 * over the import string cannot tell main/api/ from common/api/, nor see a cycle):
 * - `no-import-cycle`: a module may not import, directly or through others, a module that imports it.
 * - `layers`: which folder may import which (eslint.config.js holds the matrix for main/).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Folders in the rules' options are relative to the repository, wherever the lint runs from. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fromRoot = (file) => relative(repoRoot, file).split('\\').join('/');

/** Relative `import`/`export … from` targets of a file on disk, by path and modification time. */
const importsOnDisk = new Map();

/** The file a relative import names, or undefined for a package or a path that does not exist. */
function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), specifier.replace(/\?.*$/, ''));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Static imports and re-exports count, `import type` too: a cycle of types is still two modules
 * that know each other. Dynamic `import()` does not: it loads lazily, after both modules exist.
 */
function importsOf(file) {
  const { mtimeMs } = statSync(file);
  const cached = importsOnDisk.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.targets;
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    false,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const targets = [];
  for (const statement of source.statements) {
    const specifier = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier)) continue;
    const target = resolveImport(file, specifier.text);
    if (target) targets.push(target);
  }
  importsOnDisk.set(file, { mtimeMs, targets });
  return targets;
}

/** A chain of imports from `start` that arrives at `goal` (both included), or undefined. */
function importChain(start, goal) {
  const seen = new Set();
  const walk = (file) => {
    if (file === goal) return [file];
    if (seen.has(file)) return undefined;
    seen.add(file);
    for (const next of importsOf(file)) {
      const rest = walk(next);
      if (rest) return [file, ...rest];
    }
    return undefined;
  };
  return walk(start);
}

const importNodes = ['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration'];

/** Calls `check(node, target)` for each import or re-export of the linted file that resolves to a file. */
function onImports(context, check) {
  const visit = (node) => {
    if (!node.source || typeof node.source.value !== 'string') return;
    const target = resolveImport(context.physicalFilename, node.source.value);
    if (target) check(node, target);
  };
  return Object.fromEntries(importNodes.map((type) => [type, visit]));
}

const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Refuses an import that closes a cycle, and names the modules on it.' },
    schema: [],
  },
  create(context) {
    const self = context.physicalFilename;
    return onImports(context, (node, target) => {
      // The linted file's own imports come from the text being linted; the rest of the chain from disk.
      const chain = importChain(target, self);
      if (!chain) return;
      context.report({
        node,
        message: `Import cycle: ${[self, ...chain].map(fromRoot).join(' → ')}. Move what both sides need into a module that imports neither.`,
      });
    });
  },
};

/** `folders`: folder → the folders it may import, all relative to the repository root. */
const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'Refuses an import from a folder to a folder its layer may not import.' },
    schema: [
      {
        type: 'object',
        properties: {
          folders: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          message: { type: 'string' },
        },
        required: ['folders'],
        additionalProperties: false,
      },
    ],
  },
  create(context) {
    const { folders, message = '' } = context.options[0];
    const folderOf = (file) => {
      const path = fromRoot(file);
      return Object.keys(folders).find((folder) => path.startsWith(`${folder}/`));
    };
    const from = folderOf(context.physicalFilename);
    if (!from) return {};
    return onImports(context, (node, target) => {
      const to = folderOf(target);
      if (!to || to === from || folders[from].includes(to)) return;
      context.report({ node, message: `${from}/ may not import ${to}/. ${message}`.trim() });
    });
  },
};

export default { meta: { name: 'eslint-plugin-hearth' }, rules: { 'no-import-cycle': noImportCycle, layers } };
