import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalPorts, type LocalPlatform } from '../../src/adapters/local/create-local-ports.js';
import { GroupedWebhookIntake } from '../../src/adapters/local/server/grouped-webhook-intake.js';
import { openDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import type { Project } from '../../src/core/project.js';
import { addProject } from '../../src/core/use-cases/projects.js';
import { receiveWebhook, type WebhookRequest } from '../../src/core/use-cases/receive-webhook.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';

let dir: string;
let local: LocalPlatform;
let project: Project;
let secret: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anchor-intake-'));
  local = createLocalPorts({ dir, baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
  const added = await addProject({ ...local.ports, repoHooks: null }, { name: 'shop', repo: { kind: 'path', url: '/srv/shop' }, branch: 'main', root: '', webhookBaseUrl: 'http://127.0.0.1' });
  project = added.project;
  secret = added.webhook.secret;
});
afterEach(async () => {
  await local.close();
  rmSync(dir, { recursive: true, force: true });
});

function push(i: number, deliveryId?: string): WebhookRequest {
  const delivery = signedDelivery(secret, pushPayload({ ref: 'refs/heads/main', after: `${String(i).padStart(4, '0')}${'a'.repeat(36)}` }), { deliveryId });
  return { projectId: project.id, headers: delivery.headers, body: Buffer.from(delivery.body) };
}

describe('GroupedWebhookIntake (local only)', () => {
  it('answers no delivery before another process can see it queued', async () => {
    const other = openDatabase(join(dir, 'anchor.db'));
    try {
      const intake = new GroupedWebhookIntake(local.db, (request) => receiveWebhook(local.ports, request));
      const requests = Array.from({ length: 40 }, (_, i) => push(i));
      const seenByOther = await Promise.all(
        requests.map(async (request) => {
          const answer = await intake.submit(request);
          // Read at the moment the answer arrives, on a connection of its own, as the CLI would.
          const job = other.prepare('SELECT count(*) FROM jobs WHERE deployment_id = ?').pluck().get(answer.body.deploymentId);
          const delivery = other.prepare('SELECT count(*) FROM deliveries WHERE delivery_id = ?').pluck().get(request.headers['x-github-delivery']);
          return { status: answer.status, job, delivery };
        }),
      );
      expect(seenByOther).toEqual(requests.map(() => ({ status: 202, job: 1, delivery: 1 })));
    } finally {
      other.close();
    }
  });

  it('one delivery twice in the same group queues it once', async () => {
    const intake = new GroupedWebhookIntake(local.db, (request) => receiveWebhook(local.ports, request));
    const answers = await Promise.all([intake.submit(push(1, 'twice')), intake.submit(push(1, 'twice')), intake.submit(push(2))]);
    expect(answers.map((a) => a.status)).toEqual([202, 200, 202]);
    expect(await local.ports.deployments.listByProject(project.id, { states: ['queued'] })).toHaveLength(2);
  });

  it('when the group cannot be committed, each delivery in it is answered 503, nothing is kept, and a redelivery is taken', async () => {
    const failing = new GroupedWebhookIntake(local.db, async (request) => {
      const answer = await receiveWebhook(local.ports, request);
      // A row that breaks a foreign key only at COMMIT: the disk-full of this test.
      local.db.pragma('defer_foreign_keys = ON');
      local.db.prepare("INSERT INTO live_pointers (project_id, deployment_id, sequence, highest_sequence, revision, at) VALUES (?, 'd_missing', 1, 1, 1, 'now') ON CONFLICT DO NOTHING").run(project.id);
      return answer;
    });
    const requests = [push(1), push(2), push(3)];
    const answers = await Promise.all(requests.map((r) => failing.submit(r)));
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(answers[0]?.body.message).toContain('redeliver');
    expect(local.db.inTransaction).toBe(false);
    expect(await local.ports.deployments.listByProject(project.id)).toEqual([]);
    expect(await local.ports.deliveries.seen(requests[0]?.headers['x-github-delivery'] ?? '')).toBe(false);

    const intake = new GroupedWebhookIntake(local.db, (request) => receiveWebhook(local.ports, request));
    expect((await intake.submit(requests[0] as WebhookRequest)).status).toBe(202);
  });
});
