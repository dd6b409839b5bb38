/**
 * Two pages on one Hearth (two windows, or a browser tab beside the app): what one types shows in
 * the other while it is open, through main's documentChanged event, and neither loses the other's
 * words when both type at once.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { connectInProcess } from '../../main/api/connection.ts';
import { startApp, type App } from './app-fixture.ts';

let app: App;

function ok<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

beforeAll(async () => {
  app = await startApp();
  const api = connectInProcess(app.session);
  ok(await api.createVault({ passphrase: 'two pages test', username: 'pat', displayName: 'Pat' }));
  const workspace = ok(await api.listWorkspaces())[0]!;
  ok(await api.createDocument(workspace.id, { title: 'Shared page' }));
  api.close();
});

afterAll(async () => {
  await app?.close();
});

async function openShared(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Shared page/ }).click();
  await page.getByRole('textbox', { name: 'Document text' }).waitFor();
}

test('edits in one page appear in the other, and concurrent typing keeps both', async () => {
  const first = app.page;
  await first.reload();
  await openShared(first);
  const second = await app.context.newPage();
  await second.goto(app.server.url);
  await openShared(second);

  const firstEditor = first.getByRole('textbox', { name: 'Document text' });
  const secondEditor = second.getByRole('textbox', { name: 'Document text' });
  await firstEditor.click();
  await first.keyboard.type('Hello from the first window.');
  await secondEditor.getByText('Hello from the first window.').waitFor();

  // Both type at the same time, at the two ends of the paragraph.
  await secondEditor.click();
  await second.keyboard.press('End');
  await first.keyboard.press('Home');
  await Promise.all([first.keyboard.type('A: '), second.keyboard.type(' B.')]);
  const expected = 'A: Hello from the first window. B.';
  await expect.poll(() => firstEditor.textContent()).toBe(expected);
  await expect.poll(() => secondEditor.textContent()).toBe(expected);

  // A title set in one page shows in the other.
  await first.getByLabel('Title', { exact: true }).fill('Shared and renamed');
  await first.getByLabel('Title', { exact: true }).press('Enter');
  await expect.poll(() => second.getByLabel('Title', { exact: true }).inputValue()).toBe('Shared and renamed');
  await second.getByRole('button', { name: /^Shared and renamed/ }).waitFor();

  await second.reload();
  await expect.poll(() => second.getByRole('textbox', { name: 'Document text' }).textContent()).toBe(expected);
  expect(app.problems).toEqual([]);
});
