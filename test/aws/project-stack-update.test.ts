import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployProjectStack } from '../../src/adapters/aws/provisioning/aws-platform-stacks.js';
import { CloudFormationStacks } from '../../src/adapters/aws/provisioning/cloudformation-stacks.js';
import { S3HandlerUploader } from '../../src/adapters/aws/provisioning/handler-uploader.js';
import { liveVersionParameters } from '../../src/adapters/aws/provisioning/lambda-live-versions.js';
import { ACCOUNT, FakeAwsControlPlane } from '../fakes/aws-control-plane.js';
import { FakeLambda } from '../fakes/aws-lambda.js';

const outputs = { ArtifactsBucketName: 'anchor-dev-artifacts', AssetsBucketName: 'anchor-dev-assets', CacheBucketName: 'anchor-dev-cache' };
const STACK = 'anchor-dev-project-shop';
let aws: FakeAwsControlPlane;
let lambda: FakeLambda | null;

beforeEach(() => {
  aws = new FakeAwsControlPlane();
  lambda = null;
});
afterEach(() => {
  aws.restore();
  lambda?.mock.restore();
});

async function deploy(): Promise<void> {
  const region = 'ap-southeast-1';
  const stacks = new CloudFormationStacks({ cloudFormation: new CloudFormationClient({ region }), pollMs: 0 });
  const uploader = new S3HandlerUploader({ s3: new S3Client({ region }), account: ACCOUNT, region });
  const client = lambda?.client;
  const liveVersions = client ? () => liveVersionParameters(client, 'dev', 'shop') : async () => ({});
  await deployProjectStack({ stacks, uploader, liveVersions, originSecret: async () => '0123456789abcdef0123456789abcdef' }, { stage: 'dev', project: 'shop', platformOutputs: outputs, progress: { step: () => {}, event: () => {} }, domains: { aliases: [], certificateArn: null } });
}

describe('a project stack update', () => {
  it('passes the version alias live points at now, so the update never moves the site back to the placeholder', async () => {
    await deploy();
    expect(aws.stacks.get(STACK)?.parameters['ServerLiveVersion'] ?? '').toBe('');
    // Deploys moved alias live with UpdateAlias, outside CloudFormation.
    lambda = new FakeLambda({ functions: ['anchor-dev-shop-server', 'anchor-dev-shop-image'] });
    lambda.functions.get('anchor-dev-shop-server')!.alias.FunctionVersion = '7';
    lambda.functions.get('anchor-dev-shop-image')!.alias.FunctionVersion = '4';

    await deploy();

    expect(aws.stacks.get(STACK)?.parameters).toMatchObject({ ServerLiveVersion: '7', ImageLiveVersion: '4' });
  });
});
