import { randomUUID } from 'node:crypto';
import { BatchGetBuildsCommand, CodeBuildClient, InvalidInputException, ListBuildsForProjectCommand, ResourceNotFoundException, StartBuildCommand, StopBuildCommand, type Build, type ComputeType, type EnvironmentVariable } from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { TEST_CREDENTIALS, TEST_REGION } from '../aws/emulators.js';

export type FakeBuildStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'TIMED_OUT';

export interface FakeBuild {
  id: string;
  projectName: string;
  status: FakeBuildStatus;
  /** The build container's variables: PLAINTEXT values as given, PARAMETER_STORE ones read from SSM. */
  env: Record<string, string>;
  /** The variables as StartBuild gave them (a PARAMETER_STORE one names its parameter), as BatchGetBuilds shows them. */
  given: EnvironmentVariable[];
  /** The compute type it runs on: the project's, or StartBuild's computeTypeOverride. */
  computeType: string;
  /** What the buildspec exported (`exported-variables`), once it ended. */
  exported: Record<string, string>;
  phases: Array<{ 'phase-type': string; 'phase-status': string; 'phase-context': string[] }>;
}

/**
 * CodeBuild's build lifecycle behind aws-sdk-client-mock: StartBuild makes an IN_PROGRESS build
 * whose variables are resolved as CodeBuild does (a PARAMETER_STORE variable is read from the
 * SSM parameters given, and a missing one fails the build at provisioning); a repeated
 * idempotency token gives the same build back for 5 minutes; StopBuild stops a running build and answers
 * InvalidInputException for one that has ended (what CodeBuildBuilder relies on);
 * BatchGetBuilds describes builds as CodeBuild does (unknown ids in buildsNotFound), and
 * ListBuildsForProject lists a project's build ids newest first, 100 a page. A test ends a build
 * with `finish`, as the buildspec's outcome, or with `timeOut` (the project's timeout passed).
 */
/** The on-demand compute types of CodeBuild's ARM containers (the platform's build image). */
const ARM_COMPUTE_TYPES = ['BUILD_GENERAL1_SMALL', 'BUILD_GENERAL1_MEDIUM', 'BUILD_GENERAL1_LARGE', 'BUILD_GENERAL1_XLARGE', 'BUILD_GENERAL1_2XLARGE'];

/** CodeBuild honours an idempotency token for 5 minutes; a StartBuild after that starts another build. */
const TOKEN_VALID_MS = 5 * 60_000;

