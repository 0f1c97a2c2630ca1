// Edge throughput over HTTPS against the same over HTTP, in the same run: keep-alive GETs of a
// static file through anchor server's edge, on <project>.localhost (HTTP, the baseline) and on a
// custom domain (HTTPS with SNI, a P-256 certificate as anchor obtains). Goal: TLS costs ≤ 15 %.
// The load runs in a worker thread, so the server's event loop is its own (as behind a real client).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createLocalPorts } from '../dist/src/adapters/local/create-local-ports.js';
import { createLocalDomainPorts } from '../dist/src/adapters/local/create-local-domain-ports.js';
import { startLocalServer } from '../dist/src/adapters/local/server/create-local-server.js';
import { CertificateFiles } from '../dist/src/adapters/local/tls/certificate-files.js';
import { tlsPaths } from '../dist/src/adapters/local/tls/domain-serving.js';
import { addProject } from '../dist/src/core/use-cases/projects.js';
import { addDomain } from '../dist/src/core/use-cases/domains.js';
import { line, ratio } from './measure.mjs';

const DOMAIN = 'bench.example.com';
const NEVER_CONTACTED = 'https://127.0.0.1:9/directory';

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** A build's output with a static file of `bytes` (what the edge serves from disk), and a server function that is never asked. */
function artifact(dir, sizes) {
  const write = (file, text) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  write('open-next.output.json', JSON.stringify({ behaviors: [{ pattern: '_next/*', origin: 's3' }, { pattern: '*', origin: 'default' }] }));
  for (const bytes of sizes) write(`assets/_next/static/chunks/c${bytes}.js`, `/*${'x'.repeat(bytes - 4)}*/`);
  const handler = 'export const handler = awslambda.streamifyResponse(async (_e, s) => { s = awslambda.HttpResponseStream.from(s, { statusCode: 200, headers: {} }); s.end("ok"); });\n';
  write('server-functions/default/index.mjs', handler);
  write('image-optimization-function/index.mjs', handler);
  write(`image-optimization-function/node_modules/@img/sharp-linux-${process.arch}/package.json`, '{}');
  return { deploymentId: 'd_bench', location: dir, bytes: 0 };
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const now = () => Number(process.hrtime.bigint()) / 1e6;
parentPort.on('message', async ({ secure, path, ms, concurrency }) => {
  const lib = secure ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: concurrency, ...(secure ? { ca: workerData.ca } : {}) });
  const options = secure
    ? { host: workerData.domain, port: workerData.httpsPort, lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]) }
    : { host: '127.0.0.1', port: workerData.httpPort, headers: { host: 'bench.localhost' } };
  let ok = 0, failed = 0;
  const until = now() + ms;
  const one = () => new Promise((resolve) => {
    const req = lib.request({ ...options, path, agent }, (res) => { res.resume(); res.on('end', () => { res.statusCode === 200 ? ok++ : failed++; resolve(); }); });
    req.on('error', () => { failed++; resolve(); });
    req.end();
  });
  const started = now();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (now() < until) await one(); }));
  agent.destroy();
  parentPort.postMessage({ rps: ok / ((now() - started) / 1000), ok, failed });
});`;

export async function benchTls({ ms = 2000, rounds = 4, concurrency = 16, sizes = [1024, 40 * 1024] } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'anchor-bench-tls-'));
  // Public DNS for the names under test: Pebble's DNS test server answers 127.0.0.1 for every name.
  const dnsPort = await freePort();
  const dns = spawn('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${await freePort()}`], { stdio: 'ignore' });
  const dir = join(home, 'platform');
  const baseEnv = { PATH: process.env.PATH ?? '', HOME: home };
  const dnsServers = [`127.0.0.1:${dnsPort}`];
  // As an operator would: the project and its domain first (the CLI), then the server.
  const cli = createLocalPorts({ dir, baseEnv, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
  mkdirSync(join(home, 'repo'));
  await addProject({ ...cli.ports, repoHooks: null }, { name: 'bench', repo: { kind: 'path', url: join(home, 'repo') }, branch: 'main', root: '', webhookBaseUrl: 'http://anchor.bench' });
  await addDomain({ ...cli.ports, ...createLocalDomainPorts(cli, { publicUrl: 'http://anchor.bench', listenHost: '127.0.0.1', dnsServers }) }, { project: 'bench', domain: DOMAIN, www: 'none', manageDns: false });
  await cli.close();
  // A certificate as anchor would have obtained it (ECDSA P-256), put where anchor keeps them.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30', '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN}`, '-keyout', join(home, 'key.pem'), '-out', join(home, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(home, 'cert.pem'), 'utf8');
  new CertificateFiles(tlsPaths(dir).certificates).write(DOMAIN, { keyPem: readFileSync(join(home, 'key.pem'), 'utf8'), chainPem: cert, directory: NEVER_CONTACTED });
  const server = await startLocalServer({
    dir,
    baseEnv,
    githubToken: undefined,
    githubApiUrl: undefined,
    host: '127.0.0.1',
    port: 0,
    concurrency: 1,
    logStream: { write: () => true },
    domains: { httpsPort: 0, publicUrl: 'http://anchor.bench', acmeDirectory: NEVER_CONTACTED, trustedCa: [cert], dnsServers, tickMs: 200 },
  });
  let worker;
  try {
    const version = await server.functions.publish({ projectName: 'bench', deploymentId: 'd_bench', artifact: artifact(join(home, 'artifact'), sizes), env: {} });
    await server.functions.activate('bench', version, 1);
    const deps = { ...server.ports, ...server.domains.ports };
    const until = Date.now() + 30_000;
    while ((await deps.domains.get(DOMAIN))?.state !== 'active') {
      if (Date.now() > until) throw new Error(`${DOMAIN} did not become active: ${JSON.stringify(await deps.domains.get(DOMAIN))}`);
      await server.domains.reconciler.refresh();
      await new Promise((r) => setTimeout(r, 200));
    }
    worker = new Worker(WORKER, { eval: true, workerData: { ca: cert, domain: DOMAIN, httpPort: server.port, httpsPort: server.httpsPort } });
    const run = (secure, path, time = ms) =>
      new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage({ secure, path, ms: time, concurrency });
      });
    process.stdout.write(`\nEdge over HTTPS (SNI, keep-alive, ${concurrency} clients) against HTTP, static files (baseline: HTTP in the same run)\n`);
    const results = {};
    for (const bytes of sizes) {
      const path = `/_next/static/chunks/c${bytes}.js`;
      await run(false, path, 500);
      await run(true, path, 500);
      // Interleaved pairs, so a slow moment of this shared machine falls on both sides alike.
      const http = [];
      const tls = [];
      for (let i = 0; i < rounds; i++) {
        http.push(await run(false, path));
        tls.push(await run(true, path));
      }
      const rate = (list) => list.reduce((sum, r) => sum + r.rps, 0) / list.length;
      const failed = [...http, ...tls].reduce((sum, r) => sum + r.failed, 0);
      const size = bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`;
      line(`HTTP, ${size} static file (baseline)`, `${rate(http).toFixed(0)} req/s`);
      line(`HTTPS, ${size} static file`, `${rate(tls).toFixed(0)} req/s`, `${ratio(rate(tls), rate(http))} (goal ≥ 0.85×; failed ${failed})`);
      results[bytes] = { http: rate(http), https: rate(tls), ratio: rate(tls) / rate(http), failed };
    }
    return results;
  } finally {
    await worker?.terminate();
    await server.close();
    dns.kill('SIGTERM');
    rmSync(home, { recursive: true, force: true });
  }
}
