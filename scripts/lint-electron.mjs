#!/usr/bin/env node
// The static check of the Electron shell that `npm run lint` runs: Electronegativity over the
// code that configures Electron (main/electron/ and preload/, scanned together so that its
// app-wide checks see both). Any finding fails the lint, unless the line it is on says
// `eng-disable CHECK_ID` with the reason in a comment beside it: the tool cannot see through
// mainWindowOptions() in window-options.ts, whose values the unit tests pin.
// Left out, each for its reason:
// - CSPGlobalCheck: it recognises a CSP only in a <meta> tag or a webRequest header rewrite;
//   Hearth sends it as a response header of its own app:// protocol (main/app/content-security.ts),
//   which test/unit/main/electron-shell.test.ts checks on every response.
// - AvailableSecurityFixesGlobalCheck: it downloads Electron's release list; the version comes
//   from package.json instead. (The tool still asks GitHub for a translation file, once, with a
//   one-second timeout, and carries on without it.)
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity/dist/runner.js');
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
// Another tree to scan may be named (the test scans a copy with a wrong setting in it).
const root = process.argv[2] ?? repo;
const folders = ['main/electron', 'preload'];
const electronVersion = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).devDependencies.electron.replace(/^[^\d]*/, '');

const input = mkdtempSync(join(tmpdir(), 'hearth-electronegativity-'));
let failed = false;
try {
  for (const folder of folders) cpSync(join(root, folder), join(input, folder), { recursive: true });
  const { issues, errors } = await run({
    input,
    excludeFromScan: ['CSPGlobalCheck', 'AvailableSecurityFixesGlobalCheck'],
    electronVersionOverride: electronVersion,
    parserPlugins: [],
  });
  for (const error of errors) {
    failed = true;
    console.error(`could not parse ${relative(input, error.file)}: ${error.message}`);
  }
  for (const issue of issues) {
    failed = true;
    const where = issue.file === 'N/A' ? folders.join(' + ') : `${relative(input, issue.file)}:${issue.location.line}:${issue.location.column}`;
    console.error(`${where}  ${issue.id} (${issue.severity.name}, ${issue.confidence.name}): ${issue.description} ${issue.shortenedURL}`);
  }
} finally {
  rmSync(input, { recursive: true, force: true });
}
if (failed) {
  console.error('Electronegativity found the above. Fix it, or if it does not apply, say why in a comment and put `eng-disable CHECK_ID` on that line.');
  process.exit(1);
}
console.log(`Electronegativity: no findings in ${folders.join(', ')}.`);
