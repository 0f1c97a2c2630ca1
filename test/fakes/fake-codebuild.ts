import { randomUUID } from 'node:crypto';
import { CodeBuildClient, InvalidInputException, ResourceNotFoundException, StartBuildCommand, StopBuildCommand, type EnvironmentVariable } from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { TEST_CREDENTIALS, TEST_REGION } from '../aws/emulators.js';

export type FakeBuildStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface FakeBuild {
  id: string;
  projectName: string;
  status: FakeBuildStatus;
  /** The build container's variables: PLAINTEXT values as given, PARAMETER_STORE ones read from SSM. */
  env: Record<string, string>;
  /** What the buildspec exported (`exported-variables`), once it ended. */
  exported: Record<string, string>;
  phases: Array<{ 'phase-type': string; 'phase-status': string; 'phase-context': string[] }>;
}

/**
 * CodeBuild's build lifecycle behind aws-sdk-client-mock: StartBuild makes an IN_PROGRESS build
 * whose variables are resolved as CodeBuild does (a PARAMETER_STORE variable is read from the
 * SSM parameters given, and a missing one fails the build at provisioning); a repeated
 * idempotency token gives the same build back; StopBuild stops a running build and answers
 * InvalidInputException for one that has ended (what CodeBuildBuilder relies on); a test ends a
 * build with `finish`, as the buildspec's outcome.
 */
export function fakeCodeBuild(options: { projects: string[]; parameters: ReadonlyMap<string, { value: string }> }) {
  const client = new CodeBuildClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const mock = mockClient(client);
  const builds = new Map<string, FakeBuild>();
  const byToken = new Map<string, { build: FakeBuild; request: string }>();

  mock.on(StartBuildCommand).callsFake((input: { projectName?: string; idempotencyToken?: string; environmentVariablesOverride?: EnvironmentVariable[] }) => {
    if (!input.projectName || !options.projects.includes(input.projectName)) {
      throw new ResourceNotFoundException({ message: `Project cannot be found: ${input.projectName}`, $metadata: {} });
    }
    const request = JSON.stringify(input);
    const repeated = input.idempotencyToken ? byToken.get(input.idempotencyToken) : undefined;
    if (repeated && repeated.request !== request) throw new InvalidInputException({ message: 'Idempotency token was used with different parameters', $metadata: {} });
    if (repeated) return { build: { id: repeated.build.id, buildStatus: repeated.build.status } };
    const build: FakeBuild = { id: `${input.projectName}:${randomUUID()}`, projectName: input.projectName, status: 'IN_PROGRESS', env: {}, exported: {}, phases: [] };
    for (const variable of input.environmentVariablesOverride ?? []) {
      const value = variable.type === 'PARAMETER_STORE' ? options.parameters.get(variable.value ?? '')?.value : variable.value;
      if (value === undefined) {
        build.status = 'FAILED';
        build.phases.push({ 'phase-type': 'PROVISIONING', 'phase-status': 'CLIENT_ERROR', 'phase-context': [`Parameter does not exist: ${variable.value}`] });
        break;
      }
      build.env[variable.name ?? ''] = value;
    }
    builds.set(build.id, build);
    if (input.idempotencyToken) byToken.set(input.idempotencyToken, { build, request });
    return { build: { id: build.id, buildStatus: build.status } };
  });

  mock.on(StopBuildCommand).callsFake((input: { id?: string }) => {
    const build = builds.get(input.id ?? '');
    if (!build) throw new ResourceNotFoundException({ message: `Build not found: ${input.id}`, $metadata: {} });
    if (build.status !== 'IN_PROGRESS') throw new InvalidInputException({ message: 'Build already completed', $metadata: {} });
    build.status = 'STOPPED';
    return { build: { id: build.id, buildStatus: build.status } };
  });

  /** The buildspec ran to its end: SUCCEEDED with what it exported, or FAILED in a phase. */
  function finish(id: string, outcome: { status: 'SUCCEEDED'; exported: Record<string, string> } | { status: 'FAILED'; phase: string; context: string[] }): void {
    const build = builds.get(id);
    if (!build || build.status !== 'IN_PROGRESS') return;
    build.status = outcome.status;
    if (outcome.status === 'SUCCEEDED') build.exported = outcome.exported;
    else build.phases.push({ 'phase-type': outcome.phase, 'phase-status': 'FAILED', 'phase-context': outcome.context });
  }

  return { client, mock, builds, finish };
}
