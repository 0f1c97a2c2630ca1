import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseIsolation, readIsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';
import { BIN, runBin, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
beforeAll(async () => {
  home = tempHome();
  expect((await runBin(['init', '--local'], { home: home.dir })).code).toBe(0);
});
afterAll(() => home.cleanup());

/** Starts `anchor server` and answers what it printed up to its first project line (none here), then stops it. */
function serverOutput(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = spawn(process.execPath, [BIN, 'server', '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor'), CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/Ctrl-C stops it\.\n/.test(out) && (out.split('\n').length > 2 || args.includes('--json'))) server.kill('SIGTERM');
    });
    server.once('exit', () => resolve(out));
    server.once('error', reject);
  });
}

describe('anchor server says how sites and builds are isolated', () => {
  it('without isolation, its first line says so, and what that means', async () => {
    const out = await serverOutput(['--isolation', 'none']);
    const [first] = out.split('\n');
    expect(first).toMatch(/^! NO ISOLATION: sites and builds run as this user and can read the platform key/);
    expect(out).toContain('anchor server is listening');
  }, 60_000);

  it('with the strongest isolation this machine offers, the line after the address says which', async () => {
    const isolation = chooseIsolation('auto', readIsolationFacts(process.env.PATH));
    const lines = (await serverOutput([])).split('\n');
    if (isolation.mode === 'none') expect(lines[0]).toContain(isolation.summary);
    else expect(lines[1]).toContain(`isolation: ${isolation.summary}`);
  }, 60_000);

  it('refuses an isolation it does not know (exit 2)', async () => {
    const result = await runBin(['server', '--isolation', 'chroot'], { home: home.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--isolation must be one of auto, uid+bwrap, uid, bwrap, none');
  });
});
