import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CodeBuildBuilder } from '../../src/adapters/aws/codebuild-builder.js';
import { SqsDeployFailures } from '../../src/adapters/aws/sqs-deploy-failures.js';
import { createLocalPorts, type LocalPlatform } from '../../src/adapters/local/create-local-ports.js';
import type { Ports } from '../../src/core/ports/index.js';
import { addProject } from '../../src/core/use-cases/projects.js';
import { requestDeploy } from '../../src/core/use-cases/request-deploy.js';
import { makeOrchestratorHandler, type SqsEvent } from '../../infra/handlers/orchestrator.js';
import { makeReconcileHandler, type DeployFailureInbox } from '../../infra/handlers/reconcile.js';
import { BUILD_QUEUE_VISIBILITY_SECONDS } from '../../infra/stack/platform-storage.js';
import { mockSsm } from '../aws/sdk-mocks.js';
import { startFauxqs, sqsClient, type Emulator } from '../aws/emulators.js';
import { fakeCodeBuild } from '../fakes/fake-codebuild.js';
import { ManualClock } from '../fakes/memory/memory-system.js';

/**
 * Issue #11 item 10 on the real core over a real SQLite store, with the CodeBuild fake keeping
 * builds and their states (its idempotency token lasts 5 minutes, as CodeBuild's does): a retried
 * job never starts a second build, and the reconciler settles what a lost event or a dead
 * deploy invocation left.
 */
const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const BUILD_TIMEOUT_MS = BUILD_QUEUE_VISIBILITY_SECONDS * 1000;
let dir: string;
let local: LocalPlatform;
let clock: ManualClock;
let codebuild: ReturnType<typeof fakeCodeBuild>;
let ssm: ReturnType<typeof mockSsm>;
let ports: Ports;
let projectId: string;
const projectIds = new Map<string, string>();
const noFailures: DeployFailureInbox = { take: async () => [], done: async () => {} };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anchor-stuck-'));
  local = createLocalPorts({ dir, baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
  clock = new ManualClock(new Date().toISOString());
  ssm = mockSsm();
  codebuild = fakeCodeBuild({ projects: ['anchor-dev-build'], parameters: ssm.parameters, now: () => clock.now().getTime() });
  const builder = new CodeBuildBuilder({ codebuild: codebuild.client, ssm: ssm.client, stage: 'dev', buildProject: 'anchor-dev-build', logGroup: '/anchor/dev/builds', artifactLocation: () => openNextOutput() });
  ports = { ...local.ports, builder, clock };
  // Three projects, so their deployments do not wait for or supersede each other.
  for (const name of ['shop', 'blog', 'docs']) {
    const added = await addProject({ ...ports, repoHooks: null }, { name, repo: { kind: 'github', owner: 'acme', name, url: `https://github.com/acme/${name}.git` }, branch: 'main', root: '', webhookBaseUrl: 'https://x' });
    projectIds.set(name, added.project.id);
  }
  projectId = projectIds.get('shop')!;
});
afterEach(async () => {
  codebuild.mock.restore();
  ssm.mock.restore();
  await local.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A `.open-next/` the deployer accepts, where the build "uploaded" it. */
function openNextOutput(): string {
  const out = join(dir, 'uploaded', '.open-next');
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file), text);
  };
  write('server-functions/default/index.mjs', 'export const handler = async () => ({ statusCode: 200 });\n');
  write('image-optimization-function/index.mjs', 'export const handler = async () => ({ statusCode: 200 });\n');
  write('image-optimization-function/node_modules/sharp/package.json', '{"name":"sharp"}\n');
  write('assets/_next/static/chunks/app-1.js', 'console.log(1);\n');
  return out;
}

/** The build job as SQS hands it to the orchestrator on its `receiveCount`th delivery. */
async function deliver(deploymentId: string, receiveCount: number) {
  const deployment = await ports.deployments.get(deploymentId);
  const record = { messageId: randomUUID(), body: JSON.stringify({ deploymentId, projectId: deployment!.projectId }), attributes: { ApproximateReceiveCount: String(receiveCount) }, eventSourceARN: 'arn:aws:sqs:ap-southeast-1:123456789012:anchor-dev-builds' };
  return makeOrchestratorHandler(ports)({ Records: [record] } as SqsEvent);
}

