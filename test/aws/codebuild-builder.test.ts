import { CodeBuildClient, InvalidInputException, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { CloudWatchBuildLogs } from '../../src/adapters/aws/cloudwatch-build-logs.js';
import { CodeBuildBuilder } from '../../src/adapters/aws/codebuild-builder.js';
import { TEST_CREDENTIALS, TEST_REGION } from './emulators.js';
import { mockCloudWatchLogs, mockSsm } from './sdk-mocks.js';

function builder() {
  const codebuild = new CodeBuildClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const cb = mockClient(codebuild);
  cb.on(StartBuildCommand).resolves({ build: { id: 'anchor-dev-build:5f0c2a9e-1b2c-4d3e-8f90-123456789abc' } });
  const ssm = mockSsm();
  const b = new CodeBuildBuilder({ codebuild, ssm: ssm.client, stage: 'dev', buildProject: 'anchor-dev-build', logGroup: '/anchor/dev/builds', artifactLocation: (project, id) => `s3://anchor-dev-artifacts/builds/${project}/${id}/open-next.zip`, cacheLocation: (project) => `anchor-dev-artifacts/build-cache/${project}` });
  return { b, cb, ssm };
}

const request = {
  deploymentId: 'd_01J9',
  projectName: 'shop',
  repoUrl: 'https://github.com/acme/shop.git',
  ref: 'refs/heads/main',
  commitSha: 'f00dfeed',
  root: 'apps/web',
  env: { NEXT_PUBLIC_API: 'https://api.example.com', DB_PASSWORD: 'hunter2-very-secret', EMPTY_SECRET: '' },
  secretKeys: ['DB_PASSWORD', 'EMPTY_SECRET'],
  onLine: () => {},
};

describe('CodeBuildBuilder', () => {
  it('passes plain values as PLAINTEXT and secrets only as PARAMETER_STORE references written to SSM first', async () => {
    const { b, cb, ssm } = builder();

    const started = await b.start(request);

    expect(started).toEqual({ buildId: 'anchor-dev-build:5f0c2a9e-1b2c-4d3e-8f90-123456789abc' });
    const input = cb.commandCalls(StartBuildCommand)[0]?.args[0].input;
    expect(JSON.stringify(input)).not.toContain('hunter2-very-secret');
    expect(input?.environmentVariablesOverride).toEqual([
      { name: 'NEXT_PUBLIC_API', value: 'https://api.example.com', type: 'PLAINTEXT' },
      { name: 'DB_PASSWORD', value: '/anchor/dev/shop/env/DB_PASSWORD', type: 'PARAMETER_STORE' },
      { name: 'EMPTY_SECRET', value: '', type: 'PLAINTEXT' },
      { name: 'ANCHOR_REPO_URL', value: 'https://github.com/acme/shop.git', type: 'PLAINTEXT' },
      { name: 'ANCHOR_REF', value: 'refs/heads/main', type: 'PLAINTEXT' },
      { name: 'ANCHOR_COMMIT', value: 'f00dfeed', type: 'PLAINTEXT' },
      { name: 'ANCHOR_ROOT', value: 'apps/web', type: 'PLAINTEXT' },
      { name: 'ANCHOR_PROJECT', value: 'shop', type: 'PLAINTEXT' },
      { name: 'ANCHOR_DEPLOYMENT_ID', value: 'd_01J9', type: 'PLAINTEXT' },
    ]);
    expect(input).toMatchObject({
      projectName: 'anchor-dev-build',
      serviceRoleOverride: 'anchor-dev-shop-build',
      // The project's own CodeBuild cache, never another project's.
      cacheOverride: { type: 'S3', location: 'anchor-dev-artifacts/build-cache/shop' },
      logsConfigOverride: { cloudWatchLogs: { status: 'ENABLED', groupName: '/anchor/dev/builds', streamName: 'd_01J9' } },
    });
    expect(ssm.parameters.get('/anchor/dev/shop/env/DB_PASSWORD')).toEqual({ value: 'hunter2-very-secret', type: 'SecureString' });
  });

  it('hands a private repository\'s token to CodeBuild by its SSM name only, and nothing when the project has none', async () => {
    const { b, cb } = builder();

    await b.start({ ...request, repoToken: 'ghp_ProjectToken000000000000000000000000' });
    await b.start({ ...request, deploymentId: 'd_01JA', repoToken: null });

    const [withToken, without] = cb.commandCalls(StartBuildCommand).map((call) => call.args[0].input);
    expect(JSON.stringify(withToken)).not.toContain('ghp_ProjectToken');
    expect(withToken?.environmentVariablesOverride).toContainEqual({ name: 'ANCHOR_GIT_TOKEN', value: '/anchor/dev/shop/github-token', type: 'PARAMETER_STORE' });
    expect(without?.environmentVariablesOverride?.map((v) => v.name)).not.toContain('ANCHOR_GIT_TOKEN');
  });

  it('stops a build, and treats stopping a finished build as done', async () => {
    const { b, cb } = builder();
    cb.on(StopBuildCommand).rejectsOnce(new InvalidInputException({ message: 'Build already completed', $metadata: {} })).resolves({});

    await b.stop('anchor-dev-build:old');
    await b.stop('anchor-dev-build:running');

    expect(cb.commandCalls(StopBuildCommand).map((c) => c.args[0].input.id)).toEqual(['anchor-dev-build:old', 'anchor-dev-build:running']);
  });
});

describe('CloudWatchBuildLogs with a CodeBuild stream', () => {
  it('reads anchor\'s lines and the build\'s own stream as one log, in time order', async () => {
    const { client, mock, streams } = mockCloudWatchLogs(3);
    const logs = new CloudWatchBuildLogs({ logs: client, group: '/anchor/dev/builds' });
    await logs.append('d_1', ['▸ Build started.'], '2025-01-01T00:00:00.000Z');
    // CodeBuild writes raw lines (with their newline) to <streamName>/<build uuid>.
    streams.set('/anchor/dev/builds\0d_1/5f0c2a9e', [
      { timestamp: Date.parse('2025-01-01T00:00:05.000Z'), message: '$ npm ci\n' },
      { timestamp: Date.parse('2025-01-01T00:00:20.000Z'), message: 'added 312 packages\n' },
    ]);
    await logs.append('d_1', ['✔ Built f00dfee.', ''], '2025-01-01T00:01:00.000Z');

    expect(await logs.read('d_1', { after: 0 })).toEqual([
      { n: 1, at: '2025-01-01T00:00:00.000Z', text: '▸ Build started.' },
      { n: 2, at: '2025-01-01T00:00:05.000Z', text: '$ npm ci' },
      { n: 3, at: '2025-01-01T00:00:20.000Z', text: 'added 312 packages' },
      { n: 4, at: '2025-01-01T00:01:00.000Z', text: '✔ Built f00dfee.' },
      { n: 5, at: '2025-01-01T00:01:00.000Z', text: '' },
    ]);
    expect(mock.commandCalls(PutLogEventsCommand)).toHaveLength(2);
  });
});
