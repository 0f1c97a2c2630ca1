import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { signPayload } from '../../src/core/webhook-signature.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;

/** GitHub's own published push example (from @octokit/webhooks-examples), retargeted. */
export function pushPayload(input: { ref: string; after: string; message?: string; deleted?: boolean; pusher?: string; repository?: string }): Record<string, unknown> {
  const base = examples.find((e) => e.name === 'push')?.examples.find((e) => !(e.deleted as boolean)) ?? {};
  const headCommit = { ...(base.head_commit as Record<string, unknown>), id: input.after, message: input.message ?? 'A change' };
  const repository = structuredClone(base.repository) as Record<string, unknown>;
  if (input.repository) {
    const [owner = '', name = ''] = input.repository.split('/');
    Object.assign(repository, { name, full_name: input.repository, html_url: `https://github.com/${input.repository}`, clone_url: `https://github.com/${input.repository}.git`, git_url: `git://github.com/${input.repository}.git`, ssh_url: `git@github.com:${input.repository}.git` });
    Object.assign(repository.owner as Record<string, unknown>, { name: owner, login: owner });
  }
  return {
    ...structuredClone(base),
    repository,
    ref: input.ref,
    after: input.deleted ? '0000000000000000000000000000000000000000' : input.after,
    deleted: input.deleted ?? false,
    head_commit: input.deleted ? null : headCommit,
    commits: input.deleted ? [] : [headCommit],
    pusher: { name: input.pusher ?? 'octocat', email: 'octocat@example.com' },
  };
}

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

/** A delivery as GitHub sends it: JSON body, event, delivery GUID and the HMAC of the exact bytes. */
export function signedDelivery(secret: string, payload: unknown, options: { event?: string; deliveryId?: string } = {}): Delivery {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/abc1234',
      'x-github-event': options.event ?? 'push',
      'x-github-delivery': options.deliveryId ?? randomUUID(),
      'x-github-hook-id': '123456',
      'x-hub-signature-256': signPayload(secret, body),
    },
  };
}
