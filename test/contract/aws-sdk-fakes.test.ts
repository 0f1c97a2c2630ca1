import { CodeBuildBuilder } from '../../src/adapters/aws/codebuild-builder.js';
import { LambdaFunctionHost } from '../../src/adapters/aws/lambda-function-host.js';
import { artifactKey, projectResourceName } from '../../src/adapters/aws/resource-names.js';
import { mockLambda, mockSsm } from '../aws/sdk-mocks.js';
import { fakeCodeBuild, type FakeBuild } from '../fakes/fake-codebuild.js';
import { describeBuilderContract, type BuildScript } from './builder.contract.js';
import { describeFunctionHostContract } from './function-host.contract.js';
import { eventually } from './samples.js';

/**
 * The contract suites against the aws adapters whose services have no emulator here: Lambda and
 * CodeBuild, each through a fake that keeps the service's state and rules (test/aws/sdk-mocks.ts,
 * test/fakes/fake-codebuild.ts). No emulator, no child process: these run in the fast project.
 */
const STAGE = 'dev';
const ARTIFACTS = 'anchor-dev-artifacts';

describeFunctionHostContract('LambdaFunctionHost', async () => {
  const names = ['shop', 'blog'].flatMap((project) => [projectResourceName(STAGE, project, 'server'), projectResourceName(STAGE, project, 'image')]);
  const lambda = mockLambda({ functions: names });
  const smokeStatus = new Map<string, number>();
  // A version's code is the zip its deployment's build uploaded: builds/<project>/<deploymentId>/server.zip.
  const deploymentOf = (fn: string, version: string) => /\/([^/]+)\/(?:server|image)\.zip$/.exec(lambda.functions.get(fn)?.versions.find((v) => v.Version === version)?.code ?? '')?.[1] ?? null;
  // A version's code answers the smoke request with its deployment's status, streamed as its URL would.
  lambda.fake.behaviour = (code) => ({ mode: 'stream', status: smokeStatus.get(/\/([^/]+)\/(?:server|image)\.zip$/.exec(code)?.[1] ?? '') ?? 200 });
  const aliased = (fn: string) => deploymentOf(fn, lambda.functions.get(fn)?.alias.FunctionVersion ?? '');
  return {
    host: new LambdaFunctionHost({ lambda: lambda.client, stage: STAGE, region: 'ap-southeast-1', cacheBucket: 'anchor-dev-cache', assetsBucket: 'anchor-dev-assets', artifactsBucket: 'anchor-dev-artifacts', buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['0123456789abcdef0123456789abcdef'], sleep: async () => {} }),
    artifact: async (project, deploymentId, options = {}) => {
      smokeStatus.set(deploymentId, options.smokeStatus ?? 200);
      return { deploymentId, location: `s3://${ARTIFACTS}/${artifactKey(project, deploymentId)}`, bytes: 1000 };
    },
    // Alias `live` of both functions: the same deployment, or a mismatch the suite would see.
    serving: async (project) => {
      const [server, image] = [aliased(projectResourceName(STAGE, project, 'server')), aliased(projectResourceName(STAGE, project, 'image'))];
      return server === image ? server : `server ${server}, image ${image}`;
    },
    envOf: async (version, name) => {
      const [, fn, number] = /^lambda:([^:]+):(\d+)$/.exec(version.serverUrl) ?? [];
      return lambda.functions.get(fn ?? '')?.versions.find((v) => v.Version === number)?.env[name];
    },
    cleanup: async () => void lambda.mock.restore(),
  };
});

/** The commit at the head of each branch of the fake repository. */
const HEADS: Record<BuildScript, string> = { succeeds: 'a1'.repeat(20), fails: 'b2'.repeat(20), 'runs-until-stopped': 'c3'.repeat(20) };

describeBuilderContract(
  'CodeBuildBuilder',
  async () => {
    const ssm = mockSsm();
    const codebuild = fakeCodeBuild({ projects: ['anchor-dev-build'], parameters: ssm.parameters });
    const uploads = new Map<string, Record<string, string>>();
    const builder = new CodeBuildBuilder({
      codebuild: codebuild.client,
      ssm: ssm.client,
      stage: STAGE,
      buildProject: 'anchor-dev-build',
      logGroup: '/anchor/dev/builds',
      artifactLocation: (project, deploymentId) => `s3://${ARTIFACTS}/${artifactKey(project, deploymentId)}`,
    });
    const location = (build: FakeBuild) => `s3://${ARTIFACTS}/${artifactKey(build.env['ANCHOR_PROJECT'] ?? '', build.env['ANCHOR_DEPLOYMENT_ID'] ?? '')}`;
    /** The buildspec's run of each script: what it uploads and exports, or where it fails. */
    const play = (build: FakeBuild) => {
      const script = build.env['ANCHOR_REF'] as BuildScript;
      if (script === 'succeeds') {
        uploads.set(location(build), { 'env.json': JSON.stringify({ MARKER: build.env['MARKER'], SECRET_TOKEN: build.env['SECRET_TOKEN'] }) });
        codebuild.finish(build.id, { status: 'SUCCEEDED', exported: { ANCHOR_COMMIT_SHA: HEADS.succeeds, ANCHOR_COMMIT_MESSAGE: 'A build that succeeds' } });
      }
      if (script === 'fails') codebuild.finish(build.id, { status: 'FAILED', phase: 'BUILD', context: ['COMMAND_EXECUTION_ERROR: Error while executing command: npm run build. Reason: exit status 1'] });
    };
    const buildOf = (buildId: string) => {
      const build = codebuild.builds.get(buildId);
      if (!build) throw new Error(`CodeBuild has no build ${buildId}`);
      return build;
    };
    return {
      builder,
      request: (script, input) => ({ ...input, projectName: 'shop', repoUrl: 'https://github.com/acme/shop.git', ref: script, commitSha: null, root: '' }),
      commitOf: (script) => HEADS[script],
      failureText: 'npm run build',
      end: async (started) => {
        const build = buildOf(started.buildId);
        play(build);
        await eventually(async () => (build.status === 'IN_PROGRESS' ? null : true));
        // What BatchGetBuilds says of it, as a reconciler or a retried job reads it (the deploy handler's tests cover the event).
        const status = await builder.status({ deploymentId: build.env['ANCHOR_DEPLOYMENT_ID'] ?? '', buildId: build.id });
        if (status.state !== 'ended') throw new Error(`CodeBuild says build ${build.id} is ${status.state}`);
        return status.end;
      },
      underWay: async () => {},
      running: async (buildId) => buildOf(buildId).status === 'IN_PROGRESS',
      readOutput: async (dir, path) => uploads.get(dir)?.[path] ?? null,
      cleanup: async () => {
        codebuild.mock.restore();
        ssm.mock.restore();
      },
    };
  },
  { inReach: false },
);
