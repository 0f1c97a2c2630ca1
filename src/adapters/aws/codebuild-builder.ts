import { BatchGetBuildsCommand, ListBuildsForProjectCommand, StartBuildCommand, StopBuildCommand, type Build, type CodeBuildClient, type EnvironmentVariable } from '@aws-sdk/client-codebuild';
import { DeleteParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GIT_TOKEN_VARIABLE } from '../../core/git-credentials.js';
import { githubTokenParameter, projectResourceName, secretParameterPath } from './resource-names.js';
import type { Builder, BuildRequest, BuildStatus } from '../../core/ports/builder.js';
import { codeBuildEnd } from './codebuild-build-end.js';
import { awsErrorNamed } from './aws-errors.js';

/** A project's build size as CodeBuild's compute type (ARM: arm1.small, arm1.medium, arm1.large). */
export const COMPUTE_TYPES = { small: 'BUILD_GENERAL1_SMALL', medium: 'BUILD_GENERAL1_MEDIUM', large: 'BUILD_GENERAL1_LARGE' } as const;

export interface CodeBuildBuilderOptions {
  codebuild: CodeBuildClient;
  ssm: SSMClient;
  stage: string;
  /** The platform's CodeBuild project (platform output BuildProjectName). */
  buildProject: string;
  /** The build log group: each build's stream is named `<deploymentId>/<build uuid>`, so the deployment's log finds it. */
  logGroup: string;
  /** Where the buildspec uploads a deployment's output (s3://<artifacts>/<artifactKey>): an ended build's `status` names it. */
  artifactLocation(project: string, deploymentId: string): string;
  /**
   * The project's own CodeBuild cache, `<bucket>/<prefix>` (StartBuild's cacheOverride): each
   * project's builds restore and save only theirs. Without, builds use the CodeBuild project's.
   */
  cacheLocation?(project: string): string;
  /** Pass each project's own build role (project stack) as serviceRoleOverride (default true). */
  perProjectRole?: boolean;
}

/**
 * Builds in CodeBuild with the embedded buildspec (infra/stack/buildspec.ts). Plain build
 * variables go in as PLAINTEXT overrides. A secret never travels as a value: it is written to SSM
 * as a SecureString under /anchor/<stage>/<project>/env/<KEY> (the only path the project's build
 * role may read) and passed as a PARAMETER_STORE reference, which CodeBuild resolves and masks;
 * so is the project's GitHub token, for cloning a private repository.
 * The end of a build arrives as an EventBridge event at the deploy handler, so `start` returns no
 * `ended`; lines go to CloudWatch Logs, not through `onLine`.
 */
export class CodeBuildBuilder implements Builder {
  constructor(private readonly options: CodeBuildBuilderOptions) {}

  async start(request: BuildRequest): Promise<{ buildId: string }> {
    const secrets = new Set(request.secretKeys);
    const path = secretParameterPath(this.options.stage, request.projectName);
    const variables: EnvironmentVariable[] = [];
    for (const [name, value] of Object.entries(request.env)) {
      if (secrets.has(name)) {
        const parameter = `${path}${name}`;
        // SSM refuses an empty value; an empty secret is an empty plain value, which reveals nothing.
        if (value === '') {
          variables.push({ name, value: '', type: 'PLAINTEXT' });
          continue;
        }
        await this.options.ssm.send(new PutParameterCommand({ Name: parameter, Value: value, Type: 'SecureString', Overwrite: true, Tier: 'Intelligent-Tiering' }));
        variables.push({ name, value: parameter, type: 'PARAMETER_STORE' });
      } else {
        variables.push({ name, value, type: 'PLAINTEXT' });
      }
    }
    const overrides: Record<string, string> = {
      ANCHOR_REPO_URL: request.repoUrl,
      ANCHOR_REF: request.ref,
      ANCHOR_COMMIT: request.commitSha ?? '',
      ANCHOR_ROOT: request.root,
      ANCHOR_PROJECT: request.projectName,
      ANCHOR_DEPLOYMENT_ID: request.deploymentId,
    };
    for (const [name, value] of Object.entries(overrides)) variables.push({ name, value, type: 'PLAINTEXT' });
    // The project's GitHub token is in SSM already (SsmRepoTokens): CodeBuild reads it by name with
    // the project's build role, masks it in the log, and the buildspec drops it after the clone.
    if (request.repoToken) variables.push({ name: GIT_TOKEN_VARIABLE, value: githubTokenParameter(this.options.stage, request.projectName), type: 'PARAMETER_STORE' });
    const { build } = await this.options.codebuild.send(
      new StartBuildCommand({
        projectName: this.options.buildProject,
        environmentVariablesOverride: variables,
        ...(this.options.perProjectRole === false ? {} : { serviceRoleOverride: projectResourceName(this.options.stage, request.projectName, 'build') }),
        logsConfigOverride: { cloudWatchLogs: { status: 'ENABLED', groupName: this.options.logGroup, streamName: request.deploymentId } },
        ...(this.options.cacheLocation ? { cacheOverride: { type: 'S3', location: this.options.cacheLocation(request.projectName) } } : {}),
        ...(request.buildSize ? { computeTypeOverride: COMPUTE_TYPES[request.buildSize] } : {}),
        idempotencyToken: `${request.deploymentId}`.slice(0, 64),
      }),
    );
    if (!build?.id) throw new Error(`CodeBuild did not start a build for ${request.deploymentId}.`);
    return { buildId: build.id };
  }

