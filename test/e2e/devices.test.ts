/**
 * One account on several devices, in real Chromium: each device its own Session over its own
 * vault folder and its own browser-mode server, syncing through one real relay. Ada's desk holds
 * the account, a team workspace, and a document Bob shared with her. A new device chooses "I
 * already have an account"; both pages show the same code; declining stores nothing; approving
 * (by mouse, and by keyboard for a third device) brings the workspace and the shared document, and
 * edits travel both ways. Settings → Devices lists the devices and revokes one through its dialog
 * (with the security key once one is enrolled): the revoked page says its relay refuses it, the
 * list says revoked, and the audit log names each step.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Result } from '../../common/errors.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session } from '../../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../../main/browser/server.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { startTestRelay, type TestRelay } from '../integration/relay-fixture.ts';
import { tempDir } from '../support/vault.ts';
import { buildRenderer, checkScreen, newDocument, screenshot } from './app-fixture.ts';
import { createTeamWorkspace, editorOf, launchChromium, startUser, stopUsers, workspaceButton, type User } from './team-fixture.ts';
import { seriousAxeViolations } from './ui-checks.ts';

const PASSPHRASE = 'laptop vault passphrase';
let relay: TestRelay;
let browser: Browser;
let desk: User;
let bob: User;
let laptop: NewDevice;
let tablet: NewDevice | undefined;

interface NewDevice {
  session: Session;
  server: BrowserServer;
  page: Page;
  problems: string[];
}

/** A device with no vault yet, its page on the first-run screen. */
async function startNewDevice(): Promise<NewDevice> {
  const session = new Session({
    vaultDir: join(tempDir('hearth-e2e-device-'), 'vault'),
    kdfCost: MIN_KDF_COST,
    dataDir: join(tempDir('hearth-e2e-data-'), 'Hearth'),
    sync: { backoff: { initialMs: 100, maxMs: 1000 } },
    membershipPollMs: 500,
  });
  const server = await startBrowserServer({ session, rendererDir: await buildRenderer() });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', reducedMotion: 'reduce' });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
  return { session, server, page, problems };
}

const shot = (page: Page, name: string) => screenshot(page, `devices-${name}`);

/** Presses Tab until the focused element is the button called `name` (at most 15 times), as a keyboard user reaches it. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    if (focused === name) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

/** On a new device: "I already have an account", the form filled, asked. */
async function askToLink(device: NewDevice, name: string, options: { fill?: boolean } = {}): Promise<void> {
  const page = device.page;
  if (options.fill !== false) {
    await page.getByRole('button', { name: 'I already have an account' }).click();
    await page.getByLabel('Passphrase for this device').fill(PASSPHRASE);
    await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
    await page.getByLabel('Relay address').fill(relay.url);
    await page.getByLabel('Username').fill(desk.username);
    await page.getByLabel('Name of this device (optional)').fill(name);
  }
  await page.getByRole('button', { name: 'Ask to add this device' }).click();
  await page.getByRole('heading', { name: 'Waiting for your other device' }).waitFor();
}

/** On the desk: Settings → Devices, the tab that lists the devices. */
async function openDevices(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Devices' }).click();
  const panel = page.getByRole('tabpanel');
  await panel.getByRole('list', { name: 'Your devices' }).waitFor();
  return panel;
}

/** On the desk: Link a new device…, until the new device's request and its code show; returns the code as shown. */
async function waitForRequest(page: Page, name: string): Promise<string> {
  const panel = await openDevices(page);
  await panel.getByRole('button', { name: 'Link a new device…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Link a new device' });
  await dialog.getByText(`“${name}” asks to join your account`).waitFor({ timeout: 30_000 });
  return (await dialog.locator('.pairing-code').textContent())!.trim();
}

const codeOn = async (page: Page) => (await page.locator('.pairing-code').textContent())!.trim();
const deskDevices = () => desk.session.requireSync().devices.list();

beforeAll(async () => {
  relay = await startTestRelay();
  browser = await launchChromium();
  desk = await startUser(browser, 'Ada', `ada-${process.pid}`);
  laptop = await startNewDevice();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stopUsers(desk, bob);
  for (const device of [laptop, tablet]) {
    await device?.server.close();
    await device?.session.close();
  }
  await relay?.stop();
});

