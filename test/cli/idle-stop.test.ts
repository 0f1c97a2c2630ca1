import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionStatus } from '../../src/core/ports/index.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { isAlive } from '../unit/process-builder-fixture.js';
import { CliPlatform, poll } from './cli-platform.js';

let platform: CliPlatform;

/** The pids of the processes the runtime log says were started, in order. */
const startedPids = (log: string) => [...log.matchAll(/function is running \(pid (\d+)\)/g)].map((m) => Number(m[1]));
const runtimeLog = async (deploymentId: string) => (await platform.cli('logs', deploymentId, '--runtime')).stdout;
const runtimeOf = async (deploymentId: string) => (await platform.cli('deployments', 'show', deploymentId, '--json')).json<{ runtime: FunctionStatus | null }>().runtime;

/** Deploys the branch head, after committing `version` unless it is the head already. */
async function deploy(version?: string): Promise<string> {
  if (version) platform.repo.commit(pipelineAppFiles({ version }), version);
  const deployed = await platform.cli('deploy', 'shop', '--follow', '--json');
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
  return (JSON.parse(deployed.stdout.trim().split('\n').at(-1) ?? '{}') as { deploymentId: string }).deploymentId;
}

beforeAll(async () => {
  platform = await new CliPlatform().start({ version: 'v1' }, { idleStopMs: 1000 });
}, 60_000);
afterAll(async () => platform?.stop());

describe('scale to zero', () => {
  let v1 = '';
  let v2 = '';

  it('stops a site that had no request for --idle-stop; the next requests wait for one start and are served', async () => {
    v1 = await deploy();
    await poll(() => runtimeOf(v1), (r) => r?.state === 'idle');
    const beforeIdle = await poll(() => runtimeLog(v1), (log) => log.includes('The server function was stopped after 1 s without requests'));
    expect(startedPids(beforeIdle)).toHaveLength(2);
    expect(startedPids(beforeIdle).filter(isAlive)).toEqual([]);
    expect((await platform.cli('deployments', 'ls', 'shop')).stdout).toMatch(new RegExp(`${v1} ●\\s+live \\(idle\\)`));

    // Five first requests at once: each is answered by the site, none is lost, and one process starts.
    const answers = await Promise.all(Array.from({ length: 5 }, () => platform.site('/')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const answer of answers) expect(answer.body).toContain('<h1>v1</h1>');
    const afterIdle = (log: string) => log.slice(log.indexOf('The server function was stopped after 1 s')).split('\n').slice(1);
    const log = await poll(() => runtimeLog(v1), (text) => afterIdle(text).some((line) => line.includes('The server function is running')));
    const untilNextStop = afterIdle(log).findIndex((line) => line.includes('The server function was stopped'));
    const starts = afterIdle(log).slice(0, untilNextStop === -1 ? undefined : untilNextStop).filter((line) => line.includes('The server function is running'));
    expect(starts).toHaveLength(1);
    // Only the server function was asked for: the image function stays stopped.
    expect(afterIdle(log).filter((line) => line.includes('The image function is running'))).toEqual([]);
  }, 90_000);

  it('stops the previous version too, and a rollback to it starts it and serves it', async () => {
    v2 = await deploy('v2');
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
    await poll(() => runtimeOf(v1), (r) => r?.state === 'idle');
    expect((await platform.cli('deployments', 'ls', 'shop')).stdout).toMatch(new RegExp(`${v1} ↩\\s+retired \\(idle\\)`));

    const back = await platform.cli('rollback', 'shop', '--json');
    expect(back.code).toBe(0);
    expect(back.json()).toMatchObject({ from: v2, to: v1 });
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
  }, 90_000);
});
