import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHandlerProcess, type HandlerProcess } from '../../src/adapters/local/runtime/handler-process.js';
import { readIsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';
import { ensureHandlerChildBuilt } from '../e2e/handler-child-build.js';
import { testSandboxes } from '../fakes/test-sandboxes.js';
import { isAlive, processesWith } from './process-builder-fixture.js';

const isRoot = readIsolationFacts(process.env.PATH).isRoot;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A bundle that starts a daemon (its own session, its parent gone) while it loads. */
function daemonBundle(dir: string, marker: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.mjs'),
    `import { spawn } from 'node:child_process';
spawn(process.execPath, ['-e', "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore', detached: true }).unref()"], { stdio: 'ignore', detached: true }).unref();
export const handler = async () => ({ statusCode: 200, body: 'ok' });
`,
  );
  chmodSync(dir, 0o755);
}

describe.skipIf(!isRoot)("a site's function process as the project's uid without bubblewrap", () => {
  it('takes the daemons it started down with it when it stops, and leaves the project\'s other processes running', async () => {
    await ensureHandlerChildBuilt();
    const sandbox = testSandboxes('uid');
    cleanups.push(() => sandbox.close(['shop']));
    const place = await sandbox.places.forDeployment('shop', 'd_escape');
    const marker = `anchor-site-daemon-${Math.random().toString(36).slice(2)}`;
    const bundleDir = join(place.runtimeDir, 'server');
    daemonBundle(bundleDir, marker);
    mkdirSync(join(place.runtimeDir, 'cache'), { recursive: true });
    await place.prepared(place.runtimeDir);
    const identity = (await sandbox.sandboxes.forProject('shop')).identity;
    if (identity === null) throw new Error('uid isolation gave the project no uid');
    // Another process of the project that the server started (the previous deployment's, say).
    const neighbour = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'anchor-neighbour-of-shop'], { stdio: 'ignore', detached: true, uid: identity.uid, gid: identity.gid });
    cleanups.push(() => void neighbour.kill('SIGKILL'));

    const site: HandlerProcess = await startHandlerProcess({ bundleDir, kind: 'server', env: {}, socketPath: join(place.socketDir, 'd_escape.server'), sandbox: place.sandbox, ...(place.childEntry ? { childEntry: place.childEntry } : {}) });
    cleanups.push(() => site.stop(1_000));
    // The daemon runs, and the process that started it is gone (its script names the marker too).
    const daemon = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes(marker);
      } catch {
        return false; // gone meanwhile
      }
    };
    let found: number[] = [];
    for (let i = 0; i < 100 && !(found.length === 1 && found.every(daemon)); i++) {
      await new Promise((r) => setTimeout(r, 50));
      found = processesWith(marker);
    }
    expect(found.length === 1 && found.every(daemon)).toBe(true);

    await site.stop(2_000);
    expect(processesWith(marker)).toEqual([]);
    expect(neighbour.pid !== undefined && isAlive(neighbour.pid)).toBe(true);
  });
});
