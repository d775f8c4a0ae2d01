import { test as base, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './stack.js';

export const keys = () => JSON.parse(process.env.CONSOLE_KEYS || '{}');
const shots = join(repo, 'docs', 'screenshots');

export const test = base.extend({
  baseURL: async ({}, use) => { await use(process.env.CONSOLE_BASE_URL); },
});
export { expect };

/** Signs in on the sign-in page with the key of role (as a person pastes it). */
export async function signIn(page, role) {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('访问密钥').fill(keys()[role]);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByTestId('who')).toBeVisible();
}

/** The page at 1366×768 into docs/screenshots/{name}.png (linked from the README). */
export async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

/** No serious or critical accessibility violations (axe, WCAG 2 A/AA rules). */
export async function expectAccessible(page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
}

/** Chooses an option of the Element Plus select labelled label. */
export async function choose(page, label, option) {
  // The select's placeholder lies over its input: click where the input is, as a person does; open it again
  // when its options had not loaded yet.
  const select = page.getByLabel(label, { exact: true }).first();
  const choice = page.getByRole('option', { name: option, exact: true });
  await expect(async () => {
    if (!(await choice.isVisible())) await select.click({ force: true });
    await choice.click({ timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(select).toHaveAttribute('aria-expanded', 'false');
}

/** A call to the API as a role, outside the browser (test arrangement and checks). */
export async function callApi(request, role, method, path, body) {
  const response = await request.fetch(process.env.CONSOLE_BASE_URL + path, {
    method, headers: { 'x-functions-key': keys()[role], ...(body ? { 'content-type': 'application/json' } : {}) }, data: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok()) throw new Error(`${method} ${path}: ${response.status()} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** 18-character resident ID with its ISO 7064 MOD 11-2 check character. */
export function residentId(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}
