import { describe, expect, it } from 'vitest';
import { deployBuilt } from '../../../src/core/use-cases/deploy.js';
import { removeProject } from '../../../src/core/use-cases/projects.js';
import { requestDeploy } from '../../../src/core/use-cases/request-deploy.js';
import { failDeadLetter, finishBuild, runBuildJob } from '../../../src/core/use-cases/run-build.js';
import { rejectionOf } from '../../contract/samples.js';
import { openNextOutput, type ScriptedBuild } from '../../fakes/memory/scripted-builder.js';
import { deploy, liveSite, memoryPlatform, receiveJob, runJob, sha, type MemoryPlatform } from './memory-platform.js';

/** A platform whose first deployment is live, so a test can see that a fault leaves it so. */
async function withLive(): Promise<{ p: MemoryPlatform; live: string }> {
  const p = await memoryPlatform();
  return { p, live: (await deploy(p, sha('live'))).id };
}

describe('a build job to its end, on the fakes', () => {
  it('files the artifact under the deployment\'s own project, which every later step names again', async () => {
    const p = await memoryPlatform('blog');

    const d = await deploy(p, sha('first'));

    expect(d.state).toBe('live');
    expect(await p.ports.artifacts.get({ projectName: 'blog', deploymentId: d.id })).toMatchObject({ deploymentId: d.id });
    expect(await p.ports.artifacts.get({ projectName: 'shop', deploymentId: d.id })).toBeNull();
  });

  it('a build that fails: failed with the build\'s reason and commit, live untouched', async () => {
    const { p, live } = await withLive();

    const d = await deploy(p, sha('broken'), (build) => {
      build.print('> next build', 'Error: Module not found: ./missing');
      build.fail('npm run build failed (exit 1): Module not found: ./missing');
    });

    expect(d).toMatchObject({ state: 'failed', reason: 'npm run build failed (exit 1): Module not found: ./missing', commitSha: sha('broken') });
    expect(p.ports.logs.texts(d.id)).toEqual(expect.arrayContaining(['Error: Module not found: ./missing', '✖ Build failed: npm run build failed (exit 1): Module not found: ./missing']));
    expect(liveSite(p)).toEqual({ functions: live, assets: live });
  });

  const faults: Array<[string, (p: MemoryPlatform, id: string) => void, (build: ScriptedBuild) => void, RegExp]> = [
    ['the functions do not start', (p, id) => p.ports.functions.failPublish(id, 'The server handler exited (code 1) before it was ready.'), (b) => b.succeed(), /^Starting the functions failed: The server handler exited \(code 1\) before it was ready\./],
    ['the smoke request answers 500', (p, id) => p.ports.functions.answerSmoke(id, 500), (b) => b.succeed(), /^The new version did not answer its smoke request: GET \/ answered 500\./],
    ['the server bundle is over Lambda\'s 250 MB', () => {}, (b) => b.succeed({ files: openNextOutput('big', { serverBytes: 300 * 1024 * 1024 }) }), /^The server bundle is 300 MB unzipped; Lambda allows 250 MB\./],
    ['the image function has no sharp', () => {}, (b) => b.succeed({ files: openNextOutput('no-sharp', { noSharp: true }) }), /^The image function has no sharp/],
    ['there are no static assets', () => {}, (b) => b.succeed({ files: openNextOutput('bare', { noAssets: true }) }), /^Publishing the static assets failed: the build output has no assets directory/],
    ['there is no server function', () => {}, (b) => b.succeed({ files: { 'assets/logo.txt': 'logo' } }), /^The build output has no server function/],
  ];

  it.each(faults)('a deploy step fails (%s): failed with the reason, live untouched, nothing of it left running', async (_name, arrange, play, reason) => {
    const { p, live } = await withLive();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('faulty') });
    arrange(p, queued.id);

    expect(await runJob(p, await receiveJob(p), play)).toBe('not-live');

    const d = await p.ports.deployments.get(queued.id);
    expect(d?.state).toBe('failed');
    expect(d?.reason).toMatch(reason);
    expect(d?.reason).toMatch(/The live site was not changed\.$/);
    expect(liveSite(p)).toEqual({ functions: live, assets: live });
    expect(p.ports.functions.isRunning(queued.id)).toBe(false);
  });

  it('a build whose output cannot be stored fails with why, live untouched', async () => {
    const { p, live } = await withLive();

    const d = await deploy(p, sha('no output'), (build) => build.succeed({ files: null }));

    expect(d.state).toBe('failed');
    expect(d.reason).toMatch(/^The build output could not be stored: The build of d_\w+ produced no output/);
    expect(liveSite(p)).toEqual({ functions: live, assets: live });
  });

  it('deploying a built deployment whose output is gone fails, asking for a new deploy', async () => {
    const { p, live } = await withLive();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('gone') });
    await receiveJob(p);
    const at = p.ports.clock.now().toISOString();
    await p.ports.deployments.transition(queued.id, ['queued'], 'building', at);
    await p.ports.deployments.transition(queued.id, ['building'], 'built', at);

    expect(await deployBuilt(p.ports, queued.id)).toBe(false);

    expect((await p.ports.deployments.get(queued.id))?.reason).toBe('The build output is no longer stored; deploy again to rebuild it. The live site was not changed.');
    expect(liveSite(p)).toEqual({ functions: live, assets: live });
  });

  it('a builder that cannot start throws, so the queue tries again; the log tells each try; the next try builds', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('retried') });
    p.ports.builder.refuse(queued.id);
    const first = await receiveJob(p);

    const error = await rejectionOf(runBuildJob(p.ports, first));
    await p.ports.queue.fail(first.receipt, (error as Error).message);

    expect(p.ports.logs.texts(queued.id)).toContain('✖ The build could not start (try 1 of 3): the build machine is out of disk space');
    expect(await runJob(p, await receiveJob(p))).toBe('live');
    expect(p.ports.logs.texts(queued.id)).toContain('▸ Build started again (try 2): the previous try did not finish.');
  });

  it('a job the queue gave up on (3 tries) fails its deployment with the last error; a later one goes live', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('doomed') });
    for (let attempt = 1; attempt <= 3; attempt++) {
      p.ports.builder.refuse(queued.id, new Error(`CodeBuild throttled (${attempt})`));
      const received = await receiveJob(p);
      await p.ports.queue.fail(received.receipt, ((await rejectionOf(runBuildJob(p.ports, received))) as Error).message);
    }

    for (const dead of await p.ports.queue.takeDeadLetters()) await failDeadLetter(p.ports, dead);

    expect(await p.ports.deployments.get(queued.id)).toMatchObject({ state: 'failed', reason: 'Gave up after 3 tries; last error: CodeBuild throttled (3).' });
    expect(p.ports.queue.pending).toEqual([]);
    expect((await deploy(p, sha('next'))).state).toBe('live');
  });

  it('a build stopped by a shutdown leaves its deployment to the next run of the job', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('interrupted') });
    const received = await receiveJob(p);
    const job = runBuildJob(p.ports, received);
    const build = await p.ports.builder.started(queued.id);

    await p.ports.builder.stop(build.buildId);

    expect(await job).toBe('stopped');
    expect((await p.ports.deployments.get(queued.id))?.state).toBe('building');
    expect(await runJob(p, { ...received, attempt: 2 })).toBe('live');
  });

  it('finishBuild takes a remote build\'s end as it arrives: a failed one fails the deployment once', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('remote') });
    const job = runBuildJob(p.ports, await receiveJob(p));
    const build = await p.ports.builder.started(queued.id);
    const end = { ok: false as const, stopped: false, reason: 'The build failed in the build phase.', commitSha: sha('remote'), checkedOut: true };

    build.fail(end.reason);
    expect(await job).toBe('failed');
    // The same end event delivered again (EventBridge retries) changes nothing.
    expect(await finishBuild(p.ports, queued.id, end)).toBe('skipped');
    expect(await p.ports.deployments.get(queued.id)).toMatchObject({ state: 'failed', reason: end.reason });
    expect(p.ports.logs.texts(queued.id).filter((l) => l.startsWith('✖ Build failed'))).toHaveLength(1);
  });

  it('a project removed before its build starts fails the deployment with that reason', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('orphan') });
    await removeProject(p.ports, { name: 'shop' });

    expect(await runJob(p, await receiveJob(p))).toBe('failed');

    expect((await p.ports.deployments.get(queued.id))?.reason).toBe('Its project was removed before the build started.');
    expect(p.ports.builder.builds).toEqual([]);
  });

  it('a project removed while its build runs fails the deployment when the build ends, storing nothing', async () => {
    const p = await memoryPlatform();
    const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha('removed mid-build') });
    const job = runBuildJob(p.ports, await receiveJob(p));
    const build = await p.ports.builder.started(queued.id);
    await removeProject(p.ports, { name: 'shop' });

    build.succeed();

    expect(await job).toBe('failed');
    expect((await p.ports.deployments.get(queued.id))?.reason).toBe('Its project was removed.');
    expect(await p.ports.artifacts.get({ projectName: 'shop', deploymentId: queued.id })).toBeNull();
  });
});
