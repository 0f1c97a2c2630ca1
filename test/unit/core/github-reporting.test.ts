import { createHmac, randomUUID } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OctokitRepoStatuses } from '../../../src/adapters/github/octokit-repo-statuses.js';
import { SystemClock } from '../../../src/adapters/system/system-clock.js';
import { DeploymentReporter } from '../../../src/core/deployment-reporter.js';
import type { Ports } from '../../../src/core/ports/index.js';
import type { Project } from '../../../src/core/project.js';
import { reportingDeployments } from '../../../src/core/reporting-deployments.js';
import { addProject } from '../../../src/core/use-cases/projects.js';
import { receiveWebhook } from '../../../src/core/use-cases/receive-webhook.js';
import { rollback } from '../../../src/core/use-cases/rollback.js';
import { runBuildJob } from '../../../src/core/use-cases/run-build.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github-api.js';
import { memoryPorts, type MemoryPorts } from '../../fakes/memory/memory-ports.js';
import type { ScriptedBuild } from '../../fakes/memory/scripted-builder.js';
import { sha } from './memory-platform.js';

/**
 * GitHub deployment statuses (issue #14) on the in-memory pipeline, reported through the real
 * Octokit adapter to the local GitHub API fake: the exact calls and payloads, and a GitHub in
 * trouble that neither fails nor delays a deploy.
 */
const PROJECT_TOKEN = 'ghp_ProjectReportingToken000000000000000';
const PLATFORM = 'https://anchor.example.com';
const SITE = 'https://shop.example.com';

let github: FakeGitHub;
let ports: MemoryPorts;
let project: Project;
let webhookSecret: string;
let reporter: DeploymentReporter;
let pipeline: Ports;

beforeEach(async () => {
  github = await startFakeGitHub({ repos: ['acme/shop'] });
  github.addToken(PROJECT_TOKEN);
  ports = memoryPorts();
  const added = await addProject({ ...ports, repoHooks: null }, { name: 'shop', repo: { kind: 'github', owner: 'acme', name: 'shop', url: 'https://github.com/acme/shop.git' }, branch: 'main', root: '', webhookBaseUrl: PLATFORM, githubToken: PROJECT_TOKEN });
  project = added.project;
  webhookSecret = added.webhook.secret;
  wire(5_000);
});

/** The pipeline's ports with GitHub reporting, each call to GitHub given `timeoutMs`. */
function wire(timeoutMs: number): void {
  const statuses = new OctokitRepoStatuses({ octokit: (token) => new Octokit({ auth: token, baseUrl: github.url, log: { debug() {}, info() {}, warn() {}, error() {} } }), timeoutMs });
  // Real time for the reporter's waits (the pipeline's clock is the fakes' manual one).
  reporter = new DeploymentReporter({ ...ports, clock: new SystemClock(), statuses }, { platformUrl: () => PLATFORM, siteUrl: async () => SITE, attempts: 3, firstDelayMs: 20 });
  pipeline = { ...ports, deployments: reportingDeployments(ports.deployments, reporter) };
}

afterEach(async () => {
  await reporter.drain(5_000);
  await github.close();
});

