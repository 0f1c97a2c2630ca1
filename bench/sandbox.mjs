// What isolating builds and sites costs: the start of a build step (`git --version`, as each git,
// npm and OpenNext step starts) and of a function process (start → listening), run as this user
// (the baseline), as a sandbox uid, in bubblewrap, and both. Rounds interleave the ways, so a
// noisy moment of the machine hits all of them alike.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { line, median, now, ratio } from './measure.mjs';

const dist = new URL('../dist/src/adapters/local/', import.meta.url);
const ROUNDS = 15;
const UID = 1_900_000_000; // the probe uid: never a project's

const TINY_HANDLER = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
  stream = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
  stream.end('ok');
});
`;

export async function benchSandbox() {
  const [{ execa }, { BuildProcesses }, { bwrapArgs }, { readIsolationFacts }, { startHandlerProcess, handlerChildEntry }] = await Promise.all([
    import('execa'),
    import(new URL('build/build-processes.js', dist).href),
    import(new URL('sandbox/bwrap-args.js', dist).href),
    import(new URL('sandbox/isolation.js', dist).href),
    import(new URL('runtime/handler-process.js', dist).href),
  ]);
  const facts = readIsolationFacts(process.env.PATH);
  const bwrapOk = facts.bwrap !== null && facts.bwrapProblem === null;
  const root = mkdtempSync(join(tmpdir(), 'anchor-bench-sandbox-'));
  chmodSync(root, 0o711);
  try {
    const bundle = join(root, 'bundle');
    mkdirSync(bundle, { mode: 0o755 });
    writeFileSync(join(bundle, 'index.mjs'), TINY_HANDLER, { mode: 0o644 });
    // A folder for the sockets of each user the function runs as (this one, the sandbox uid).
    const socketsOf = { self: join(root, 'sockets-self'), uid: join(root, 'sockets-uid') };
    mkdirSync(socketsOf.self, { mode: 0o700 });
    mkdirSync(socketsOf.uid, { mode: 0o700 });
    if (facts.isRoot) chownSync(socketsOf.uid, UID, UID);
    const child = handlerChildEntry();
    const childDir = join(child, '..');
    const view = (cwd, env) => ({ mounts: [{ source: bundle, writable: false }, { source: socketsOf.self, writable: true }, { source: socketsOf.uid, writable: true }, { source: childDir, writable: false }, { source: join(childDir, '..', '..', '..', '..', '..', 'package.json'), writable: false }], cwd, env });
    const ways = {
      'as this user (baseline)': undefined,
      ...(facts.isRoot ? { 'as a sandbox uid': (c) => ({ ...c, args: [...c.args], uid: UID, gid: UID }) } : {}),
      ...(bwrapOk ? { 'in bubblewrap': (c) => ({ file: facts.bwrap, args: [...bwrapArgs(view(c.cwd, c.env)), '--', c.file, ...c.args], env: c.env }) } : {}),
      ...(facts.isRoot && bwrapOk ? { 'uid + bubblewrap': (c) => ({ file: facts.bwrap, args: [...bwrapArgs(view(c.cwd, c.env)), '--', c.file, ...c.args], env: c.env, uid: UID, gid: UID }) } : {}),
    };
    const steps = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
    const starts = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
    let n = 0;
    for (let round = 0; round <= ROUNDS; round += 1) {
      for (const [name, wrap] of Object.entries(ways)) {
        const processes = new BuildProcesses(execa);
        let start = now();
        await processes.run('git', ['--version'], { cwd: bundle, env: { PATH: process.env.PATH ?? '' }, onLine: () => {}, sandbox: wrap });
        if (round > 0) steps[name].push(now() - start);
        start = now();
        const socketDir = name.includes('uid') ? socketsOf.uid : socketsOf.self;
        const handler = await startHandlerProcess({ bundleDir: bundle, kind: 'server', env: {}, socketPath: join(socketDir, `s${(n += 1)}`), sandbox: wrap });
        if (round > 0) starts[name].push(now() - start);
        await handler.stop(2_000);
      }
    }
    const baseline = Object.keys(ways)[0];
    process.stdout.write(`\nIsolation of builds and sites (median of ${ROUNDS} interleaved rounds; baseline: as this user)\n`);
    for (const name of Object.keys(ways)) line(`build step (git --version), ${name}`, `${median(steps[name]).toFixed(0)} ms`, name === baseline ? '' : ratio(median(steps[name]), median(steps[baseline])));
    for (const name of Object.keys(ways)) line(`function process start → listening, ${name}`, `${median(starts[name]).toFixed(0)} ms`, name === baseline ? '' : ratio(median(starts[name]), median(starts[baseline])));
    return Object.fromEntries(Object.keys(ways).map((name) => [name, { stepMs: median(steps[name]), functionStartMs: median(starts[name]) }]));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