const ok = <T>(result: Result<T>): T => {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

test('the desk holds the account, a team workspace with a document, and a document Bob shared with it', async () => {
  await createTeamWorkspace(desk, 'Bakery', relay.url);
  await newDocument(desk.page);
  await desk.page.getByRole('textbox', { name: 'Title' }).fill('Bread list');
  await editorOf(desk.page).click();
  await desk.page.keyboard.type('Flour from the desk.');
  await expect.poll(() => workspaceButton(desk.page, 'Bakery').textContent()).toMatch(/Synced/);
  // A second person shares one document with the account (set up through the API: the sharing UI has its own tests).
  bob = await startUser(browser, 'Bob', `bob-${process.pid}`);
  const bobApi = connectInProcess(bob.session);
  ok(await bobApi.registerAccount(relay.url));
  const personal = ok(await bobApi.listWorkspaces())[0]!;
  const note = ok(await bobApi.createDocument(personal.id, { title: 'Oven times' }));
  ok(await bobApi.shareDocument(note.id, desk.username, 'viewer', { confirmed: true, relay: relay.url }));
  bobApi.close();
  const deskApi = connectInProcess(desk.session);
  const invitation = ok(await deskApi.listInvitations()).find((i) => i.name === 'Oven times')!;
  ok(await deskApi.acceptInvitation(invitation.id));
  deskApi.close();
}, 90_000);

test('a new device asks with "I already have an account"; both show the same code; Decline stores nothing and a retry works', async () => {
  const page = laptop.page;
  await page.getByRole('button', { name: 'I already have an account' }).click();
  await page.getByRole('heading', { name: 'Use your account on this device' }).waitFor();
  await checkScreen(page, 'devices-01-link-form');
  // A relay that does not answer says so, and the form stays for another try (submitted with Enter).
  await page.getByLabel('Passphrase for this device').fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByLabel('Relay address').fill('ws://127.0.0.1:9/');
  await page.getByLabel('Username').fill('nobody-here');
  await page.getByLabel('Name of this device (optional)').fill('Laptop');
  await page.getByLabel('Name of this device (optional)').press('Enter');
  await expect
    .poll(() => page.getByRole('alert').textContent(), { timeout: 30_000 })
    .toBe('Cannot reach the relay at ws://127.0.0.1:9/; check the address and that it is running.');
  await shot(page, '02-relay-unreachable');
  // An unknown username says so too; each failed try leaves no vault behind.
  expect(laptop.session.state).toBe('no-vault');
  await page.getByLabel('Relay address').fill(relay.url);
  await page.getByRole('button', { name: 'Ask to add this device' }).click();
  await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/No user is called nobody-here on this relay/);
  await shot(page, '02-unknown-user');

  await page.getByLabel('Username').fill(desk.username);
  await askToLink(laptop, 'Laptop', { fill: false });
  await shot(page, '03-new-device-waiting');
  const deskCode = await waitForRequest(desk.page, 'Laptop');
  await page.getByRole('heading', { name: 'Compare the code' }).waitFor();
  expect(await codeOn(page)).toBe(deskCode);
  expect(deskCode).toMatch(/^\d{3} \d{3}$/);
  await checkScreen(page, 'devices-04-new-device-code');
  await checkScreen(desk.page, 'devices-05-desk-request');

  const dialog = desk.page.getByRole('dialog', { name: 'Link a new device' });
  await dialog.getByRole('button', { name: 'Decline' }).click();
  await dialog.getByText(/Declined “Laptop”: nothing was stored/).waitFor();
  await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 20_000 }).toMatch(/declined this pairing/);
  await shot(page, '06-new-device-declined');
  // Nothing stored on either side: the desk lists one device, and the new device has no vault (the one the attempt made is gone).
  expect(deskDevices().map((d) => d.name)).toHaveLength(1);
  expect(laptop.session.state).toBe('no-vault');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await desk.page.keyboard.press('Escape');
  await desk.page.getByRole('dialog', { name: 'Settings' }).waitFor({ state: 'detached' });
}, 120_000);

