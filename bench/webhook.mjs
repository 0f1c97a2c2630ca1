// Webhook acknowledgement: 100 concurrent signed deliveries to `anchor server`, against a bare
// Node HTTP server that reads the body and answers 202, in the same run. Then: deliveries lost.
// Two ways of sending the burst: on connections opened beforehand (the server's time, as wrk or
// autocannon measure it), and with each delivery opening its own connection from this process
// (which adds this process's own cost of opening 100 connections to every figure).
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalPorts } from '../dist/src/adapters/local/create-local-ports.js';
import { signPayload } from '../dist/src/core/webhook-signature.js';
import { anchorCli, line, now, percentile, preconnectedBurst, rawPost, startAnchorServer, stopProcess } from './measure.mjs';

const BIN = fileURLToPath(new URL('../bin/anchor.js', import.meta.url));

function deliver(port, path, delivery, agent) {
  return new Promise((resolve) => {
    const start = now();
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { ...delivery.headers, 'content-length': Buffer.byteLength(delivery.body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: now() - start }));
    });
    req.on('error', () => resolve({ status: 0, ms: now() - start }));
    req.end(delivery.body);
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// anchor's follow-up work after a burst (the first log lines, the 99 older pushes superseded, the
// newest one's build starting and failing) runs after each burst: measured apart, it would be in
// the next. The next burst starts once no deployment is queued or building.
async function settle(store, projectId) {
  for (let waited = 0; waited < 60_000; waited += 100) {
    const active = await store.ports.deployments.listByProject(projectId, { limit: 1, states: ['queued', 'building'] });
    if (active.length === 0) break;
    await pause(100);
  }
  await pause(200);
}

/**
 * A repository on this machine with one commit, which every delivery names, as GitHub's pushes
 * name commits that exist: the newest push of a burst checks it out and replaces the other 99,
 * and its build fails at once (no package.json). (Pushes of commits that cannot be checked out
 * would each be built in turn, one failing clone after another, for about 20 s per burst.)
 */
function siteRepo(home) {
  chmodSync(home, 0o755);
  const dir = join(home, 'site');
  mkdirSync(dir);
  writeFileSync(join(dir, 'README.md'), 'No package.json: the build fails once the commit is checked out.\n');
  const git = (...args) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: dir }).toString().trim();
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'bench');
  return { dir, head: git('rev-parse', 'HEAD') };
}

function preconnected(port, path, deliveries) {
  return preconnectedBurst(port, deliveries.map((d) => rawPost(path, d.headers, d.body)));
}

async function burst(port, path, deliveries) {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const results = await Promise.all(deliveries.map((d) => deliver(port, path, d, agent)));
  agent.destroy();
  return results;
}

function makeDeliveries(secret, n, sha = 'f'.repeat(40)) {
  return Array.from({ length: n }, (_, i) => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, head_commit: { id: sha, message: `commit ${i}` }, pusher: { name: 'bench' } });
    return { body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signPayload(secret, body) } };
  });
}

