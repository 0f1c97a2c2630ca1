import { createHmac, randomUUID } from 'node:crypto';
import type { Deployment } from '../../../src/core/deployment.js';
import type { ReceivedJob } from '../../../src/core/ports/index.js';
import type { Project } from '../../../src/core/project.js';
import { addProject } from '../../../src/core/use-cases/projects.js';
import type { WebhookRequest } from '../../../src/core/use-cases/receive-webhook.js';
import { requestDeploy } from '../../../src/core/use-cases/request-deploy.js';
import { runBuildJob, type JobOutcome } from '../../../src/core/use-cases/run-build.js';
import { memoryPorts, type MemoryPorts } from '../../fakes/memory/memory-ports.js';
import type { ScriptedBuild } from '../../fakes/memory/scripted-builder.js';

/** A platform in memory with one project, `shop` on branch main, as `anchor projects add` leaves it. */
export interface MemoryPlatform {
  ports: MemoryPorts;
  project: Project;
  /** The webhook secret GitHub signs with. */
  webhookSecret: string;
}

export async function memoryPlatform(name = 'shop'): Promise<MemoryPlatform> {
  const ports = memoryPorts();
  const { project, webhook } = await addProject({ ...ports, repoHooks: null }, { name, repo: { kind: 'git', url: `https://git.example.com/${name}.git` }, branch: 'main', root: '', webhookBaseUrl: 'http://anchor.test' });
  return { ports, project, webhookSecret: webhook.secret };
}

/** A 40-hex commit sha, different for each label. */
export function sha(label: string): string {
  return createHmac('sha1', 'commit').update(label).digest('hex');
}

/** A push to `ref` delivered as GitHub sends it: signed over the exact bytes. */
export function signedPush(p: MemoryPlatform, payload: Record<string, unknown>, headers: Record<string, string> = {}): WebhookRequest {
  const body = Buffer.from(JSON.stringify(payload));
  return {
    projectId: p.project.id,
    body,
    headers: {
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', p.webhookSecret).update(body).digest('hex')}`,
      'content-type': 'application/json',
      ...headers,
    },
  };
}

export function pushPayload(commit: string, ref = 'refs/heads/main'): Record<string, unknown> {
  return { ref, after: commit, deleted: false, head_commit: { id: commit, message: `Commit ${commit.slice(0, 7)}` }, pusher: { name: 'octocat' } };
}

/** Takes the next job off the queue. */
export async function receiveJob(p: MemoryPlatform): Promise<ReceivedJob> {
  const [received] = await p.ports.queue.receive({ visibilityMs: 60_000, max: 1 });
  if (!received) throw new Error('the queue is empty');
  return received;
}

/**
 * Runs a job as the build worker does, with its build played by `play` once it starts (a sound
 * output by default), and acks it. Returns what the job came to.
 */
export async function runJob(p: MemoryPlatform, received: ReceivedJob, play: (build: ScriptedBuild) => void = (build) => build.succeed()): Promise<JobOutcome> {
  const outcome = runBuildJob(p.ports, received);
  const build = await Promise.race([p.ports.builder.started(received.job.deploymentId), outcome.then(() => null)]);
  if (build) play(build);
  const result = await outcome;
  await p.ports.queue.ack(received.receipt);
  return result;
}

/** `anchor deploy shop --ref <commit>` built and deployed to its end; returns the deployment as it ended. */
export async function deploy(p: MemoryPlatform, commit: string, play?: (build: ScriptedBuild) => void): Promise<Deployment> {
  const queued = await requestDeploy(p.ports, { project: p.project.name, ref: commit });
  p.ports.clock.advance(1_000);
  await runJob(p, await receiveJob(p), play);
  p.ports.clock.advance(1_000);
  return (await p.ports.deployments.get(queued.id)) as Deployment;
}

/** What the project's visitors get now: the deployment whose functions and assets answer. */
export function liveSite(p: MemoryPlatform): { functions: string | null; assets: string | null } {
  const functions = p.ports.functions.serving(p.project.name);
  const logo = p.ports.staticHost.served(p.project.name, 'logo.txt');
  return { functions, assets: logo === null ? null : logo.replace(/^logo of /, '') };
}
