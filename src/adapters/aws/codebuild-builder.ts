import { StartBuildCommand, StopBuildCommand, type CodeBuildClient, type EnvironmentVariable } from '@aws-sdk/client-codebuild';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GIT_TOKEN_VARIABLE } from '../../core/git-credentials.js';
import { githubTokenParameter, projectResourceName, secretParameterPath } from './resource-names.js';
import type { Builder, BuildRequest } from '../../core/ports/builder.js';

export interface CodeBuildBuilderOptions {
  codebuild: CodeBuildClient;
  ssm: SSMClient;
  stage: string;
  /** The platform's CodeBuild project (platform output BuildProjectName). */
  buildProject: string;
  /** The build log group: each build's stream is named `<deploymentId>/<build uuid>`, so the deployment's log finds it. */
  logGroup: string;
  /**
   * Which of a project's build variables are secrets. BuildRequest carries plaintext only; the
   * composition root answers from the env-vars table, so the Builder port needs no change.
   */
  secretKeys(projectName: string): Promise<ReadonlySet<string>>;
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
    const secrets = await this.options.secretKeys(request.projectName);
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
      if (error instanceof Error && error.name === 'InvalidInputException') return;
      throw error;
    }
  }

  /** CodeBuild's scratch space goes with its build container. */
  async cleanup(): Promise<void> {}
}
