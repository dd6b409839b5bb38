/**
 * The session behind the door: auto-lock after idle time (and what does not count as activity),
 * "stay unlocked" through a keychain, uploads cut off by a lock, and reads from any offset.
 * Real vaults in temporary folders; a "minute" is shortened so idle time passes quickly.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { connectInProcess } from '../../../main/api/connection.ts';
import { SETTINGS_FILE_NAME, type UnlockKeeper } from '../../../main/app/session.ts';
import { expectOk, testSession } from '../../integration/transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
const profile = { passphrase: PASSPHRASE, username: 'ada', displayName: 'Ada' };

/** A keychain in memory, standing in for Electron's safeStorage. */
class MemoryKeeper implements UnlockKeeper {
  secret: string | undefined;
  available = true;
  store(secret: string) {
    this.secret = secret;
  }
  retrieve() {
    return this.secret;
  }
  clear() {
    this.secret = undefined;
  }
}

test('after the idle time the vault locks itself and every page hears why; polling status does not keep it open', async () => {
  const session = testSession({ minuteMs: 250 });
  const page = connectInProcess(session);
  const events: unknown[] = [];
  page.on('locked', (event) => events.push(event));
  expectOk(await page.createVault(profile));
  expectOk(await page.updateSettings({ autoLockMinutes: 3 }));

  // Real use pushes the lock back…
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    expectOk(await page.listWorkspaces());
  }
  expect(expectOk(await page.status()).state).toBe('unlocked');
  // …a page that only polls does not.
  const started = Date.now();
  while (expectOk(await page.status()).state === 'unlocked' && Date.now() - started < 4_000) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  expect(Date.now() - started).toBeLessThan(2_500);
  expect(events).toEqual([{ reason: 'idle' }]);
  expect(failedCode(await page.listWorkspaces())).toBe('VAULT_LOCKED');

  expectOk(await page.unlock(PASSPHRASE));
  expectOk(await page.updateSettings({ autoLockMinutes: 0 }));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(expectOk(await page.status()).state).toBe('unlocked');
  await session.close();
});

test('locks, auto-locks and settings changes are in the audit log, each saying what happened; the comments layout choice is not', async () => {
  const session = testSession({ minuteMs: 100 });
  const page = connectInProcess(session);
  expectOk(await page.createVault(profile));
  expectOk(await page.updateSettings({ theme: 'dark', autoLockMinutes: 5 }));
  expectOk(await page.updateSettings({ autoLockMinutes: 5 })); // no change, no entry
  expectOk(await page.updateSettings({ showComments: false }));
  expectOk(await page.lock());
  expectOk(await page.unlock(PASSPHRASE));
  expectOk(await page.updateSettings({ autoLockMinutes: 1 }));
  while (expectOk(await page.status()).state === 'unlocked') await new Promise((resolve) => setTimeout(resolve, 50));
  expectOk(await page.unlock(PASSPHRASE));
  const log = expectOk(await page.auditLog()).map(({ action, about }) => (about ? `${action}: ${about}` : action));
  expect(log).toEqual([
    'vault.created',
    'settings.changed: auto-lock after 5 minutes; theme dark',
    'vault.locked',
    'vault.unlocked',
    'settings.changed: auto-lock after 1 minute',
    'vault.auto_locked',
    'vault.unlocked',
  ]);
  await session.close();
});

test('settings are stored beside the vault with no content in them', async () => {
  const session = testSession();
  const page = connectInProcess(session);
  expectOk(await page.createVault(profile));
  expectOk(await page.updateSettings({ theme: 'light', autoLockMinutes: 30 }));
  const stored = JSON.parse(readFileSync(join(session.vaultDir, SETTINGS_FILE_NAME), 'utf8'));
  expect(stored).toEqual({ theme: 'light', autoLockMinutes: 30, stayUnlocked: false });
  await session.close();
  const again = connectInProcess(testSession({ vaultDir: session.vaultDir }));
  expect(expectOk(await again.getSettings())).toEqual({ theme: 'light', autoLockMinutes: 30, stayUnlocked: false });
});