export function fakeCodeBuild(options: { projects: string[]; parameters: ReadonlyMap<string, { value: string }>; now?: () => number }) {
  const now = options.now ?? Date.now;
  const client = new CodeBuildClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const mock = mockClient(client);
  const builds = new Map<string, FakeBuild>();
  const byToken = new Map<string, { build: FakeBuild; request: string; at: number }>();

  mock.on(StartBuildCommand).callsFake((input: { projectName?: string; idempotencyToken?: string; computeTypeOverride?: string; environmentVariablesOverride?: EnvironmentVariable[] }) => {
    if (!input.projectName || !options.projects.includes(input.projectName)) {
      throw new ResourceNotFoundException({ message: `Project cannot be found: ${input.projectName}`, $metadata: {} });
    }
    if (input.computeTypeOverride !== undefined && !ARM_COMPUTE_TYPES.includes(input.computeTypeOverride)) {
      throw new InvalidInputException({ message: `Invalid compute type ${input.computeTypeOverride} for environment type ARM_CONTAINER`, $metadata: {} });
    }
    const request = JSON.stringify(input);
    const token = input.idempotencyToken ? byToken.get(input.idempotencyToken) : undefined;
    const repeated = token && now() - token.at < TOKEN_VALID_MS ? token : undefined;
    if (repeated && repeated.request !== request) throw new InvalidInputException({ message: 'Idempotency token was used with different parameters', $metadata: {} });
    if (repeated) return { build: { id: repeated.build.id, buildStatus: repeated.build.status } };
    const build: FakeBuild = { id: `${input.projectName}:${randomUUID()}`, projectName: input.projectName, status: 'IN_PROGRESS', computeType: input.computeTypeOverride ?? 'BUILD_GENERAL1_SMALL', env: {}, given: [...(input.environmentVariablesOverride ?? [])], exported: {}, phases: [] };
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
    if (input.idempotencyToken) byToken.set(input.idempotencyToken, { build, request, at: now() });
    return { build: { id: build.id, buildStatus: build.status } };
  });

  mock.on(StopBuildCommand).callsFake((input: { id?: string }) => {
    const build = builds.get(input.id ?? '');
    if (!build) throw new ResourceNotFoundException({ message: `Build not found: ${input.id}`, $metadata: {} });
    if (build.status !== 'IN_PROGRESS') throw new InvalidInputException({ message: 'Build already completed', $metadata: {} });
    build.status = 'STOPPED';
    return { build: { id: build.id, buildStatus: build.status } };
  });

  mock.on(BatchGetBuildsCommand).callsFake((input: { ids?: string[] }) => {
    if (!input.ids?.length || input.ids.length > 100) throw new InvalidInputException({ message: '1 validation error detected: Value at \'ids\' failed to satisfy constraint: Member must have length between 1 and 100', $metadata: {} });
    const found = input.ids.map((id) => builds.get(id)).filter((b): b is FakeBuild => b !== undefined);
    return { builds: found.map(described), buildsNotFound: input.ids.filter((id) => !builds.has(id)) };
  });

  mock.on(ListBuildsForProjectCommand).callsFake((input: { projectName?: string; sortOrder?: string; nextToken?: string }) => {
    if (!input.projectName || !options.projects.includes(input.projectName)) throw new ResourceNotFoundException({ message: `Project cannot be found: ${input.projectName}`, $metadata: {} });
    const ids = [...builds.values()].filter((b) => b.projectName === input.projectName).map((b) => b.id);
    if (input.sortOrder !== 'ASCENDING') ids.reverse();
    const start = Number(input.nextToken ?? '0');
    return { ids: ids.slice(start, start + 100), ...(ids.length > start + 100 ? { nextToken: String(start + 100) } : {}) };
  });

  /** The build's timeout passed while it ran: CodeBuild ends it TIMED_OUT in the phase it was in. */
  function timeOut(id: string, phase = 'BUILD'): void {
    const build = builds.get(id);
    if (!build || build.status !== 'IN_PROGRESS') return;
    build.status = 'TIMED_OUT';
    build.phases.push({ 'phase-type': phase, 'phase-status': 'TIMED_OUT', 'phase-context': ['BUILD_TIMED_OUT: Build has timed out. '] });
  }

  /** The buildspec ran to its end: SUCCEEDED with what it exported, or FAILED in a phase. */
  function finish(id: string, outcome: { status: 'SUCCEEDED'; exported: Record<string, string> } | { status: 'FAILED'; phase: string; context: string[] }): void {
    const build = builds.get(id);
    if (!build || build.status !== 'IN_PROGRESS') return;
    build.status = outcome.status;
    if (outcome.status === 'SUCCEEDED') build.exported = outcome.exported;
    else build.phases.push({ 'phase-type': outcome.phase, 'phase-status': 'FAILED', 'phase-context': outcome.context });
  }

  return { client, mock, builds, finish, timeOut };
}

/** A build as BatchGetBuilds returns it: phase contexts as {statusCode, message}, variables as given. */
function described(build: FakeBuild): Build {
  return {
    id: build.id,
    projectName: build.projectName,
    buildStatus: build.status,
    buildComplete: build.status !== 'IN_PROGRESS',
    environment: { type: 'ARM_CONTAINER', image: 'aws/codebuild/amazonlinux-aarch64-standard:3.0', computeType: build.computeType as ComputeType, environmentVariables: build.given.map((v) => ({ ...v })) },
    exportedEnvironmentVariables: Object.entries(build.exported).map(([name, value]) => ({ name, value })),
    phases: build.phases.map((p) => ({
      phaseType: p['phase-type'] as NonNullable<Build['phases']>[number]['phaseType'],
      phaseStatus: p['phase-status'] as NonNullable<Build['phases']>[number]['phaseStatus'],
      contexts: p['phase-context'].map((c) => ({ statusCode: c.split(': ')[0], message: c.slice(c.indexOf(': ') + 2) })),
    })),
  };
}
