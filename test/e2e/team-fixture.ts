/**
 * People for team end-to-end tests: each with their own Session over their own vault folder and
 * their own browser-mode server, in their own context of one real Chromium, syncing through one
 * real relay on 127.0.0.1.
 */
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session } from '../../main/app/session.ts';
import { startBrowserServer, type BrowserServer } from '../../main/browser/server.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { tempDir } from '../support/vault.ts';
import { buildRenderer, CHROMIUM } from './app-fixture.ts';

export interface User {
  name: string;
  username: string;
  session: Session;
  server: BrowserServer;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors this person's page reported. */
  problems: string[];
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A person with a vault (made through the API, as the first-run screen would), their page open and unlocked. */
export async function startUser(browser: Browser, name: string, username: string, options: { displayName?: string } = {}): Promise<User> {
  const rendererDir = await buildRenderer();
  const session = new Session({
    vaultDir: join(tempDir('hearth-e2e-team-'), 'vault'),
    kdfCost: MIN_KDF_COST,
    dataDir: join(tempDir('hearth-e2e-data-'), 'Hearth'),
    sync: { backoff: { initialMs: 100, maxMs: 1000 } },
    membershipPollMs: 500,
  });
  const api = connectInProcess(session);
  const created = await api.createVault({ passphrase: `${name} team passphrase`, username, displayName: options.displayName ?? name });
  if (!created.ok) throw new Error(created.error.message);
  api.close();
  const server = await startBrowserServer({ session, rendererDir });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', reducedMotion: 'reduce' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Personal' }).waitFor();
  return { name, username, session, server, context, page, problems };
}

export async function stopUsers(...users: Array<User | undefined>): Promise<void> {
  for (const user of users) {
    if (!user) continue;
    await user.server.close();
    await user.session.close();
  }
}

export const editorOf = (page: Page) => page.getByRole('textbox', { name: 'Document text' });
export const workspaceButton = (page: Page, name: string) => page.getByRole('navigation').getByRole('button', { name: new RegExp(`^${name}`) });

/** Makes a team workspace on the relay from the sidebar and waits until it is synced. */
export async function createTeamWorkspace(user: User, name: string, relayUrl: string): Promise<void> {
  const page = user.page;
  await page.getByRole('button', { name: 'New team workspace' }).click();
  const dialog = page.getByRole('dialog', { name: 'New team workspace' });
  await dialog.getByLabel('Workspace name').fill(name);
  await dialog.getByLabel('Relay address').fill(relayUrl);
  await dialog.getByRole('button', { name: 'Create team workspace' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name }).waitFor();
  await expect.poll(() => workspaceButton(page, name).textContent()).toMatch(/Owner.*Synced/);
}

/** Registers the person on the relay from the sidebar, so that others can invite them. */
export async function joinRelay(user: User, relayUrl: string): Promise<void> {
  await user.page.getByRole('button', { name: 'Join a relay to be invited…' }).click();
  const dialog = user.page.getByRole('dialog', { name: 'Join a relay' });
  await dialog.getByLabel('Relay address').fill(relayUrl);
  await dialog.getByRole('button', { name: 'Join relay' }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Opens Members… of a workspace from its sidebar menu. */
export async function openMembers(user: User, workspace: string) {
  await user.page.getByRole('button', { name: `Actions for workspace ${workspace}` }).click();
  await user.page.getByRole('menuitem', { name: 'Members…' }).click();
  return user.page.getByRole('dialog', { name: `Members of ${workspace}` });
}

/** Invites a username with a role from an open Members dialog. */
export async function invite(user: User, workspace: string, username: string, role: string): Promise<void> {
  const members = user.page.getByRole('dialog', { name: `Members of ${workspace}` });
  await members.getByLabel('Username').fill(username);
  await members.getByRole('combobox', { name: 'Role', exact: true }).selectOption(role);
  await members.getByRole('button', { name: 'Invite' }).click();
  await members.getByText(/^Invited /).waitFor();
}

/** Checks for invitations and accepts the one to `workspace`. */
export async function acceptInvitation(user: User, workspace: string): Promise<void> {
  const accept = user.page.getByRole('button', { name: `Accept invitation to ${workspace}` });
  await user.page.getByRole('button', { name: 'Check for invitations' }).click();
  await accept.waitFor();
  await accept.click();
  await user.page.getByRole('heading', { name: workspace }).waitFor();
}
