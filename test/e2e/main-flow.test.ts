/**
 * The main flow in Chromium against browser mode with the real core: first run, a workspace, a
 * formatted document that survives a reload, lock and unlock, comments, files, search, delete,
 * and an inline script that stays text. Each main screen is scanned by axe and photographed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { checkScreen as checkScreenOf, newDocument, startApp, screenshot, type App } from './app-fixture.ts';
import { tempDir } from '../support/vault.ts';

const PASSPHRASE = 'ember lantern quiet harbor';
/** A 2×2 PNG, red and blue. */
const AVATAR_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4zwAEIOI/kAAAG/ID/VxhF44AAAAASUVORK5CYII=', 'base64');

let app: App;
let page: Page;

const checkScreen = (name: string) => checkScreenOf(page, name);

const editor = () => page.getByRole('textbox', { name: 'Document text' });

describe.sequential('Hearth in a browser', () => {
  beforeAll(async () => {
    app = await startApp();
    page = app.page;
  });

  afterAll(async () => {
    await app?.close();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  test('first run makes a vault, after checking the passphrase twice', async () => {
    await page.getByLabel('Passphrase', { exact: true }).waitFor();
    await checkScreen('first-run');
    await page.getByLabel('Passphrase', { exact: true }).fill('short');
    await expect.poll(() => page.getByText('Too short.').isVisible()).toBe(true);
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await expect.poll(() => page.locator('.strength').textContent()).toMatch(/Good|Strong/);
    await page.getByLabel('Confirm passphrase').fill(`${PASSPHRASE}!`);
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Display name').fill('Ada Lovelace');
    await page.getByLabel('Choose avatar (optional)').setInputFiles({ name: 'ada.png', mimeType: 'image/png', buffer: AVATAR_PNG });
    await page.getByRole('button', { name: 'Remove' }).waitFor();
    await page.getByRole('button', { name: 'Create vault' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The two passphrases differ');
    await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Create vault' }).click();
    // The vault starts with a personal workspace; the avatar shows beside the name.
    await page.getByRole('heading', { name: 'Personal' }).waitFor();
    expect(await page.locator('.sidebar-profile img.avatar').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    await page.getByText('No documents here yet.').waitFor();
    await checkScreen('empty-workspace');
  });

  test('a workspace and a formatted document survive a reload', async () => {
    await page.getByRole('button', { name: 'New workspace' }).click();
    await page.getByLabel('Workspace name').fill('Research');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Research' }).waitFor();
    await page.getByText('No documents here yet.').waitFor();

    await newDocument(page);
    await page.getByLabel('Title', { exact: true }).fill('Field notes');
    await page.getByLabel('Title', { exact: true }).press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('ProseMirror'))).toBe(true);
    await page.keyboard.type('# Harbor survey');
    await page.keyboard.press('Enter');
    await page.keyboard.type('The tide was ');
    await page.keyboard.press('Control+b');
    await page.keyboard.type('very high');
    await page.keyboard.press('Control+b');
    await page.keyboard.type(' and ');
    await page.keyboard.press('Control+i');
    await page.keyboard.type('cold');
    await page.keyboard.press('Control+i');
    await page.keyboard.type(', see ');
    await page.keyboard.press('Control+e');
    await page.keyboard.type('gauge_7');
    await page.keyboard.press('Control+e');
    await page.keyboard.type('.');
    await page.keyboard.press('Enter');
    await page.keyboard.type('- lanterns');
    await page.keyboard.press('Enter');
    await page.keyboard.type('ropes');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('> Quiet water');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Read the almanac');
    // A link on "almanac", through the toolbar shortcut and its dialog.
    await page.keyboard.down('Shift');
    for (let i = 0; i < 'almanac'.length; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.up('Shift');
    await page.keyboard.press('Control+Shift+K');
    await page.getByLabel('Link address (https://…)').fill('https://example.org/almanac');
    await page.getByRole('button', { name: 'Set link' }).click();
    await editor().locator('a', { hasText: 'almanac' }).waitFor();
    await page.getByText('Saved', { exact: true }).waitFor();
    await checkScreen('document');

    // A reload comes back to the same document, read from the vault.
    await page.reload();
    const body = editor();
    await body.locator('h1', { hasText: 'Harbor survey' }).waitFor();
    expect(await body.locator('strong').textContent()).toBe('very high');
    expect(await body.locator('em').textContent()).toBe('cold');
    expect(await body.locator('code').textContent()).toBe('gauge_7');
    expect(await body.locator('ul > li').allTextContents()).toEqual(['lanterns', 'ropes']);
    expect(await body.locator('blockquote').textContent()).toBe('Quiet water');
    expect(await body.locator('a').getAttribute('href')).toBe('https://example.org/almanac');
    expect(await body.locator('a').textContent()).toBe('almanac');
    expect(await body.locator('p').last().textContent()).toBe('Read the almanac');
    expect(await body.locator('p').nth(0).textContent()).toBe('The tide was very high and cold, see gauge_7.');
    expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe('Field notes');
  });

  test('workspaces are renamed and deleted from their menu, deleting asks first', async () => {
    await page.getByRole('button', { name: 'New workspace' }).click();
    await page.getByLabel('Workspace name').fill('Scratch');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Scratch' }).waitFor();
    await page.getByRole('button', { name: 'Actions for workspace Scratch' }).click();
    await page.getByRole('menuitem', { name: 'Rename…' }).click();
    await page.getByLabel('Workspace name').fill('Drafts');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { name: 'Drafts' }).waitFor();
    await page.getByRole('button', { name: 'Actions for workspace Drafts' }).click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete “Drafts”?' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Actions for workspace Drafts' }).click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete workspace' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Drafts', exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Research', exact: true }).click();
    await page.getByRole('button', { name: /^Field notes/ }).click();
    await page.getByRole('textbox', { name: 'Document text' }).locator('h1').waitFor();
  });

  test('a document is renamed from its menu', async () => {
    await page.getByRole('button', { name: 'Actions for Field notes' }).click();
    await page.getByRole('menuitem', { name: 'Rename…' }).click();
    await page.getByRole('dialog', { name: 'Rename document' }).getByLabel('Title').fill('Field notes, day one');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('button', { name: /^Field notes, day one/ }).waitFor();
    await expect.poll(() => page.getByLabel('Title', { exact: true }).inputValue()).toBe('Field notes, day one');
    await page.getByRole('button', { name: 'Actions for Field notes, day one' }).click();
    await page.getByRole('menuitem', { name: 'Rename…' }).click();
    await page.getByRole('dialog', { name: 'Rename document' }).getByLabel('Title').fill('Field notes');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('button', { name: /^Field notes/ }).waitFor();
  });

  test('tags show in the list', async () => {
    await page.getByLabel('Add a tag').fill('coast');
    await page.getByLabel('Add a tag').press('Enter');
    await page.locator('.document-item .tag', { hasText: 'coast' }).waitFor();
  });

  test('locking asks for the passphrase again, and a wrong one is refused with a message', async () => {
    await page.getByRole('button', { name: 'Lock Hearth' }).click();
    await page.getByRole('heading', { name: 'Unlock Hearth, Ada Lovelace' }).waitFor();
    await checkScreen('unlock');
    await page.getByLabel('Passphrase').fill('not my passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That passphrase is not right');
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Research' }).waitFor();
  });

  test('a comment on selected text, a reply, and resolving it', async () => {
    await page.getByRole('button', { name: /^Field notes/ }).click();
    // No comments yet: the panel is closed; "Add a comment" opens it with the selection quoted.
    expect(await page.getByRole('complementary', { name: 'Comments' }).count()).toBe(0);
    await editor().locator('em', { hasText: 'cold' }).dblclick();
    await page.getByRole('button', { name: 'Add a comment' }).click();
    await expect.poll(() => page.locator('.comment-form-quote').first().textContent()).toBe('“cold”');
    await page.getByLabel('Comment on the selected text').fill('Was it below freezing?');
    await page.getByRole('button', { name: 'Comment', exact: true }).last().click();
    const thread = page.locator('.thread', { hasText: 'Was it below freezing?' });
    await thread.waitFor();
    expect(await thread.locator('.thread-quote').textContent()).toBe('“cold”');
    expect(await editor().locator('.comment-anchor').textContent()).toBe('cold');
    await thread.getByRole('button', { name: 'Reply' }).click();
    await thread.getByLabel('Reply').fill('Just above.');
    await thread.getByRole('button', { name: 'Reply' }).last().click();
    await thread.locator('.comment-text', { hasText: 'Just above.' }).waitFor();
    await checkScreen('comments');
    await thread.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('button', { name: 'Show resolved (1)' }).waitFor();
    expect(await page.getByRole('list', { name: 'Open comments' }).locator('.thread').count()).toBe(0);
    expect(await editor().locator('.comment-anchor').count()).toBe(0);

    // A comment on the whole document, then deleted after asking.
    await editor().click();
    await page.keyboard.press('Control+End');
    await page.getByLabel('Comment on the document').fill('Remove me later.');
    await page.getByRole('button', { name: 'Comment', exact: true }).last().click();
    await page.locator('.thread', { hasText: 'Remove me later.' }).waitFor();
    await page.getByRole('button', { name: 'Delete comment “Remove me later.”' }).click();
    await page.getByRole('button', { name: 'Delete comment', exact: true }).click();
    await page.locator('.thread', { hasText: 'Remove me later.' }).waitFor({ state: 'detached' });
  });

  test('files attach by picker and by drop, with their bytes back', async () => {
    await page.getByRole('button', { name: 'Files' }).click();
    await page.getByText('No files in this workspace yet.').waitFor();
    const bytes = Buffer.alloc(2_500_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
    const picked = join(tempDir('hearth-e2e-files-'), 'tide-table.bin');
    writeFileSync(picked, bytes);
    await page.getByLabel('Attach files').setInputFiles(picked);
    await page.locator('.file', { hasText: 'tide-table.bin' }).waitFor();
    expect(await page.locator('.file', { hasText: 'tide-table.bin' }).textContent()).toContain('2.4 MB');

    // Drag and drop: a real drop event carrying a File, as the OS would deliver it.
    const drop = await page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(['dropped notes\n'], 'dropped.txt', { type: 'text/plain' }));
      return data;
    });
    await page.locator('.files-panel').dispatchEvent('dragover', { dataTransfer: drop });
    await page.locator('.files-panel').dispatchEvent('drop', { dataTransfer: drop });
    await page.locator('.file', { hasText: 'dropped.txt' }).waitFor();
    await checkScreen('files');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save a copy of tide-table.bin' }).click()]);
    expect(download.suggestedFilename()).toBe('tide-table.bin');
    const saved = await download.path();
    expect(Buffer.compare(readFileSync(saved), bytes)).toBe(0);
    await page.getByRole('button', { name: 'Documents' }).click();
  });

  test('search finds text as you type and opens the document', async () => {
    await newDocument(page);
    await page.getByLabel('Title', { exact: true }).fill('Shopping');
    await page.getByLabel('Title', { exact: true }).press('Enter');
    await page.keyboard.type('bread and candles');
    await page.getByText('Saved', { exact: true }).waitFor();
    await page.keyboard.press('Control+k');
    const box = page.getByRole('combobox', { name: 'Search documents and comments' });
    await box.waitFor();
    await box.pressSequentially('lante');
    await page.getByRole('option', { name: /Field notes/ }).waitFor();
    await checkScreen('search');
    await box.press('Enter');
    await expect.poll(() => page.getByLabel('Title', { exact: true }).inputValue()).toBe('Field notes');
    await editor().locator('h1', { hasText: 'Harbor survey' }).waitFor();
  });

  test('settings show the profile, the theme and the audit log', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('dialog', { name: 'Settings' }).waitFor();
    expect(await page.getByLabel('Display name').inputValue()).toBe('Ada Lovelace');
    await checkScreen('settings');
    await page.getByRole('tab', { name: 'Security' }).click();
    await page.getByLabel('Stay unlocked on this device').click();
    // Browser mode has no system keychain: the setting says so and stays off.
    await expect.poll(() => page.getByRole('tabpanel').getByRole('alert').textContent()).toMatch(/keychain/);
    expect(await page.getByLabel('Stay unlocked on this device').isChecked()).toBe(false);
    await checkScreen('settings-security');
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByRole('table').waitFor();
    const audit = await page.getByRole('table').textContent();
    expect(audit).toContain('Vault unlock failed');
    expect(audit).toContain('Workspace created');
    expect(audit).toContain('Research');
    await checkScreen('audit-log');
    await page.getByRole('tab', { name: 'Appearance' }).click();
    await page.getByLabel('Dark').check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');
    await page.getByLabel('Follow the system').check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe('light');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  test('an inline script typed into a document is shown as text and never runs', async () => {
    await page.getByRole('button', { name: /^Shopping/ }).click();
    await editor().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    const attack = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
    await page.keyboard.type(attack);
    await page.getByText('Saved', { exact: true }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: /^Shopping/ }).click();
    await editor().getByText(attack).waitFor();
    expect(await editor().locator('script, img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('deleting a document asks first, then it is gone', async () => {
    await page.getByRole('button', { name: 'Actions for Shopping' }).click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete “Shopping”?' }).waitFor();
    await checkScreen('confirm-delete');
    await page.getByRole('button', { name: 'Delete document' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: /^Shopping/ }).count()).toBe(0);
    await page.reload();
    await page.getByRole('button', { name: /^Field notes/ }).waitFor();
    expect(await page.getByRole('button', { name: /^Shopping/ }).count()).toBe(0);
  });

  test('the page reported no errors and no CSP violations', () => {
    expect(app.problems).toEqual([]);
  });
});
