import { z } from 'zod';
import type { Deployment } from '../deployment.js';
import { isCommitSha, isValidRefName } from '../git-names.js';
import type { Ports } from '../ports/index.js';
import type { Project } from '../project.js';
import { verifySignature } from '../webhook-signature.js';
import { enqueueDeployment } from './request-deploy.js';

export type WebhookDeps = Pick<Ports, 'projects' | 'deployments' | 'deliveries' | 'queue' | 'secrets' | 'logs' | 'clock' | 'ids'>;

export interface WebhookRequest {
  projectId: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The exact bytes GitHub sent: the signature is over these. */
  body: Uint8Array;
}

export interface WebhookResponse {
  status: 200 | 202 | 400 | 401 | 404 | 503;
  body: { message: string; deploymentId?: string };
}

// The ref and the commits reach git: a ref git would read as an option, or a "commit" that is
// not a commit id, is refused here, before anything is created.
const commitSha = z.string().refine(isCommitSha, 'a commit id is 40 or 64 lower-case hex digits');
const pushPayload = z.object({
  ref: z.string().refine((ref) => isValidRefName(ref) && !ref.startsWith('-'), 'not a git ref name'),
  after: commitSha,
  before: commitSha.optional(),
  deleted: z.boolean().optional(),
  head_commit: z.object({ id: z.string(), message: z.string() }).nullable().optional(),
  pusher: z.object({ name: z.string() }).partial().optional(),
  repository: z.object({ full_name: z.string(), clone_url: z.string().optional() }).optional(),
});
type PushPayload = z.infer<typeof pushPayload>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * DESIGN.md pipeline step 1. GitHub never retries a delivery, so a push is either durably queued
 * before the 202, or the answer is an error GitHub shows (and a person can redeliver).
 */
export async function receiveWebhook(deps: WebhookDeps, request: WebhookRequest): Promise<WebhookResponse> {
  const project = await deps.projects.getById(request.projectId);
  if (!project) return { status: 404, body: { message: `No project with id ${request.projectId} on this platform.` } };

  const secrets = [await deps.secrets.open(project.webhookSecret)];
  if (project.previousWebhookSecret) secrets.push(await deps.secrets.open(project.previousWebhookSecret));
  if (!verifySignature(secrets, request.body, request.headers['x-hub-signature-256'])) {
    return { status: 401, body: { message: 'Missing or wrong X-Hub-Signature-256: check the webhook secret (anchor projects show shows it).' } };
  }

  const event = request.headers['x-github-event'];
  if (event === 'ping') return { status: 200, body: { message: 'pong' } };
  if (event !== 'push') return { status: 202, body: { message: `Ignored: anchor deploys on push events, not ${event ?? 'unnamed'} events.` } };

  const deliveryId = request.headers['x-github-delivery'];
  if (!deliveryId) return { status: 400, body: { message: 'Missing X-GitHub-Delivery header.' } };

  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(request.body));
  } catch {
    return { status: 400, body: { message: 'The body is not valid JSON (the webhook content type must be application/json).' } };
  }
  const parsed = pushPayload.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'body'))].join(', ');
    return { status: 400, body: { message: `The body is not a GitHub push payload: ${fields} ${fields.includes(',') ? 'are' : 'is'} missing or malformed (ref must be a git ref, after and before full commit ids).` } };
  }
  const push = parsed.data;
  const otherRepository = repositoryMismatch(project, push);
  if (otherRepository) return { status: 400, body: { message: otherRepository } };

  if (await deps.deliveries.seen(deliveryId)) return { status: 200, body: { message: `Delivery ${deliveryId} was received before; nothing new was queued.` } };
  if (push.ref !== `refs/heads/${project.branch}`) return { status: 202, body: { message: `Ignored: ${push.ref} is not ${project.name}'s branch (${project.branch}).` } };
  if (push.deleted === true || /^0+$/.test(push.after)) return { status: 202, body: { message: `Ignored: ${push.ref} was deleted.` } };

  let deployment: Deployment;
  try {
    deployment = await enqueueDeployment(deps, project, {
      ref: project.branch,
      commitSha: push.after,
      commitMessage: push.head_commit?.message ?? null,
      trigger: { kind: 'push', deliveryId, pusher: push.pusher?.name ?? null },
      firstLine: `Push ${push.after.slice(0, 7)} to ${project.branch}${push.pusher?.name ? ` by ${push.pusher.name}` : ''} received (delivery ${deliveryId}).`,
    });
  } catch {
    // Not recorded as seen: a redelivery from GitHub's UI will be accepted.
    return { status: 503, body: { message: 'The push could not be queued; redeliver it from GitHub (Settings → Webhooks → Recent Deliveries).' } };
  }
  const now = deps.clock.now().toISOString();
  if (!(await deps.deliveries.record({ deliveryId, projectId: project.id, deploymentId: deployment.id, at: now }))) {
    // The same delivery raced in twice; the other copy won.
    await deps.deployments.transition(deployment.id, ['queued'], 'cancelled', now, { reason: `Duplicate of delivery ${deliveryId}.` });
    return { status: 200, body: { message: `Delivery ${deliveryId} was received before; nothing new was queued.` } };
  }
  return { status: 202, body: { message: `Queued deployment ${deployment.id} of ${push.after.slice(0, 7)}.`, deploymentId: deployment.id } };
}

/**
 * A project whose repository is on GitHub builds only pushes to that repository: a push that names
 * another one (a webhook secret reused across repositories, a hook copied to a fork) is refused.
 * GitHub compares owner and repository names without regard to case.
 */
function repositoryMismatch(project: Project, push: PushPayload): string | null {
  if (project.repo.kind !== 'github') return null;
  const expected = `${project.repo.owner}/${project.repo.name}`.toLowerCase();
  const named = push.repository?.full_name.toLowerCase();
  const cloneUrl = push.repository?.clone_url?.toLowerCase();
  if (named === expected && (cloneUrl === undefined || cloneUrl === project.repo.url.toLowerCase())) return null;
  return `This push is for ${push.repository ? push.repository.full_name : 'no repository'}, not ${project.name}'s repository ${project.repo.owner}/${project.repo.name}: nothing was built. If the repository was renamed or moved, add the project again with its new --repo.`;
}