  /** Stopping a build that already ended answers an error from CodeBuild; that is harmless here. */
  async stop(buildId: string): Promise<void> {
    try {
      await this.options.codebuild.send(new StopBuildCommand({ id: buildId }));
    } catch (error) {
      if (awsErrorNamed(error, 'InvalidInputException')) return;
      throw error;
    }
  }

  /**
   * BatchGetBuilds of the recorded build; with none recorded (the job died between StartBuild and
   * storing its id), the newest builds of the project (one ListBuildsForProject page, newest
   * first) are searched for the deployment's ANCHOR_DEPLOYMENT_ID.
   */
  async status(input: { deploymentId: string; buildId: string | null }): Promise<BuildStatus> {
    const build = input.buildId ? (await this.describe([input.buildId]))[0] : await this.findLatest(input.deploymentId);
    if (!build?.id) return { state: 'unknown' };
    if (build.buildStatus === 'IN_PROGRESS' || !build.buildStatus) return { state: 'running', buildId: build.id };
    const vars = new Map((build.environment?.environmentVariables ?? []).map((v) => [v.name ?? '', v.value ?? '']));
    const exported = new Map((build.exportedEnvironmentVariables ?? []).map((v) => [v.name ?? '', v.value ?? '']));
    const end = codeBuildEnd({
      status: build.buildStatus,
      commitSha: exported.get('ANCHOR_COMMIT_SHA') || vars.get('ANCHOR_COMMIT') || null,
      commitMessage: exported.get('ANCHOR_COMMIT_MESSAGE') || null,
      artifactLocation: this.options.artifactLocation(vars.get('ANCHOR_PROJECT') ?? '', input.deploymentId),
      phases: (build.phases ?? []).map((p) => ({ type: p.phaseType ?? '', status: p.phaseStatus, context: (p.contexts ?? []).map((c) => `${c.statusCode ?? ''}: ${c.message ?? ''}`) })),
    });
    return end ? { state: 'ended', buildId: build.id, end } : { state: 'running', buildId: build.id };
  }

  private async describe(ids: string[]): Promise<Build[]> {
    if (ids.length === 0) return [];
    const { builds } = await this.options.codebuild.send(new BatchGetBuildsCommand({ ids }));
    return builds ?? [];
  }

  private async findLatest(deploymentId: string): Promise<Build | undefined> {
    const { ids } = await this.options.codebuild.send(new ListBuildsForProjectCommand({ projectName: this.options.buildProject, sortOrder: 'DESCENDING' }));
    const builds = await this.describe((ids ?? []).slice(0, 100));
    return builds.find((b) => b.environment?.environmentVariables?.some((v) => v.name === 'ANCHOR_DEPLOYMENT_ID' && v.value === deploymentId));
  }

  async forgetSecret(projectName: string, key: string): Promise<void> {
    try {
      await this.options.ssm.send(new DeleteParameterCommand({ Name: `${secretParameterPath(this.options.stage, projectName)}${key}` }));
    } catch (error) {
      if (awsErrorNamed(error, 'ParameterNotFound')) return;
      throw error;
    }
  }

  /** CodeBuild's scratch space goes with its build container. */
  async cleanup(): Promise<void> {}
}
