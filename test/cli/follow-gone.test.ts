import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FixtureRepo } from '../unit/process-builder-fixture.js';
import { runBin, runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => home.cleanup());

describe('anchor logs --follow on a local platform', () => {
  it('ends with an error once the platform is removed under it, instead of waiting for ever', async () => {
    const repo = new FixtureRepo(join(home.dir, 'repo'));
    repo.commit({ 'package.json': '{}' }, 'First');
    expect((await runCli(['init', '--local'], { home: home.dir })).code).toBe(0);
    expect((await runCli(['projects', 'add', 'shop', '--repo', repo.dir], { home: home.dir })).code).toBe(0);
    // No server runs: the deployment stays queued, and its log never ends by itself.
    const queued = (await runCli(['deploy', 'shop', '--json'], { home: home.dir })).json<{ deploymentId: string; state: string }>();
    expect(queued.state).toBe('queued');

    const following = runBin(['logs', queued.deploymentId, '--follow'], { home: home.dir });
    await new Promise((r) => setTimeout(r, 1500));
    const started = Date.now();
    rmSync(join(home.dir, '.anchor', 'platforms', 'local'), { recursive: true, force: true });
    const ended = await following;
    expect(ended.code).toBe(3);
    expect(ended.stderr).toContain(`The platform "local" at ${join(home.dir, '.anchor', 'platforms', 'local')} was removed; ${queued.deploymentId} can no longer be followed.`);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
