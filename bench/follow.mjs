// Log follow: time from a line written to a deployment's log to `anchor logs --follow` printing it,
// against `tail -f` on the same file, in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalPorts } from '../dist/src/adapters/local/create-local-ports.js';
import { line, now, percentile } from './measure.mjs';

const BIN = fileURLToPath(new URL('../bin/anchor.js', import.meta.url));
const LINES = 40;

function follower(command, args, env, parse) {
  const seen = new Map();
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    const at = now();
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      const n = parse(part);
      if (n !== null && !seen.has(n)) seen.set(n, at);
    }
  });
  return { child, seen };
}

export async function benchFollow() {
  const home = mkdtempSync(join(tmpdir(), 'anchor-bench-follow-'));
  const env = { PATH: process.env.PATH, HOME: home, ANCHOR_HOME: join(home, '.anchor'), CI: '1' };
  try {
    await new Promise((r) => spawn(process.execPath, [BIN, 'init', '--local'], { env, stdio: 'ignore' }).on('close', r));
    await new Promise((r) => spawn(process.execPath, [BIN, 'projects', 'add', 'shop', '--repo', 'acme/shop'], { env, stdio: 'ignore' }).on('close', r));
    const platform = createLocalPorts({ dir: join(home, '.anchor', 'platforms', 'local'), baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
    const { ports } = platform;
    const project = await ports.projects.get('shop');
    const at = () => new Date().toISOString();
    const d = await ports.deployments.create({ id: 'd_bench', projectId: project.id, state: 'queued', commitSha: null, commitMessage: null, ref: 'main', trigger: { kind: 'manual', ref: 'main' }, transitions: [{ state: 'queued', at: at() }], reason: null, buildId: null, runtimeEnv: null, createdAt: at() });
    await ports.deployments.transition(d.id, ['queued'], 'building', at());
    await ports.logs.append(d.id, ['start'], at());
    const logFile = join(home, '.anchor', 'platforms', 'local', 'logs', `${d.id}.jsonl`);

    const anchor = follower(process.execPath, [BIN, 'logs', d.id, '--follow', '--json'], env, (text) => {
      const m = /"text":"line (\d+)"/.exec(text);
      return m ? Number(m[1]) : null;
    });
    const tail = follower('tail', ['-n', '0', '-f', logFile], env, (text) => {
      const m = /"text":"line (\d+)"/.exec(text);
      return m ? Number(m[1]) : null;
    });
    await new Promise((r) => setTimeout(r, 1500));
    const written = new Map();
    for (let i = 1; i <= LINES; i++) {
      written.set(i, now());
      await ports.logs.append(d.id, [`line ${i}`], at());
      await new Promise((r) => setTimeout(r, 60 + Math.random() * 80));
    }
    await new Promise((r) => setTimeout(r, 1000));
    await ports.deployments.transition(d.id, ['building'], 'failed', at(), { reason: 'bench' });
    await new Promise((r) => anchor.child.on('close', r));
    tail.child.kill();
    await platform.close();
    const delays = (seen) => [...written].filter(([n]) => seen.has(n)).map(([n, t]) => seen.get(n) - t);
    const a = delays(anchor.seen);
    const b = delays(tail.seen);
    process.stdout.write(`\nLog follow (${LINES} lines written ~100 ms apart; baseline: tail -f on the same file)\n`);
    line('tail -f p50 / p99 (baseline)', `${percentile(b, 50).toFixed(0)} / ${percentile(b, 99).toFixed(0)} ms`);
    line('anchor logs --follow p50 / p99', `${percentile(a, 50).toFixed(0)} / ${percentile(a, 99).toFixed(0)} ms`, `lines shown ${a.length}/${LINES} (goal p50 ≤ 250 ms)`);
    return { p50: percentile(a, 50), p99: percentile(a, 99), baselineP50: percentile(b, 50), shown: a.length };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