async function push(commit: string): Promise<string> {
  const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: commit, deleted: false, head_commit: { id: commit, message: 'Change' }, pusher: { name: 'octocat' }, repository: { full_name: 'acme/shop', clone_url: 'https://github.com/acme/shop.git' } }));
  const answer = await receiveWebhook(pipeline, {
    projectId: project.id,
    body,
    headers: { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`, 'content-type': 'application/json' },
  });
  const id = (answer.body as { deploymentId?: string }).deploymentId;
  if (answer.status !== 202 || !id) throw new Error(`push not accepted: ${JSON.stringify(answer)}`);
  return id;
}

/** Takes the push's job and runs it to its end as the build worker would. */
async function build(play: (b: ScriptedBuild) => void = (b) => b.succeed()): Promise<void> {
  const [received] = await ports.queue.receive({ visibilityMs: 60_000, max: 1 });
  if (!received) throw new Error('no job');
  const outcome = runBuildJob(pipeline, received);
  const started = await Promise.race([ports.builder.started(received.job.deploymentId), outcome.then(() => null)]);
  if (started) play(started);
  await outcome;
  await ports.queue.ack(received.receipt);
}

describe('GitHub deployment statuses', () => {
  it('a push that goes live: one Deployment with queued → in_progress → success, and the commit status anchor/shop', async () => {
    const commit = sha('live');
    const id = await push(commit);
    await build();
    expect(await reporter.drain(5_000)).toBe(true);

    const [deployment, ...others] = github.deployments('acme', 'shop');
    expect(others).toEqual([]);
    expect(deployment).toMatchObject({
      ref: commit,
      sha: commit,
      environment: 'shop/production',
      auto_merge: false,
      required_contexts: [],
      production_environment: true,
      transient_environment: false,
      payload: { anchor_deployment: id },
    });
    const logUrl = `${PLATFORM}/projects/shop/deployments/${id}`;
    expect(deployment?.statuses.map(({ state, log_url, environment_url, description }) => ({ state, log_url, environment_url, description }))).toEqual([
      { state: 'queued', log_url: logUrl, environment_url: '', description: 'Queued' },
      { state: 'in_progress', log_url: logUrl, environment_url: '', description: 'Building' },
      { state: 'success', log_url: logUrl, environment_url: SITE, description: 'Live' },
    ]);
    expect(github.commitStatuses('acme', 'shop').map(({ sha: s, state, context, target_url, description }) => ({ s, state, context, target_url, description }))).toEqual([
      { s: commit, state: 'pending', context: 'anchor/shop', target_url: logUrl, description: 'Queued' },
      { s: commit, state: 'pending', context: 'anchor/shop', target_url: logUrl, description: 'Building' },
      { s: commit, state: 'success', context: 'anchor/shop', target_url: SITE, description: 'Live' },
    ]);
    // Every call used the project's own token; nothing else was asked of GitHub.
    expect(github.requests.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`)).toEqual([
      'GET /repos/acme/shop/deployments',
      'POST /repos/acme/shop/deployments',
      `POST /repos/acme/shop/deployments/${deployment?.id}/statuses`,
      `POST /repos/acme/shop/statuses/${commit}`,
      `POST /repos/acme/shop/deployments/${deployment?.id}/statuses`,
      `POST /repos/acme/shop/statuses/${commit}`,
      `POST /repos/acme/shop/deployments/${deployment?.id}/statuses`,
      `POST /repos/acme/shop/statuses/${commit}`,
    ]);
  });

  it('a failed build: failure with the reason on the Deployment and the commit', async () => {
    const commit = sha('broken');
    await push(commit);
    await build((b) => b.fail('npm run build failed (exit 1): Module not found: ./missing'));
    await reporter.drain(5_000);

    const [deployment] = github.deployments('acme', 'shop');
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'failure']);
    expect(deployment?.statuses.at(-1)?.description).toBe('Failed: npm run build failed (exit 1): Module not found: ./missing');
    expect(github.commitStatuses('acme', 'shop').at(-1)).toMatchObject({ sha: commit, state: 'failure', context: 'anchor/shop' });
  });

  it('a rollback makes the earlier Deployment successful again, and GitHub marks the newer one inactive', async () => {
    const first = await push(sha('one'));
    await build();
    const second = await push(sha('two'));
    await build();
    await reporter.drain(5_000);

    await rollback(pipeline, { project: 'shop', to: first });
    await reporter.drain(5_000);

    // (The two pushes' reports run side by side: either may have reached GitHub first.)
    const of = (id: string) => github.deployments('acme', 'shop').find((d) => (d.payload as { anchor_deployment?: string }).anchor_deployment === id);
    const [one, two] = [of(first), of(second)];
    expect(github.deployments('acme', 'shop')).toHaveLength(2);
    expect(one?.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'success', 'inactive', 'success']);
    expect(two?.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'success', 'inactive']);
  });

  it('reports nothing for a project without a token', async () => {
    await ports.repoTokens.remove(project);
    await push(sha('quiet'));
    await build();
    await reporter.drain(5_000);

    expect(github.requests).toEqual([]);
  });

  it('GitHub answering 500: the deploy goes live all the same; each call is retried, then a warning in the log', async () => {
    github.trouble = 500;
    const id = await push(sha('trouble'));
    await build();

    expect((await ports.deployments.get(id))?.state).toBe('live');
    await reporter.drain(10_000);
    const texts = ports.logs.texts(id);
    expect(texts.filter((t) => t.startsWith('⚠ GitHub was not told'))).toEqual(
      expect.arrayContaining([expect.stringContaining('the deployment status "queued": GitHub answered 500'), expect.stringContaining('the deployment status "success"'), expect.stringContaining('the commit status "success"')]),
    );
    // Three tries per call: the first call of each report (list deployments) and the commit status.
    const listing = github.requests.filter((r) => r.method === 'GET');
    expect(listing.length % 3).toBe(0);
    expect(listing.length).toBeGreaterThanOrEqual(3);
    expect(texts.join('\n')).not.toContain(PROJECT_TOKEN);
  });

  it('GitHub not answering at all: the deploy is live before the reports give up', async () => {
    wire(300);
    github.trouble = 'hang';
    const started = Date.now();
    const id = await push(sha('hang'));
    await build();
    const deployMs = Date.now() - started;

    expect((await ports.deployments.get(id))?.state).toBe('live');
    // One report alone (3 tries of 300 ms, waits of 20 and 40 ms) takes longer than the whole deploy did.
    expect(deployMs).toBeLessThan(900);
    expect(await reporter.drain(0)).toBe(false);
    expect(await reporter.drain(20_000)).toBe(true);
    expect(ports.logs.texts(id)).toEqual(expect.arrayContaining([expect.stringMatching(/^⚠ GitHub was not told the deployment status "queued": GitHub did not answer within 0.3 s/)]));
  });
});
