/**
 * Issue 16, item 5: a zip bomb (a 0.5 MB archive that expands to 512 MiB) drove import to gigabytes
 * of memory before it refused. Here `hearth import` runs as a real process on crafted archives
 * and reports its peak resident memory: an honest bomb is refused from its central directory
 * before anything is inflated, a large-but-plausible entry is refused before it is read, and an
 * entry whose declared size lies is stopped as soon as it passes it. Each run stays within a few
 * tens of MiB of what `hearth workspace list` takes; the vault is untouched. Smaller limits show
 * the entry count and expansion ratio limits in process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isHearthError } from '../../common/errors.ts';
import { IMPORT_LIMITS } from '../../main/portability/import-source.ts';
import { importPath } from '../../main/portability/import.ts';
import { bombEntry, entryOf, writeZip, type CraftedEntry } from '../support/crafted-zip.ts';
import { createTestVault, tempDir } from '../support/vault.ts';

const MIB = 1024 * 1024;
const PASSPHRASE = 'passphrase of the bomb test';
const reporter = new URL('../support/report-max-rss.mjs', import.meta.url).pathname;

/** Runs `hearth args` with the peak-memory reporter; returns its exit code, stderr and peak RSS in bytes. */
function hearthWithPeak(vault: string, args: string[]): Promise<{ code: number; stderr: string; peak: number }> {
  const peakFile = join(tempDir(), 'peak');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', reporter, 'bin/hearth.js', ...args], {
      env: { ...process.env, HEARTH_VAULT: vault, HEARTH_PASSPHRASE: PASSPHRASE, HEARTH_TEST_MAX_RSS_FILE: peakFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr, peak: Number(readFileSync(peakFile, 'utf8')) }));
  });
}

/** A Hearth export (format 1, as an older Hearth wrote it) whose one document's JSON is `document`. */
function exportWith(document: CraftedEntry, extra: CraftedEntry[] = []): CraftedEntry[] {
  const manifest = {
    format: 'hearth-export',
    version: 1,
    exportedAt: '2026-01-02T03:04:05.000Z',
    profile: { username: 'mallory', displayName: 'Mallory' },
    counts: { workspaces: 1, documents: 1, comments: 0, files: 0, auditEntries: 0 },
    workspaces: [{ id: 'w1', name: 'Bomb', path: 'workspaces/w1' }],
  };
  const workspace = {
    id: 'w1',
    name: 'Bomb',
    kind: 'personal',
    createdAt: 0,
    documents: [{ id: 'd1', title: 'Boom', markdown: 'documents/d1.md', json: 'documents/d1.json', automerge: 'documents/d1.automerge' }],
  };
  return [entryOf('manifest.json', JSON.stringify(manifest)), entryOf('workspaces/w1/workspace.json', JSON.stringify(workspace)), ...extra, document];
}

let vault: string;
let baseline: number;

beforeAll(async () => {
  vault = join(tempDir('hearth-bomb-'), 'vault');
  (await createTestVault({ dir: vault, passphrase: PASSPHRASE })).lock();
  const listed = await hearthWithPeak(vault, ['workspace', 'list']);
  expect(listed.code).toBe(0);
  baseline = listed.peak;
});

describe('zip bombs (issue 16, item 5)', () => {
  it('a 0.5 MB archive that expands to 512 MiB is refused from its directory; memory stays near the baseline', async () => {
    const file = join(tempDir(), 'bomb.zip');
    writeZip(file, exportWith(bombEntry('workspaces/w1/documents/d1.json', 512)));
    const run = await hearthWithPeak(vault, ['import', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/zip bomb/);
    expect(run.peak - baseline, `peak ${run.peak / MIB} MiB against ${baseline / MIB} MiB`).toBeLessThan(64 * MIB);
  });

  it('an entry within the ratio but beyond what is read whole is refused before reading; a lying size stops at the lie', async () => {
    // 128 MiB of JSON beside 1.5 MiB of noise: within 100 times the archive, beyond 64 MiB read whole.
    const large = join(tempDir(), 'large.zip');
    const noise = randomBytes(1.5 * MIB);
    writeZip(large, exportWith(bombEntry('workspaces/w1/documents/d1.json', 128), [{ ...entryOf('noise.bin', noise), data: noise, deflated: false }]));
    const refused = await hearthWithPeak(vault, ['import', large]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`larger than ${IMPORT_LIMITS.entryBytes / MIB} MiB`);
    expect(refused.peak - baseline).toBeLessThan(64 * MIB);

    // The directory says 1000 bytes; the stream holds 512 MiB.
    const lying = join(tempDir(), 'lying.zip');
    writeZip(lying, exportWith({ ...bombEntry('workspaces/w1/documents/d1.json', 512), declaredSize: 1000 }));
    const stopped = await hearthWithPeak(vault, ['import', lying]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/d1\.json in the import could not be read|larger than/);
    expect(stopped.peak - baseline).toBeLessThan(64 * MIB);

    const listed = await hearthWithPeak(vault, ['workspace', 'list']);
    expect(listed.code).toBe(0);
  });

  it('the entry count and the expansion ratio have limits of their own, with clear codes', async () => {
    const target = await createTestVault();
    const many = join(tempDir(), 'many.zip');
    writeZip(
      many,
      exportWith(
        entryOf('workspaces/w1/documents/d1.json', '{}'),
        Array.from({ length: 20 }, (_, i) => entryOf(`pad/${i}`, 'x')),
      ),
    );
    const counted = await importPath(target, many, { limits: { ...IMPORT_LIMITS, entries: 10 } }).catch((e: unknown) => e);
    expect(isHearthError(counted, 'LIMIT_EXCEEDED')).toBe(true);
    expect((counted as Error).message).toContain('at most 10');

    const expanding = join(tempDir(), 'expanding.zip');
    writeZip(expanding, exportWith(bombEntry('workspaces/w1/documents/d1.json', 2)));
    const ratio = await importPath(target, expanding, { limits: { ...IMPORT_LIMITS, expansionRatio: 10, expansionFloorBytes: 64 * 1024 } }).catch(
      (e: unknown) => e,
    );
    expect(isHearthError(ratio, 'TOO_LARGE')).toBe(true);
    expect((ratio as Error).message).toContain('more than 10 times its own size');
    expect(target.workspaces.list().map((w) => w.name)).toEqual(['Personal']);
    target.lock();
  });
});
