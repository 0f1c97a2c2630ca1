import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startHandlerProcess } from '../../src/adapters/local/runtime/handler-process.js';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness;
afterEach(async () => platform.stop());

/**
 * Open connections on the side of the process listening on `port` (ESTABLISHED, or CLOSE_WAIT: the
 * other end has gone and this process still holds it), from the kernel's table.
 */
function connectionsTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((file) => {
      try {
        return readFileSync(file, 'utf8').trim().split('\n').slice(1);
      } catch {
        return [];
      }
    })
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(`:${hex}`) && (fields[3] === '01' || fields[3] === '08')).length;
}

describe('the edge and a site that never answers', () => {
  it('answers 504 after the function timeout, and the function process lets the request go', async () => {
    platform = await new LocalPlatformHarness().start({ server: { functionTimeoutMs: 1_500 } });
    const sha = platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'v1');
    const id = (await platform.push(sha)).json.deploymentId ?? '';
    expect(await platform.waitFor(id, ['live', 'failed'])).toBe('live');
    const lease = await platform.server.functions.route('shop')?.acquire('server');
    if (!lease || 'unavailable' in lease) throw new Error('the live version has no server process');
    lease.release();
    const serverPort = Number(new URL(lease.url).port);
    const before = connectionsTo(serverPort);

    // The fixture's handler waits `delay` ms before answering: ten minutes is "never".
    const hanging = await platform.site('/?delay=600000');
    expect(hanging.status).toBe(504);
    expect(hanging.body).toContain("the site's function did not answer within 1.5 seconds");
    // The connection that carried it is closed on the function's side too.
    for (let i = 0; i < 50 && connectionsTo(serverPort) > before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(connectionsTo(serverPort)).toBeLessThanOrEqual(before);
    // The site still serves.
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
  }, 120_000);

  it('a function process stops by itself (no SIGKILL) after a visitor gave up on a request it never answers', async () => {
    platform = await new LocalPlatformHarness().start();
    const sha = platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'v1');
    const id = (await platform.push(sha)).json.deploymentId ?? '';
    expect(await platform.waitFor(id, ['live', 'failed'])).toBe('live');
    // Another process of the same bundle, to stop by hand.
    const child = await startHandlerProcess({ bundleDir: join(platform.home, 'platform', 'runtime', id, 'server-functions', 'default'), kind: 'server', env: {} });
    await new Promise<void>((resolve) => {
      const req = request(`${child.url}/?delay=600000`, { headers: { host: 'shop.localhost' } });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 300);
    });
    await new Promise((r) => setTimeout(r, 300));
    // A long grace: a process that still counted the abandoned request would wait it out, then be killed.
    await child.stop(60_000);
    expect(await child.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
