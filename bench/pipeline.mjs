// The pipeline with the real sample Next.js app, each figure against a baseline from the same run:
// - push-to-live minus doing the same build by hand (clone, npm ci, open-next build);
// - a warm build (second push, same lockfile) against the cold first one;
// - rollback: time to flip and failed requests while flipping;
// - edge throughput against `next start` of the same build (SSR page and a static file).
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalPorts } from '../dist/src/adapters/local/create-local-ports.js';
import { templatesDir } from '../dist/src/lib/templates-dir.js';
import { signPayload } from '../dist/src/core/webhook-signature.js';
import { PACKAGING_DRIVER, PACKAGING_SUMMARY } from '../dist/src/core/build-recipe.js';
import { SANDBOX_STATE_DIR } from '../dist/src/adapters/local/sandbox/sandbox-uids.js';
import { anchorCli, line, load, now, ratio, startAnchorServer, stopProcess } from './measure.mjs';

const BIN = fileURLToPath(new URL('../bin/anchor.js', import.meta.url));

const git = (cwd, ...args) => execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

function run(cmd, args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

function post(port, path, body, headers) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(port, host, path) {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    })
      .on('error', reject)
      .end();
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function pushAndWait(server, store, project, secret, sha) {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, head_commit: { id: sha, message: 'bench' }, pusher: { name: 'bench' } });
  const start = now();
  const answer = await post(server.port, `/webhook/${project.id}`, body, { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signPayload(secret, body) });
  const { deploymentId } = JSON.parse(answer.body);
  for (;;) {
    const d = await store.ports.deployments.get(deploymentId);
    if (d.state === 'live') return { ms: now() - start, deploymentId, deployment: d };
    if (['failed', 'superseded', 'cancelled'].includes(d.state)) throw new Error(`${deploymentId} ${d.state}: ${d.reason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function phase(deployment, state) {
  const i = deployment.transitions.findIndex((t) => t.state === state);
  const next = deployment.transitions[i + 1];
  return i === -1 || !next ? NaN : Date.parse(next.at) - Date.parse(deployment.transitions[i].at);
}

/** Rollback under load: 8 clients on / while the pointer flips. */
async function rollbackUnderLoad(server, cliEnv) {
  const host = `bench.localhost:${server.port}`;
  const loading = load({ port: server.port, host, path: '/', concurrency: 8, ms: 3000 });
  await new Promise((r) => setTimeout(r, 1000));
  const flip = JSON.parse(await anchorCli(BIN, ['rollback', 'bench', '--json'], cliEnv));
  const during = await loading;
  const page = await get(server.port, host, '/');
  line('rollback: time to flip', `${flip.flipMs} ms`, '(goal ≤ 100 ms)');
  line('rollback: failed requests while flipping', `${during.failed} of ${during.ok + during.failed}`, `(goal 0; now serving ${/version: (v\d)/.exec(page.body.replace(/<!-- -->/g, ''))?.[1] ?? '?'})`);

  return { host, flip, during };
}

/** A build's own log lines for how long its install and its OpenNext build took, in seconds. */
const INSTALLED_IN = /^▸ Installed in ([\d.]+) s/;
const BUILT_IN = /^▸ Built in ([\d.]+) s/;

/** Install / OpenNext build times, from a build's own log lines. */
async function stepTimes(store, deploymentId) {
  const lines = (await store.ports.logs.read(deploymentId, { after: 0 })).map((l) => l.text);
  const took = (pattern) => lines.map((text) => pattern.exec(text)?.[1]).find(Boolean) ?? '?';
  return `${took(INSTALLED_IN)} s / ${took(BUILT_IN)} s`;
}

/**
 * What anchor itself adds to a push, free of the noise of one npm or next build against another:
 * push → live minus the install and OpenNext steps' own times, from the build's log and its
 * deployment's transitions. Parts: up to the checked-out commit, storing the artifact, deploying.
 */
async function ownTime(store, pushed) {
  const lines = await store.ports.logs.read(pushed.deploymentId, { after: 0, limit: 5000 });
  const seconds = (pattern) => Number(lines.map((l) => pattern.exec(l.text)?.[1]).find(Boolean) ?? NaN);
  const at = (pattern) => Date.parse(lines.find((l) => pattern.test(l.text))?.at ?? '');
  const moment = (state) => Date.parse(pushed.deployment.transitions.find((t) => t.state === state)?.at ?? '');
  const steps = seconds(INSTALLED_IN) + seconds(BUILT_IN);
  const own = {
    total: pushed.ms / 1000 - steps,
    checkout: (at(/^▸ Checked out /) - moment('queued')) / 1000,
    storing: (moment('built') - at(/^▸ Build finished/)) / 1000,
    deploying: (moment('live') - moment('deploying')) / 1000,
  };
  line("  anchor's own time: push → live minus npm and OpenNext", `${own.total.toFixed(1)} s`, `(to checkout ${own.checkout.toFixed(1)} s, storing ${own.storing.toFixed(1)} s, deploying ${own.deploying.toFixed(1)} s)`);
  return own;
}

/** Edge throughput against `next start` of the by-hand build (same app, same commit); `track` gets the next process to stop. */
async function edgeThroughput({ byHand, env, server, host, track }) {
  const nextPort = await freePort();
  track(spawn(join(byHand, 'node_modules', '.bin', 'next'), ['start', '-p', String(nextPort), '-H', '127.0.0.1'], { cwd: byHand, env: { ...env, GREETING: 'Hello from anchor' }, stdio: 'ignore' }));
  for (let i = 0; i < 100; i++) {
    try {
      if ((await get(nextPort, `127.0.0.1:${nextPort}`, '/')).status === 200) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const chunk = readdirSync(join(byHand, '.next', 'static', 'chunks')).find((f) => f.endsWith('.js'));
  const staticPath = `/_next/static/chunks/${chunk}`;
  await load({ port: nextPort, host: `127.0.0.1:${nextPort}`, path: '/', ms: 1000 });
  await load({ port: server.port, host, path: '/', ms: 1000 });
  const nextSsr = await load({ port: nextPort, host: `127.0.0.1:${nextPort}`, path: '/' });
  const edgeSsr = await load({ port: server.port, host, path: '/' });
  const nextStatic = await load({ port: nextPort, host: `127.0.0.1:${nextPort}`, path: staticPath });
  const edgeStatic = await load({ port: server.port, host, path: staticPath });
  line('next start: SSR / (baseline)', `${nextSsr.rps.toFixed(0)} req/s`);
  line('anchor edge: SSR /', `${edgeSsr.rps.toFixed(0)} req/s`, `${ratio(edgeSsr.rps, nextSsr.rps)} (goal ≥ 0.8×; failed ${edgeSsr.failed})`);
  line('next start: static file (baseline)', `${nextStatic.rps.toFixed(0)} req/s`);
  line('anchor edge: static file', `${edgeStatic.rps.toFixed(0)} req/s`, `${ratio(edgeStatic.rps, nextStatic.rps)} (goal ≥ 1×; failed ${edgeStatic.failed})`);
  return { ssr: edgeSsr.rps / nextSsr.rps, static: edgeStatic.rps / nextStatic.rps };
}

export async function benchPipeline() {
  const home = mkdtempSync(join(tmpdir(), 'anchor-bench-pipeline-'));
  // As root, builds run as the project's own uid: it must pass through to the repository.
  chmodSync(home, 0o711);
  const repo = join(home, 'site');
  const env = { PATH: process.env.PATH, HOME: home, NEXT_TELEMETRY_DISABLED: '1', CI: '1' };
  let server;
  let serverChild;
  let store;
  let nextStart;
  const elsewhere = [];
  try {
    cpSync(join(templatesDir(), 'sample-app'), repo, { recursive: true, filter: (src) => !/node_modules|\.next|\.open-next/.test(src) });
    execFileSync('git', ['init', '-q', '--initial-branch=main'], { cwd: repo });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'v1');
    const v1 = git(repo, 'rev-parse', 'HEAD');

    process.stdout.write('\nPipeline with the sample Next.js app (real builds; takes a few minutes)\n');
    const cliEnv = { ...env, ANCHOR_HOME: join(home, '.anchor') };
    await anchorCli(BIN, ['init', '--local'], cliEnv);
    const { project, webhook } = JSON.parse(await anchorCli(BIN, ['projects', 'add', 'bench', '--repo', repo, '--json'], cliEnv));
    await anchorCli(BIN, ['env', 'set', 'bench', 'GREETING=Hello from anchor', '--target', 'runtime'], cliEnv);
    const started = await startAnchorServer(BIN, cliEnv, ['--concurrency', '1']);
    serverChild = started.child;
    server = { port: started.port };
    store = createLocalPorts({ dir: join(home, '.anchor', 'platforms', 'local'), baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });

    // Baseline: the same build by hand, cold (clone, npm ci with an empty cache, open-next build),
    // on the same filesystem as anchor's builds (the server names it), right before anchor's. Once
    // more on this disk, for what building in memory saves: after anchor's builds, so that the
    // disk's writeback of its 18,000 files does not land in them.
    // The npm cache stays on disk, as a person's ~/.npm does (and as anchor's build cache does).
    const byHandIn = async (dir) => {
      const cache = join(home, `npm-cache-${basename(dir)}`);
      const start = now();
      execFileSync('git', ['clone', '-q', repo, dir]);
      await run('npm', ['ci', '--no-audit', '--no-fund', '--cache', cache], dir, env);
      cpSync(join(templatesDir(), 'open-next.config.ts'), join(dir, 'open-next.config.ts'));
      await run(join(dir, 'node_modules', '.bin', 'open-next'), ['build'], dir, { ...env, npm_config_cache: cache });
      return now() - start;
    };
    const sameRoot = started.buildDir.startsWith(home) ? home : dirname(started.buildDir);
    const byHand = join(sameRoot, 'by-hand');
    elsewhere.push(byHand);
    const plainMs = await byHandIn(byHand);
    const cold = await pushAndWait(server, store, project, webhook.secret, v1);
    line(`anchor builds in`, started.buildDir);
    line('by hand: clone + npm ci + open-next build (baseline)', `${(plainMs / 1000).toFixed(1)} s`);
    line('anchor: push → live (cold)', `${(cold.ms / 1000).toFixed(1)} s`, `overhead ${((cold.ms - plainMs) / 1000).toFixed(1)} s (goal ≤ 1 s; was 2.8 s)`);
    const own = await ownTime(store, cold);

    writeFileSync(join(repo, 'app', 'version.js'), "export const VERSION = 'v2';\n");
    git(repo, 'commit', '-qam', 'v2');
    const warm = await pushAndWait(server, store, project, webhook.secret, git(repo, 'rev-parse', 'HEAD'));
    const nextWarmMs = await warmNextBuild(byHand, env);
    line('anchor: push → live, second push, same lockfile (warm)', `${(warm.ms / 1000).toFixed(1)} s`, `cold/warm ${ratio(cold.ms, warm.ms)} (goal ≥ 2.5×; was 1.90×)`);
    line('by hand: warm `next build` alone, .next/cache kept (baseline)', `${(nextWarmMs / 1000).toFixed(1)} s`);
    line('anchor: warm push → live / warm next build alone', ratio(warm.ms, nextWarmMs), '(goal ≤ 2×; was ~6.8×)');
    line('  build phase cold / warm', `${(phase(cold.deployment, 'building') / 1000).toFixed(1)} / ${(phase(warm.deployment, 'building') / 1000).toFixed(1)} s`);
    // Where the time went, from the builds' own log lines.
    line('  install / OpenNext build, cold', await stepTimes(store, cold.deploymentId));
    line('  install / OpenNext build, warm', await stepTimes(store, warm.deploymentId));
    const { restored, savedS } = await packagingLines(store, home, cold, warm);
    const onDiskMs = sameRoot === home ? plainMs : await byHandIn(join(home, 'by-hand-on-disk'));
    if (sameRoot !== home) line('by hand on disk (what building in memory saves)', `${(onDiskMs / 1000).toFixed(1)} s`);

    const { host, flip, during } = await rollbackUnderLoad(server, cliEnv);
    const { ssr, static: staticRatio } = await edgeThroughput({ byHand, env, server, host, track: (child) => (nextStart = child) });
    return { plainMs, onDiskMs, coldMs: cold.ms, ownS: own.total, warmMs: warm.ms, nextWarmMs, restoredBytes: restored.total, savedS, flipMs: flip.flipMs, flipFailed: during.failed, ssr, static: staticRatio };
  } finally {
    nextStart?.kill();
    await stopProcess(serverChild);
    await store?.close();
    // destroy also removes what the project had outside the platform dir (its sandbox folders).
    await anchorCli(BIN, ['destroy', '--yes'], { PATH: process.env.PATH, HOME: home, ANCHOR_HOME: join(home, '.anchor'), CI: '1' }).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
    for (const dir of elsewhere) rmSync(dir, { recursive: true, force: true });
  }
}

/** Baseline for the warm push: `next build` alone on the same change, by hand, its .next/cache kept. */
async function warmNextBuild(byHand, env) {
  writeFileSync(join(byHand, 'app', 'version.js'), "export const VERSION = 'v2';\n");
  const started = now();
  await run(join(byHand, 'node_modules', '.bin', 'next'), ['build'], byHand, env);
  return now() - started;
}

/** What the packaging cache did in each build, and what CodeBuild's S3 cache would carry for this project. */
async function packagingLines(store, home, cold, warm) {
  const packaging = async (deploymentId) => {
    const lines = (await store.ports.logs.read(deploymentId, { after: 0 })).map((l) => l.text);
    const found = lines.map((text) => PACKAGING_SUMMARY.exec(text)).find(Boolean);
    return found ? { patchS: Number(found[1]), reused: Number(found[2]), patched: Number(found[3]), depsS: Number(found[4]) } : null;
  };
  const [coldPack, warmPack] = [await packaging(cold.deploymentId), await packaging(warm.deploymentId)];
  const show = (p) => (p ? `patches ${p.patchS} s (${p.reused} reused, ${p.patched} patched), sharp ${p.depsS} s` : 'no packaging summary');
  line('  packaging cold', show(coldPack));
  line('  packaging warm', show(warmPack));
  // What CodeBuild's S3 cache would carry for this project (the buildspec's cache paths: npm's
  // cache, .next/cache, the packaging cache), measured on this build cache, against the build
  // time the second build saved here.
  // As root, each project's HOME and tools (npm's cache, the packaging cache) are in its sandbox
  // folder, /var/lib/anchor/sites/<uid>, not under the platform's home.
  const uids = store.db.prepare('SELECT uid FROM sandbox_uids').all().map((row) => row.uid);
  const restored = cacheBytes([home, ...uids.map((uid) => join(SANDBOX_STATE_DIR, 'sites', String(uid)))].filter((dir) => existsSync(dir)));
  const savedS = (phase(cold.deployment, 'building') - phase(warm.deployment, 'building')) / 1000;
  const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
  line('CodeBuild cache, same layout: bytes restored', `${mb(restored.total)}`, `(npm ${mb(restored.npm)}, .next/cache ${mb(restored.next)}, packaging ${mb(restored.packaging)})`);
  line('CodeBuild cache: build time it saves here', `${savedS.toFixed(1)} s`, `pays off while S3 restores faster than ${mb(restored.total / Math.max(savedS, 0.1))}/s`);
  return { restored, savedS };
}

/** Sizes of the build cache folders CodeBuild's cache paths hold (npm's cache, .next/cache, the packaging cache), found under `roots`. */
function cacheBytes(roots) {
  const sizes = { npm: 0, next: 0, packaging: 0 };
  const walk = (dir, depth) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.name === PACKAGING_DRIVER.cacheEntry && existsSync(join(full, 'patches'))) {
        sizes.packaging += treeBytes(full);
        if (existsSync(join(dir, 'npm'))) sizes.npm += treeBytes(join(dir, 'npm'));
      } else if (entry.name === 'next' && existsSync(join(dir, 'cache.json'))) sizes.next += treeBytes(full);
      else if (depth < 8) walk(full, depth + 1);
    }
  };
  for (const root of roots) walk(root, 0);
  return { ...sizes, total: sizes.npm + sizes.next + sizes.packaging };
}

function treeBytes(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}
