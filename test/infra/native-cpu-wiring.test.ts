import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { buildImageArch, DEFAULT_BUILD_IMAGE } from '../../infra/stack/platform-pipeline.js';
import { PLATFORM_OUTPUTS, type PlatformOutputs } from '../../infra/stack/platform-template.js';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { createAwsPorts } from '../../src/adapters/aws/create-aws-ports.js';

/**
 * The last link of "function architecture ↔ build image ↔ native modules" (#11): the deploy
 * refuses a bundle whose native packages are for another CPU than `functions.cpu`
 * (core/use-cases/deploy.ts), so the function host the aws handlers get must say the CPU the
 * project template gives the functions, which is the one the default build image runs on.
 */
describe('native modules on aws', () => {
  it('the deploy judges native packages by the CPU the template gives the functions and the builds run on', async () => {
    const template = projectTemplate({ stage: 'dev', project: 'shop', platform: { artifactsBucket: 'a', assetsBucket: 'b', cacheBucket: 'c' } });
    const archOf = (id: string) => (template.Resources[id]!.Properties as { Architectures: string[] }).Architectures[0];
    const lambdaCpu = (arch: string | undefined) => (arch === 'x86_64' ? 'x64' : 'arm64');
    const lambda = new LambdaClient({ region: 'ap-southeast-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
    const aws = await createAwsPorts({ region: 'ap-southeast-1', stage: 'dev', outputs: Object.fromEntries(Object.keys(PLATFORM_OUTPUTS).map((key) => [key, `anchor-dev-${key}`])) as PlatformOutputs, clients: { lambda } });
    try {
      expect(aws.ports.functions.cpu).toBe(lambdaCpu(archOf('ServerFunction')));
      expect(aws.ports.functions.cpu).toBe(lambdaCpu(archOf('ImageFunction')));
      expect(aws.ports.functions.cpu).toBe(buildImageArch(DEFAULT_BUILD_IMAGE));
    } finally {
      await aws.close();
    }
  });
});
