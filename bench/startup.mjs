// `anchor --help` and `anchor projects ls --json`, against `node -e 0`, in the same run. The three
// commands are run in turn, 31 rounds, so a noisy moment of the machine hits all of them alike.
// Their output goes to a pipe, as in `anchor projects ls --json | jq` or a CI log (in a terminal
// Node also loads node:tty, a few ms more).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { line, median, now, ratio } from './measure.mjs';

const BIN = fileURLToPath(new URL('../bin/anchor.js', import.meta.url));
const ROUNDS = 31;

export async function benchStartup() {
  const home = mkdtempSync(join(tmpdir(), 'anchor-bench-'));
  const env = { ...process.env, HOME: home, ANCHOR_HOME: join(home, '.anchor'), CI: '1' };
  const time = (args) => {
    const start = now();
    execFileSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return now() - start;
  };
  try {
    time([BIN, 'init', '--local']);
    time([BIN, 'projects', 'add', 'shop', '--repo', 'acme/shop']);
    // An empty ES module: what Node's ESM loader alone adds to any ESM entry such as bin/anchor.js.
    const empty = join(home, 'empty.mjs');
    writeFileSync(empty, '');
    const cases = { node: ['-e', '0'], esm: [empty], help: [BIN, '--help'], ls: [BIN, 'projects', 'ls', '--json'] };
    const runs = { node: [], esm: [], help: [], ls: [] };
    for (let round = 0; round < ROUNDS + 1; round++) {
      for (const [name, args] of Object.entries(cases)) {
        const ms = time(args);
        if (round > 0) runs[name].push(ms);
      }
    }
    const node = median(runs.node);
    const esm = median(runs.esm);
    const help = median(runs.help);
    const ls = median(runs.ls);
    process.stdout.write(`\nCLI start-up (median of ${ROUNDS} interleaved runs; baseline: node -e 0)\n`);
    line('node -e 0 (baseline)', `${node.toFixed(0)} ms`);
    line('node empty.mjs (the ESM loader alone)', `${esm.toFixed(0)} ms`, ratio(esm, node));
    line('anchor --help', `${help.toFixed(0)} ms`, `${ratio(help, node)}  (goal ≤ 1.3×; was 1.40×)`);
    line('anchor projects ls --json', `${ls.toFixed(0)} ms`, `${ratio(ls, node)}  (goal ≤ 1.3×; was 1.53×)`);
    return { nodeMs: node, esmMs: esm, helpMs: help, lsMs: ls };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
