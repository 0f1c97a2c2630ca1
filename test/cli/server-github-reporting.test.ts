import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/adapters/local/server/create-local-server.js';
import { readCliEnv } from '../../src/cli/env.js';
import type { Deployment } from '../../src/core/deployment.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';
import { runCli, tempHome } from './run-cli.js';

/**
 * `anchor server` reports on GitHub (its composition root wires the reporter): a project on
 * GitHub with a token gets a Deployment and a commit status for a push. github.com itself is out
 * of reach here, so the clone fails: the report is queued → in_progress → failure, with the reason.
 */
const TOKEN = 'ghp_ServerReportingToken0000000000000000';
const COMMIT = 'a'.repeat(40);

let home: ReturnType<typeof tempHome>;
let github: FakeGitHub;
let server: LocalServer;

beforeAll(async () => {
  home = tempHome();
  chmodSync(home.dir, 0o711);
  github = await startFakeGitHub({ repos: ['acme/shop'], rejectPrivateUrls: false });
  github.addToken(TOKEN);
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { home: home.dir, env });
  expect((await cli(['init', '--local'])).code).toBe(0);
  expect((await cli(['projects', 'add', 'shop', '--repo', 'acme/shop', '--github-token-env', 'T'], { T: TOKEN, ANCHOR_GITHUB_API_URL: github.url })).code).toBe(0);
  server = await startLocalServer({
    dir: join(home.dir, '.anchor', 'platforms', 'local'),
    // No network: the clone of github.com fails at once instead of waiting on DNS.
    baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: home.dir, HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' },
    githubToken: undefined,
    githubApiUrl: github.url,
    host: '127.0.0.1',
    port: 0,
    concurrency: 1,
    logStream: { write: () => true },
    githubReporting: { attempts: 2, firstDelayMs: 10 },
  });
});

afterAll(async () => {
  await server?.close();
  await github?.close();
  home?.cleanup();
});

describe('anchor server and GitHub', () => {
  it('reports a push\'s deployment on GitHub as it goes, with the dashboard link and the reason it failed', async () => {
    const project = await server.ports.projects.get('shop');
    if (!project) throw new Error('no project');
    const secret = await server.ports.secrets.open(project.webhookSecret);
    const delivery = signedDelivery(secret, pushPayload({ ref: 'refs/heads/main', after: COMMIT, repository: 'acme/shop' }));
    const answer = await fetch(`http://127.0.0.1:${server.port}/webhook/${project.id}`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect(answer.status).toBe(202);
    const { deploymentId } = (await answer.json()) as { deploymentId: string };

    let deployment: Deployment | null = null;
    for (let i = 0; i < 300 && deployment?.state !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      deployment = await server.ports.deployments.get(deploymentId);
    }
    expect(deployment?.state).toBe('failed');
    for (let i = 0; i < 100 && github.commitStatuses('acme', 'shop').length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 100));

    const [reported] = github.deployments('acme', 'shop');
    expect(reported).toMatchObject({ sha: COMMIT, environment: 'shop/production', auto_merge: false, required_contexts: [], payload: { anchor_deployment: deploymentId } });
    expect(reported?.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'failure']);
    expect(reported?.statuses[0]?.log_url).toBe(`http://127.0.0.1:${server.port}/projects/shop/deployments/${deploymentId}`);
    expect(reported?.statuses[2]?.description).toMatch(/^Failed: git fetch failed/);
    expect(github.commitStatuses('acme', 'shop').map((s) => [s.context, s.state])).toEqual([
      ['anchor/shop', 'pending'],
      ['anchor/shop', 'pending'],
      ['anchor/shop', 'failure'],
    ]);
  });
});
