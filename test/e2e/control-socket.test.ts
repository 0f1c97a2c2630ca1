import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollback } from '../../src/core/use-cases/rollback.js';
import { ServerFunctionHost } from '../../src/adapters/local/runtime/server-function-host.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness;
let v1 = '';
let v2 = '';
let other = '';

/** A call on the control socket, as any local process could try it. */
function control(action: string, body: string): Promise<{ status: number; json: { code?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: platform.server.controlSocket, path: `/v1/${action}`, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: string; message?: string } }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  platform = await new LocalPlatformHarness().start();
  const others = await platform.addProject('other');
  other = await platform.pushTo(others, others.repo.commit(pipelineAppFiles({ version: 'other-v1' }), 'other'));
  v1 = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'v1'))).json.deploymentId ?? '';
  expect(await platform.waitFor(v1, ['live', 'failed'])).toBe('live');
  v2 = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'v2'))).json.deploymentId ?? '';
  expect(await platform.waitFor(v2, ['live', 'failed'])).toBe('live');
  expect(await platform.waitFor(other, ['live', 'failed'])).toBe('live');
}, 180_000);
afterAll(async () => platform?.stop());

describe('the control API trusts nothing its caller says', () => {
  it('listens only on a Unix socket of mode 0600 in the platform dir (0700); the old TCP route is gone', async () => {
    expect(platform.server.controlSocket).toBe(join(platform.home, 'platform', 'control.sock'));
    expect(statSync(platform.server.controlSocket).mode & 0o777).toBe(0o600);
    expect(statSync(join(platform.home, 'platform')).mode & 0o777).toBe(0o700);
    const tcp = await platform.post('/_anchor/control/activate', JSON.stringify({ projectName: 'other', version: { deploymentId: v1 }, revision: 999 }), { 'content-type': 'application/json' });
    expect(tcp.status).toBe(404);
    expect(platform.server.functions.route('other')?.deploymentId).toBe(other);
  });

  it('answers bad input with 400 and a message, never 500: not JSON, a project name or a revision of the caller\'s choosing, a malformed id', async () => {
    expect(await control('activate', '{not json')).toMatchObject({ status: 400, json: { code: 'BAD_CONTROL_REQUEST', message: expect.stringContaining('not JSON') } });
    const attach = await control('activate', JSON.stringify({ deploymentId: v1, projectName: 'other' }));
    expect(attach).toMatchObject({ status: 400, json: { message: expect.stringMatching(/projectName/) } });
    expect(await control('activate', JSON.stringify({ deploymentId: v2, revision: 999 }))).toMatchObject({ status: 400 });
    expect(await control('publish', JSON.stringify({ deploymentId: '../../etc' }))).toMatchObject({ status: 400 });
    expect(await control('remove-project', JSON.stringify({ projectId: 'x; rm -rf /' }))).toMatchObject({ status: 400 });
    expect((await control('no-such-action', '{}')).status).toBe(404);
    expect(await control('activate', JSON.stringify({ deploymentId: 'd_nope' }))).toMatchObject({ status: 404, json: { code: 'DEPLOYMENT_NOT_FOUND' } });
    // Nothing moved: each project serves its own live deployment.
    expect(platform.server.functions.route('other')?.deploymentId).toBe(other);
    expect((await platform.site('/', {}, 'other')).body).toContain('<h1>other-v1</h1>');
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
  });

  it('activates only what the store says is live: a retired deployment is refused (409) and nothing changes', async () => {
    expect(await control('activate', JSON.stringify({ deploymentId: v1 }))).toMatchObject({ status: 409, json: { code: 'NOT_LIVE' } });
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
  });

  it('after all that, rollbacks from the CLI still switch the site, back and forth', async () => {
    const cli = { ...platform.server.ports, functions: new ServerFunctionHost({ controlSocket: platform.server.controlSocket }) };
    expect(await rollback(cli, { project: 'shop' })).toMatchObject({ from: v2, to: v1 });
    expect(cli.functions.deferred).toBe(false);
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
    expect(await rollback(cli, { project: 'shop', to: v2 })).toMatchObject({ to: v2 });
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
    expect((await platform.site('/', {}, 'other')).body).toContain('<h1>other-v1</h1>');
  });
});
