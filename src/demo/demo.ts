// `npm run demo`: the whole job on the local backend, on a fresh machine, in a temp ANCHOR_HOME.
// A sample Next.js site is committed to a local git repo, pushed (a signed GitHub push webhook),
// built with OpenNext, served, changed, and rolled back — through the real `anchor` CLI.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCliEnv } from '../cli/env.js';
import { signPayload } from '../core/webhook-signature.js';
import { templatesDir } from '../lib/templates-dir.js';

const keep = process.argv.includes('--keep');
const bin = fileURLToPath(new URL('../../../bin/anchor.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'anchor-demo-'));
// Run as root, anchor builds each project as a uid of its own: it must pass through to the repository
// (the platform dir inside is closed by itself).
chmodSync(home, 0o711);
const repo = join(home, 'my-site');
const env = { ...readCliEnv().baseEnv, ANCHOR_HOME: join(home, '.anchor'), NEXT_TELEMETRY_DISABLED: '1', CI: '1' };
const bold = (s: string) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[22m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\u001b[2m${s}\u001b[22m` : s);
let server = null as ChildProcess | null;
/** The `anchor` commands running now (a `logs --follow`): stopped with the demo. */
const commands = new Set<ChildProcess>();

function step(text: string): void {
  process.stdout.write(`\n${bold(`▌ ${text}`)}\n`);
}

/** Runs `anchor <args>` as a user would, showing the command and its output. */
function anchor(args: string[], options: { quiet?: boolean } = {}): Promise<string> {
  // Stopping (a signal came while the demo went on): nothing new starts, it would outlive the demo.
  if (stopped !== null) return new Promise<string>(() => undefined);
  process.stdout.write(`${dim('$')} anchor ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    commands.add(child);
    child.once('exit', () => commands.delete(child));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!options.quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`anchor ${args.join(' ')} exited with ${code}`))));
  });
}

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Demo', '-c', 'user.email=demo@example.com', ...args], { cwd: repo, encoding: 'utf8' }).trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 8080));
    });
  });
}

