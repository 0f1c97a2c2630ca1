import { describe, expect, it } from 'vitest';
import { CodeBuildBuilder } from '../../src/adapters/aws/codebuild-builder.js';
import type { AnchorError } from '../../src/core/errors.js';
import { requestDeploy } from '../../src/core/use-cases/request-deploy.js';
import { setProjectBuildSize } from '../../src/core/use-cases/projects.js';
import { runBuildJob } from '../../src/core/use-cases/run-build.js';
import { parseBuildSize } from '../../src/core/project.js';
import { fakeCodeBuild } from '../fakes/fake-codebuild.js';
import { memoryPlatform, receiveJob, sha } from '../unit/core/memory-platform.js';
import { mockSsm } from './sdk-mocks.js';

/** A project's build size (issue #11 item 13) reaches CodeBuild as the build's compute type. */
describe('build size per project on CodeBuild', () => {
  async function buildOf(size: 'small' | 'medium' | 'large' | null) {
    const p = await memoryPlatform();
    const ssm = mockSsm();
    const codebuild = fakeCodeBuild({ projects: ['anchor-dev-build'], parameters: ssm.parameters });
    const builder = new CodeBuildBuilder({ codebuild: codebuild.client, ssm: ssm.client, stage: 'dev', buildProject: 'anchor-dev-build', logGroup: '/anchor/dev/builds', artifactLocation: () => 's3://a/b' });
    if (size) await setProjectBuildSize(p.ports, { name: 'shop', buildSize: size });
    await requestDeploy(p.ports, { project: 'shop', ref: sha('one') });
    expect(await runBuildJob({ ...p.ports, builder }, await receiveJob(p))).toBe('started');
    const [build] = codebuild.builds.values();
    codebuild.mock.restore();
    ssm.mock.restore();
    return build;
  }

  it('runs a project set to large on BUILD_GENERAL1_LARGE, medium on MEDIUM; one without a size on the build project’s own', async () => {
    expect((await buildOf('large'))?.computeType).toBe('BUILD_GENERAL1_LARGE');
    expect((await buildOf('medium'))?.computeType).toBe('BUILD_GENERAL1_MEDIUM');
    expect((await buildOf(null))?.computeType).toBe('BUILD_GENERAL1_SMALL');
  });

  it('refuses a size it does not know, naming the ones it does', () => {
    let error: AnchorError | null = null;
    try {
      parseBuildSize('huge');
    } catch (e) {
      error = e as AnchorError;
    }
    expect(error).toMatchObject({ code: 'BUILD_SIZE_INVALID', kind: 'usage' });
    expect(error?.hint).toContain('small (4 GB), medium (8 GB) or large (16 GB)');
  });
});