async function building(project = 'shop'): Promise<string> {
  const { id } = await requestDeploy(ports, { project, ref: SHA });
  await deliver(id, 1);
  expect((await ports.deployments.get(id))?.state).toBe('building');
  return id;
}

const buildsOf = (deploymentId: string) => [...codebuild.builds.values()].filter((b) => b.env['ANCHOR_DEPLOYMENT_ID'] === deploymentId);

describe('a retried orchestrator job', () => {
  it('never starts a second CodeBuild build: a running one is left to run, an ended one (its event lost) is settled from BatchGetBuilds', async () => {
    const id = await building();
    const [first] = buildsOf(id);

    // SQS hands the job out again once its visibility (the build timeout) ran out: long past the idempotency token.
    clock.advance(BUILD_TIMEOUT_MS);
    expect(await deliver(id, 2)).toEqual({ batchItemFailures: [] });
    expect(buildsOf(id)).toHaveLength(1);
    expect(await ports.deployments.get(id)).toMatchObject({ state: 'building', buildId: first!.id });
    expect((await ports.logs.read(id, { after: 0 })).map((l) => l.text).join('\n')).toContain('the build started before is still running; not starting another');

    codebuild.finish(first!.id, { status: 'SUCCEEDED', exported: { ANCHOR_COMMIT_SHA: SHA, ANCHOR_COMMIT_MESSAGE: 'Fix the header' } });
    clock.advance(BUILD_TIMEOUT_MS);
    await deliver(id, 3);

    expect(buildsOf(id)).toHaveLength(1);
    expect(await ports.deployments.get(id)).toMatchObject({ state: 'live', commitMessage: 'Fix the header' });
  });

  it('finds the build a try started but never recorded (it died right after StartBuild) by its deployment', async () => {
    const { id } = await requestDeploy(ports, { project: 'shop', ref: SHA });
    // The dead try: building, its build started, its id never stored.
    await ports.deployments.transition(id, ['queued'], 'building', clock.now().toISOString());
    await ports.builder.start({ deploymentId: id, projectName: 'shop', repoUrl: 'https://github.com/acme/shop.git', ref: 'main', commitSha: SHA, root: '', env: {}, secretKeys: [], onLine: () => {} });
    clock.advance(BUILD_TIMEOUT_MS);

    await deliver(id, 2);

    expect(buildsOf(id)).toHaveLength(1);
    expect((await ports.deployments.get(id))?.buildId).toBe(buildsOf(id)[0]!.id);
  });
});