test('approved by mouse, the new device lands on the team workspace, and an edit on either device reaches the other', async () => {
  const page = laptop.page;
  await askToLink(laptop, 'Laptop', { fill: false });
  const deskCode = await waitForRequest(desk.page, 'Laptop');
  await page.getByRole('heading', { name: 'Compare the code' }).waitFor();
  expect(await codeOn(page)).toBe(deskCode);
  const dialog = desk.page.getByRole('dialog', { name: 'Link a new device' });
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await dialog.getByText(/Added “Laptop” to your account/).waitFor({ timeout: 30_000 });
  await shot(desk.page, '07-desk-approved');

  await workspaceButton(page, 'Bakery').waitFor({ timeout: 30_000 });
  await workspaceButton(page, 'Bakery').click();
  await page.getByRole('button', { name: /^Bread list/ }).click();
  await expect.poll(() => editorOf(page).textContent(), { timeout: 30_000 }).toContain('Flour from the desk.');
  await shot(page, '08-new-device-workspace');
  // The document shared with the account came too.
  await workspaceButton(page, 'Shared with me').click();
  await page.getByRole('button', { name: /^Oven times/ }).waitFor();
  await workspaceButton(page, 'Bakery').click();
  await page.getByRole('button', { name: /^Bread list/ }).click();
  await editorOf(page).click();
  await page.keyboard.press('End');
  await page.keyboard.type(' Salt from the laptop.');
  await expect.poll(() => editorOf(desk.page).textContent(), { timeout: 30_000 }).toContain('Salt from the laptop.');

  await dialog.getByRole('button', { name: 'Done' }).click();
  const panel = desk.page.getByRole('tabpanel');
  const devices = panel.getByRole('list', { name: 'Your devices' });
  await expect.poll(() => devices.getByRole('listitem').count()).toBe(2);
  await expect.poll(() => devices.textContent()).toMatch(/This device.*Laptop/s);
  await expect.poll(() => devices.textContent()).toMatch(/Last seen by 127\.0\.0\.1:\d+: (just now|\d+ (seconds?|minutes?) ago)/);
  await checkScreen(desk.page, 'devices-09-settings-devices');
}, 180_000);

test('revoking the new device through the dialog (keyboard): the relay refuses it, its page says so, Settings shows it revoked', async () => {
  const panel = desk.page.getByRole('tabpanel');
  await panel.getByRole('button', { name: 'Revoke Laptop…' }).focus();
  await desk.page.keyboard.press('Enter');
  const dialog = desk.page.getByRole('dialog', { name: 'Revoke “Laptop”' });
  await dialog.getByText(/moves to a new key/).waitFor();
  await checkScreen(desk.page, 'devices-10-revoke-dialog');
  await tabTo(desk.page, 'Revoke device');
  await desk.page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
  await expect.poll(() => panel.getByRole('status').textContent()).toMatch(/Revoked “Laptop”: 127\.0\.0\.1:\d+ refuses it from now on/);
  const laptopItem = panel.getByRole('listitem').filter({ hasText: 'Laptop' });
  await expect.poll(() => laptopItem.textContent()).toMatch(/Revoked/);
  expect(await panel.getByRole('button', { name: 'Revoke Laptop…' }).count()).toBe(0);
  await shot(desk.page, '11-settings-revoked');
  expect(deskDevices().find((d) => d.name === 'Laptop')?.revokedAt).toBeGreaterThan(0);

  // The laptop is told, not left hanging: its workspace says the relay refused this device.
  await expect
    .poll(() => laptop.page.getByRole('alert').filter({ hasText: 'refuses this device' }).textContent(), { timeout: 30_000 })
    .toMatch(/The relay 127\.0\.0\.1:\d+ refuses this device\..*revoked from the account and can no longer sign in/);
  await expect.poll(() => workspaceButton(laptop.page, 'Bakery').textContent()).toMatch(/Sync error/);
  expect(await seriousAxeViolations(laptop.page)).toEqual([]);
  await shot(laptop.page, '12-revoked-device');
  await desk.page.keyboard.press('Escape');
  await desk.page.getByRole('dialog', { name: 'Settings' }).waitFor({ state: 'detached' });
}, 120_000);

