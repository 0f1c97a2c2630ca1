import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startHandlerProcess } from '../../src/adapters/local/runtime/handler-process.js';
import { socketPathOf } from '../../src/adapters/local/runtime/function-socket.js';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness;
afterEach(async () => platform.stop());

/**
 * Connections the process listening on the Unix socket `socketPath` has accepted and still holds,
 * from the kernel's table (an accepted socket carries its listener's path; St 03 is connected).
 */
function connectionsTo(socketPath: string): number {
  return readFileSync('/proc/net/unix', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[7] === socketPath && fields[5] === '03').length;
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
    const serverSocket = socketPathOf(lease.url);
    const before = connectionsTo(serverSocket);

    // The fixture's handler waits `delay` ms before answering: ten minutes is "never".
    const hanging = await platform.site('/?delay=600000');
    expect(hanging.status).toBe(504);
    expect(hanging.body).toContain("the site's function did not answer within 1.5 seconds");
    // The connection that carried it is closed on the function's side too.
    for (let i = 0; i < 50 && connectionsTo(serverSocket) > before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(connectionsTo(serverSocket)).toBeLessThanOrEqual(before);
    // The site still serves.
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
  }, 120_000);

  it('a function process stops by itself (no SIGKILL) after a visitor gave up on a request it never answers', async () => {
    platform = await new LocalPlatformHarness().start();
    const sha = platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'v1');
    const id = (await platform.push(sha)).json.deploymentId ?? '';
    expect(await platform.waitFor(id, ['live', 'failed'])).toBe('live');
    // Another process of the same bundle, to stop by hand.
    const child = await startHandlerProcess({ bundleDir: join(platform.server.sandbox.sandboxes.areaOf(platform.project.id) ?? '', 'runtime', id, 'server-functions', 'default'), kind: 'server', env: {}, socketPath: join(platform.home, 'by-hand.sock') });
    await new Promise<void>((resolve) => {
      const req = request({ socketPath: child.socketPath, path: '/?delay=600000', headers: { host: 'shop.localhost' } });
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
