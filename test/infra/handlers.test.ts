import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalPorts, type LocalPlatform } from '../../src/adapters/local/create-local-ports.js';
import type { Ports } from '../../src/core/ports/index.js';
import type { Project } from '../../src/core/project.js';
import { addProject } from '../../src/core/use-cases/projects.js';
import { bundleHandlers } from '../../infra/bundle-handlers.js';
import { makeDeployHandler, type CodeBuildPhaseChangeEvent, type CodeBuildStateChangeEvent } from '../../infra/handlers/deploy.js';
import { readHandlerEnv } from '../../infra/handlers/env.js';
import { makeOrchestratorHandler, type SqsEvent } from '../../infra/handlers/orchestrator.js';
import { makeWebhookHandler, type HttpApiEvent } from '../../infra/handlers/webhook.js';
import { HANDLER_ENV } from '../../infra/stack/platform-pipeline.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';
import { RecordingBuilder } from '../fakes/recording-builder.js';

const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
let dir: string;
let local: LocalPlatform;
let builder: RecordingBuilder;
let ports: Ports;
let project: Project;
let secret: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anchor-handlers-'));
  local = createLocalPorts({ dir, baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
  builder = new RecordingBuilder();
  ports = { ...local.ports, builder };
  const added = await addProject({ ...ports, repoHooks: null }, { name: 'shop', repo: { kind: 'github', owner: 'Codertocat', name: 'Hello-World', url: 'https://github.com/Codertocat/Hello-World.git' }, branch: 'main', root: '', webhookBaseUrl: 'https://abc.execute-api.ap-southeast-1.amazonaws.com' });
  project = added.project;
  secret = added.webhook.secret;
});
afterEach(async () => {
  await local.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What API Gateway (HTTP API, payload 2.0) hands the function for a GitHub delivery. */
function httpApiEvent(projectId: string, delivery: { headers: Record<string, string>; body: string }): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: 'POST /webhook/{projectId}',
    rawPath: `/webhook/${projectId}`,
    rawQueryString: '',
    headers: { ...delivery.headers, 'content-length': String(Buffer.byteLength(delivery.body)), host: 'abc.execute-api.ap-southeast-1.amazonaws.com', 'x-forwarded-proto': 'https' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc',
      domainName: 'abc.execute-api.ap-southeast-1.amazonaws.com',
      http: { method: 'POST', path: `/webhook/${projectId}`, protocol: 'HTTP/1.1', sourceIp: '140.82.115.1', userAgent: 'GitHub-Hookshot/abc1234' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'POST /webhook/{projectId}',
      stage: '$default',
      time: '10/Mar/2025:10:00:00 +0000',
      timeEpoch: 1741600800000,
    },
    pathParameters: { projectId },
    // API Gateway base64-encodes a JSON body it does not parse; the signature is over these bytes.
    body: Buffer.from(delivery.body, 'utf8').toString('base64'),
    isBase64Encoded: true,
  } as HttpApiEvent;
}

async function queuedDeployment(after = SHA): Promise<string> {
  const response = await makeWebhookHandler(ports)(httpApiEvent(project.id, signedDelivery(secret, pushPayload({ ref: 'refs/heads/main', after }))));
  expect(response.statusCode).toBe(202);
  return (JSON.parse(response.body) as { deploymentId: string }).deploymentId;
}

function sqsRecord(job: unknown, receiveCount = 1) {
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID()}`,
    body: JSON.stringify(job),
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '1741600800000', SenderId: 'AROAEXAMPLE:anchor-dev-webhook', ApproximateFirstReceiveTimestamp: '1741600800100' },
    messageAttributes: {},
    md5OfBody: 'ignored',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-southeast-1:123456789012:anchor-dev-builds',
    awsRegion: 'ap-southeast-1',
  };
}

function codeBuildEvent(status: 'SUCCEEDED' | 'FAILED', deploymentId: string, extra: { exported?: Record<string, string>; failedPhase?: { type: string; context: string[] } } = {}): CodeBuildStateChangeEvent {
  const buildId = `arn:aws:codebuild:ap-southeast-1:123456789012:build/anchor-dev-build:${randomUUID()}`;
  const phase = (type: string, phaseStatus = 'SUCCEEDED', context: string[] = []) => ({ 'phase-context': context, 'start-time': 'Mar 10, 2025 10:00:01 AM', 'end-time': 'Mar 10, 2025 10:00:02 AM', 'duration-in-seconds': 1, 'phase-type': type, 'phase-status': phaseStatus });
  const phases = ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'].map((type) =>
    extra.failedPhase?.type === type ? phase(type, 'FAILED', extra.failedPhase.context) : phase(type),
  );
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CodeBuild Build State Change',
    source: 'aws.codebuild',
    account: '123456789012',
    time: '2025-03-10T10:05:00Z',
    region: 'ap-southeast-1',
    resources: [buildId],
    detail: {
      'build-status': status,
      'project-name': 'anchor-dev-build',
      'build-id': buildId,
      'additional-information': {
        cache: { type: 'NO_CACHE' },
        'timeout-in-minutes': 30,
        'build-complete': true,
        initiator: 'anchor-dev-orchestrator',
        'build-start-time': 'Mar 10, 2025 10:00:00 AM',
        source: { type: 'NO_SOURCE', buildspec: '{}' },
        logs: { 'group-name': '/anchor/dev/builds', 'stream-name': buildId.split(':').pop(), 'deep-link': 'https://console.aws.amazon.com/cloudwatch/home' },
        environment: {
          image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0',
          'privileged-mode': false,
          'compute-type': 'BUILD_GENERAL1_SMALL',
          type: 'LINUX_CONTAINER',
          'environment-variables': [
            { name: 'ARTIFACTS_BUCKET', type: 'PLAINTEXT', value: 'anchor-dev-artifactsbucket-1x2y3z' },
            { name: 'ANCHOR_REPO_URL', type: 'PLAINTEXT', value: 'https://github.com/Codertocat/Hello-World.git' },
            { name: 'ANCHOR_REF', type: 'PLAINTEXT', value: 'main' },
            { name: 'ANCHOR_COMMIT', type: 'PLAINTEXT', value: SHA },
            { name: 'ANCHOR_ROOT', type: 'PLAINTEXT', value: '' },
            { name: 'ANCHOR_PROJECT', type: 'PLAINTEXT', value: 'shop' },
            { name: 'ANCHOR_DEPLOYMENT_ID', type: 'PLAINTEXT', value: deploymentId },
          ],
        },
        ...(extra.exported ? { 'exported-environment-variables': Object.entries(extra.exported).map(([name, value]) => ({ name, value })) } : {}),
        phases,
      },
      'current-phase': 'COMPLETED',
      'current-phase-context': '[]',
      version: '1',
    },
  } as unknown as CodeBuildStateChangeEvent;
}

/** CodeBuild's "Build Phase Change" event for one of anchor's builds. */
function codeBuildPhaseEvent(phase: string, status: string, deploymentId: string): CodeBuildPhaseChangeEvent {
  const state = codeBuildEvent('SUCCEEDED', deploymentId);
  return {
    ...state,
    'detail-type': 'CodeBuild Build Phase Change',
    detail: {
      'completed-phase': phase,
      'completed-phase-status': status,
      'completed-phase-context': '[]',
      'project-name': 'anchor-dev-build',
      'build-id': state.detail['build-id'],
      'additional-information': { environment: state.detail['additional-information']?.environment },
      version: '1',
    },
  } as CodeBuildPhaseChangeEvent;
}

/** A `.open-next/` the deployer accepts: a server function, the image function with sharp, one asset. */
function openNextOutput(): string {
  const out = join(dir, 'downloaded', '.open-next');
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

describe('webhook handler (API Gateway v2)', () => {
  it('a signed push (GitHub example payload, base64 body) queues a deployment: 202', async () => {
    const deploymentId = await queuedDeployment();
    const deployment = await ports.deployments.get(deploymentId);
    expect(deployment).toMatchObject({ state: 'queued', commitSha: SHA, projectId: project.id, trigger: { kind: 'push' } });
    const [received] = await local.queue.receive({ visibilityMs: 1000, max: 10 });
    expect(received?.job).toEqual({ deploymentId, projectId: project.id });
  });

  it('a wrong signature is 401 and queues nothing', async () => {
    const response = await makeWebhookHandler(ports)(httpApiEvent(project.id, signedDelivery('not-the-secret', pushPayload({ ref: 'refs/heads/main', after: SHA }))));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).message).toContain('X-Hub-Signature-256');
    expect(await ports.deployments.listByProject(project.id)).toEqual([]);
  });

  it('an unknown project is 404, a ping 200', async () => {
    expect((await makeWebhookHandler(ports)(httpApiEvent('p_nope', signedDelivery(secret, {})))).statusCode).toBe(404);
    expect((await makeWebhookHandler(ports)(httpApiEvent(project.id, signedDelivery(secret, { zen: 'Keep it simple.' }, { event: 'ping' })))).statusCode).toBe(200);
  });

  it('an AnchorError thrown below becomes the status of its kind, in one place', async () => {
    const failing = { ...ports, projects: { ...ports.projects, getById: async () => Promise.reject(new (await import('../../src/core/errors.js')).AnchorError({ code: 'THROTTLED', kind: 'external', message: 'DynamoDB throttled' })) } };
    const response = await makeWebhookHandler(failing)(httpApiEvent(project.id, signedDelivery(secret, pushPayload({ ref: 'refs/heads/main', after: SHA }))));
    expect(response).toMatchObject({ statusCode: 503 });
    expect(JSON.parse(response.body)).toMatchObject({ code: 'THROTTLED' });
  });
});

describe('orchestrator handler (SQS batch)', () => {
  it('starts each build; a record whose build cannot start is the only batch item failure', async () => {
    const ok = await queuedDeployment();
    // A second project, so the two deployments do not supersede each other.
    const other = await addProject({ ...ports, repoHooks: null }, { name: 'blog', repo: { kind: 'github', owner: 'Codertocat', name: 'Blog', url: 'https://github.com/Codertocat/Blog.git' }, branch: 'main', root: '', webhookBaseUrl: 'https://x' });
    const response = await makeWebhookHandler(ports)(httpApiEvent(other.project.id, signedDelivery(other.webhook.secret, pushPayload({ ref: 'refs/heads/main', after: 'a'.repeat(40), repository: 'Codertocat/Blog' }))));
    const failing = (JSON.parse(response.body) as { deploymentId: string }).deploymentId;
    builder.refuse(failing);

    const jobs = await local.queue.receive({ visibilityMs: 60_000, max: 10 });
    const records = jobs.map((j) => sqsRecord(j.job));
    const failingRecord = records.find((r) => JSON.parse(r.body).deploymentId === failing)!;
    const result = await makeOrchestratorHandler(ports)({ Records: records } as SqsEvent);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: failingRecord.messageId }]);
    expect(builder.started.map((s) => s.deploymentId)).toEqual([ok]);
    expect(builder.started[0]).toMatchObject({ projectName: 'shop', repoUrl: 'https://github.com/Codertocat/Hello-World.git', commitSha: SHA, ref: 'main' });
    expect(await ports.deployments.get(ok)).toMatchObject({ state: 'building', buildId: builder.started[0]!.buildId });
    expect((await ports.deployments.get(failing))?.state).toBe('building');
  });

  it('on the last try a failing job ends its deployment failed, with the error as the reason', async () => {
    const id = await queuedDeployment();
    builder.refuse(id, new Error('Account limit of concurrent builds reached'));
    const result = await makeOrchestratorHandler(ports)({ Records: [sqsRecord({ deploymentId: id, projectId: project.id }, 3)] } as SqsEvent);
    expect(result.batchItemFailures).toHaveLength(1);
    const deployment = await ports.deployments.get(id);
    expect(deployment?.state).toBe('failed');
    expect(deployment?.reason).toContain('Gave up after 3 tries; last error: Account limit of concurrent builds reached');
  });

  it('a message that is not a build job is dropped, not retried', async () => {
    const record = { ...sqsRecord({}), body: 'not json' };
    expect(await makeOrchestratorHandler(ports)({ Records: [record] } as SqsEvent)).toEqual({ batchItemFailures: [] });
  });
});

describe('deploy handler (EventBridge CodeBuild state change)', () => {
  async function building(after = SHA): Promise<string> {
    const id = await queuedDeployment(after);
    const [job] = await local.queue.receive({ visibilityMs: 60_000, max: 1 });
    await makeOrchestratorHandler(ports)({ Records: [sqsRecord(job!.job)] } as SqsEvent);
    expect((await ports.deployments.get(id))?.state).toBe('building');
    return id;
  }

  it('FAILED ends the deployment failed with CodeBuild’s reason for the failing phase', async () => {
    const id = await building();
    const handler = makeDeployHandler(ports, { artifactLocation: () => openNextOutput() });
    const result = await handler(codeBuildEvent('FAILED', id, { failedPhase: { type: 'BUILD', context: ['COMMAND_EXECUTION_ERROR: Error while executing command: npm ci. Reason: exit status 1'] } }));
    expect(result).toEqual({ deploymentId: id, outcome: 'failed' });
    const deployment = await ports.deployments.get(id);
    expect(deployment?.state).toBe('failed');
    expect(deployment?.reason).toBe('The build failed in the build phase: COMMAND_EXECUTION_ERROR: Error while executing command: npm ci. Reason: exit status 1');
    expect(builder.cleaned).toEqual([deployment?.buildId]);
  });

  it('SUCCEEDED stores the output, records the exported commit and deploys it live', async () => {
    const id = await building();
    const handler = makeDeployHandler(ports, { artifactLocation: () => openNextOutput() });
    const result = await handler(codeBuildEvent('SUCCEEDED', id, { exported: { ANCHOR_COMMIT_SHA: SHA, ANCHOR_COMMIT_MESSAGE: 'Fix the header' } }));
    expect(result).toEqual({ deploymentId: id, outcome: 'live' });
    expect(await ports.deployments.get(id)).toMatchObject({ state: 'live', commitSha: SHA, commitMessage: 'Fix the header' });
    expect((await ports.deployments.getLive(project.id))?.deploymentId).toBe(id);
  });

  it('a newer push stops an older build only once CodeBuild has checked its commit out (same core rule as locally)', async () => {
    const running = await building();
    const bogus = await building('b'.repeat(40));
    const handler = makeDeployHandler(ports, { artifactLocation: () => openNextOutput() });
    // The bogus push's build started; the running one goes on.
    expect((await ports.deployments.get(running))?.state).toBe('building');
    expect(builder.stopped).toEqual([]);
    // Its commit does not exist: it fails in pre_build, the git checkout, and replaces nothing.
    const failed = await handler(codeBuildEvent('FAILED', bogus, { failedPhase: { type: 'PRE_BUILD', context: ['COMMAND_EXECUTION_ERROR: Error while executing command: git fetch. Reason: exit status 128'] } }));
    expect(failed.outcome).toBe('failed');
    expect((await ports.deployments.get(running))?.state).toBe('building');
    expect(builder.stopped).toEqual([]);

    // A real push: once its pre_build succeeds, the older build is superseded and stopped.
    const real = await building('c'.repeat(40));
    expect(await handler(codeBuildPhaseEvent('PRE_BUILD', 'SUCCEEDED', real))).toEqual({ deploymentId: real, outcome: 'checked-out' });
    const older = await ports.deployments.get(running);
    expect(older).toMatchObject({ state: 'superseded', reason: `A newer deployment (${real}) replaced it.` });
    expect(builder.stopped).toEqual([older?.buildId]);
  });

  it('an event for a build anchor did not start is ignored', async () => {
    const event = codeBuildEvent('SUCCEEDED', 'd_x');
    event.detail['additional-information']!.environment!['environment-variables'] = [];
    expect(await makeDeployHandler(ports, { artifactLocation: () => '' })(event)).toEqual({ deploymentId: null, outcome: 'ignored' });
  });
});

describe('handler env', () => {
  it('reads exactly the HANDLER_ENV names the stack sets, as platform outputs', () => {
    const source = Object.fromEntries(Object.keys(HANDLER_ENV).map((k) => [k, `value-of-${k}`]));
    const env = readHandlerEnv({ ...source, ANCHOR_STAGE: 'dev', AWS_REGION: 'ap-southeast-1' });
    expect(env).toMatchObject({ region: 'ap-southeast-1', stage: 'dev', outputs: { ProjectsTableName: 'value-of-ANCHOR_PROJECTS_TABLE', BuildQueueUrl: 'value-of-ANCHOR_BUILD_QUEUE_URL' } });
    expect(() => readHandlerEnv({ AWS_REGION: 'ap-southeast-1' })).toThrow(/ANCHOR_PROJECTS_TABLE/);
  });
});

describe('the real bundles', () => {
  it('each zip loads in plain Node, exports handler, and a cold start without its env fails loudly', async () => {
    const out = join(dir, 'bundles');
    const bundles = await bundleHandlers(out);
    for (const bundle of bundles) {
      const unzipped = join(out, bundle.name);
      execFileSync('unzip', ['-q', bundle.zipPath, '-d', unzipped]);
      const script = `const m = await import(${JSON.stringify(join(unzipped, 'index.mjs'))}); let error = ''; try { await m.handler({}); } catch (e) { error = e.message; } process.stdout.write(JSON.stringify({ type: typeof m.handler, error }));`;
      const result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: unzipped, env: { PATH: process.env.PATH } }));
      expect(result.type).toBe('function');
      expect(result.error).toContain('anchor handler environment is incomplete');
    }
    // KeyValueStore requests are signed with SigV4A, whose signer registers itself on import:
    // the deploy handler writes the asset pointer, so its bundle must carry it.
    expect(bundles.find((b) => b.name === 'deploy')?.packages).toEqual(expect.arrayContaining(['@aws-sdk/signature-v4a', '@smithy/signature-v4a', '@aws-sdk/client-cloudfront-keyvaluestore']));
  }, 120_000);
});