test('a third device is approved by keyboard; the audit log names each device step in words', async () => {
  // A closed Link dialog stops waiting: a request that comes afterwards is not answered behind the person's back.
  const panel0 = await openDevices(desk.page);
  await panel0.getByRole('button', { name: 'Link a new device…' }).click();
  const waiting = desk.page.getByRole('dialog', { name: 'Link a new device' });
  await waiting.getByText('Waiting for the new device to ask…').waitFor();
  await waiting.getByRole('button', { name: 'Cancel' }).click();
  await desk.page.keyboard.press('Escape');
  await desk.page.getByRole('dialog', { name: 'Settings' }).waitFor({ state: 'detached' });
  tablet = await startNewDevice();
  await askToLink(tablet, 'Tablet');
  await tablet.page.waitForTimeout(2000);
  expect(await tablet.page.getByRole('heading', { name: 'Waiting for your other device' }).isVisible()).toBe(true);
  const deskCode = await waitForRequest(desk.page, 'Tablet');
  await tablet.page.getByRole('heading', { name: 'Compare the code' }).waitFor();
  expect(await codeOn(tablet.page)).toBe(deskCode);
  const dialog = desk.page.getByRole('dialog', { name: 'Link a new device' });
  await tabTo(desk.page, 'Approve');
  await desk.page.keyboard.press('Enter');
  await dialog.getByText(/Added “Tablet” to your account/).waitFor({ timeout: 30_000 });
  await workspaceButton(tablet.page, 'Bakery').waitFor({ timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Done' }).click();

  const panel = desk.page.getByRole('tabpanel');
  await desk.page.getByRole('tab', { name: 'Audit log' }).click();
  const log = panel.getByRole('table');
  await expect.poll(() => log.textContent()).toMatch(/Device declined.*a request to join from “Laptop”/s);
  const text = (await log.textContent())!;
  expect(text).toMatch(/Device approved.*the device “Laptop”/s);
  expect(text).toMatch(/Device revoked.*the device “Laptop”/s);
  expect(text).toMatch(/Device approved.*the device “Tablet”/s);
  await shot(desk.page, '13-audit-log');
  expect([...desk.problems, ...laptop.problems, ...tablet.problems]).toEqual([]);
}, 180_000);

test('with a security key enrolled, revoking asks for it: the virtual key answers, and the tablet is revoked', async () => {
  const page = desk.page;
  // WebAuthn wants a host name, not an IP address: the desk's page opens under localhost, with Chromium's virtual authenticator.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
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
  await page.goto(desk.server.localhostUrl);
  await workspaceButton(page, 'Bakery').waitFor();
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Security' }).click();
  const form = page.getByRole('form', { name: 'Security key' });
  await form.getByLabel('Passphrase').fill('Ada team passphrase');
  await form.getByLabel('Passphrase').press('Enter');
  await page.getByRole('button', { name: 'I have saved these codes' }).click();
  await expect.poll(() => form.getByRole('status').textContent()).toContain('Security key enrolled');
  const uses = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]!.signCount;
  const before = await uses();

  await page.getByRole('tab', { name: 'Devices' }).click();
  const panel = page.getByRole('tabpanel');
  await panel.getByRole('button', { name: 'Revoke Tablet…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke “Tablet”' });
  await dialog.getByRole('button', { name: 'Revoke device' }).click();
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
  await expect.poll(() => panel.getByRole('status').textContent()).toMatch(/Revoked “Tablet”/);
  expect(await uses()).toBeGreaterThan(before);
  expect(deskDevices().find((d) => d.name === 'Tablet')?.revokedAt).toBeGreaterThan(0);
  await expect
    .poll(() => tablet!.page.getByRole('alert').filter({ hasText: 'refuses this device' }).textContent(), { timeout: 30_000 })
    .toMatch(/revoked from the account/);
  expect([...desk.problems, ...tablet!.problems]).toEqual([]);
}, 120_000);
