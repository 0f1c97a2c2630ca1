import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright-core never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Screenshots are kept here (gitignored), for a person or CI to look at. */
export const ARTIFACTS = join(root, 'test-artifacts', 'dashboard');

/** Builds the dashboard exactly as `npm run build` does, into `dir`. */
export function buildDashboardInto(dir: string): string {
  return execFileSync(process.execPath, [join(root, 'scripts/bundle-dashboard.mjs'), dir], { encoding: 'utf8' });
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Presses Tab until the focused element's text or label matches `name` (at most `max` presses): the keyboard-only way to a control. */
export async function tabTo(page: Page, name: RegExp, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate('(() => { const e = document.activeElement; return e ? (e.getAttribute("aria-label") || e.id || e.textContent || "") : ""; })()');
    if (name.test(String(label))) return;
  }
  throw new Error(`${max} presses of Tab never reached a control named ${name}`);
}

/** Whether the focused element draws a visible focus ring. */
export async function focusVisible(page: Page): Promise<boolean> {
  const style = await page.evaluate('(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth; })()');
  return !String(style).startsWith('none') && !String(style).endsWith(' 0px');
}

/** The page's width in CSS pixels as laid out: over the viewport's means a sideways scroll. */
export async function layoutWidth(page: Page): Promise<number> {
  return Number(await page.evaluate('document.documentElement.scrollWidth'));
}
