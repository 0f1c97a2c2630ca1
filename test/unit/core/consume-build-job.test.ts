import { describe, expect, it } from 'vitest';
import { consumeBuildJob, consumeDeadLetter } from '../../../src/core/use-cases/consume-build-job.js';
import { requestDeploy } from '../../../src/core/use-cases/request-deploy.js';
import { deploy, memoryPlatform, receiveJob, sha } from './memory-platform.js';

/** The one job consumer the local worker and the aws orchestrator share, on the in-memory fakes. */
describe('consumeBuildJob', () => {
  it('retries a job whose build cannot start, then gives up on the last try: failed with the last error', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('doomed') });
    const kinds: string[] = [];
    for (let attempt = 1; attempt <= p.ports.queue.maxAttempts; attempt++) {
      p.ports.builder.refuse(queued.id, new Error(`CodeBuild throttled (${attempt})`));
      const received = await receiveJob(p);
      expect(received.attempt).toBe(attempt);
      const consumed = await consumeBuildJob(p.ports, received);
      kinds.push(consumed.kind);
      if (consumed.kind !== 'done') await p.ports.queue.fail(received.receipt, consumed.error);
      if (attempt < p.ports.queue.maxAttempts) expect((await p.ports.deployments.get(queued.id))?.state).not.toBe('failed');
    }

    expect(kinds).toEqual(['retry', 'retry', 'gave-up']);
    expect(await p.ports.deployments.get(queued.id)).toMatchObject({ state: 'failed', reason: 'Gave up after 3 tries; last error: CodeBuild throttled (3).' });
    expect(p.ports.logs.texts(queued.id)).toEqual(
      expect.arrayContaining(['✖ The build could not start (try 1 of 3): CodeBuild throttled (1)', '✖ Gave up after 3 tries; last error: CodeBuild throttled (3).']),
    );
    expect(p.ports.logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([
      'build job failed; it will be retried',
      'build job failed; it will be retried',
      'build job failed on its last try; giving up',
    ]);
    // The queue files it with its dead letters; handing those to the core changes nothing more.
    for (const dead of await p.ports.queue.takeDeadLetters()) await consumeDeadLetter(p.ports, dead);
    expect((await p.ports.deployments.get(queued.id))?.reason).toBe('Gave up after 3 tries; last error: CodeBuild throttled (3).');
    expect((await deploy(p, sha('next'))).state).toBe('live');
  });

  it('a retried job that then builds goes live, its log saying it was tried again', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('flaky') });
    p.ports.builder.refuse(queued.id);
    const first = await receiveJob(p);
    const retry = await consumeBuildJob(p.ports, first);
    expect(retry).toEqual({ kind: 'retry', error: 'the build machine is out of disk space' });
    await p.ports.queue.fail(first.receipt, 'the build machine is out of disk space');

    const second = await receiveJob(p);
    const consumed = consumeBuildJob(p.ports, second);
    (await p.ports.builder.started(queued.id)).succeed();

    expect(await consumed).toEqual({ kind: 'done', outcome: 'live' });
    expect(p.ports.logs.texts(queued.id)).toContain('▸ Build started again (try 2): the previous try did not finish.');
  });

  it('a dead letter no consumer gave up on (a worker died each time) fails its deployment, saying after how many tries', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('orphan') });
    const received = await receiveJob(p);

    await consumeDeadLetter(p.ports, { job: received.job, attempts: 3, lastError: null });

    expect(await p.ports.deployments.get(queued.id)).toMatchObject({ state: 'failed', reason: 'Gave up after 3 tries.' });
    expect(p.ports.logger.entries).toContainEqual({ level: 'warn', message: 'build job dead-lettered', fields: { deploymentId: queued.id, attempts: 3 } });
  });

  it('a job for a deployment that already ended is done without a build', async () => {
    const p = await memoryPlatform();
    const live = await deploy(p, sha('live'));

    expect(await consumeBuildJob(p.ports, { job: { deploymentId: live.id, projectId: p.project.id }, attempt: 3 })).toEqual({ kind: 'done', outcome: 'skipped' });
    expect((await p.ports.deployments.get(live.id))?.state).toBe('live');
  });
});
