import { z } from 'zod';
import type { Ports } from '../../src/core/ports/index.js';
import type { DeployDeps } from '../../src/core/use-cases/deploy.js';
import { finishBuild, type JobOutcome } from '../../src/core/use-cases/run-build.js';
import { buildCheckedOut } from '../../src/core/use-cases/supersede.js';
import { artifactLocation, codeBuildEnd, onAwsPorts } from './platform-ports.js';
import { BUILD_QUEUE_VISIBILITY_SECONDS } from '../stack/platform-storage.js';
import { makeReconcileHandler, scheduledEvent } from './reconcile.js';
import { answerRollback, parseRollbackRequest, type RollbackAnswer, type RollbackEvent } from '../../src/core/api/rollback-wire.js';
import { rollback, type RollbackDeps } from '../../src/core/use-cases/rollback.js';

const nameValue = z.object({ name: z.string(), value: z.string().nullish() });
const phase = z.object({ 'phase-type': z.string(), 'phase-status': z.string().optional(), 'phase-context': z.array(z.string()).nullish() });
/** The parts of EventBridge's "CodeBuild Build State Change" the deployer reads. */
const buildStateChange = z.object({
  'detail-type': z.literal('CodeBuild Build State Change'),
  detail: z.object({
    'build-status': z.string(),
    'build-id': z.string(),
    'project-name': z.string().optional(),
    'additional-information': z
      .object({
        environment: z.object({ 'environment-variables': z.array(nameValue).optional() }).partial().optional(),
        'exported-environment-variables': z.array(nameValue).optional(),
        phases: z.array(phase).optional(),
      })
      .partial()
      .optional(),
  }),
});

export type CodeBuildStateChangeEvent = z.input<typeof buildStateChange>;

/** "CodeBuild Build Phase Change": PRE_BUILD succeeding means the commit is checked out. */
const buildPhaseChange = z.object({
  'detail-type': z.literal('CodeBuild Build Phase Change'),
  detail: z.object({
    'completed-phase': z.string(),
    'completed-phase-status': z.string(),
    'build-id': z.string(),
    'additional-information': z.object({ environment: z.object({ 'environment-variables': z.array(nameValue).optional() }).partial().optional() }).partial().optional(),
  }),
});

export type CodeBuildPhaseChangeEvent = z.input<typeof buildPhaseChange>;

export interface DeployHandlerOptions {
  /** Where the build uploaded the deployment's output (the buildspec writes names.ts artifactKey). */
  artifactLocation(project: string, deploymentId: string): string;
}

/**
 * A CodeBuild build ended → core finishBuild with ok / failed and the reason. The deployment is
 * named by the build's own ANCHOR_DEPLOYMENT_ID override, the commit by what the buildspec
 * exported (ANCHOR_COMMIT_SHA, ANCHOR_COMMIT_MESSAGE). Throws on infrastructure errors, so
 * Lambda's asynchronous retry runs it again.
 */
export function makeDeployHandler(ports: DeployDeps & Pick<Ports, 'builder' | 'logger' | 'queue'>, options: DeployHandlerOptions): (event: CodeBuildStateChangeEvent | CodeBuildPhaseChangeEvent) => Promise<{ deploymentId: string | null; outcome: JobOutcome | 'checked-out' | 'ignored' }> {
  return async (raw) => {
    const phaseChange = buildPhaseChange.safeParse(raw);
    if (phaseChange.success) return checkedOut(ports, phaseChange.data.detail);
    const parsed = buildStateChange.safeParse(raw);
    if (!parsed.success) {
      ports.logger.warn('deploy: not a CodeBuild state change; ignored', { detailType: (raw as { 'detail-type'?: unknown })?.['detail-type'] });
      return { deploymentId: null, outcome: 'ignored' };
    }
    const { detail } = parsed.data;
    const info = detail['additional-information'] ?? {};
    const vars = toMap(info.environment?.['environment-variables']);
    const exported = toMap(info['exported-environment-variables']);
    const deploymentId = vars.get('ANCHOR_DEPLOYMENT_ID');
    const project = vars.get('ANCHOR_PROJECT');
    if (!deploymentId || !project) {
      ports.logger.warn('deploy: a build without ANCHOR_DEPLOYMENT_ID / ANCHOR_PROJECT; ignored', { buildId: detail['build-id'] });
      return { deploymentId: null, outcome: 'ignored' };
    }
    const end = codeBuildEnd({
      status: detail['build-status'],
      commitSha: exported.get('ANCHOR_COMMIT_SHA') || vars.get('ANCHOR_COMMIT') || null,
      commitMessage: exported.get('ANCHOR_COMMIT_MESSAGE') || null,
      artifactLocation: options.artifactLocation(project, deploymentId),
      phases: (info.phases ?? []).map((p) => ({ type: p['phase-type'], status: p['phase-status'], context: p['phase-context'] ?? [] })),
    });
    if (!end) return { deploymentId, outcome: 'ignored' };
    const outcome = await finishBuild(ports, deploymentId, end);
    ports.logger.info('deploy: build handled', { deploymentId, buildId: detail['build-id'], status: detail['build-status'], outcome });
    return { deploymentId, outcome };
  };
}

/** The build's pre_build phase (the git checkout) succeeded: older deployments of the project stop now. */
async function checkedOut(ports: DeployDeps & Pick<Ports, 'builder'>, detail: z.infer<typeof buildPhaseChange>['detail']): Promise<{ deploymentId: string | null; outcome: 'checked-out' | 'ignored' }> {
  const deploymentId = toMap(detail['additional-information']?.environment?.['environment-variables']).get('ANCHOR_DEPLOYMENT_ID');
  if (!deploymentId || detail['completed-phase'] !== 'PRE_BUILD' || detail['completed-phase-status'] !== 'SUCCEEDED') return { deploymentId: deploymentId ?? null, outcome: 'ignored' };
  await buildCheckedOut(ports, deploymentId);
  return { deploymentId, outcome: 'checked-out' };
}

function toMap(list: Array<z.infer<typeof nameValue>> | undefined): Map<string, string> {
  return new Map((list ?? []).map((v) => [v.name, v.value ?? '']));
}

/**
 * The API function's rollbacks (src/core/api/rollback-wire.ts), run here because only this role
 * may point aliases; null for any other event.
 */
export function makeRollbackHandler(ports: RollbackDeps): (event: unknown) => Promise<RollbackAnswer> | null {
  return (raw) => {
    const input = parseRollbackRequest(raw);
    return input ? answerRollback(() => rollback(ports, input)) : null;
  };
}

/**
 * The deploy function also runs the reconciler on its schedule (it has every right the reconciler
 * needs), and the API function's rollbacks (only this role may point aliases).
 */
export const handler = onAwsPorts((ports, env) => {
  const deploy = makeDeployHandler(ports, { artifactLocation: artifactLocation(env) });
  const reconcile = makeReconcileHandler(ports, { failures: env.deployFailures, stuckAfterMs: BUILD_QUEUE_VISIBILITY_SECONDS * 1000 });
  const rollbackRequest = makeRollbackHandler(ports);
  return async (event: CodeBuildStateChangeEvent | CodeBuildPhaseChangeEvent | RollbackEvent | { source: 'aws.events'; 'detail-type': 'Scheduled Event' }) => {
    if (scheduledEvent.safeParse(event).success) return reconcile();
    return rollbackRequest(event) ?? deploy(event as CodeBuildStateChangeEvent | CodeBuildPhaseChangeEvent);
  };
});
