import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionStatus } from '../../src/core/ports/index.js';
import { isAlive } from '../unit/process-builder-fixture.js';
import { BIN } from './run-cli.js';
import { CliPlatform, poll } from './cli-platform.js';

// Restarts come quickly here, and a crash loop is three crashes, so the test sees every state.
const supervision = { windowMs: 60_000, crashLoopAfter: 3, firstDelayMs: 100, maxDelayMs: 400 };

let platform: CliPlatform;
let live = '';
let crashMark = '';
/** The server function's working directory is its bundle's, `<runtime folder>/server-functions/default`. */
const CRASH_MARK = '../../cache/crash-mark';

const serverPid = () => platform.server.functions.statuses().get(live)?.server.pid ?? null;
const runtime = async () => (await platform.cli('deployments', 'show', live, '--json')).json<{ runtime: FunctionStatus | null }>().runtime;
const runtimeLog = async () => (await platform.cli('logs', 'shop', '--runtime')).stdout;

beforeAll(async () => {
  platform = await new CliPlatform().start({ version: 'v1' }, { supervision, idleStopMs: 0 });
  // Relative to the function's folder: the mark must be where the function, in its sandbox, can see it.
  expect((await platform.cli('env', 'set', 'shop', `CRASH_MARK=${CRASH_MARK}`, '--target', 'runtime')).code).toBe(0);
  expect((await platform.cli('env', 'set', 'shop', 'GREETING=sk_live_runtime_42', '--secret', '--target', 'runtime')).code).toBe(0);
  const deployed = await platform.cli('deploy', 'shop', '--follow', '--json');
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
  live = (JSON.parse(deployed.stdout.trim().split('\n').at(-1) ?? '{}') as { deploymentId: string }).deploymentId;
  const shop = (await platform.server.ports.projects.list()).find((project) => project.name === 'shop');
  crashMark = join(platform.server.sandbox.sandboxes.areaOf(shop?.id ?? '') ?? '', 'runtime', live, 'cache', 'crash-mark');
}, 120_000);
afterAll(async () => platform?.stop());

// Each case waits on real processes starting (and crashing): give them time on a busy machine.
describe('a site whose function crashes', { timeout: 90_000 }, () => {
  it('a SIGKILLed server function is restarted, the site serves again, and the crash is in the runtime log with its last stderr lines', async () => {
    expect((await platform.site('/print')).status).toBe(200);
    const before = serverPid();
    expect(before).not.toBeNull();
    process.kill(before ?? 0, 'SIGKILL');

    // The supervisor sees the exit when the machine gets to it: wait for the new process, not for a 200
    // (a page the edge serves without the function answers 200 while the old pid is still on record).
    const after = await poll(serverPid, (pid) => pid !== null && pid !== before);
    expect(after).not.toBe(before);
    await poll(async () => (await platform.site('/')).status, (status) => status === 200);
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
    const log = await poll(runtimeLog, (text) => text.includes('running again'));
    expect(log).toContain('server [stderr]: a warning printed by the site');
    expect(log).toContain('anchor: The server function crashed (signal SIGKILL); restarting it now. Its last output on stderr:');
    expect(log).toContain('anchor:   | a warning printed by the site');
    expect(log).toMatch(/anchor: The server function is running again \(pid \d+\)/);
    expect(await runtime()).toMatchObject({ state: 'running', restarts: 1, lastCrash: { reason: 'signal SIGKILL' } });
    // The server's own log says it too, with the last lines.
    expect(platform.serverLog).toContain(`shop: the server function of ${live} crashed (signal SIGKILL); restarting now {"lastLines":["a warning printed by the site"]}`);
  });

  it('secrets the site prints are masked in its runtime log, on disk too', async () => {
    // The runtime log is written in batches: wait for the line rather than read it once.
    expect(await poll(runtimeLog, (text) => text.includes('server: GET /print'))).toContain('server: GET /print, greeting ***');
    const dir = join(platform.dir, 'runtime-logs');
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file), 'utf8')).not.toContain('sk_live_runtime_42');
  });

  it('a route that throws in a timer or leaves a stream error unhandled answers 500, and the process serves on', async () => {
    const pid = serverPid();
    const thrown = await platform.site('/throw-async');
    expect(thrown.status).toBe(500);
    expect(thrown.body).toContain('The site failed while answering this request.');
    expect((await platform.site('/stream-error')).status).toBe(500);
    expect((await platform.site('/')).status).toBe(200);
    expect(serverPid()).toBe(pid);
    const log = await poll(runtimeLog, (text) => text.includes('anchor-fixture'));
    expect(log).toContain('Error: thrown in a timer (fixture)');
    expect(log).toContain("ENOENT: no such file or directory, open '/nonexistent/anchor-fixture'");
  });

  it('one that keeps crashing is a crashloop: 503 with a page, deployments ls and show say so, and it recovers once it can start', async () => {
    writeFileSync(crashMark, 'no start while this file exists');
    process.kill(serverPid() ?? 0, 'SIGKILL');
    await poll(runtime, (r) => r?.state === 'crashloop');

    const page = await platform.site('/');
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toMatch(/^\d+$/);
    expect(page.body).toContain('shop is down');
    expect(page.body).toContain('anchor logs shop --runtime');
    expect((await platform.cli('deployments', 'ls', 'shop')).stdout).toMatch(new RegExp(`${live} ●\\s+live \\(crashloop\\)`));
    expect((await platform.cli('deployments', 'show', live)).stdout).toMatch(/crashed: .*\(exit code 3 before it was ready\)/);
    // The runtime log is written in batches: its lines may trail the state by a moment.
    const log = await poll(runtimeLog, (text) => /keeps crashing: \d+ times recently \(crashloop\)/.test(text));
    expect(log).toContain(`server [stderr]: refusing to start: ${CRASH_MARK} exists`);

    rmSync(crashMark);
    await poll(async () => (await platform.site('/')).status, (status) => status === 200);
    expect((await platform.cli('deployments', 'ls', 'shop')).stdout).toMatch(new RegExp(`${live} ●\\s+live\\s`));
  });

  it('logs --runtime --follow prints lines as the site prints them, until interrupted', async () => {
    const child = spawn(process.execPath, [BIN, 'logs', 'shop', '--runtime', '--follow', '--json'], { env: { PATH: process.env.PATH ?? '', HOME: platform.home.dir, ANCHOR_HOME: join(platform.home.dir, '.anchor'), CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // The whole kept log first, then what comes: a request made now shows up.
    await poll(() => out, (text) => text.includes('running again'));
    await platform.site('/print?followed');
    const lines = await poll(
      () => out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; deploymentId: string; source: string; stream: string; text: string }),
      (parsed) => parsed.filter((l) => l.text === 'a warning printed by the site').length >= 2,
    );
    expect(lines.at(-1)).toMatchObject({ type: 'line', deploymentId: live, source: 'server', stream: 'stderr', text: 'a warning printed by the site' });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('after the server stops, deployments ls no longer claims a running site', async () => {
    const pid = serverPid() ?? 0;
    expect(pid).toBeGreaterThan(0);
    await platform.stopServer();
    expect(isAlive(pid)).toBe(false);
    expect((await platform.cli('deployments', 'ls', 'shop')).stdout).toMatch(new RegExp(`${live} ●\\s+live \\(no server\\)`));
    await platform.startServer({ supervision, idleStopMs: 0 });
    expect((await platform.site('/')).status).toBe(200);
  });
});
