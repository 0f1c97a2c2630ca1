import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../src/core/webhook-signature.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness;
beforeAll(async () => {
  platform = await new LocalPlatformHarness().start();
  // No worker: these tests look at what the receiver records, not at builds.
  await platform.server.worker.stop();
});
afterAll(async () => platform.stop());

const SHA = 'a'.repeat(40);
const count = async () => (await platform.server.ports.deployments.listByProject(platform.project.id, { limit: 1000 })).length;

describe('POST /webhook/:projectId', () => {
  it('verifies GitHub\'s published HMAC test vector', () => {
    expect(signPayload("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('ping answers 200 and queues nothing', async () => {
    const before = await count();
    const delivery = signedDelivery(platform.webhookSecret, { zen: 'Keep it logically awesome.', hook_id: 1 }, { event: 'ping' });
    const answer = await platform.post(`/webhook/${platform.project.id}`, delivery.body, delivery.headers);
    expect(answer.status).toBe(200);
    expect(await count()).toBe(before);
  });

  it('a push to the branch is queued (202) with the deployment id, durably before the answer', async () => {
    const answer = await platform.push(SHA);
    expect(answer.status).toBe(202);
    const deployment = await platform.server.ports.deployments.get(answer.json.deploymentId ?? '');
    expect(deployment).toMatchObject({ state: 'queued', commitSha: SHA, trigger: { kind: 'push', pusher: 'octocat' } });
  });

  it('a repeated X-GitHub-Delivery answers 200 and creates nothing', async () => {
    const first = await platform.push('b'.repeat(40), { deliveryId: 'same-delivery-id' });
    expect(first.status).toBe(202);
    const before = await count();
    const again = await platform.push('b'.repeat(40), { deliveryId: 'same-delivery-id' });
    expect(again.status).toBe(200);
    expect(again.json.message).toContain('received before');
    expect(await count()).toBe(before);
  });

  it('the same delivery racing in twice queues exactly one deployment', async () => {
    const delivery = signedDelivery(platform.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: 'c'.repeat(40) }), { deliveryId: 'racing-delivery' });
    const answers = await Promise.all(Array.from({ length: 5 }, () => platform.post(`/webhook/${platform.project.id}`, delivery.body, delivery.headers)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 202]);
    const deployments = await platform.server.ports.deployments.listByProject(platform.project.id, { limit: 1000 });
    expect(deployments.filter((d) => d.commitSha === 'c'.repeat(40) && d.state === 'queued')).toHaveLength(1);
  });

  it.each([
    ['another branch', { ref: 'refs/heads/feature', after: SHA }],
    ['a tag', { ref: 'refs/tags/v1.0.0', after: SHA }],
    ['a branch deletion', { ref: 'refs/heads/main', after: SHA, deleted: true }],
  ])('%s answers 202 and is ignored', async (_name, input) => {
    const before = await count();
    const delivery = signedDelivery(platform.webhookSecret, pushPayload(input));
    const answer = await platform.post(`/webhook/${platform.project.id}`, delivery.body, delivery.headers);
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body).message).toMatch(/^Ignored/);
    expect(await count()).toBe(before);
  });

  it('a bad, missing or other-secret signature is 401', async () => {
    const before = await count();
    const delivery = signedDelivery(platform.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: SHA }));
    const tampered = delivery.body.replace('octocat', 'mallory');
    expect((await platform.post(`/webhook/${platform.project.id}`, tampered, delivery.headers)).status).toBe(401);
    const { 'x-hub-signature-256': _, ...unsigned } = delivery.headers;
    expect((await platform.post(`/webhook/${platform.project.id}`, delivery.body, unsigned)).status).toBe(401);
    const other = signedDelivery('not-the-secret', pushPayload({ ref: 'refs/heads/main', after: SHA }));
    expect((await platform.post(`/webhook/${platform.project.id}`, other.body, other.headers)).status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('an unknown project is 404', async () => {
    const delivery = signedDelivery(platform.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: SHA }));
    expect((await platform.post('/webhook/p_doesnotexist', delivery.body, delivery.headers)).status).toBe(404);
  });

  it('malformed JSON (correctly signed) is 400', async () => {
    const body = '{"ref": "refs/heads/main", "after": ';
    const answer = await platform.post(`/webhook/${platform.project.id}`, body, { 'x-github-event': 'push', 'x-github-delivery': 'd-bad-json', 'x-hub-signature-256': signPayload(platform.webhookSecret, body), 'content-type': 'application/json' });
    expect(answer.status).toBe(400);
  });

  it('a body over 25 MiB is 413 without reading it all', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: platform.server.port, method: 'POST', path: `/webhook/${platform.project.id}`, headers: { 'content-length': String(26 * 1024 * 1024), 'x-github-event': 'push' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // Send only the first megabyte: the answer must come anyway.
      req.write(Buffer.alloc(1024 * 1024));
    });
    expect(status).toBe(413);
    // Chunked, with no length announced: refused once it crosses the limit.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: platform.server.port, method: 'POST', path: `/webhook/${platform.project.id}`, headers: { 'transfer-encoding': 'chunked', 'x-github-event': 'push' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => undefined);
      const chunk = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 27 && req.write(chunk)) sent++;
        if (sent < 27) req.once('drain', pump);
      };
      pump();
      setTimeout(() => reject(new Error('no answer')), 20_000);
    });
    expect(chunked).toBe(413);
  });

  it('100 pushes at once are each answered 202 and queued, and each log starts with its push once the burst is over', async () => {
    const shas = Array.from({ length: 100 }, (_, i) => `${i.toString(16).padStart(2, '0')}${'e'.repeat(38)}`);
    const answers = await Promise.all(shas.map((sha) => platform.push(sha)));
    expect(answers.map((a) => a.status)).toEqual(shas.map(() => 202));
    // The first lines are written after the burst (at most 250 ms after it began), not lost. None
    // is superseded yet: the newest replaces the others only once its build has checked out its
    // commit (these commits do not exist, so it never will; the worker is stopped here anyway).
    await new Promise((r) => setTimeout(r, 400));
    const deployments = await Promise.all(answers.map(async (answer) => platform.server.ports.deployments.get(answer.json.deploymentId ?? '')));
    expect(deployments.map((d) => d?.commitSha)).toEqual(shas);
    expect(deployments.map((d) => d?.state)).toEqual(shas.map(() => 'queued'));
    for (const [i, answer] of answers.entries()) {
      const lines = (await platform.server.ports.logs.read(answer.json.deploymentId ?? '', { after: 0 })).map((l) => l.text);
      expect(lines[0]).toContain(`Push ${shas[i]?.slice(0, 7)} to main`);
      expect(lines[1]).toMatch(/^Queued as d_/);
    }
  });

  it('a sender that hangs up halfway through the body queues nothing, and the next push is taken', async () => {
    const before = await count();
    const delivery = signedDelivery(platform.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: 'f'.repeat(40) }));
    await new Promise<void>((resolve, reject) => {
      const socket = connect(platform.server.port, '127.0.0.1', () => {
        const head = [`POST /webhook/${platform.project.id} HTTP/1.1`, 'host: 127.0.0.1', `content-length: ${Buffer.byteLength(delivery.body)}`, ...Object.entries(delivery.headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
        socket.write(`${head}\r\n\r\n${delivery.body.slice(0, 100)}`);
        setTimeout(() => socket.destroy(), 50);
      });
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await count()).toBe(before);
    expect((await platform.push('f'.repeat(40))).status).toBe(202);
  });

  it('fuzz: arbitrary bodies, headers and paths never get a 5xx or crash the server', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          body: fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b))),
          event: fc.oneof(fc.constant('push'), fc.constant('ping'), fc.string({ maxLength: 20 })),
          sign: fc.boolean(),
          delivery: fc.option(fc.string({ minLength: 1, maxLength: 60 }).filter((s) => /^[\x21-\x7e]+$/.test(s))),
          project: fc.oneof(fc.constant(platform.project.id), fc.string({ minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(s))),
        }),
        async (input) => {
          const headers: Record<string, string> = { 'x-github-event': input.event.replace(/[^\x21-\x7e]/g, '') || 'push', 'content-type': 'application/json' };
          if (input.delivery) headers['x-github-delivery'] = input.delivery;
          if (input.sign) headers['x-hub-signature-256'] = signPayload(platform.webhookSecret, input.body);
          const answer = await platform.post(`/webhook/${input.project}`, input.body, headers);
          expect(answer.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    // Still alive and still correct after the storm.
    expect((await platform.push('d'.repeat(40))).status).toBe(202);
  });
});
