import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER_ID } from '../../src/core/ports/access.js';
import { resolveEnv } from '../../src/core/use-cases/env.js';
import { createSignInCode, createToken } from '../../src/core/use-cases/tokens.js';
import { buildDashboardInto, focusVisible, hasChromium, launchChromium, layoutWidth, screenshot, tabTo, CHROMIUM } from '../browser/browser.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

// The dashboard in a real browser (Debian's Chromium, headless) against a real `anchor server`
// with the real API: push → live log → live → rollback with confirmation → env change.
if (!hasChromium) console.warn(`dashboard browser tests skipped: no ${CHROMIUM} (apt-get install chromium)`);

let platform: LocalPlatformHarness;
let browser: Browser;
let token: string;
let base: string;
let buildReport = '';
const LONG = `a-very-long-commit-message-without-spaces-${'x'.repeat(160)}`;

beforeAll(async () => {
  platform = new LocalPlatformHarness();
  const dashboardDir = join(platform.home, 'dashboard');
  buildReport = buildDashboardInto(dashboardDir);
  if (!hasChromium) return;
  await platform.start({ server: { api: { dashboardDir } } });
  const deps = { ...platform.server.ports, access: platform.server.access };
  token = (await createToken(deps, { ownerId: DEFAULT_OWNER_ID, name: 'browser', scope: 'write', expires: '1d' })).token;
  base = `http://127.0.0.1:${platform.server.port}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

async function signInByKeyboard(page: Page): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('API token').waitFor();
  await tabTo(page, /^token$/);
  expect(await focusVisible(page)).toBe(true);
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
}

describe('the dashboard build', () => {
  it('writes a first page small enough for a slow mobile connection: under 20 KB brotli, script and stylesheet included', () => {
    const total = /first page (\d+) B, (\d+) B brotli/.exec(buildReport);
    expect(total, buildReport).not.toBeNull();
    console.log(buildReport.trim());
    expect(Number(total?.[2])).toBeLessThan(20_000);
    expect(Number(total?.[1])).toBeLessThan(60_000);
  });
});

describe.skipIf(!hasChromium)('the dashboard in Chromium against anchor server', () => {
  it('signs in with a one-time code from the address, which then leaves the address bar; a wrong token is refused with the reason', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const downloaded: number[] = [];
    page.on('response', (r) => void r.body().then((b) => downloaded.push(b.length), () => undefined));
    // The Content-Security-Policy lets the app do all it does: Chromium reports each refusal on the console.
    const refused: string[] = [];
    page.on('console', (m) => void (/Content Security Policy/i.test(m.text()) && refused.push(m.text())));
    const first = await page.goto(`${base}/`);
    expect(first?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByLabel('API token').waitFor();
    // index.html, script, stylesheet, the session check: everything the sign-in page costs.
    expect(downloaded.reduce((a, b) => a + b, 0)).toBeLessThan(60_000);
    await page.getByLabel('API token').fill('anc_not_a_real_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor({ timeout: 15_000 }).catch(async (e: unknown) => {
      console.error(await page.content());
      throw e;
    });
    expect(await page.getByRole('alert').textContent()).toMatch(/token/i);
    expect(await page.getByRole('heading', { name: 'Projects' }).count()).toBe(0);

    const { code } = await createSignInCode({ access: platform.server.access, clock: platform.server.ports.clock }, { ownerId: DEFAULT_OWNER_ID });
    await page.goto(`${base}/#code=${code}`);
    await page.getByRole('link', { name: 'shop', exact: true }).waitFor();
    expect(page.url()).toBe(`${base}/`);
    expect(refused).toEqual([]);
    // The session is an HttpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate('document.cookie')).toBe('');
    expect((await context.cookies()).find((c) => c.name === 'anchor_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // A session that ends while the page is open (here: its cookie is gone) brings back the sign-in screen.
    await context.clearCookies();
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    await page.getByLabel('API token').waitFor();
    // The code worked once.
    const again = await browser.newPage();
    await again.goto(`${base}/#code=${code}`);
    await again.getByRole('alert').waitFor({ timeout: 15_000 });
    expect(await again.getByRole('alert').textContent()).toMatch(/code/i);
    await again.close();
    await context.close();
  }, 120_000);

  it('push → live log → live, rollback with confirmation by keyboard only, then an env change deployed; readable at 360 px', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInByKeyboard(page);
    await page.getByText('Live: nothing yet').waitFor();

    const v1 = platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'first');
    const d1 = (await platform.push(v1)).json.deploymentId ?? '';
    await page.goto(`${base}/projects/shop/deployments/${d1}`);
    const log = page.locator('pre.log');
    // The log streams in while the build runs, and ends with the deployment live.
    await expect.poll(() => log.textContent(), { timeout: 120_000 }).toMatch(/Queued as/);
    // Seen while the build still runs (it installs and builds for seconds): the log is live, not a page read after.
    expect(await log.textContent()).not.toMatch(/✔ Live/);
    await expect.poll(() => log.textContent(), { timeout: 120_000 }).toMatch(/✔ Live/);
    await page.getByText('live now').waitFor();
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
    await screenshot(page, 'deployment-log-desktop');

    const v2 = platform.repo.commit(pipelineAppFiles({ version: 'v2' }), LONG);
    const d2 = (await platform.push(v2, { message: LONG })).json.deploymentId ?? '';
    expect(await platform.waitFor(d2, ['live', 'failed'])).toBe('live');

    // Rollback, keyboard only: Tab to the button, Enter, the dialog asks, Enter confirms.
    await page.goto(`${base}/projects/shop`);
    await page.getByRole('button', { name: `Roll back to ${v1.slice(0, 7)}` }).waitFor();
    await screenshot(page, 'project-desktop');
    await tabTo(page, new RegExp(`^Roll back to ${v1.slice(0, 7)}$`));
    expect(await focusVisible(page)).toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(d1);
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
    const focused = await page.evaluate('document.activeElement.textContent');
    expect(focused).toBe('Roll back now');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await platform.site('/')).body).toContain('<h1>v1</h1>');
    expect((await platform.server.ports.deployments.get(d1))?.state).toBe('live');
    await page.locator('li.live', { hasText: d1 }).getByText('live now').waitFor();

    // Env: a plain value and a secret; the secret is never shown again.
    await page.getByLabel('Name').fill('GREETING');
    await page.getByLabel('Value').fill('hello from the dashboard');
    await page.getByRole('button', { name: 'Save variable' }).click();
    await page.getByText('hello from the dashboard').waitFor();
    await page.getByLabel('Name').fill('API_KEY');
    await page.getByLabel('Secret').check();
    await page.getByLabel('Value').fill('s3cr3t-value');
    await page.getByRole('button', { name: 'Save variable' }).click();
    await page.getByText('secret (write-only)').waitFor();
    expect(await page.content()).not.toContain('s3cr3t-value');
    const env = await resolveEnv(platform.server.ports, platform.project.id, 'runtime');
    expect(env.values).toMatchObject({ GREETING: 'hello from the dashboard', API_KEY: 's3cr3t-value' });

    // The change goes live with the next deployment, started from the dashboard.
    platform.repo.commit(pipelineAppFiles({ version: 'v3' }), 'third');
    await page.getByRole('button', { name: 'Deploy now' }).click();
    await expect.poll(async () => (await platform.site('/')).body, { timeout: 120_000 }).toContain('<p id=greeting>hello from the dashboard</p>');
    await screenshot(page, 'project-env-desktop');

    // A phone's width: nothing scrolls sideways, long commit messages included.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.getByText(LONG).first().waitFor();
    expect(await layoutWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'project-360');
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'shop', exact: true }).waitFor();
    expect(await layoutWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'projects-360');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    await page.reload();
    await page.getByLabel('API token').waitFor();
    expect((await context.cookies()).find((c) => c.name === 'anchor_session')).toBeUndefined();
    await context.close();
  }, 300_000);
});
