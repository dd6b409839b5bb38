/**
 * The recovery key in the app, in real Chromium over a real Session and a real relay: once Ada's
 * account reaches the relay (her first team workspace), the sidebar offers a recovery key; it is
 * shown once, and the dialog closes only after "I wrote it down" (by mouse and by keyboard). Every
 * device of Ada is lost; on a new computer's first run, "Recover with a recovery key" (reached by
 * keyboard) refuses a mistyped key, leaving no vault, and the right key brings back her account
 * with its team workspace and document. Then, in Settings → Your data, a backup is restored beside
 * that vault (never over it), by keyboard; and with a second factor enrolled, replacing the key
 * asks for it first (a recovery code of the security key, typed).
 */
import * as A from '@automerge/automerge';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { randomBytes, toBase64Url } from '../../common/crypto/sodium.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Vault } from '../../main/vault/vault.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { startApp, type App } from './app-fixture.ts';
import { createTeamWorkspace, launchChromium, startUser, stopUsers, workspaceButton, type User } from './team-fixture.ts';
import { seriousAxeViolations } from './ui-checks.ts';

const SHOTS = '/work/notes/shots';
let relay: TestRelay;
let browser: Browser;
let ada: User | undefined;
let fresh: App | undefined;
let recoveryKey = '';
const username = `ada-${process.pid}`;

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(SHOTS, `h-recovery-${name}.png`), await page.screenshot());
}

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', username);
  // The machine is shared and busy: each step may wait longer than the fixtures' default, never for something else.
  ada.context.setDefaultTimeout(45_000);
}, 120_000);

afterAll(async () => {
  await stopUsers(ada);
  await fresh?.close();
  await browser?.close();
  await relay?.stop();
});

