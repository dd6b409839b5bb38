/**
 * Issue 12, item 4, end to end in Chromium with its virtual authenticator (CDP WebAuthn domain,
 * PRF on): Settings → Security enrols a security key (keyboard only) and shows the recovery codes
 * once; the key derived from the passphrase alone then opens nothing in the vault file; after
 * locking, the passphrase alone does not unlock, the passphrase with the key does (mouse), and a
 * recovery code stands in for the key once (keyboard). The page is opened under the name
 * localhost, as browsers refuse WebAuthn on an IP address. Axe and screenshots, light and dark.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadSodium, tryOpen } from '../../common/crypto/sodium.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { deriveKek, unwrapMasterKey, type KdfParams } from '../../main/vault/keys.ts';
import { VAULT_FILE_NAME } from '../../main/vault/vault.ts';
import { checkScreen, startApp, type App } from './app-fixture.ts';

const PASSPHRASE = 'two factors are better';
let app: App;
let cdp: CDPSession;
let codes: string[] = [];

beforeAll(async () => {
  await loadSodium();
  app = await startApp();
  const api = connectInProcess(app.session);
  const created = await api.createVault({ passphrase: PASSPHRASE, username: 'kai', displayName: 'Kai' });
  expect(created.ok).toBe(true);
  api.close();
  cdp = await app.context.newCDPSession(app.page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: false,
      hasUserVerification: true,
      isUserVerified: true,
      hasPrf: true,
      automaticPresenceSimulation: true,
    },
  });
  await app.page.goto(app.server.localhostUrl);
  await app.page.getByRole('heading', { name: 'Personal' }).waitFor();
});

afterAll(async () => {
  await app?.close();
});

/** What a thief with the vault file and the passphrase (but not the key) can derive, tried on every key blob in the file. */
function passphraseAloneOpensSomething(): string[] {
  const db = new Database(join(app.session.vaultDir, VAULT_FILE_NAME), { readonly: true });
  try {
    const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer } | undefined)?.value;
    const vaultId = meta('vault_id')!.toString();
    const kek = deriveKek(PASSPHRASE, JSON.parse(meta('kdf')!.toString()) as KdfParams);
    const blobs = [
      ...(db.prepare('SELECT key AS name, value AS bytes FROM meta').all() as Array<{ name: string; bytes: Buffer }>),
      ...(db.prepare("SELECT 'credential' AS name, wrapped AS bytes FROM second_factor_credentials").all() as Array<{ name: string; bytes: Buffer }>),
      ...(db.prepare("SELECT 'recovery' AS name, wrapped AS bytes FROM recovery_codes").all() as Array<{ name: string; bytes: Buffer }>),
    ];
    return blobs
      .filter((b) => unwrapMasterKey(kek, b.bytes, vaultId) !== undefined || tryOpen(kek, b.bytes, new Uint8Array()) !== undefined)
      .map((b) => b.name);
  } finally {
    db.close();
  }
}

test('enrol with the keyboard: the recovery codes are shown once, and the passphrase alone opens nothing in the vault file', async () => {
  const { page } = app;
  expect(passphraseAloneOpensSomething()).toEqual(['master_key']);
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Profile' }).focus();
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Security');
  const form = page.getByRole('form', { name: 'Security key' });
  await form.getByLabel('Passphrase').focus();
  await page.keyboard.type(PASSPHRASE);
  await page.keyboard.press('Enter');
  const list = page.getByRole('list', { name: 'Recovery codes' });
  await list.waitFor();
  codes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  await checkScreen(page, 'second-factor-recovery-codes');
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('I have saved these codes');
  await page.keyboard.press('Enter');
  await expect.poll(() => form.getByRole('status').textContent()).toContain('Security key enrolled');
  await expect.poll(() => form.textContent()).toContain('10 recovery codes left');
  expect(await form.getByRole('button', { name: 'Remove security key' }).isEnabled()).toBe(true);
  await checkScreen(page, 'second-factor-settings-enrolled');

  expect(passphraseAloneOpensSomething()).toEqual([]);
  const log = connectInProcess(app.session);
  const audit = await log.auditLog();
  log.close();
  expect(audit.ok && audit.value.map((e) => e.action)).toContain('second_factor.enrolled');
  await page.keyboard.press('Escape');
});

test('after locking, the passphrase alone does not unlock; with a wrong passphrase the key does not either; passphrase and key do (mouse)', async () => {
  const { page } = app;
  await page.getByRole('button', { name: 'Lock Hearth' }).click();
  await page.getByRole('heading', { name: 'Unlock Hearth, Kai' }).waitFor();
  await page.getByText('This vault also needs your security key').waitFor();
  await checkScreen(page, 'second-factor-unlock');

  // Any page, any transport: the core refuses the passphrase alone.
  const other = connectInProcess(app.session);
  const alone = await other.unlock(PASSPHRASE);
  other.close();
  expect(alone.ok ? 'unlocked' : alone.error.code).toBe('SECOND_FACTOR_REQUIRED');
  expect(app.session.state).toBe('locked');

  await page.getByLabel('Passphrase').click();
  await page.getByLabel('Passphrase').fill('not the passphrase');
  await page.getByRole('button', { name: 'Unlock with security key' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('That passphrase is not right');
  expect(app.session.state).toBe('locked');

  await page.getByLabel('Passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock with security key' }).click();
  await page.getByRole('heading', { name: 'Personal' }).waitFor();
  expect(app.session.state).toBe('unlocked');
});

test('a recovery code stands in for the key once (keyboard), and then no longer works', async () => {
  const { page } = app;
  await page.getByRole('button', { name: 'Lock Hearth' }).click();
  await page.getByRole('heading', { name: 'Unlock Hearth, Kai' }).waitFor();
  await page.getByRole('button', { name: 'Use a recovery code instead of the key' }).focus();
  await page.keyboard.press('Enter');
  await page.getByLabel('Recovery code').waitFor();
  await checkScreen(page, 'second-factor-unlock-recovery');
  await page.getByLabel('Passphrase').focus();
  await page.keyboard.type(PASSPHRASE);
  await page.keyboard.press('Tab');
  await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('autocomplete'))).toBe('one-time-code');
  await page.keyboard.type(codes[0]!);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Personal' }).waitFor();

  await page.getByRole('button', { name: 'Lock Hearth' }).click();
  await page.getByRole('button', { name: 'Use a recovery code instead of the key' }).click();
  await page.getByLabel('Passphrase').fill(PASSPHRASE);
  await page.getByLabel('Recovery code').fill(codes[0]!);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('That recovery code does not open this vault');
  expect(app.session.state).toBe('locked');
  expect(app.problems).toEqual([]);
});