describe('the reconciler (every 10 minutes)', () => {
  const reconcile = (failures = noFailures) => makeReconcileHandler({ ...ports, logger: ports.logger }, { failures, stuckAfterMs: BUILD_TIMEOUT_MS })();

  it('settles a build whose end event was lost from CodeBuild’s record (failed, timed out); leaves one that still runs or is not yet past the timeout', async () => {
    const failed = await building();
    const timedOut = await building('blog');
    const running = await building('docs');
    codebuild.finish(buildsOf(failed)[0]!.id, { status: 'FAILED', phase: 'BUILD', context: ['COMMAND_EXECUTION_ERROR: Error while executing command: npm run build. Reason: exit status 1'] });
    codebuild.timeOut(buildsOf(timedOut)[0]!.id);

    // Before the build timeout nothing is stuck yet.
    expect((await reconcile()).settled).toEqual([]);
    clock.advance(BUILD_TIMEOUT_MS + 1);
    const { settled } = await reconcile();

    expect(settled).toEqual(expect.arrayContaining([{ deploymentId: failed, was: 'building', outcome: 'failed' }, { deploymentId: timedOut, was: 'building', outcome: 'failed' }, { deploymentId: running, was: 'building', outcome: 'still-building' }]));
    expect((await ports.deployments.get(failed))?.reason).toBe('The build failed in the build phase: COMMAND_EXECUTION_ERROR: Error while executing command: npm run build. Reason: exit status 1');
    expect((await ports.deployments.get(timedOut))?.reason).toBe('The build timed out in the build phase: BUILD_TIMED_OUT: Build has timed out.');
    expect((await ports.deployments.get(running))?.state).toBe('building');
    expect(codebuild.builds.size).toBe(3);
  });

  it('fails a deployment whose build was stopped with nothing taking it over (it would otherwise stay building for ever)', async () => {
    const id = await building();
    await ports.builder.stop(buildsOf(id)[0]!.id);
    clock.advance(BUILD_TIMEOUT_MS + 1);

    expect((await reconcile()).settled).toEqual([{ deploymentId: id, was: 'building', outcome: 'failed' }]);
    expect((await ports.deployments.get(id))?.reason).toBe('Its build was stopped and nothing took it over; deploy again.');
  });

  it('deploys a deployment left `built` (its deploy invocation died) from its stored output', async () => {
    const id = await building();
    await ports.artifacts.store({ projectName: 'shop', deploymentId: id }, { kind: 'directory', path: openNextOutput() });
    await ports.deployments.transition(id, ['building'], 'built', clock.now().toISOString(), { commitSha: SHA });
    clock.advance(BUILD_TIMEOUT_MS + 1);

    const { settled } = await reconcile();

    expect(settled).toEqual([{ deploymentId: id, was: 'built', outcome: 'live' }]);
    expect((await ports.deployments.getLive(projectId))?.deploymentId).toBe(id);
  });

  it('fails a deployment whose build never started, but only once its job’s last try would be over', async () => {
    const { id } = await requestDeploy(ports, { project: 'shop', ref: SHA });
    await ports.deployments.transition(id, ['queued'], 'building', clock.now().toISOString());
    clock.advance(BUILD_TIMEOUT_MS + 1);
    expect((await reconcile()).settled).toEqual([]);
    clock.advance(BUILD_TIMEOUT_MS * 3);

    await reconcile();

    expect(await ports.deployments.get(id)).toMatchObject({ state: 'failed', reason: expect.stringContaining('No build of it ever started') });
  });
});

describe('the deploy function’s OnFailure destination (SQS, fauxqs)', () => {
  let sqs: Emulator;
  beforeAll(async () => {
    sqs = await startFauxqs();
  });
  afterAll(async () => {
    await sqs.stop();
  });

  it('an end event the deploy function failed on three times ends its deployment failed with the reason; the record is gone after', async () => {
    const id = await building();
    const client = sqsClient(sqs.endpoint);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `anchor-dev-builds-failed-deploys-${randomUUID().slice(0, 8)}` }));
    // What Lambda sends to an OnFailure destination after the async retries (invocation record, version 1.0).
    const record = {
      version: '1.0',
      timestamp: clock.now().toISOString(),
      requestContext: { requestId: randomUUID(), functionArn: 'arn:aws:lambda:ap-southeast-1:123456789012:function:anchor-dev-deploy:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { version: '0', 'detail-type': 'CodeBuild Build State Change', source: 'aws.codebuild', detail: { 'build-status': 'SUCCEEDED', 'build-id': buildsOf(id)[0]!.id, 'additional-information': { environment: { 'environment-variables': [{ name: 'ANCHOR_DEPLOYMENT_ID', value: id, type: 'PLAINTEXT' }] } } } },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: 1 Error: Task timed out after 900.00 seconds' },
    };
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(record) }));
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'not a record' }));

    const result = await makeReconcileHandler(ports as Ports, { failures: new SqsDeployFailures({ sqs: client, queueUrl: QueueUrl! }), stuckAfterMs: BUILD_TIMEOUT_MS })();

    expect(result.failed).toEqual([id]);
    expect(await ports.deployments.get(id)).toMatchObject({
      state: 'failed',
      reason: 'The platform could not handle the end of its build (SUCCEEDED): it failed 3 times; last error: RequestId: 1 Error: Task timed out after 900.00 seconds.',
    });
    expect(buildsOf(id)[0]?.status).toBe('STOPPED');
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
