/**
 * Your data, end to end in Debian's Chromium against the real browser-mode server, session,
 * vault and a real relay: the privacy dashboard (with the relay's right-of-access answer and
 * pause), export from Settings with visible progress into a folder the existing import reads back,
 * backup → wipe → restore from the UI (wrong backup passphrase first), and the Delete Account
 * dialog that refuses a wrong or differently-cased username, lists the exports and backups the app
 * wrote (erasing the ticked ones only) and ends on the first-run screen.
 */
import * as A from '@automerge/automerge';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { HearthApi } from '../../common/api/contract.ts';
import type { Result } from '../../common/errors.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { importPath } from '../../main/portability/import.ts';
import { Vault } from '../../main/vault/vault.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { createTestVault, tempDir } from '../support/vault.ts';
import { checkScreen, screenshot, startApp, type App } from './app-fixture.ts';

const PASSPHRASE = 'kim passphrase one';
const BACKUP_PASSPHRASE = 'a long backup passphrase';
const DOCUMENTS = 40;

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

async function openSettings(page: Page, tab: string): Promise<void> {
  if (!(await page.getByRole('dialog', { name: 'Settings' }).isVisible())) await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: tab }).click();
}

/** Records every state of a progress bar the page shows, so a quick task's progress is still seen. */
async function watchProgress(page: Page, label: string): Promise<void> {
  await page.evaluate((label) => {
    const seen: string[] = [];
    (window as unknown as { seenProgress: string[] }).seenProgress = seen;
    new MutationObserver(() => {
      const bar = document.querySelector(`progress[aria-label="${label}"]`);
      if (!bar) return;
      const line = `${bar.getAttribute('value') ?? ''}/${bar.getAttribute('max') ?? ''} ${bar.nextElementSibling?.textContent ?? ''}`;
      if (seen.at(-1) !== line) seen.push(line);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  }, label);
}

describe('privacy, export, backup → wipe → restore', () => {
  let app: App;
  let page: Page;
  let relay: TestRelay;
  let api: HearthApi & { close(): void };
  const titles: string[] = [];

  beforeAll(async () => {
    relay = await startTestRelay();
    app = await startApp();
    page = app.page;
    api = connectInProcess(app.session);
    ok(await api.createVault({ passphrase: PASSPHRASE, username: 'kim', displayName: 'Kim Example' }));
    const [personal] = ok(await api.listWorkspaces());
    for (let i = 1; i <= DOCUMENTS; i++) {
      const title = `Note ${String(i).padStart(2, '0')}`;
      titles.push(title);
      ok(await api.createDocument(personal!.id, { title, tags: i % 2 ? ['odd'] : [] }));
    }
    const upload = ok(await api.beginUpload(personal!.id, { name: 'scan.bin', type: 'application/octet-stream', size: 3 * 1024 * 1024 }));
    ok(await api.uploadChunk(upload.uploadId, new Uint8Array(3 * 1024 * 1024).fill(7)));
    ok(await api.finishUpload(upload.uploadId));
    ok(await api.registerAccount(relay.url));
    ok(await api.createTeamWorkspace('Team plans', relay.url));
    await page.reload();
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
  });

  afterAll(async () => {
    api?.close();
    await app?.close();
    await relay?.stop();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  test('the privacy dashboard shows what is stored here, what the relay holds, who sees what, and pauses sync', async () => {
    await openSettings(page, 'Privacy');
    const panel = page.getByRole('tabpanel');
    await panel.getByRole('heading', { name: 'On this device' }).waitFor();
    const storage = panel.getByLabel('Storage per workspace');
    await expect.poll(() => storage.getByRole('row', { name: /Personal/ }).textContent()).toMatch(new RegExp(`Personal${DOCUMENTS}1`));
    await expect.poll(() => panel.getByText('What it holds about you').textContent()).toContain('kim');
    expect(await panel.getByText(relay.url).count()).toBeGreaterThan(0);
    expect(await panel.getByText(/Team plans — you are owner/).count()).toBe(1);
    expect(await panel.getByRole('listitem').filter({ hasText: 'Personal' }).first().textContent()).toContain('only you');
    await checkScreen(page, 'settings-privacy');

    await storage.getByRole('button', { name: 'Pause sync' }).click();
    await expect.poll(() => panel.getByRole('status').textContent()).toContain('Sync paused for Team plans');
    await expect.poll(() => storage.getByRole('row', { name: /Team plans/ }).textContent()).toContain('Paused');
    await storage.getByRole('button', { name: 'Resume sync' }).click();
    await expect.poll(() => panel.getByRole('status').textContent()).toContain('Sync resumed for Team plans');

    // Keep edit history: shown per workspace with the bytes history takes; "none" erases it at once.
    const keep = storage.getByLabel('Keep edit history in Personal');
    expect(await keep.inputValue()).toBe('forever');
    expect(await storage.getByRole('row', { name: /Personal/ }).textContent()).toMatch(/[\d.]+ [KMGT]?B of history/);
    await keep.selectOption('none');
    await expect
      .poll(() => panel.getByRole('status').textContent())
      .toMatch(/^Personal keeps edit history not at all; older edits were erased in \d+ documents?\.$/);
    await expect.poll(() => storage.getByLabel('Keep edit history in Personal').inputValue()).toBe('none');
  });

  test('export from Settings shows progress and writes a folder the existing import reads back', async () => {
    await openSettings(page, 'Your data');
    const panel = page.getByRole('tabpanel');
    await panel.getByRole('heading', { name: 'Export' }).waitFor();
    await checkScreen(page, 'settings-your-data');
    await watchProgress(page, 'Export progress');
    await panel.getByRole('button', { name: 'Export', exact: true }).click();
    const done = panel.getByRole('status').filter({ hasText: 'Exported' });
    await done.waitFor();
    const text = (await done.textContent())!;
    expect(text).toContain(`Exported ${DOCUMENTS} documents, 0 comments and 1 file to ${app.session.dataDir}`);
    const seen = await page.evaluate(() => (window as unknown as { seenProgress: string[] }).seenProgress);
    expect(
      seen.some((line) => new RegExp(`Documents: \\d+ of ${DOCUMENTS}`).test(line)),
      seen.join('\n'),
    ).toBe(true);
    expect(
      seen.some((line) => /^\d+\/\d+ /.test(line)),
      seen.join('\n'),
    ).toBe(true);
    await screenshot(page, 'settings-export-done');

    // The folder the UI named is read back by the CLI's import into a fresh vault.
    const folder = text.slice(text.indexOf(app.session.dataDir)).trim();
    expect(existsSync(join(folder, 'manifest.json'))).toBe(true);
    const fresh = await createTestVault({ dir: join(tempDir(), 'vault') });
    try {
      const summary = await importPath(fresh, folder);
      expect(summary).toMatchObject({ kind: 'hearth-export', documentsCreated: DOCUMENTS + 0, files: 1 });
      const imported = fresh.workspaces.list().flatMap((w) => fresh.documents.list(w.id).map((d) => d.title));
      expect(imported.sort()).toEqual([...titles].sort());
    } finally {
      fresh.lock();
    }

    // The export shows up in the import list at once; importing it here adds nothing twice, and says so.
    await panel.getByRole('radio', { name: new RegExp(folder.slice(folder.lastIndexOf('/') + 1)) }).check();
    await watchProgress(page, 'Import progress');
    await panel.getByRole('button', { name: 'Import', exact: true }).click();
    const summary = panel.getByRole('status').filter({ hasText: 'Imported' });
    await summary.waitFor();
    expect(await summary.textContent()).toBe(
      `Imported 0 new documents, 0 comments, 0 files. ${DOCUMENTS} documents were already here (merged, not duplicated); 1 file was already here (skipped).`,
    );
    const importSeen = await page.evaluate(() => (window as unknown as { seenProgress: string[] }).seenProgress);
    expect(importSeen.length, importSeen.join('\n')).toBeGreaterThan(0);
    await screenshot(page, 'settings-import-done');
  });

  test('the audit log filters by action and exports the filtered events as JSON', async () => {
    await openSettings(page, 'Privacy');
    await page.getByRole('button', { name: 'Open the audit log' }).click();
    const panel = page.getByRole('tabpanel');
    const rows = panel.getByLabel('Audit log entries').getByRole('row');
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    await panel.getByLabel('Show').selectOption({ label: 'Export' });
    await expect.poll(async () => (await rows.allTextContents()).slice(1).every((row) => row.includes('Export'))).toBe(true);
    expect(await rows.count()).toBe(2);
    await checkScreen(page, 'settings-audit-filtered');
    await panel.getByRole('button', { name: 'Export as JSON' }).click();
    const status = panel.getByRole('status').filter({ hasText: 'Exported 1 event as JSON' });
    await status.waitFor();
    const text = (await status.textContent())!;
    const file = text.slice(text.indexOf(app.session.dataDir)).trim();
    const written = JSON.parse(readFileSync(file, 'utf8')) as { entries: Array<{ action: string }> };
    expect(written.entries.map((e) => e.action)).toEqual(['export']);
  });

  test('export from Settings can leave the edit history out: each document is then its state alone', async () => {
    await openSettings(page, 'Your data');
    const panel = page.getByRole('tabpanel');
    await panel.getByRole('radio', { name: 'Only what documents say now' }).check();
    await panel.getByRole('button', { name: 'Export', exact: true }).click();
    const done = panel.getByRole('status').filter({ hasText: 'Exported' });
    await done.waitFor();
    const text = (await done.textContent())!;
    const folder = text.slice(text.indexOf(app.session.dataDir)).trim();
    const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.automerge'));
    expect(files.length).toBe(DOCUMENTS);
    // One change each: the state, none of the edits that led there.
    for (const file of files) expect(A.getAllChanges(A.load(readFileSync(join(folder, file))))).toHaveLength(1);
  });

  test('backup, wipe this device, then restore from the welcome screen (a wrong backup passphrase first)', async () => {
    await openSettings(page, 'Your data');
    const panel = page.getByRole('tabpanel');
    await panel.getByLabel('Backup passphrase', { exact: true }).fill(BACKUP_PASSPHRASE);
    await panel.getByLabel('Confirm backup passphrase').fill(BACKUP_PASSPHRASE);
    await watchProgress(page, 'Backup progress');
    await panel.getByRole('button', { name: 'Write backup' }).click();
    const written = panel.getByRole('status').filter({ hasText: 'Wrote an encrypted backup' });
    await written.waitFor({ timeout: 20_000 });
    expect(await written.textContent()).toContain(app.session.dataDir);

    await openSettings(page, 'Danger Zone');
    await page.getByRole('button', { name: 'Wipe this device…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Wipe this device' });
    await dialog.getByRole('textbox').fill('kim');
    await dialog.getByRole('button', { name: 'Wipe this device' }).click();
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    expect(Vault.exists(app.session.vaultDir)).toBe(false);

    await page.getByRole('button', { name: 'Restore from a backup' }).click();
    await page.getByRole('heading', { name: 'Restore from a backup' }).waitFor();
    await page.getByRole('radio', { name: /hearth-backup-.*Encrypted backup/ }).check();
    await page.getByLabel('Backup passphrase').fill('not the backup passphrase');
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 20_000 }).toContain('That backup passphrase does not open this backup');
    expect(Vault.exists(app.session.vaultDir)).toBe(false);
    await checkScreen(page, 'restore-wrong-passphrase');

    await page.getByLabel('Backup passphrase').fill(BACKUP_PASSPHRASE);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByRole('heading', { name: 'Personal' }).waitFor({ timeout: 20_000 });
    for (const title of [titles[0]!, titles.at(-1)!]) await page.getByText(title, { exact: true }).first().waitFor();
    // It unlocks with the backup passphrase now (no new one was chosen).
    await page.getByRole('button', { name: 'Lock Hearth' }).click();
    await page.getByLabel('Passphrase').fill(BACKUP_PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
    expect(app.problems).toEqual([]);
  });
});

describe('Delete Account', () => {
  let app: App;
  let page: Page;
  let copies: { folder: string; zip: string; backup: string };

  beforeAll(async () => {
    app = await startApp();
    page = app.page;
    const api = connectInProcess(app.session);
    ok(await api.createVault({ passphrase: PASSPHRASE, username: 'kim', displayName: 'Kim Example' }));
    const [personal] = ok(await api.listWorkspaces());
    ok(await api.createDocument(personal!.id, { title: 'Keep me until I say so' }));
    // Copies the app wrote outside the vault: two plain-text exports and an encrypted backup.
    copies = {
      folder: ok(await api.exportData({ format: 'folder' })).path,
      zip: ok(await api.exportData({ format: 'zip' })).path,
      backup: ok(await api.backup({ passphrase: BACKUP_PASSPHRASE })).path,
    };
    api.close();
    await page.reload();
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  test('refuses a wrong and a differently-cased username, accepts the exact one, and ends on the first-run screen', async () => {
    await openSettings(page, 'Danger Zone');
    await checkScreen(page, 'settings-danger-zone');
    await page.getByRole('button', { name: 'Delete account…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete account' });
    await dialog.getByText('This cannot be undone.').waitFor();
    // It says plainly what will happen.
    const said = (await dialog.textContent())!;
    expect(said).toContain('Your account is deleted on every relay you use');
    expect(said).toContain('this device is wiped');
    const field = dialog.getByRole('textbox');
    const confirm = dialog.getByRole('button', { name: 'Delete my account' });

    for (const attempt of ['kam', 'Kim', 'KIM', ' kim']) {
      await field.fill(attempt);
      expect(await confirm.isDisabled(), attempt).toBe(true);
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      await dialog.getByText('Not yet: it must match exactly, with the same capitals.').waitFor();
      // Enter does not get past it either.
      await field.press('Enter');
      expect(await dialog.isVisible()).toBe(true);
    }
    await field.fill('Kim');
    await checkScreen(page, 'delete-account-refused');
    expect(Vault.exists(app.session.vaultDir)).toBe(true);
    expect(app.session.state).toBe('unlocked');

    // The exports and the backup it found, each named with its place, none ticked: all three would stay.
    const found = dialog.getByRole('group', { name: 'Exports and backups this app wrote' });
    for (const path of Object.values(copies)) await found.getByRole('checkbox', { name: `Erase ${path} (` }).waitFor();
    expect(await found.getByRole('checkbox', { checked: true }).count()).toBe(0);
    await found.getByText('3 stay on this computer, readable by whoever opens them (a backup needs its passphrase).').waitFor();
    // One ticked with the mouse, one with the keyboard; the backup stays.
    await found.getByRole('checkbox', { name: `Erase ${copies.folder} (` }).click();
    await found.getByRole('checkbox', { name: `Erase ${copies.zip} (` }).focus();
    await page.keyboard.press('Space');
    await found.getByText('1 stays on this computer, readable by whoever opens it (a backup needs its passphrase).').waitFor();
    await checkScreen(page, 'delete-account-copies');

    await field.fill('kim');
    expect(await confirm.isEnabled()).toBe(true);
    await confirm.click();
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    // The two ticked copies are erased; the backup nobody ticked is still there.
    expect([existsSync(copies.folder), existsSync(copies.zip), existsSync(copies.backup)]).toEqual([false, false, true]);
    expect(Vault.exists(app.session.vaultDir)).toBe(false);
    expect(existsSync(app.session.vaultDir) ? readdirSync(app.session.vaultDir) : []).toEqual([]);
    // A reload stays at first run: nothing is left to unlock.
    await page.reload();
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
    await screenshot(page, 'after-delete-account');
    expect(app.problems).toEqual([]);
  });
});