function httpGet(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

function post(port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What GitHub sends on a push: the payload, the event, a delivery id, the HMAC of the bytes. */
async function deliverPush(port: number, webhook: { url: string; secret: string }, sha: string, message: string): Promise<string> {
  const body = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, created: false, deleted: false, head_commit: { id: sha, message }, pusher: { name: 'demo', email: 'demo@example.com' } });
  const path = new URL(webhook.url).pathname;
  process.stdout.write(`${dim('→')} POST ${path}  (X-GitHub-Event: push, signed with the project's secret)\n`);
  const answer = await post(port, path, body, { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': signPayload(webhook.secret, body) });
  process.stdout.write(`${dim('←')} ${answer.status} ${answer.body}\n`);
  if (answer.status !== 202) throw new Error(`the webhook answered ${answer.status}`);
  return (JSON.parse(answer.body) as { deploymentId: string }).deploymentId;
}

async function showPage(port: number, expect: string): Promise<void> {
  const page = await httpGet(port, `demo.localhost:${port}`, '/');
  const greeting = /<h1 id="greeting">(.*?)<\/h1>/.exec(page.body)?.[1] ?? '?';
  const version = /<p id="version">(.*?)<\/p>/.exec(page.body)?.[1]?.replace(/<!-- -->/g, '') ?? '?';
  process.stdout.write(`${dim('GET')} http://demo.localhost:${port}/ → ${page.status}: "${greeting}", ${version}\n`);
  if (page.status !== 200 || !version.includes(expect)) throw new Error(`expected ${expect} on the page, got ${version}`);
}

async function main(): Promise<void> {
  const port = await freePort();
  step('1. Set up a local platform (no cloud account needed)');
  await anchor(['init', '--local', '--port', String(port)]);

  step('2. A Next.js site in a git repository');
  cpSync(join(templatesDir(), 'sample-app'), repo, { recursive: true, filter: (src) => !/node_modules|\.next|\.open-next/.test(src) });
  execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: repo });
  git('add', '--all');
  git('commit', '--quiet', '-m', 'First version');
  const v1 = git('rev-parse', 'HEAD');
  process.stdout.write(`${repo} @ ${v1.slice(0, 7)} "First version"\n`);

  step('3. Register it as a project, with a runtime variable');
  const added = JSON.parse(await anchor(['projects', 'add', 'demo', '--repo', repo, '--json'], { quiet: true })) as { webhook: { url: string; secret: string } };
  process.stdout.write(`webhook: ${added.webhook.url}\n`);
  await anchor(['env', 'set', 'demo', 'GREETING=Hello from anchor v1', '--target', 'runtime']);

  step('4. Start the platform: webhooks, builds and the edge on one port');
  process.stdout.write(`${dim('$')} anchor server &\n`);
  // In a process group of its own: a Ctrl-C in the terminal reaches the demo alone, which then
  // stops the server once (a second signal would make it stop at once, without cleaning up).
  server = spawn(process.execPath, [bin, 'server'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stderr?.on('data', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server?.stdout?.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      if (chunk.toString().includes('listening')) resolve();
    });
    server?.once('exit', (code) => reject(new Error(`anchor server exited with ${code}`)));
  });

  step('5. Push: GitHub delivers a push webhook; anchor builds it with OpenNext and puts it live');
  const first = await deliverPush(port, added.webhook, v1, 'First version');
  await anchor(['logs', first, '--follow']);
  await showPage(port, 'v1');

  step('6. Change the site and push again');
  writeFileSync(join(repo, 'app', 'version.js'), "export const VERSION = 'v2';\n");
  git('commit', '--quiet', '-am', 'Second version');
  const v2 = git('rev-parse', 'HEAD');
  await anchor(['env', 'set', 'demo', 'GREETING=Hello from anchor v2', '--target', 'runtime']);
  const second = await deliverPush(port, added.webhook, v2, 'Second version');
  await anchor(['logs', second, '--follow']);
  await showPage(port, 'v2');
  await anchor(['deployments', 'ls', 'demo']);

  step('7. Roll back: instant, no rebuild, env included');
  await anchor(['rollback', 'demo']);
  await showPage(port, 'v1');

  step('Done');
  const url = `http://demo.localhost:${port}/`;
  if (keep) {
    process.stdout.write(
      [
        `The server is still running: open ${url} in a browser.`,
        'Try next (in another terminal):',
        `  export ANCHOR_HOME=${join(home, '.anchor')}`,
        '  npx anchor deployments ls demo',
        `  npx anchor rollback demo ${second}        # forward again`,
        '  npx anchor env set demo GREETING=hi && npx anchor deploy demo --follow',
        'Ctrl-C stops the server.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => server?.once('exit', () => resolve()));
    return;
  }
  process.stdout.write(
    [
      'anchor built, served, changed and rolled back a Next.js site on this machine.',
      'Try next:',
      '  npm run demo -- --keep       # leave the server running and open the site in a browser',
      '  npx anchor --help            # every command; README.md has the walkthrough',
      '',
    ].join('\n'),
  );
}

/**
 * Stops the server (and with it the site's processes) and any `anchor` command still running,
 * once: a second SIGTERM would make the server stop at once, without cleaning up.
 */
let stopped: Promise<void> | null = null;
function stopAll(): Promise<void> {
  stopped ??= (async () => {
    for (const child of commands) child.kill('SIGTERM');
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  })();
  return stopped;
}

// Stopped from outside (SIGTERM from a process manager or `npm run demo` being stopped, Ctrl-C):
// the server must not be left running on its own.
let stopping = false;
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nStopping the demo (${signal}): the server and its sites stop too.\n`);
    void stopAll().finally(() => {
      removeDemoPlatform();
      process.exit(code);
    });
  });
}

/** destroy also removes what the project had outside the platform dir (its sandbox folders). */
function removeDemoPlatform(): void {
  try {
    execFileSync(process.execPath, [bin, 'destroy', '--yes'], { env, stdio: 'ignore' });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  process.stderr.write(`\n✖ The demo stopped: ${error instanceof Error ? error.message : String(error)}\n  (anchor's files are in ${home})\n`);
} finally {
  await stopAll();
  if (!failed) removeDemoPlatform();
  process.exitCode = failed ? 1 : 0;
}
