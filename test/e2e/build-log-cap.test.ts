import { spawn } from 'node:child_process';
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requestDeploy } from '../../src/core/use-cases/request-deploy.js';
import { BIN, runCli, tempHome } from '../cli/run-cli.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo } from '../unit/process-builder-fixture.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness | null = null;
afterEach(async () => platform?.stop());

describe('build logs are bounded', () => {
  it('a build that prints past the cap keeps the cap\'s worth, a marker and its last lines, and still goes live', async () => {
    platform = await new LocalPlatformHarness().start({ server: { logCapBytes: 1_000_000 } });
    const files = pipelineAppFiles({ version: 'v1' });
    // About 6 MB of output, then the lines that say how it ended.
    files['build.js'] = "for (let i = 0; i < 50000; i++) console.log('build: noise ' + i + ' ' + 'x'.repeat(100));\nconsole.log('build: the very last line');\n";
    const sha = platform.repo.commit(files, 'chatty build');
    const id = (await platform.push(sha)).json.deploymentId ?? '';
    expect(await platform.waitFor(id, ['live', 'failed'])).toBe('live');

    const file = join(platform.home, 'platform', 'logs', `${id}.jsonl`);
    // The cap, plus the last 200 lines and the pipeline's own lines after the build.
    expect(statSync(file).size).toBeLessThan(1_000_000 + 200 * 200 + 20_000);
    const log = await platform.logText(id);
    expect(log).toContain('… This build printed more than 1 MB: anchor keeps that much of its output and its last 200 lines.');
    expect(log).toMatch(/… \d+ more lines \([\d.]+ MB with the last ones\) were not kept; the last 200 follow:/);
    expect(log).toContain('build: noise 0 ');
    expect(log).not.toContain('build: noise 30000 ');
    expect(log).toContain('build: the very last line');
    expect(log).toContain('fake open-next: built v1');
    expect(log).toMatch(/✔ Built/);
  }, 120_000);

  it('anchor logs streams a log far larger than its memory', async () => {
    const home = tempHome();
    try {
      const cli = (...args: string[]) => runCli(args, { home: home.dir });
      expect((await cli('init', '--local')).code).toBe(0);
      const repo = new FixtureRepo(join(home.dir, 'repo'));
      repo.commit(pipelineAppFiles({ version: 'v1' }), 'first');
      expect((await cli('projects', 'add', 'shop', '--repo', repo.dir)).code).toBe(0);
      const platformDir = join(home.dir, '.anchor', 'platforms', 'local');
      const { createLocalPorts } = await import('../../src/adapters/local/create-local-ports.js');
      const local = createLocalPorts({ dir: platformDir, baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
      const deployment = await requestDeploy(local.ports, { project: 'shop' });
      // Its first two lines ("Deploy of main requested…", "Queued as…") are written behind the answer.
      while ((await local.ports.logs.read(deployment.id, { after: 0 })).length < 2) await new Promise((r) => setTimeout(r, 20));
      await local.close();
      // A log written by an anchor without the cap (or by hand): 80 MB, 600,000 lines.
      const line = (n: number) => `${JSON.stringify({ at: '2025-01-01T00:00:00.000Z', text: `line ${n} ${'y'.repeat(80)}` })}\n`;
      const lines: string[] = [];
      for (let n = 1; n <= 600_000; n++) lines.push(line(n));
      appendFileSync(join(platformDir, 'logs', `${deployment.id}.jsonl`), lines.join(''));
      lines.length = 0;

      // A 64 MB heap: reading the whole log at once needs several times the log's size.
      const result = await new Promise<{ code: number | null; count: number; last: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--max-old-space-size=64', BIN, 'logs', deployment.id], { env: { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor'), CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let count = 0;
        let tail = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          const text = tail + chunk.toString();
          const parts = text.split('\n');
          tail = parts.pop() ?? '';
          count += parts.length;
          if (parts.length > 0) last = parts.at(-1) ?? last;
        });
        let last = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, count, last, stderr }));
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.count).toBe(600_002);
      expect(result.last).toBe(`line 600000 ${'y'.repeat(80)}`);
    } finally {
      home.cleanup();
    }
  }, 120_000);
});
