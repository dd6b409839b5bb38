// How the CLI words what went wrong, for the errors a process test cannot make here (a read-only
// file system needs a mount; this machine runs tests as root, for whom no folder is read-only):
// real SQLite and file-system errors where they can be had, and the wording for each kind.
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HearthError } from '../../../common/errors.ts';
import { refusalOf } from '../../../main/cli/refusals.ts';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

const dir = mkdtempSync(join(tmpdir(), 'hearth-refusals-'));

describe('CLI refusals', () => {
  it('names a read-only vault as read-only (a real SQLITE_READONLY)', () => {
    const file = join(dir, 'vault.sqlite');
    new Database(file).exec('CREATE TABLE t (x)');
    const readOnly = new Database(file, { readonly: true });
    const refusal = refusalOf(thrown(() => readOnly.exec('INSERT INTO t VALUES (1)')));
    readOnly.close();
    // Named by the vault's own translation of SQLite's errors (main/vault/database.ts), as the vault itself names it.
    expect(refusal).toMatchObject({ code: 'VAULT_READ_ONLY', unexpected: false });
    expect(refusal.message).toMatch(/read-only/);
  });

  it('names a read-only file system, and says which path', () => {
    const erofs = Object.assign(new Error(`EROFS: read-only file system, open '${dir}/out.zip'`), { code: 'EROFS', path: `${dir}/out.zip` });
    expect(refusalOf(erofs)).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(new RegExp(`read-only.*${dir}/out.zip`)) });
  });

  it('names a full disk, also when a HearthError carries it as its cause', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(refusalOf(full).message).toMatch(/disk is full/);
    expect(refusalOf(new HearthError('INTERNAL', 'could not write', { cause: full })).message).toMatch(/disk is full/);
  });

  it('a missing file is NOT_FOUND with its path (a real ENOENT)', () => {
    const missing = thrown(() => writeFileSync(join(dir, 'no', 'such', 'folder', 'x'), 'x'));
    expect(refusalOf(missing)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(join(dir, 'no', 'such', 'folder', 'x')) });
  });

  it('keeps a HearthError’s own message, on one line; anything else is an unexpected error without its stack', () => {
    expect(refusalOf(new HearthError('FORBIDDEN', 'You are a Viewer in Team:\n  a Viewer cannot resolve threads.'))).toEqual({
      code: 'FORBIDDEN',
      message: 'You are a Viewer in Team: a Viewer cannot resolve threads.',
      unexpected: false,
    });
    const bug = refusalOf(new TypeError('x is not a function'));
    expect(bug).toMatchObject({ code: 'INTERNAL', unexpected: true });
    expect(bug.message).toMatch(/^unexpected error \(TypeError: x is not a function\)/);
    expect(bug.message).not.toMatch(/\n|\bat /);
  });
});
