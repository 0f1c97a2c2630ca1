import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAwsPorts, type AwsPlatform } from '../../src/adapters/aws/create-aws-ports.js';
import type { AnchorError } from '../../src/core/errors.js';
import { addProject } from '../../src/core/use-cases/projects.js';
import { parseEnvImport } from '../../src/core/env-import.js';
import { importEnv as importVars, listEnv, removeEnv, resolveEnv } from '../../src/core/use-cases/env.js';
import { rejectionOf } from '../contract/samples.js';
import { fakeCodeBuild } from '../fakes/fake-codebuild.js';
import { createPlatformTables, dynamoClient, startDynamoDbLocal, TEST_REGION, type Emulator } from './emulators.js';
import { mockSsm } from './sdk-mocks.js';

/**
 * `anchor env import` / `env rm` on the aws backend (issue #11 item 13): the env-vars table in
 * DynamoDB Local, sealed secrets and the build's secret parameters in the SSM fake, CodeBuild
 * through its stateful fake.
 */
let dynamo: Emulator;
let dynamoApi: DynamoDBClient;
let platform: AwsPlatform;
let ssm: ReturnType<typeof mockSsm>;
let codebuild: ReturnType<typeof fakeCodeBuild>;
let projectId: string;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  dynamoApi = dynamoClient(dynamo.endpoint);
});
afterAll(async () => {
  dynamoApi?.destroy();
  await dynamo?.stop();
});

beforeEach(async () => {
  const tables = await createPlatformTables(dynamoApi);
  ssm = mockSsm();
  codebuild = fakeCodeBuild({ projects: ['anchor-dev-build'], parameters: ssm.parameters });
  const outputs = { ProjectsTableName: tables.projects, DeploymentsTableName: tables.deployments, EnvVarsTableName: tables.envVars, DeliveriesTableName: tables.deliveries, ArtifactsBucketName: 'a', AssetsBucketName: 'b', CacheBucketName: 'c', BuildQueueUrl: 'https://sqs.invalid/q', BuildProjectName: 'anchor-dev-build', BuildLogGroupName: '/anchor/dev/builds' };
  platform = await createAwsPorts({ region: TEST_REGION, stage: 'dev', outputs, clients: { dynamodb: dynamoApi, ssm: ssm.client, codebuild: codebuild.client }, logStream: { write: () => true } });
  const added = await addProject({ ...platform.ports, repoHooks: null }, { name: 'shop', repo: { kind: 'github', owner: 'acme', name: 'shop', url: 'https://github.com/acme/shop.git' }, branch: 'main', root: '', webhookBaseUrl: 'https://x' });
  projectId = added.project.id;
});
afterEach(async () => {
  codebuild.mock.restore();
  ssm.mock.restore();
  await platform.close();
});

/** `anchor env import` as the command runs it: the file read first, then the variables set. */
async function importEnv(ports: AwsPlatform['ports'], input: { project: string; text: string; secret: boolean; targets: Array<'build' | 'runtime'>; source: string }) {
  return importVars(ports, { project: input.project, vars: parseEnvImport(input) });
}

/** A build of shop started as the orchestrator starts it: build secrets go to SSM under the project's path. */
async function startBuild(): Promise<void> {
  const env = await resolveEnv(platform.ports, projectId, 'build');
  await platform.ports.builder.start({ deploymentId: 'd_1', projectName: 'shop', repoUrl: 'https://github.com/acme/shop.git', ref: 'main', commitSha: null, root: '', env: env.values, secretKeys: env.secretKeys, onLine: () => {} });
}

describe('env import and env rm on aws', () => {
  it('imports a .env file as secrets (sealed in SSM, never shown by ls); a build gets them by reference; env rm of a secret removes its SSM parameter', async () => {
    const { imported } = await importEnv(platform.ports, { project: 'shop', text: 'API_KEY=sk_live_1\nDB_URL="postgres://u:p@db/shop"\n', secret: true, targets: ['build', 'runtime'], source: '.env' });
    expect(imported).toEqual(['API_KEY', 'DB_URL']);
    expect((await listEnv(platform.ports, { project: 'shop' })).map((v) => [v.key, v.value, v.secret])).toEqual([['API_KEY', null, true], ['DB_URL', null, true]]);
    // What DynamoDB holds is a reference to SSM, never the value.
    expect(JSON.stringify(await platform.ports.envVars.list(projectId))).not.toContain('sk_live_1');
    await startBuild();
    expect(ssm.parameters.get('/anchor/dev/shop/env/API_KEY')?.value).toBe('sk_live_1');
    expect([...codebuild.builds.values()][0]?.env['API_KEY']).toBe('sk_live_1');

    await removeEnv(platform.ports, { project: 'shop', key: 'API_KEY' });

    expect((await platform.ports.envVars.list(projectId)).map((v) => v.key)).toEqual(['DB_URL']);
    expect(ssm.parameters.has('/anchor/dev/shop/env/API_KEY')).toBe(false);
    expect(ssm.parameters.get('/anchor/dev/shop/env/DB_URL')?.value).toBe('postgres://u:p@db/shop');
  });

  it('an import with a bad line imports nothing and names the line; env rm of an unknown key says how to list them', async () => {
    await importEnv(platform.ports, { project: 'shop', text: 'KEEP=1\n', secret: false, targets: ['runtime'], source: '.env' });

    const bad = (await rejectionOf(importEnv(platform.ports, { project: 'shop', text: 'A=1\n2BAD=x\nB=2\n', secret: false, targets: ['runtime'], source: 'prod.env' }))) as AnchorError;
    expect(bad.code).toBe('ENV_IMPORT_INVALID');
    expect(bad.message).toContain('line 2');
    expect((await platform.ports.envVars.list(projectId)).map((v) => v.key)).toEqual(['KEEP']);

    const missing = (await rejectionOf(removeEnv(platform.ports, { project: 'shop', key: 'NOPE' }))) as AnchorError;
    expect(missing.code).toBe('ENV_NOT_FOUND');
    expect(missing.hint).toContain('anchor env ls shop');
  });
});
