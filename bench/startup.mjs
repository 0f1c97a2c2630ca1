// `anchor --help` and `anchor projects ls --json`, against `node -e 0`, in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { line, ratio, timeCommand } from './measure.mjs';

const BIN = fileURLToPath(new URL('../bin/anchor.js', import.meta.url));

export async function benchStartup() {
  const home = mkdtempSync(join(tmpdir(), 'anchor-bench-'));
  const env = { PATH: process.env.PATH, HOME: home, ANCHOR_HOME: join(home, '.anchor'), CI: '1' };
  try {
    await timeCommand(process.execPath, [BIN, 'init', '--local'], { env }, 0);
    await timeCommand(process.execPath, [BIN, 'projects', 'add', 'shop', '--repo', 'acme/shop'], { env }, 0);
    const node = await timeCommand(process.execPath, ['-e', '0'], { env });
    const help = await timeCommand(process.execPath, [BIN, '--help'], { env });
    const ls = await timeCommand(process.execPath, [BIN, 'projects', 'ls', '--json'], { env });
    process.stdout.write('\nCLI start-up (median of 9, baseline: node -e 0)\n');
    line('node -e 0 (baseline)', `${node.toFixed(0)} ms`);
    line('anchor --help', `${help.toFixed(0)} ms`, `${ratio(help, node)}  (goal ≤ 1.5×)`);
    line('anchor projects ls --json', `${ls.toFixed(0)} ms`, `${ratio(ls, node)}  (goal ≤ 1.5×)`);
    return { nodeMs: node, helpMs: help, lsMs: ls };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
