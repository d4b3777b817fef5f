import { mkdirSync } from 'node:fs';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestStack } from '../support/stack.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/** What the browser tests share: Debian's Chromium against the real local stack, and people signed in through the UI. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const LIVE_MS = 15_000;

export async function startBrowserAndStack(): Promise<{ stack: LocalStack; browser: Browser }> {
  const [stack, browser] = await Promise.all([
    startTestStack(),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  return { stack, browser };
}

/** A person in their own browser context; `problems` collects page errors and console errors (a CSP refusal is one). */
export type Person = { page: Page; id: string; problems: string[] };

export type SignIn = { register: true } | { register: false; username: string; password: string };

/** Opens the client in a fresh browser context (its own storage: another person) and registers or logs in. */
export async function openAs(browser: Browser, stack: LocalStack, name: string, how: SignIn): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 760 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // A refused API call (a 4xx the client shows) is logged as a failed load: not a problem of the page itself.
  page.on('console', (message) => void (message.type() === 'error' && !message.text().startsWith('Failed to load resource') && problems.push(`console: ${message.text()}`)));
  page.on('dialog', (dialog) => void dialog.accept()); // the client confirms destructive group changes
  await page.goto(stack.httpUrl);
  await page.fill('input[name=username]', how.register ? `${name}_${Date.now().toString(36)}` : how.username);
  await page.fill('input[name=password]', how.register ? 'correct-horse-1' : how.password);
  if (how.register) await page.fill('input[name=nickname]', name);
  await page.click(how.register ? '#register' : '#login');
  await expect.poll(() => page.textContent('#me-id'), { timeout: LIVE_MS }).toMatch(/^\d+$/);
  return { page, id: (await page.textContent('#me-id'))!, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: `test-results/${name}.png` });
}
