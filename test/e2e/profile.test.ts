/**
 * Settings → Profile in Chromium with real relays (issue 12, item 5): Ada changes her display
 * name and avatar by mouse, then her name again by keyboard; the screen says which relay has it
 * and which waits, offline. Bob, a member of her team workspace, sees her new name and avatar in
 * the member list, on the comment she wrote before the change, and where she is in the document.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { connectInProcess } from '../../main/api/connection.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { newDocument } from './app-fixture.ts';
import { seriousAxeViolations } from './ui-checks.ts';
import {
  acceptInvitation,
  createTeamWorkspace,
  editorOf,
  invite,
  joinRelay,
  launchChromium,
  openMembers,
  startUser,
  stopUsers,
  type User,
} from './team-fixture.ts';

const SHOTS = '/work/notes/shots';

let relay: TestRelay;
let offline: TestRelay;
let offlineDir: string;
let browser: Browser;
let ada: User;
let bob: User;

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/h-profile-${name}.png` });
}

/** A 64×64 two-colour PNG drawn by the page itself, so the avatar is plain to see in a screenshot. */
async function drawnAvatar(page: Page, colour: string): Promise<Buffer> {
  const dataUrl = await page.evaluate((fill) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    const context = canvas.getContext('2d')!;
    context.fillStyle = fill;
    context.fillRect(0, 0, 64, 64);
    context.fillStyle = '#ffd400';
    context.beginPath();
    context.arc(32, 32, 16, 0, Math.PI * 2);
    context.fill();
    return canvas.toDataURL('image/png');
  }, colour);
  return Buffer.from(dataUrl.split(',')[1]!, 'base64');
}

async function openProfileSettings(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Profile' }).click();
  return page.getByRole('dialog', { name: 'Settings' });
}

beforeAll(async () => {
  relay = await startTestRelay();
  offlineDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-relay-'));
  offline = await startTestRelay({ dataDir: offlineDir });
  browser = await launchChromium();
  ada = await startUser(browser, 'Ada', `ada-${process.pid}`);
  bob = await startUser(browser, 'Bob', `bob-${process.pid}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopUsers(ada, bob);
  await relay?.stop();
  await offline?.stop().catch(() => undefined);
});

test('Ada and Bob share a team workspace; Ada comments on a document; Ada is also on a relay that then goes offline', { timeout: 120_000 }, async () => {
  await createTeamWorkspace(ada, 'Studio', relay.url);
  await joinRelay(bob, relay.url);
  await openMembers(ada, 'Studio');
  await invite(ada, 'Studio', bob.username, 'editor');
  await ada.page.getByRole('dialog', { name: 'Members of Studio' }).getByRole('button', { name: 'Close' }).click();
  await acceptInvitation(bob, 'Studio');
  await newDocument(ada.page);
  await ada.page.getByLabel('Title', { exact: true }).fill('Plans');
  await editorOf(ada.page).click();
  await ada.page.keyboard.type('Paint the door.');
  await ada.page.getByRole('button', { name: 'Show comments' }).click();
  await ada.page.getByLabel('Comment on the document').fill('Blue, I think.');
  await ada.page.getByRole('button', { name: 'Comment', exact: true }).last().click();
  await ada.page.locator('.thread', { hasText: 'Blue, I think.' }).waitFor();
  await bob.page.getByRole('button', { name: /^Plans/ }).click();
  await bob.page.locator('.thread', { hasText: 'Blue, I think.' }).waitFor();
  // A second relay has no button once the account is on one: the API, as delete-account-unreachable does.
  const api = connectInProcess(ada.session);
  expect((await api.registerAccount(offline.url)).ok).toBe(true);
  api.close();
  await offline.stop();
});

test('mouse: Ada changes her name and avatar; the screen says the relay has it and the offline one waits', { timeout: 60_000 }, async () => {
  const page = ada.page;
  const settings = await openProfileSettings(page);
  await settings.getByLabel('Display name').click();
  await settings.getByLabel('Display name').fill('Ada Lovelace');
  const chooser = page.waitForEvent('filechooser');
  await settings.getByText('Choose avatar (optional)').click();
  await (await chooser).setFiles({ name: 'ada.png', mimeType: 'image/png', buffer: await drawnAvatar(page, '#1f6feb') });
  await settings.locator('.avatar-picker img.avatar').waitFor();
  await settings.getByRole('button', { name: 'Save profile' }).click();
  const where = settings.getByRole('list', { name: 'Where your profile went' });
  await where.getByText(`Sent to ${relay.url} and your team workspaces there.`).waitFor();
  await where.getByText(`Waits for relay ${offline.url}, offline: it goes when the relay can be reached again.`).waitFor();
  expect(await seriousAxeViolations(page)).toEqual([]);
  await shot(page, 'settings-saved-waiting');
});

test('keyboard: Ada changes her name again without the mouse and saves with Enter', { timeout: 60_000 }, async () => {
  const page = ada.page;
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('tab', { name: 'Profile' }).focus();
  const displayName = settings.getByLabel('Display name');
  for (let i = 0; i < 12 && !(await displayName.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  expect(await displayName.evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Ada King');
  await page.keyboard.press('Enter');
  await settings.getByRole('list', { name: 'Where your profile went' }).getByText(`Sent to ${relay.url}`).waitFor();
  await page.keyboard.press('Escape');
  await settings.waitFor({ state: 'detached' });
});

test("Bob sees Ada's new name and avatar in the member list and on her comment", { timeout: 60_000 }, async () => {
  const page = bob.page;
  const thread = page.locator('.thread', { hasText: 'Blue, I think.' });
  await thread.locator('.comment-meta strong', { hasText: 'Ada King' }).waitFor({ timeout: 30_000 });
  expect(await thread.locator('.comment-meta img.avatar').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
  // Where she is in the document (presence) shows the new name and avatar too.
  await page.getByRole('list', { name: 'Also in this document' }).locator('li[title^="Ada King"] img.avatar').waitFor();
  await page.locator('.remote-caret[data-name="Ada King"]').waitFor();
  await shot(page, 'bob-comment');
  const members = await openMembers(bob, 'Studio');
  const row = members.locator('.member', { hasText: 'Ada King' });
  await row.waitFor();
  expect(await row.locator('img.avatar').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
  expect(await seriousAxeViolations(page)).toEqual([]);
  await shot(page, 'bob-members');
  expect(ada.problems).toEqual([]);
  expect(bob.problems).toEqual([]);
});

test(
  "the offline relay comes back: Ada's open app sends it the waiting change by itself, and Settings stops saying it waits",
  { timeout: 90_000 },
  async () => {
    const page = ada.page;
    const settings = await openProfileSettings(page);
    const waits = settings.getByRole('list', { name: 'Where your profile waits' });
    await waits.getByText(`Your last change waits for relay ${offline.url}`).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await shot(page, 'settings-still-waiting');
    await page.keyboard.press('Escape');
    await settings.waitFor({ state: 'detached' });
    offline = await startTestRelay({ dataDir: offlineDir, port: Number(new URL(offline.url).port) });
    const username = ada.username;
    await expect
      .poll(
        async () => {
          const found = await offline.store.findByUsername(username);
          return found?.displayName;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe('Ada King');
    const again = await openProfileSettings(page);
    await again.getByLabel('Display name').waitFor();
    await expect.poll(() => again.getByRole('list', { name: 'Where your profile waits' }).count()).toBe(0);
    await page.keyboard.press('Escape');
    expect(ada.problems).toEqual([]);
  },
);
