import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER_ID } from '../../src/core/ports/access.js';
import { createToken } from '../../src/core/use-cases/tokens.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { ApiClient } from '../api/api-client.js';
import { readSse } from '../api/sse.js';
import { LocalPlatformHarness, http } from './local-platform.js';

let platform: LocalPlatformHarness;
let token: string;
let client: ApiClient;

beforeAll(async () => {
  platform = await new LocalPlatformHarness().start();
  // `shop` was added by the local operator: it belongs to the default owner.
  token = (await createToken({ ...platform.server.ports, access: platform.server.access }, { ownerId: DEFAULT_OWNER_ID, name: 'ci', scope: 'deploy', expires: '1d' })).token;
  const port = platform.server.port;
  client = new ApiClient((r) => http({ method: r.method, path: r.path, headers: { host: `localhost:${port}`, ...r.headers }, port }, r.body), token);
});

afterAll(async () => platform?.stop());

describe('the API follows a real push to live, deploys and rolls back', () => {
  it('streams the log of a push as Server-Sent Events from the webhook to live, and resumes after Last-Event-ID', async () => {
    const pushed = await platform.push(platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'first'));
    const id = pushed.json.deploymentId ?? '';
    const path = `/api/v1/projects/shop/deployments/${id}/logs/stream`;
    const stream = await readSse({ port: platform.server.port, path, headers: { host: `localhost:${platform.server.port}`, authorization: `Bearer ${token}` } });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe('text/event-stream; charset=utf-8');
    const lines = stream.events.filter((e) => e.event === 'line');
    const texts = lines.map((e) => (e.data as { text: string }).text);
    expect(texts[0]).toMatch(/push/i);
    expect(texts.some((t) => t.startsWith('Queued as'))).toBe(true);
    expect(texts[texts.length - 1]).toMatch(/^✔ Live/);
    // Every line once, in order, its seq as the event id.
    expect(lines.map((e) => Number(e.id))).toEqual(lines.map((_, i) => i + 1));
    const states = stream.events.filter((e) => e.event === 'state').map((e) => (e.data as { state: string }).state);
    expect(states[states.length - 1]).toBe('live');
    expect(stream.events[stream.events.length - 1]).toEqual({ id: null, event: 'end', data: { state: 'live' } });

    const resumed = await readSse({ port: platform.server.port, path, headers: { host: `localhost:${platform.server.port}`, authorization: `Bearer ${token}`, 'last-event-id': '3' } });
    expect(resumed.events.filter((e) => e.event === 'line').map((e) => Number(e.id))).toEqual(lines.slice(3).map((e) => Number(e.id)));

    const page = await client.call('GET', `/api/v1/projects/shop/deployments/${id}`);
    expect(page.json).toMatchObject({ id, state: 'live', live: true, trigger: 'push' });
    expect(page.json.phases.map((p: { name: string }) => p.name)).toEqual(['queued', 'building', 'built', 'deploying', 'live']);
    expect(page.json.phases.slice(0, -1).every((p: { ms: number }) => typeof p.ms === 'number')).toBe(true);
  });

  it('deploys a new commit through the API, then rolls back to the first, which the site serves', async () => {
    platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'second');
    const deployed = await client.call('POST', '/api/v1/projects/shop/deployments', {});
    expect(deployed.status).toBe(202);
    expect(deployed.json).toMatchObject({ state: 'queued', ref: 'main', trigger: 'manual' });
    expect(await platform.waitFor(deployed.json.id, ['live', 'failed'])).toBe('live');
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');

    const back = await client.call('POST', '/api/v1/projects/shop/rollback', {});
    expect(back.status).toBe(200);
    expect(back.json.live).toMatchObject({ state: 'live', live: true });
    expect(back.json.from).toBe(deployed.json.id);
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
    const project = await client.call('GET', '/api/v1/projects/shop');
    expect(project.json.live.deploymentId).toBe(back.json.live.id);
  });
});