test('stay unlocked: off by default; when on, the keychain holds the master key (never the passphrase) and the next start opens with it; turning it off forgets it', async () => {
  const keeper = new MemoryKeeper();
  const first = testSession({ unlockKeeper: keeper });
  const page = connectInProcess(first);
  expectOk(await page.createVault(profile));
  expect(expectOk(await page.getSettings()).stayUnlocked).toBe(false);
  expect(keeper.secret).toBeUndefined();
  expectOk(await page.updateSettings({ stayUnlocked: true }));
  const kept = keeper.secret;
  expect(kept).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(kept).not.toContain(PASSPHRASE);
  expectOk(await page.lock());
  expectOk(await page.unlock(PASSPHRASE));
  expect(keeper.secret).toBe(kept);
  // A passphrase change leaves the master key, so the kept key still opens the vault.
  expectOk(await page.changePassphrase(PASSPHRASE, 'the next passphrase'));
  expect(keeper.secret).toBe(kept);
  await first.close();

  const second = testSession({ vaultDir: first.vaultDir, unlockKeeper: keeper });
  expect(await second.resume()).toBe(true);
  expect(second.state).toBe('unlocked');
  const secondPage = connectInProcess(second);
  expectOk(await secondPage.updateSettings({ stayUnlocked: false }));
  expect(keeper.secret).toBeUndefined();
  await second.close();

  const third = testSession({ vaultDir: first.vaultDir, unlockKeeper: keeper });
  expect(await third.resume()).toBe(false);
  expect(third.state).toBe('locked');
});

test('a keychain secret that no longer opens the vault is forgotten, and the user is asked', async () => {
  const keeper = new MemoryKeeper();
  const session = testSession({ unlockKeeper: keeper });
  const page = connectInProcess(session);
  expectOk(await page.createVault(profile));
  expectOk(await page.updateSettings({ stayUnlocked: true }));
  await session.close();
  keeper.secret = 'A'.repeat(43);
  const next = testSession({ vaultDir: session.vaultDir, unlockKeeper: keeper });
  expect(await next.resume()).toBe(false);
  expect(keeper.secret).toBeUndefined();
});

test('locking during an upload cancels it and leaves no partial file', async () => {
  const session = testSession();
  const page = connectInProcess(session);
  expectOk(await page.createVault(profile));
  const workspace = expectOk(await page.listWorkspaces())[0]!;
  const { uploadId } = expectOk(await page.beginUpload(workspace.id, { name: 'half.bin', type: '', size: 4_000_000 }));
  expectOk(await page.uploadChunk(uploadId, new Uint8Array(2_500_000)));
  expectOk(await page.lock());
  expect(failedCode(await page.uploadChunk(uploadId, new Uint8Array(10)))).toBe('NOT_FOUND');
  expectOk(await page.unlock(PASSPHRASE));
  expect(expectOk(await page.listFiles(workspace.id))).toEqual([]);
  await session.close();
});

test('a file reads back from any offset, and past the end is BAD_REQUEST', async () => {
  const session = testSession();
  const page = connectInProcess(session);
  expectOk(await page.createVault(profile));
  const workspace = expectOk(await page.listWorkspaces())[0]!;
  const content = randomBytes(2_500_000);
  const { uploadId } = expectOk(await page.beginUpload(workspace.id, { name: 'a.bin', type: '', size: content.length }));
  expectOk(await page.uploadChunk(uploadId, content));
  const file = expectOk(await page.finishUpload(uploadId));

  const tail = expectOk(await page.readFile(file.id, 2_000_000));
  expect(Buffer.from(tail.bytes).equals(content.subarray(2_000_000, 2_000_000 + tail.bytes.length))).toBe(true);
  const start = expectOk(await page.readFile(file.id, 123));
  expect(Buffer.from(start.bytes).equals(content.subarray(123, 123 + start.bytes.length))).toBe(true);
  expect(start.done).toBe(false);
  const end = expectOk(await page.readFile(file.id, content.length));
  expect(end).toEqual({ bytes: new Uint8Array(0), done: true });
  expect(failedCode(await page.readFile(file.id, content.length + 1))).toBe('BAD_REQUEST');

  const empty = expectOk(await page.beginUpload(workspace.id, { name: 'empty.txt', type: 'text/plain', size: 0 }));
  const emptyFile = expectOk(await page.finishUpload(empty.uploadId));
  expect(expectOk(await page.readFile(emptyFile.id, 0))).toEqual({ bytes: new Uint8Array(0), done: true });
  await session.close();
});

function failedCode(result: { ok: boolean; error?: { code: string } }): string | undefined {
  return result.ok ? undefined : result.error?.code;
}

test('a second page unlocking a vault another page already unlocked still needs the right passphrase', async () => {
  const session = testSession();
  const first = connectInProcess(session);
  const second = connectInProcess(session);
  expectOk(await first.createVault(profile));
  const wrong = await second.unlock('not the passphrase');
  expect(wrong.ok === false && wrong.error.code).toBe('WRONG_PASSPHRASE');
  expect(expectOk(await second.unlock(PASSPHRASE)).username).toBe('ada');
  expect(expectOk(await first.auditLog()).map((e) => e.action)).toContain('vault.unlock_failed');
  first.close();
  second.close();
  await session.close();
});
