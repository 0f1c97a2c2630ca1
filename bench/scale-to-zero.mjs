// Scale to zero, with the real sample Next.js app live on 30 projects of one `anchor server`:
// - memory (RSS of the server and every function process) with all 30 sites stopped after their
//   idle time, against the same server just started with no site running (baseline, same run), and
//   against one site running;
// - the first request to a stopped site (its server function starts while the request waits)
//   against a warm request to the same site right after (baseline, same run).
// The app is built once; its one artifact is deployed to every project (no 30 builds).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalPorts } from '../dist/src/adapters/local/create-local-ports.js';
import { templatesDir } from '../dist/src/lib/templates-dir.js';
import { addProject } from '../dist/src/core/use-cases/projects.js';
import { anchorCli, line, median, now, ratio, startAnchorServer, stopProcess } from './measure.mjs';

const BIN = fileURLToPath(new URL('../bin/anchor.js', import.meta.url));
const SITES = 30;
const IDLE_STOP = '3s';
const COLD_SAMPLES = 7;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function run(cmd, args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

function get(port, host, path) {
  return new Promise((resolve, reject) => {
    const start = now();
    request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text, ms: now() - start }));
    })
      .on('error', reject)
      .end();
  });
}

/** A process and all its descendants. */
function processTree(pid) {
  const children = (p) =>
    readdirSync(`/proc/${p}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  const found = [];
  const visit = (p) => {
    try {
      const kids = children(p);
      found.push(p);
      for (const child of kids) visit(child);
    } catch {
      // Exited while we looked.
    }
  };
  visit(pid);
  return found;
}

/** Resident memory of a process and all its descendants, in MB. */
function treeRssMb(pid) {
  let total = 0;
  let count = 0;
  for (const p of processTree(pid)) {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      count++;
    } catch {
      // Exited while we looked.
    }
  }
  return { mb: total, processes: count };
}

/** CPU time (user + system) a deployment's server function process has used so far, in ms: the cold start's cost whatever the machine's load. */
function functionCpuMs(serverPid, deploymentId) {
  const pid = processTree(serverPid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${deploymentId}/server-functions`);
    } catch {
      return false;
    }
  });
  if (pid === undefined) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function waitUntil(check, what, timeoutMs = 120_000) {
  const until = now() + timeoutMs;
  while (!(await check())) {
    if (now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function benchScaleToZero() {
  const home = mkdtempSync(join(tmpdir(), 'anchor-bench-idle-'));
  const app = join(home, 'site');
  const env = { PATH: process.env.PATH, HOME: home, NEXT_TELEMETRY_DISABLED: '1', CI: '1' };
  const cliEnv = { ...env, ANCHOR_HOME: join(home, '.anchor') };
  let serverChild;
  let store;
  try {
    process.stdout.write(`\nScale to zero: the sample Next.js app live on ${SITES} projects (one build, one artifact; takes a few minutes)\n`);
    cpSync(join(templatesDir(), 'sample-app'), app, { recursive: true, filter: (src) => !/node_modules|\.next|\.open-next/.test(src) });
    cpSync(join(templatesDir(), 'open-next.config.ts'), join(app, 'open-next.config.ts'));
    await run('npm', ['ci', '--no-audit', '--no-fund'], app, env);
    await run(join(app, 'node_modules', '.bin', 'open-next'), ['build'], app, env);
    if (!existsSync(join(app, '.open-next', 'image-optimization-function', 'node_modules', 'sharp'))) throw new Error('the OpenNext build installed no sharp (npm registry unreachable?)');
    execFileSync('git', ['init', '-q', '--initial-branch=main'], { cwd: app });

    await anchorCli(BIN, ['init', '--local'], cliEnv);
    const started = await startAnchorServer(BIN, cliEnv, ['--idle-stop', IDLE_STOP]);
    serverChild = started.child;
    const port = started.port;
    store = createLocalPorts({ dir: join(home, '.anchor', 'platforms', 'local'), baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
    const ports = store.ports;
    await new Promise((r) => setTimeout(r, 1000));
    const empty = treeRssMb(serverChild.pid);

    const deployments = [];
    for (let i = 1; i <= SITES; i++) {
      const { project } = await addProject({ ...ports, repoHooks: null }, { name: `site${i}`, repo: { kind: 'path', url: app }, branch: 'main', root: '', webhookBaseUrl: `http://127.0.0.1:${port}` });
      const at = new Date().toISOString();
      const id = ports.ids.next('d');
      // Made live in the store, as a CLI that could not reach the server flips it: the server's
      // control socket publishes only what went live, and the server serves a flip it was not
      // told about within a second (its reconcile loop), each site ready to start on demand.
      await ports.deployments.create({ id, projectId: project.id, state: 'deploying', commitSha: null, commitMessage: null, ref: 'main', trigger: { kind: 'manual', ref: 'main' }, transitions: [{ state: 'deploying', at }], reason: null, buildId: null, runtimeEnv: null, createdAt: at });
      await ports.artifacts.store({ projectName: project.name, deploymentId: id }, { kind: 'directory', path: join(app, '.open-next') });
      const flipped = await ports.deployments.promote({ projectId: project.id, deploymentId: id, expectedRevision: null, onlyIfNewer: true, at });
      if (!flipped.ok) throw new Error(`site${i} could not be made live: ${flipped.reason}`);
      deployments.push({ name: `site${i}`, id });
    }
    const ids = deployments.map((d) => d.id);
    const allIdle = async () => [...(await ports.functionStates.of(ids)).values()].every((s) => s.state === 'idle');
    await waitUntil(async () => (await ports.functionStates.of(ids)).size === SITES && (await allIdle()), `all ${SITES} sites are idle`);
    const idle = treeRssMb(serverChild.pid);

    // One site running: what each of the 30 would cost without idle stops.
    const host = (name) => `${name}.localhost:${port}`;
    const first = deployments[0];
    await get(port, host(first.name), '/');
    const oneRunning = treeRssMb(serverChild.pid);

    // Cold (stopped) against warm, on sites nobody has asked for since they went idle.
    const cold = [];
    const coldCpu = [];
    const warm = [];
    for (const site of deployments.slice(1, 1 + COLD_SAMPLES)) {
      const c = await get(port, host(site.name), '/');
      coldCpu.push(functionCpuMs(serverChild.pid, site.id));
      const w = await get(port, host(site.name), '/');
      if (c.status !== 200 || w.status !== 200 || !c.body.includes('Hello')) throw new Error(`${site.name} answered ${c.status}/${w.status}`);
      cold.push(c.ms);
      warm.push(w.ms);
    }
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

    line(`server alone, just started (baseline)`, `${empty.mb.toFixed(0)} MB`, `${empty.processes} process`);
    line(`${SITES} live sites, all stopped after ${IDLE_STOP} idle: server + functions`, `${idle.mb.toFixed(0)} MB`, `${idle.processes} process(es); ${((idle.mb - empty.mb) / SITES).toFixed(1)} MB per stopped site (goal ~0)`);
    line('the same with one site running', `${oneRunning.mb.toFixed(0)} MB`, `${(oneRunning.mb - idle.mb).toFixed(0)} MB for one running site → ~${((oneRunning.mb - idle.mb) * SITES / 1024).toFixed(1)} GB for ${SITES} without idle stops`);
    line('warm request to a running site, median (baseline)', `${median(warm).toFixed(0)} ms`);
    line(`first request to a stopped site, median of ${cold.length}`, `${median(cold).toFixed(0)} ms`, `+${(median(cold) - median(warm)).toFixed(0)} ms, ${ratio(median(cold), median(warm))} the warm one (goal ≤ 1 s; worst ${Math.max(...cold).toFixed(0)} ms; load average ${load} on ${cpus().length} cores)`);
    line('  CPU the function used for that start and first answer', `${median(coldCpu).toFixed(0)} ms`, '(what the wall time would be on an idle core)');
    return { emptyMb: empty.mb, idleMb: idle.mb, idleProcesses: idle.processes, oneRunningMb: oneRunning.mb, coldMs: median(cold), coldCpuMs: median(coldCpu), warmMs: median(warm) };
  } finally {
    await stopProcess(serverChild);
    await store?.close();
    rmSync(home, { recursive: true, force: true });
  }
}
