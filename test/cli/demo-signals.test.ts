import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { descendants } from '../e2e/process-tree.js';
import { isAlive, processesWith } from '../unit/process-builder-fixture.js';

const DEMO = fileURLToPath(new URL('../../dist/src/demo/demo.js', import.meta.url));
let work = '';
let left: number[] = [];
afterEach(() => {
  // A demo that failed this test would leave its server behind: do not leave it running here.
  for (const pid of left.filter((p) => isAlive(p))) process.kill(pid, 'SIGKILL');
  if (work !== '') for (const pid of processesWith(work)) process.kill(pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('npm run demo -- --keep', () => {
  it('stopped with SIGTERM, it stops its anchor server too (nothing is left running)', async () => {
    // The demo makes its home with mkdtemp in TMPDIR: here, so the test can find its server.
    work = mkdtempSync(join(tmpdir(), 'anchor-demo-test-'));
    const demo = spawn(process.execPath, [DEMO, '--keep'], { env: { PATH: process.env.PATH ?? '', HOME: work, TMPDIR: work, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => demo.once('exit', (code, signal) => resolve({ code, signal })));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      demo.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('listening')) resolve();
      });
      void exited.then(() => reject(new Error(`the demo ended before its server listened:\n${out}`)));
    });
    const [demoHome] = readdirSync(work).filter((name) => name.startsWith('anchor-demo-'));
    const control = join(work, demoHome ?? '', '.anchor', 'platforms', 'local', 'server.json');
    expect(existsSync(control)).toBe(true);
    const serverPid = (JSON.parse(readFileSync(control, 'utf8')) as { pid: number }).pid;
    expect(isAlive(serverPid)).toBe(true);
    const below = descendants(serverPid);
    left = [serverPid, ...below];

    demo.kill('SIGTERM');
    expect(await exited).toEqual({ code: 143, signal: null });
    // The server got a clean stop (not orphaned), and the demo's temporary home is gone.
    expect(isAlive(serverPid)).toBe(false);
    expect(below.filter((pid) => isAlive(pid))).toEqual([]);
    expect(existsSync(join(work, demoHome ?? ''))).toBe(false);
    // Nor any anchor command the demo had running or was about to start (a `logs --follow` would
    // follow a platform that no longer exists, for ever).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(processesWith(work)).toEqual([]);
  }, 120_000);
});
