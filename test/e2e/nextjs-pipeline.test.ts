import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGING_SUMMARY } from '../../src/core/build-recipe.js';
import { setEnv } from '../../src/core/use-cases/env.js';
import { rollback } from '../../src/core/use-cases/rollback.js';
import { templatesDir } from '../../src/lib/templates-dir.js';
import { ensureHandlerChildBuilt } from './handler-child-build.js';
import { LocalPlatformHarness } from './local-platform.js';

/** The main job with a real Next.js app: push → live → change → rollback, content checked each time. */
let platform: LocalPlatformHarness;
beforeAll(async () => {
  await ensureHandlerChildBuilt();
  platform = await new LocalPlatformHarness().start({ project: 'site' });
});
afterAll(async () => platform?.stop());

const text = (html: string, id: string) => new RegExp(`<[a-z0-9]+ id="${id}"[^>]*>(.*?)</`).exec(html)?.[1]?.replace(/<!-- -->/g, '');

describe('a real Next.js app through the local pipeline', () => {
  it('push → live → change → rollback', async () => {
    const files: Record<string, string> = {};
    cpSync(join(templatesDir(), 'sample-app'), platform.repo.dir, { recursive: true, filter: (src) => !/node_modules|\.next|\.open-next/.test(src) });
    await setEnv(platform.server.ports, { project: 'site', key: 'GREETING', value: 'Hello, Phnom Penh', secret: false, targets: ['runtime'] });
    const v1 = platform.repo.commit(files, 'v1');
    const d1 = (await platform.push(v1)).json.deploymentId ?? '';
    expect(await platform.waitFor(d1, ['live', 'failed'], 300_000)).toBe('live');

    const home = await platform.site('/');
    expect(home.status).toBe(200);
    expect(text(home.body, 'greeting')).toBe('Hello, Phnom Penh');
    expect(text(home.body, 'version')).toBe('version: v1');
    const api = await platform.site('/api/hello');
    expect(api.headers['content-type']).toMatch(/application\/json/);
    // A redirect the site builds from request.url keeps the visitor's protocol (plain http here).
    const back = await platform.site('/api/back-home');
    expect(back.status).toBe(307);
    expect(back.headers.location).toBe(`http://site.localhost:${platform.server.port}/`);
    const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(home.body)?.[1] ?? '';
    const asset = await platform.site(script);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public,max-age=31536000,immutable');
    const image = await platform.site('/_next/image?url=%2Fanchor.png&w=64&q=75', { accept: 'image/webp' });
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toMatch(/^image\//);

    // ISR through the edge: stale after 5 s, regenerated in the background, fresh on a later request.
    const renderedAt = async () => text((await platform.site('/isr')).body, 'rendered-at');
    const first = await renderedAt();
    expect(first).toBeTruthy();
    await new Promise((r) => setTimeout(r, 6000));
    await renderedAt();
    let regenerated = first;
    for (let i = 0; i < 50 && regenerated === first; i++) {
      await new Promise((r) => setTimeout(r, 200));
      regenerated = await renderedAt();
    }
    expect(regenerated).not.toBe(first);

    writeFileSync(join(platform.repo.dir, 'app', 'version.js'), "export const VERSION = 'v2';\n");
    await setEnv(platform.server.ports, { project: 'site', key: 'GREETING', value: 'Hello again', secret: false, targets: ['runtime'] });
    const v2 = platform.repo.commit({}, 'v2');
    const d2 = (await platform.push(v2)).json.deploymentId ?? '';
    expect(await platform.waitFor(d2, ['live', 'failed'], 300_000)).toBe('live');
    // Same lockfile: node_modules laid out from the package store, not unpacked again by npm ci.
    const log2 = await platform.logText(d2);
    expect(log2).toMatch(/Installing \d+ packages from the build cache's package store/);
    expect(log2).not.toContain('Installing with npm ci');
    // Same lockfile: OpenNext's code patches (Next's own files) and the image function's sharp came
    // from the packaging cache; only the app's code the change touched was patched again.
    const packaging = PACKAGING_SUMMARY.exec(log2.split('\n').find((line) => PACKAGING_SUMMARY.test(line)) ?? '');
    expect(packaging, log2).not.toBeNull();
    expect(Number(packaging?.[2])).toBeGreaterThan(10);
    expect(Number(packaging?.[3])).toBeLessThan(Number(packaging?.[2]) / 10);
    expect(log2).toContain('sharp@0.35.5 reused');
    // The reused build serves like the first one: pages, routes, the image function, static files.
    const changed = await platform.site('/');
    expect(changed.status).toBe(200);
    expect(text(changed.body, 'version')).toBe('version: v2');
    expect(text(changed.body, 'greeting')).toBe('Hello again');
    expect((await platform.site('/api/back-home')).headers.location).toBe(`http://site.localhost:${platform.server.port}/`);
    const image2 = await platform.site('/_next/image?url=%2Fanchor.png&w=64&q=75', { accept: 'image/webp' });
    expect(image2.status).toBe(200);
    expect(image2.headers['content-type']).toMatch(/^image\//);
    const script2 = /src="(\/_next\/static\/[^"]+\.js)"/.exec(changed.body)?.[1] ?? '';
    expect((await platform.site(script2)).status).toBe(200);

    await rollback(platform.server.ports, { project: 'site' });
    const rolledBack = await platform.site('/');
    expect(text(rolledBack.body, 'version')).toBe('version: v1');
    expect(text(rolledBack.body, 'greeting')).toBe('Hello, Phnom Penh');

    // Builds ran where the server said (in memory when there was room); nothing of them is left.
    const root = platform.server.buildRoot;
    expect(readdirSync(root.dir)).toEqual([]);
    await platform.stop();
    if (root.inMemory) expect(existsSync(root.dir)).toBe(false);
  }, 600_000);
});
