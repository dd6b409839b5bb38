/** Comparing exports in tests. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { filesUnder } from './vault.ts';

/** Every file of an export as text or bytes, by path, with the export time and audit log set aside. */
export function snapshotOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of filesUnder(dir)) {
    const path = relative(dir, file);
    if (path === 'audit.json') continue;
    const bytes = readFileSync(file);
    if (path === 'manifest.json') {
      const manifest = JSON.parse(bytes.toString());
      delete manifest.exportedAt;
      delete manifest.counts.auditEntries;
      out.set(path, JSON.stringify(manifest));
    } else out.set(path, bytes.toString('base64'));
  }
  return out;
}
