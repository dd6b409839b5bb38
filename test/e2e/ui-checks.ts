/** What the e2e tests look for on every screen (axe's serious and critical findings), and how they use a menu from the keyboard. */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * Runs axe in the page (through the debugging protocol, which the page's CSP does not govern)
 * and returns the serious and critical violations, each as one readable line.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** What a screen reader would call the focused element, near enough: its label or its text. */
export function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim();
  });
}

/**
 * Opens a menu from its button with Enter and goes down to `item` with ArrowDown, looking at the
 * menu after each key as a person would, then presses Enter. Under load a key pressed while the
 * menu is still settling its focus can be dropped, or land before focus moves: so it first waits
 * for focus to be in the menu, and after each key for focus to move before pressing again.
 */
export async function chooseFromMenuByKeyboard(page: Page, menuButton: Locator, item: string): Promise<void> {
  await menuButton.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menuitem', { name: item }).waitFor();
  const inMenu = () => page.evaluate(() => document.activeElement?.closest('[role="menu"]') != null);
  await expect.poll(inMenu, { message: 'focus goes into the menu opened from the keyboard' }).toBe(true);
  const seen: string[] = [];
  for (let i = 0; i < 8; i++) {
    const current = await focusedName(page);
    if (current === item) break;
    seen.push(current);
    await page.keyboard.press('ArrowDown');
    await expect
      .poll(() => focusedName(page), { timeout: 1_000 })
      .not.toBe(current)
      .catch(() => undefined); // a dropped key: the next turn presses it again
  }
  expect(await focusedName(page), `ArrowDown went through: ${seen.join(' | ')}`).toBe(item);
  await page.keyboard.press('Enter');
}
