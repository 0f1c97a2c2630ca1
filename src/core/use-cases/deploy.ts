import type { Deployment } from '../deployment.js';
import { errorMessage } from '../errors.js';
import { LogWriter } from '../log-writer.js';
import { FUNCTION_WRAPPER } from '../opennext-output.js';
import type { ArtifactInfo, FunctionVersion, Ports } from '../ports/index.js';
import { resolveEnv } from './env.js';
import { applyRetention } from './retention.js';

export type DeployDeps = Pick<Ports, 'projects' | 'deployments' | 'envVars' | 'secrets' | 'artifacts' | 'staticHost' | 'functions' | 'logs' | 'runtimeLogs' | 'clock'>;

/** Lambda's limit for an unzipped function bundle. */
export const SERVER_BUNDLE_LIMIT_BYTES = 250 * 1024 * 1024;

class DeployStepError extends Error {}

/**
 * DESIGN.md pipeline step 3: `built` → `deploying` → `live`. Every step before the flip can fail
 * without touching what is live; the flip is a compare-and-swap only a newer deployment can win.
 * Returns true when this deployment went live.
 */
export async function deployBuilt(deps: DeployDeps, deploymentId: string): Promise<boolean> {
  const start = await deps.deployments.get(deploymentId);
  if (!start) return false;
  const deployment = await deps.deployments.transition(deploymentId, ['built', 'deploying'], 'deploying', deps.clock.now().toISOString());
  if (!deployment) return false;
  const project = await deps.projects.getById(deployment.projectId);
  const runtime = await resolveEnv(deps, deployment.projectId, 'runtime');
  const log = new LogWriter(deps.logs, deps.clock, deploymentId, runtime.secretValues);
  let version: FunctionVersion | null = null;
  try {
    if (!project) throw new DeployStepError('Its project was removed.');
    const artifact = await step(deps.artifacts.get({ projectName: project.name, deploymentId }), 'The build output is missing');
    if (!artifact) throw new DeployStepError('The build output is no longer stored; deploy again to rebuild it.');
    await checkBundle(deps, artifact);
    // The env this deployment runs with is kept with it (secrets sealed), so a rollback brings it back.
    await deps.deployments.update(deploymentId, { runtimeEnv: runtime.snapshot });
    log.line('▸ Publishing static assets.');
    const stats = await step(deps.staticHost.publish(project.name, deploymentId, artifact), 'Publishing the static assets failed');
    log.line(`  ${stats.files} static files ready (${stats.uploaded} uploaded, ${stats.skipped} already stored).`);
    log.line('▸ Starting the server and image functions.');
    version = await step(deps.functions.publish({ projectName: project.name, deploymentId, artifact, env: runtime.values, secretValues: runtime.secretValues }), 'Starting the functions failed');
    log.line('▸ Smoke-testing the new version.');
    await step(deps.functions.smoke(version, project.name), 'The new version did not answer its smoke request');
    const flip = await flipLive(deps, deployment);
    if (!flip.ok) {
      await deps.functions.release(project.name, deploymentId).catch(() => undefined);
      await deps.deployments.transition(deploymentId, ['deploying'], 'superseded', deps.clock.now().toISOString(), { reason: flip.reason });
      await log.write(`⏭ Not made live: ${flip.reason}`);
      return false;
    }
    await deps.staticHost.activate(project.name, deploymentId);
    await deps.functions.activate(project.name, version, flip.revision);
    await log.write(`✔ Live: ${deploymentId} now serves ${project.name}.`);
    await applyRetention(deps, deployment.projectId).catch((error: unknown) => log.write(`! Cleaning up old deployments failed: ${errorMessage(error)}`));
    return true;
  } catch (error) {
    const reason = error instanceof DeployStepError ? error.message : `Deploying failed: ${errorMessage(error)}`;
    if (version && project) await deps.functions.release(project.name, deploymentId).catch(() => undefined);
    await deps.deployments.transition(deploymentId, ['deploying'], 'failed', deps.clock.now().toISOString(), { reason: `${reason} The live site was not changed.` });
    await log.write(`✖ ${reason} The live site was not changed.`);
    return false;
  }
}

async function step<T>(promise: Promise<T>, what: string): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new DeployStepError(`${what}: ${errorMessage(error).replace(/\.$/, '')}.`);
  }
}

async function checkBundle(deps: Pick<Ports, 'artifacts' | 'functions'>, artifact: ArtifactInfo): Promise<void> {
  const report = await step(deps.artifacts.inspect(artifact), 'The build output could not be read');
  if (!report.hasServerFunction) throw new DeployStepError('The build output has no server function (.open-next/server-functions/default): is this a Next.js app built by OpenNext?');
  if (report.serverBundleBytes > SERVER_BUNDLE_LIMIT_BYTES) {
    throw new DeployStepError(`The server bundle is ${(report.serverBundleBytes / 1024 / 1024).toFixed(0)} MB unzipped; Lambda allows 250 MB. Move large files out of the server bundle (serverExternalPackages, outputFileTracingExcludes in next.config).`);
  }
  if (!report.imageHasSharp) {
    throw new DeployStepError('The image function has no sharp: OpenNext could not install it during the build (it still exits 0 then). Check the build machine reaches the npm registry and build again.');
  }
  // Native code runs on one CPU only: a package built for another fails when the function loads it.
  const foreign = report.nativePackages.filter((p) => p.arch !== deps.functions.cpu);
  if (foreign.length > 0) {
    throw new DeployStepError(`The bundle holds native code for ${foreign[0]!.arch} but the functions run on ${deps.functions.cpu}: ${foreign.map((p) => p.path).join(', ')}. Build on a ${deps.functions.cpu} machine (or set ANCHOR_IMAGE_ARCH for sharp) and deploy again.`);
  }
  for (const kind of ['server', 'image'] as const) {
    const wrapper = report.wrappers[kind];
    if (wrapper !== undefined && wrapper !== FUNCTION_WRAPPER[kind]) {
      throw new DeployStepError(`The ${kind} function was built with OpenNext's "${wrapper}" wrapper; anchor serves it through a response-streaming URL, which needs "${FUNCTION_WRAPPER[kind]}". Set it in open-next.config.ts (or delete that file to use anchor's default) and push again.`);
    }
  }
}

/** The live compare-and-swap, retried while only the revision moved under us. */
async function flipLive(deps: Pick<Ports, 'deployments' | 'clock'>, deployment: Deployment): Promise<{ ok: true; revision: number } | { ok: false; reason: string }> {
  for (let tries = 0; tries < 5; tries++) {
    const live = await deps.deployments.getLive(deployment.projectId);
    const result = await deps.deployments.promote({ projectId: deployment.projectId, deploymentId: deployment.id, expectedRevision: live?.revision ?? null, onlyIfNewer: true, at: deps.clock.now().toISOString() });
    if (result.ok) return { ok: true, revision: result.pointer.revision };
    if (result.reason === 'not-newer') return { ok: false, reason: `a newer deployment (${result.current?.deploymentId ?? 'unknown'}) is already live.` };
    if (result.reason === 'state-changed') return { ok: false, reason: 'it was superseded or cancelled while deploying.' };
  }
  return { ok: false, reason: 'the live pointer kept changing; deploy again.' };
}
