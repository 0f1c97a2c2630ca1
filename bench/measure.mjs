// Small measuring tools shared by the benchmarks: timing, percentiles, a keep-alive load loop.
import { execFile, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

export function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function median(values) {
  return percentile(values, 50);
}

/** Wall time of a command, median of `runs`, after one warm-up. */
export async function timeCommand(file, args, options = {}, runs = 9) {
  const once = () =>
    new Promise((resolve, reject) => {
      const start = now();
      execFile(file, args, options, (error) => (error ? reject(error) : resolve(now() - start)));
    });
  await once();
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return median(times);
}

/** GETs `path` with `concurrency` keep-alive clients for `ms`; answers requests/s and failures. */
export async function load({ port, host, path, concurrency = 16, ms = 4000 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let ok = 0;
  let failed = 0;
  const until = now() + ms;
  const one = () =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path, agent, headers: { host } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failed++;
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end();
    });
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < until) await one();
    }),
  );
  agent.destroy();
  return { rps: ok / ((now() - started) / 1000), ok, failed };
}

export function ratio(value, baseline) {
  return `${(value / baseline).toFixed(2)}×`;
}

export function line(name, value, note = '') {
  process.stdout.write(`  ${name.padEnd(58)} ${String(value).padEnd(26)} ${note}\n`);
}

/** `anchor <args>` as a child process; resolves with stdout (rejects on a non-zero exit). */
export function anchorCli(bin, args, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { env }, (error, stdout, stderr) => (error ? reject(new Error(`anchor ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)));
  });
}

/** Starts `anchor server` as its own process (as an operator runs it); resolves with its port. */
export function startAnchorServer(bin, env, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'server', '--port', '0', '--json', ...extraArgs], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      try {
        const info = JSON.parse(out);
        resolve({ child, port: info.port, buildDir: info.buildDir });
      } catch {
        // Not the whole document yet.
      }
    });
    child.once('exit', (code) => reject(new Error(`anchor server exited with ${code}`)));
  });
}

export async function stopProcess(child) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Sends each raw HTTP/1.1 request (one per connection) at once, on connections opened beforehand,
 * as a load generator like wrk does: the time measured is the server's, from the request written to
 * the whole answer read, not this process's own cost of opening 100 connections. Each request must
 * carry `connection: close`; answers must carry a content-length.
 */
export async function preconnectedBurst(port, requests) {
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => resolve(socket));
          socket.setNoDelay(true);
          socket.once('error', reject);
        }),
    ),
  );
  // Let the server take them all in (accept, set up its parser) before the clock starts.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const answers = sockets.map(
    (socket) =>
      new Promise((resolve) => {
        let received = Buffer.alloc(0);
        // Closed once all have answered: closing costs this process time the next answer would wait on.
        const done = (status) => resolve({ status, ms: now() - start });
        socket.on('data', (chunk) => {
          received = Buffer.concat([received, chunk]);
          const head = received.indexOf('\r\n\r\n');
          if (head < 0) return;
          const length = Number(/content-length: *(\d+)/i.exec(received.subarray(0, head).toString('latin1'))?.[1] ?? 0);
          if (received.length - head - 4 >= length) done(Number(received.subarray(9, 12).toString('latin1')));
        });
        socket.once('error', () => done(0));
        socket.once('end', () => done(0));
      }),
  );
  const start = now();
  for (let i = 0; i < sockets.length; i++) sockets[i].write(requests[i]);
  const results = await Promise.all(answers);
  for (const socket of sockets) socket.destroy();
  return results;
}

/** A raw HTTP/1.1 POST, one per connection, for preconnectedBurst. */
export function rawPost(path, headers, body) {
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close', `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]);
}