test('once the account is on a relay, the sidebar offers a recovery key, shown once until "I wrote it down"', { timeout: 120_000 }, async () => {
  const page = ada!.page;
  const prompt = page.getByRole('status').filter({ hasText: 'Write down a recovery key' });
  await createTeamWorkspace(ada!, 'Alpha', relay.url);
  const vault = ada!.session.requireVault();
  const alpha = vault.workspaces.list().find((w) => w.name === 'Alpha')!;
  vault.documents.create(alpha.id, { title: 'Plan', init: (d) => A.updateText(d, ['body'], 'written before every device was lost') });
  await prompt.waitFor();
  expect(await seriousAxeViolations(page)).toEqual([]);
  await shot(page, 'prompt');

  await prompt.getByRole('button', { name: 'Make a recovery key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Your recovery key' });
  await dialog.waitFor();
  recoveryKey = ((await dialog.getByLabel('Recovery key').textContent()) ?? '').match(/.{4}/g)!.join('-');
  expect(recoveryKey).toMatch(/^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
  const done = dialog.getByRole('button', { name: 'Done' });
  expect(await done.isDisabled()).toBe(true);
  // Escape does not skip the step.
  await page.keyboard.press('Escape');
  expect(await dialog.isVisible()).toBe(true);
  expect(await seriousAxeViolations(page)).toEqual([]);
  await shot(page, 'key-shown-once');
  // By keyboard: to the checkbox, tick it, on to Done, press it.
  const tick = dialog.getByRole('checkbox', { name: 'I wrote it down' });
  for (let i = 0; i < 8 && !(await tick.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  expect(await tick.isChecked()).toBe(true);
  await page.keyboard.press('Tab');
  expect(await done.evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  await prompt.waitFor({ state: 'detached' });

  // Settings → Security says the account has one; making a new one there is by mouse, and shown once too.
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('tab', { name: 'Security' }).click();
  const section = settings.getByRole('region', { name: 'Recovery key' });
  await section.getByText('Your account has a recovery key').waitFor();
  await shot(page, 'settings');
  await section.getByRole('button', { name: 'Make a new recovery key' }).click();
  const again = page.getByRole('dialog', { name: 'Your recovery key' });
  await again.waitFor();
  const replaced = ((await again.getByLabel('Recovery key').textContent()) ?? '').match(/.{4}/g)!.join('-');
  expect(replaced).not.toBe(recoveryKey);
  recoveryKey = replaced;
  await again.getByRole('checkbox', { name: 'I wrote it down' }).click();
  await again.getByRole('button', { name: 'Done' }).click();
  await again.waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
  await expect.poll(() => workspaceButton(page, 'Alpha').textContent()).toMatch(/Synced/);
  expect(ada!.problems).toEqual([]);
});

test(
  'every device lost: on a new computer, "Recover with a recovery key" refuses a typo and brings the account back with the right key',
  { timeout: 180_000 },
  async () => {
    const vaultDir = ada!.session.vaultDir;
    await stopUsers(ada);
    ada = undefined;
    rmSync(vaultDir, { recursive: true, force: true });

    fresh = await startApp();
    const page = fresh.page;
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    // By keyboard: Tab to "Recover with a recovery key", then Enter.
    const recover = page.getByRole('button', { name: 'Recover with a recovery key' });
    for (let i = 0; i < 20 && !(await recover.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Recover with a recovery key' }).waitFor();
    // The relay address field has the focus: type everything, Tab from field to field.
    await page.keyboard.type(relay.url);
    await page.keyboard.press('Tab');
    await page.keyboard.type(username);
    await page.keyboard.press('Tab');
    const typo = recoveryKey.slice(0, -1) + (recoveryKey.endsWith('A') ? 'B' : 'A');
    await page.keyboard.type(typo);
    await page.keyboard.press('Tab');
    await page.keyboard.type('new computer passphrase');
    await page.keyboard.press('Tab');
    await page.keyboard.type('new computer passphrase');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'typo' }).waitFor();
    expect(Vault.exists(fresh.session.vaultDir)).toBe(false);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await shot(page, 'first-run-typo');

    // By mouse: correct the key, press "Recover my account".
    await page.getByRole('textbox', { name: 'Recovery key' }).fill(recoveryKey.toLowerCase());
    await page.getByRole('button', { name: 'Recover my account' }).click();
    await page.locator('.sidebar-profile').getByText(`@${username}`).waitFor({ timeout: 60_000 });
    await workspaceButton(page, 'Alpha').click();
    await page.getByRole('heading', { name: 'Alpha' }).waitFor();
    await page.getByText('Plan').first().waitFor();
    const vault = fresh.session.requireVault();
    const plan = vault.documents.list(vault.workspaces.list().find((w) => w.name === 'Alpha')!.id)[0]!;
    expect(vault.documents.get(plan.id).body).toBe('written before every device was lost');
    expect(vault.audit.list().map((e) => e.action)).toContain('recovery_key.used');
    // The account has its recovery key still: no prompt to make one.
    expect(await page.getByRole('status').filter({ hasText: 'Write down a recovery key' }).count()).toBe(0);
    await shot(page, 'recovered');
    expect(fresh.problems).toEqual([]);
  },
);

test('a backup restored where a vault is goes beside it, never over it (Settings → Your data, by keyboard)', { timeout: 120_000 }, async () => {
  const page = fresh!.page;
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Your data' }).click();
  const panel = page.getByRole('tabpanel');
  await panel.getByLabel('Backup passphrase', { exact: true }).fill('the backup passphrase');
  await panel.getByLabel('Confirm backup passphrase').fill('the backup passphrase');
  await panel.getByRole('button', { name: 'Write backup' }).click();
  await panel.getByRole('status').filter({ hasText: 'Wrote an encrypted backup' }).waitFor({ timeout: 20_000 });

  const section = panel.getByRole('form', { name: 'Restore beside this vault' });
  await section.getByRole('radio', { name: /hearth-backup-.*Encrypted backup/ }).check();
  // By keyboard: into the passphrase field, type, Enter submits.
  await section.getByLabel('Backup passphrase of that file').focus();
  await page.keyboard.type('the backup passphrase');
  await page.keyboard.press('Enter');
  const said = section.getByRole('status').filter({ hasText: 'beside this one' });
  await said.waitFor({ timeout: 30_000 });
  const vaultDir = /into (\S+); this vault is unchanged/.exec((await said.textContent()) ?? '')?.[1];
  expect(vaultDir?.startsWith(`${fresh!.session.vaultDir}-restored-`)).toBe(true);
  expect(Vault.exists(vaultDir!)).toBe(true);
  expect(fresh!.session.state).toBe('unlocked');
  await section.scrollIntoViewIfNeeded();
  expect(await seriousAxeViolations(page)).toEqual([]);
  await shot(page, 'restore-beside');
  expect(fresh!.problems).toEqual([]);
});

test(
  'with a second factor, a new recovery key (which revokes the old one) asks for it first: a wrong code is refused, a right one shows the key',
  { timeout: 120_000 },
  async () => {
    const page = fresh!.page;
    const api = connectInProcess(fresh!.session);
    const enrolment = await api.secondFactorEnrolment();
    if (!enrolment.ok) throw new Error(enrolment.error.message);
    const enrolled = await api.enrolSecondFactor({
      passphrase: 'new computer passphrase',
      credentialId: toBase64Url(randomBytes(16)),
      prfSalt: enrolment.value.prfSalt,
      prfOutput: toBase64Url(randomBytes(32)),
    });
    if (!enrolled.ok) throw new Error(enrolled.error.message);
    api.close();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('tab', { name: 'Security' }).click();
    const section = settings.getByRole('region', { name: 'Recovery key' });
    await section.getByRole('button', { name: 'Make a new recovery key' }).click();
    const code = section.getByLabel('Or a recovery code of your security key');
    await code.fill('not-a-code');
    await section.getByRole('button', { name: 'Confirm with the code' }).click();
    await section.getByRole('alert').waitFor();
    expect(await page.getByRole('dialog', { name: 'Your recovery key' }).count()).toBe(0);
    // By keyboard: the code, then Tab to "Confirm with the code" and Enter.
    await code.fill('');
    await code.focus();
    await page.keyboard.type(enrolled.value.recoveryCodes[0]!);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const shown = page.getByRole('dialog', { name: 'Your recovery key' });
    await shown.waitFor({ timeout: 30_000 });
    expect(((await shown.getByLabel('Recovery key').textContent()) ?? '').match(/.{4}/g)!.join('-')).not.toBe(recoveryKey);
    await shown.getByRole('checkbox', { name: 'I wrote it down' }).check();
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    await section.getByRole('button', { name: 'Make a new recovery key' }).waitFor();
    const actions = fresh!.session
      .requireVault()
      .audit.list()
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['recovery_code.used', 'device.revoked', 'recovery_key.made']));
    expect(fresh!.problems).toEqual([]);
  },
);