/** The baseline runs in its own process too: a bare Node server that reads the body, answers 202. */
async function startBaseline() {
  const baselineChild = spawn(process.execPath, ['-e', `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"message":"ok"}')); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const baselinePort = await new Promise((r) => baselineChild.stdout.once('data', (chunk) => r(Number(chunk.toString().trim()))));
  return { baselineChild, baselinePort };
}

export async function benchWebhook({ rounds = 8, warmup = 2, concurrency = 100 } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'anchor-bench-webhook-'));
  const { baselineChild, baselinePort } = await startBaseline();
  const env = { PATH: process.env.PATH, HOME: home, ANCHOR_HOME: join(home, '.anchor'), CI: '1' };
  await anchorCli(BIN, ['init', '--local'], env);
  const repo = siteRepo(home);
  const added = JSON.parse(await anchorCli(BIN, ['projects', 'add', 'bench', '--repo', repo.dir, '--json'], env));
  const project = added.project;
  const webhook = added.webhook;
  // `anchor server` in its own process, as an operator runs it.
  const { child, port } = await startAnchorServer(BIN, env, ['--concurrency', '1']);
  const server = { port };
  const store = createLocalPorts({ dir: join(home, '.anchor', 'platforms', 'local'), baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
  try {
    const anchorTimes = [];
    const baseTimes = [];
    const anchorFresh = [];
    const baseFresh = [];
    let accepted = 0;
    let sent = 0;
    const path = `/webhook/${project.id}`;
    for (let round = 0; round < warmup + rounds; round++) {
      const counted = round >= warmup;
      for (const [send, anchorInto, baseInto] of [
        [preconnected, anchorTimes, baseTimes],
        [burst, anchorFresh, baseFresh],
      ]) {
        const deliveries = makeDeliveries(webhook.secret, concurrency, repo.head);
        sent += deliveries.length;
        const a = await send(server.port, path, deliveries);
        accepted += a.filter((r) => r.status === 202).length;
        if (counted) anchorInto.push(...a.map((r) => r.ms));
        await settle(store, project.id);
        const b = await send(baselinePort, '/', makeDeliveries('x', concurrency));
        if (counted) baseInto.push(...b.map((r) => r.ms));
        await pause(200);
      }
    }
    // One at a time, as GitHub delivers the pushes of one repository.
    const single = [];
    const singleBase = [];
    for (const delivery of makeDeliveries(webhook.secret, 100, repo.head)) {
      sent += 1;
      const [a] = await burst(server.port, `/webhook/${project.id}`, [delivery]);
      if (a.status === 202) accepted += 1;
      single.push(a.ms);
      singleBase.push((await burst(baselinePort, '/', makeDeliveries('x', 1)))[0].ms);
    }
    const queued = (await store.ports.deployments.listByProject(project.id, { limit: 100000 })).length;
    const result = {
      p50: percentile(anchorTimes, 50),
      p99: percentile(anchorTimes, 99),
      baseP50: percentile(baseTimes, 50),
      baseP99: percentile(baseTimes, 99),
      freshP50: percentile(anchorFresh, 50),
      freshP99: percentile(anchorFresh, 99),
      freshBaseP50: percentile(baseFresh, 50),
      freshBaseP99: percentile(baseFresh, 99),
      singleP50: percentile(single, 50),
      singleP99: percentile(single, 99),
      singleBaseP99: percentile(singleBase, 99),
      sent,
      accepted,
      lost: sent - queued,
    };
    process.stdout.write(`\nWebhook acknowledgement (${rounds} rounds of ${concurrency} concurrent signed deliveries after ${warmup} to warm up; baseline: bare Node server answering 202)\n`);
    line('on open connections: baseline p50 / p99', `${result.baseP50.toFixed(1)} / ${result.baseP99.toFixed(1)} ms`);
    line('on open connections: anchor server p50 / p99', `${result.p50.toFixed(1)} / ${result.p99.toFixed(1)} ms`, `p99 ${(result.p99 / result.baseP99).toFixed(2)}× baseline (goal ≤ 1.3×, and p99 ≤ 25 ms)`);
    line('each opening its connection: baseline p50 / p99', `${result.freshBaseP50.toFixed(1)} / ${result.freshBaseP99.toFixed(1)} ms`);
    line('each opening its connection: anchor p50 / p99', `${result.freshP50.toFixed(1)} / ${result.freshP99.toFixed(1)} ms`, `p99 ${(result.freshP99 / result.freshBaseP99).toFixed(2)}× baseline`);
    line('one delivery at a time: baseline p99 / anchor p50 / p99', `${result.singleBaseP99.toFixed(1)} / ${result.singleP50.toFixed(1)} / ${result.singleP99.toFixed(1)} ms`, `p99 ${(result.singleP99 / result.singleBaseP99).toFixed(2)}× baseline`);
    line('deliveries sent / answered 202 / lost', `${sent} / ${accepted} / ${result.lost}`, '(goal: 0 lost)');
    return result;
  } finally {
    await stopProcess(child);
    await store.close();
    baselineChild.kill();
    rmSync(home, { recursive: true, force: true });
  }
}
