import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { receiveWebhook } from '../../../src/core/use-cases/receive-webhook.js';
import { memoryPlatform, pushPayload, sha, signedPush, type MemoryPlatform } from './memory-platform.js';

async function queued(p: MemoryPlatform): Promise<string[]> {
  return (await p.ports.deployments.listByProject(p.project.id, { states: ['queued'] })).map((d) => d.id);
}

describe('receiving GitHub webhooks, on the fakes', () => {
  it('queues a signed push to the project\'s branch as a deployment and a build job before answering 202', async () => {
    const p = await memoryPlatform();
    const request = signedPush(p, pushPayload(sha('one')));

    const answer = await receiveWebhook(p.ports, request);

    expect(answer.status).toBe(202);
    const id = answer.body.deploymentId ?? '';
    expect(await p.ports.deployments.get(id)).toMatchObject({
      state: 'queued',
      commitSha: sha('one'),
      commitMessage: `Commit ${sha('one').slice(0, 7)}`,
      ref: 'main',
      trigger: { kind: 'push', deliveryId: request.headers['x-github-delivery'], pusher: 'octocat' },
    });
    expect(p.ports.queue.pending).toEqual([{ deploymentId: id, projectId: p.project.id }]);
    expect(p.ports.logs.texts(id)[0]).toBe(`Push ${sha('one').slice(0, 7)} to main by octocat received (delivery ${request.headers['x-github-delivery']}).`);
  });

  it('refuses a push with a missing or wrong signature, queueing nothing', async () => {
    const p = await memoryPlatform();
    const good = signedPush(p, pushPayload(sha('one')));
    const forged = { ...good, headers: { ...good.headers, 'x-hub-signature-256': `sha256=${createHmac('sha256', 'guessed').update(good.body).digest('hex')}` } };
    const unsigned = { ...good, headers: { ...good.headers, 'x-hub-signature-256': undefined } };
    const tampered = { ...good, body: Buffer.from(JSON.stringify(pushPayload(sha('evil')))) };

    for (const request of [forged, unsigned, tampered]) expect((await receiveWebhook(p.ports, request)).status).toBe(401);

    expect(await queued(p)).toEqual([]);
    expect(p.ports.queue.pending).toEqual([]);
    // Nothing was recorded as seen either: the genuine delivery still counts.
    expect((await receiveWebhook(p.ports, good)).status).toBe(202);
  });

  it('accepts the previous secret during a rotation', async () => {
    const p = await memoryPlatform();
    const rotated = { ...p.project, webhookSecret: await p.ports.secrets.seal('the-new-secret'), previousWebhookSecret: p.project.webhookSecret };
    await p.ports.projects.update(rotated);

    expect((await receiveWebhook(p.ports, signedPush(p, pushPayload(sha('old secret'))))).status).toBe(202);
    expect((await receiveWebhook(p.ports, signedPush({ ...p, webhookSecret: 'the-new-secret' }, pushPayload(sha('new secret'))))).status).toBe(202);
  });

  it('answers 404 for a project it does not have', async () => {
    const p = await memoryPlatform();
    expect((await receiveWebhook(p.ports, { ...signedPush(p, pushPayload(sha('one'))), projectId: 'p_nope' })).status).toBe(404);
  });

  it('answers a signed ping with pong, and ignores events other than push', async () => {
    const p = await memoryPlatform();

    expect(await receiveWebhook(p.ports, signedPush(p, { zen: 'Keep it logically awesome.' }, { 'x-github-event': 'ping' }))).toEqual({ status: 200, body: { message: 'pong' } });
    const issue = await receiveWebhook(p.ports, signedPush(p, { action: 'opened' }, { 'x-github-event': 'issues' }));

    expect(issue.status).toBe(202);
    expect(issue.body.message).toMatch(/^Ignored: anchor deploys on push events, not issues events/);
    expect(await queued(p)).toEqual([]);
  });

  it('ignores a push to another branch, and a deleted branch, queueing nothing', async () => {
    const p = await memoryPlatform();

    const other = await receiveWebhook(p.ports, signedPush(p, pushPayload(sha('feature'), 'refs/heads/feature')));
    const deleted = await receiveWebhook(p.ports, signedPush(p, { ...pushPayload('0'.repeat(40)), deleted: true }));

    expect(other).toMatchObject({ status: 202, body: { message: "Ignored: refs/heads/feature is not shop's branch (main)." } });
    expect(deleted).toMatchObject({ status: 202, body: { message: 'Ignored: refs/heads/main was deleted.' } });
    expect(await queued(p)).toEqual([]);
  });

  it('answers a redelivery 200 and queues nothing new', async () => {
    const p = await memoryPlatform();
    const request = signedPush(p, pushPayload(sha('one')));
    const first = await receiveWebhook(p.ports, request);

    const again = await receiveWebhook(p.ports, request);

    expect(again.status).toBe(200);
    expect(again.body.deploymentId).toBeUndefined();
    expect(await queued(p)).toEqual([first.body.deploymentId]);
  });

  it('two copies of one delivery at once queue one deployment', async () => {
    const p = await memoryPlatform();
    const request = signedPush(p, pushPayload(sha('one')));

    const answers = await Promise.all([receiveWebhook(p.ports, request), receiveWebhook(p.ports, request)]);

    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
    expect(await queued(p)).toHaveLength(1);
  });

  it('answers 400 to what is not a push delivery: no delivery id, not JSON, not a push payload', async () => {
    const p = await memoryPlatform();
    const good = signedPush(p, pushPayload(sha('one')));
    const signed = (body: Buffer) => ({ ...good, body, headers: { ...good.headers, 'x-hub-signature-256': `sha256=${createHmac('sha256', p.webhookSecret).update(body).digest('hex')}` } });

    expect((await receiveWebhook(p.ports, { ...good, headers: { ...good.headers, 'x-github-delivery': undefined } })).status).toBe(400);
    expect((await receiveWebhook(p.ports, signed(Buffer.from('ref=refs/heads/main')))).status).toBe(400);
    expect((await receiveWebhook(p.ports, signed(Buffer.from(JSON.stringify({ hello: 'world' }))))).status).toBe(400);
    expect(await queued(p)).toEqual([]);
  });

  it('answers 503 when the push cannot be queued, and accepts GitHub\'s redelivery once the queue is back', async () => {
    const p = await memoryPlatform();
    const request = signedPush(p, pushPayload(sha('one')));
    p.ports.queue.unavailable = new Error('SQS is unreachable');

    const refused = await receiveWebhook(p.ports, request);
    p.ports.queue.unavailable = null;
    const redelivered = await receiveWebhook(p.ports, request);

    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/redeliver it from GitHub/);
    expect(redelivered.status).toBe(202);
    expect(p.ports.queue.pending).toEqual([{ deploymentId: redelivered.body.deploymentId, projectId: p.project.id }]);
    const all = await p.ports.deployments.listByProject(p.project.id);
    expect(all.map((d) => d.state)).toEqual(['queued', 'failed']);
  });
});
