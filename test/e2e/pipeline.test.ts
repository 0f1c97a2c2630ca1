import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rollback } from '../../src/core/use-cases/rollback.js';
import { setEnv } from '../../src/core/use-cases/env.js';
import { ServerFunctionHost } from '../../src/adapters/local/runtime/server-function-host.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness;
beforeEach(async () => {
  platform = await new LocalPlatformHarness().start();
});
afterEach(async () => platform.stop());

describe('push to live on the local platform', () => {
  it('a signed push becomes a live site; a second push replaces it; rollback brings the first back', async () => {
    await setEnv(platform.server.ports, { project: 'shop', key: 'GREETING', value: 'hello v1', secret: false, targets: ['runtime'] });
    const v1 = platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'first');
    const first = await platform.push(v1);
    expect(first.status).toBe(202);
    const d1 = first.json.deploymentId ?? '';
    expect(await platform.waitFor(d1, ['live', 'failed'])).toBe('live');
    const page = await platform.site('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>v1</h1>');
    expect(page.body).toContain('<p id=greeting>hello v1</p>');
    expect(page.body).toContain(`<p id=host>shop.localhost:${platform.server.port}</p>`);
    const asset = await platform.site('/_next/static/chunks/app-v1.js');
    expect(asset.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public,max-age=31536000,immutable');
    const logo = await platform.site('/logo.txt');
    expect(logo.body).toBe('logo of v1\n');
    expect(logo.headers['cache-control']).toBe('public,max-age=0,s-maxage=31536000,must-revalidate');
    const image = await platform.site('/_next/image?url=%2Flogo.png&w=64&q=75');
    expect(image.body).toBe('image:v1:url=%2Flogo.png&w=64&q=75');

    await setEnv(platform.server.ports, { project: 'shop', key: 'GREETING', value: 'hello v2', secret: false, targets: ['runtime'] });
    const v2 = platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'second');
    const d2 = (await platform.push(v2)).json.deploymentId ?? '';
    expect(await platform.waitFor(d2, ['live', 'failed'])).toBe('live');
    expect((await platform.site('/')).body).toContain('<h1>v2</h1><p id=greeting>hello v2</p>');
    expect((await platform.server.ports.deployments.get(d1))?.state).toBe('retired');

    const back = await rollback(platform.server.ports, { project: 'shop' });
    expect(back).toMatchObject({ from: d2, to: d1 });
    const after = await platform.site('/');
    expect(after.body).toContain('<h1>v1</h1><p id=greeting>hello v1</p>');
    expect((await platform.site('/_next/static/chunks/app-v1.js')).status).toBe(200);
    expect((await platform.server.ports.deployments.get(d1))?.state).toBe('live');
  });

  it('a flip the server was not told about (no control API reachable) is served within seconds', async () => {
    const d1 = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'first'))).json.deploymentId ?? '';
    await platform.waitFor(d1, ['live']);
    const d2 = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'second'))).json.deploymentId ?? '';
    await platform.waitFor(d2, ['live']);
    // A CLI process that found no server: it flips the pointer in SQLite and nothing else.
    const unreachable = new ServerFunctionHost({ controlSocket: join(platform.home, 'no-server.sock') });
    await rollback({ ...platform.server.ports, functions: unreachable }, { project: 'shop' });
    expect(unreachable.deferred).toBe(true);
    const until = Date.now() + 10_000;
    let body = '';
    while (Date.now() < until && !body.includes('<h1>v1</h1>')) {
      body = (await platform.site('/')).body;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toContain('<h1>v1</h1>');
  });

  it('keeps the live and the previous version running, and stops older ones', async () => {
    const ids: string[] = [];
    for (const version of ['v1', 'v2', 'v3']) {
      const id = (await platform.push(platform.repo.commit(pipelineAppFiles({ version }), version))).json.deploymentId ?? '';
      await platform.waitFor(id, ['live']);
      ids.push(id);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(platform.server.functions.runningDeployments().sort()).toEqual([ids[1], ids[2]].sort());
    expect((await platform.site('/')).body).toContain('<h1>v3</h1>');
  });

  it('the log tells the story from webhook to live', async () => {
    const sha = platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'first');
    const id = (await platform.push(sha)).json.deploymentId ?? '';
    await platform.waitFor(id, ['live']);
    const log = await platform.logText(id);
    expect(log).toMatch(/Push [0-9a-f]{7} to main by octocat received/);
    expect(log).toContain('build: version v1');
    expect(log).toContain('Smoke-testing the new version');
    expect(log).toMatch(/✔ Live/);
  });
});
