import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBin, tempHome } from '../cli/run-cli.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo, isAlive } from '../unit/process-builder-fixture.js';
import { http } from './local-platform.js';
import { descendants } from './process-tree.js';

let home: ReturnType<typeof tempHome>;
let env: Record<string, string>;
let server: ChildProcess | null = null;

beforeAll(async () => {
  home = tempHome();
  env = { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor'), CI: '1' };
  await runBin(['init', '--local'], { home: home.dir });
});
afterAll(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  home.cleanup();
});

describe('anchor server and SIGTERM', () => {
  it('stops cleanly with a live site and a request in flight: exit 0, no process left, server.json gone', async () => {
    const repo = new FixtureRepo(join(home.dir, 'repo'));
    const sha = repo.commit(pipelineAppFiles({ version: 'v1' }), 'v1');
    const added = (await runBin(['projects', 'add', 'shop', '--repo', repo.dir, '--json'], { home: home.dir })).json<{ project: { id: string }; webhook: { secret: string } }>();

    server = spawn(process.execPath, [BIN, 'server', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => server?.once('exit', (code, signal) => resolve({ code, signal })));
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      server?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        try {
          resolve((JSON.parse(out) as { port: number }).port);
        } catch {
          // Not the whole document yet.
        }
      });
      void exited.then(({ code }) => reject(new Error(`server exited with ${code}`)));
    });

    const delivery = signedDelivery(added.webhook.secret, pushPayload({ ref: 'refs/heads/main', after: sha }));
    const answer = await http({ method: 'POST', path: `/webhook/${added.project.id}`, headers: { ...delivery.headers, host: `127.0.0.1:${port}` }, port }, delivery.body);
    expect(answer.status).toBe(202);
    const site = () => http({ method: 'GET', path: '/', headers: { host: `shop.localhost:${port}` }, port });
    for (let i = 0; !(await site()).body.includes('<h1>v1</h1>'); i++) {
      if (i > 600) throw new Error('the site never went live');
      await new Promise((r) => setTimeout(r, 100));
    }
    const pid = server.pid ?? 0;
    const below = descendants(pid);
    expect(below.length).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(home.dir, '.anchor', 'platforms', 'local', 'server.json'))).toBe(true);

    // A visitor whose page is still rendering (it would take ten minutes).
    const inFlight = new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/?delay=600000', headers: { host: `shop.localhost:${port}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(`answered ${res.statusCode}`));
        res.on('error', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 300));

    server.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(await inFlight).toBe('cut');
    expect(below.filter((child) => isAlive(child))).toEqual([]);
    expect(existsSync(join(home.dir, '.anchor', 'platforms', 'local', 'server.json'))).toBe(false);
  }, 120_000);
});
