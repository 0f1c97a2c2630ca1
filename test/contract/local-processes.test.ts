import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ProcessBuilder } from '../../src/adapters/local/build/process-builder.js';
import { LocalFunctionHost, type FunctionPlaces } from '../../src/adapters/local/runtime/local-function-host.js';
import { socketPathOf } from '../../src/adapters/local/runtime/function-socket.js';
import { ensureHandlerChildBuilt } from '../e2e/handler-child-build.js';
import { writeHandlerArtifact } from '../fakes/handler-artifact.js';
import { appFiles, FixtureRepo, isAlive } from '../unit/process-builder-fixture.js';
import { describeBuilderContract, type BuildScript } from './builder.contract.js';
import { describeFunctionHostContract } from './function-host.contract.js';
import { eventually } from './samples.js';

/**
 * The contract suites against the local adapters that run child processes: LocalFunctionHost with
 * real handler processes on a tiny OpenNext-shaped output, ProcessBuilder with a real git repo,
 * npm ci and a fake `open-next` (test/unit/process-builder-fixture.ts).
 */
const EDGE_PORT = 8080;

/** GET `path` from a function process on its socket (`unix:<path>`), as the edge would. */
function getText(url: string, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socketPathOf(url), path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

describeFunctionHostContract('LocalFunctionHost', async () => {
  await ensureHandlerChildBuilt();
  const root = await mkdtemp(join(tmpdir(), 'anchor-function-host-'));
  await mkdir(join(root, 'sockets'));
  // Unsandboxed: every deployment in one runtime folder, its sockets in another.
  const places: FunctionPlaces = {
    forDeployment: async (_project, deploymentId) => ({ runtimeDir: join(root, 'runtime', deploymentId), socketDir: join(root, 'sockets'), prepared: async () => undefined, sandbox: undefined }),
  };
  const host = new LocalFunctionHost({ places, edgePort: () => EDGE_PORT, baseEnv: { PATH: process.env.PATH ?? '' } });
  const ask = async (url: string, path: string, projectName: string) => JSON.parse(await getText(url, path, { host: `${projectName}.localhost:${EDGE_PORT}` })) as { deploymentId: string; env: string | null; has: boolean };
  return {
    host,
    artifact: async (_project, deploymentId, options = {}) => {
      const location = join(root, 'artifacts', deploymentId);
      await writeHandlerArtifact(location, deploymentId, options);
      return { deploymentId, location, bytes: 0 };
    },
    // What the edge would reach for the project: a real request to the routed server.
    serving: async (projectName) => {
      const lease = await host.route(projectName)?.acquire('server');
      if (!lease || 'unavailable' in lease) return null;
      try {
        return (await ask(lease.url, '/', projectName)).deploymentId;
      } finally {
        lease.release();
      }
    },
    envOf: async (version, name) => {
      const answer = await ask(version.serverUrl, `/?env=${encodeURIComponent(name)}`, 'shop');
      return answer.has ? (answer.env ?? undefined) : undefined;
    },
    cleanup: async () => {
      await host.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

/** The fixture app's build script per branch: what `BuildScript` promises. */
const BUILDS: Record<BuildScript, string> = {
  succeeds: `const fs = require('node:fs');
if (process.env.PIDS_FILE) fs.appendFileSync(process.env.PIDS_FILE, process.pid + '\\n');
console.log('marker ' + process.env.MARKER);
fs.mkdirSync('.open-next', { recursive: true });
fs.writeFileSync('.open-next/env.json', JSON.stringify({ MARKER: process.env.MARKER, SECRET_TOKEN: process.env.SECRET_TOKEN }));
`,
  fails: `console.log('compiling');
console.error('Error: Module not found: ./missing');
process.exit(1);
`,
  'runs-until-stopped': `const fs = require('node:fs');
if (process.env.PIDS_FILE) fs.appendFileSync(process.env.PIDS_FILE, process.pid + '\\n');
console.log('waiting for a stop');
setTimeout(() => {}, 10 * 60_000);
`,
};

let repoRoot: string;
let repo: FixtureRepo;
const heads = new Map<BuildScript, string>();

beforeAll(async () => {
  repoRoot = await mkdtemp(join(tmpdir(), 'anchor-builder-contract-repo-'));
  repo = new FixtureRepo(join(repoRoot, 'repo'));
  heads.set('succeeds', repo.commit(appFiles({ build: BUILDS.succeeds }), 'A build that succeeds'));
  for (const script of ['fails', 'runs-until-stopped'] as const) {
    execFileSync('git', ['checkout', '--quiet', '-b', script, 'main'], { cwd: repo.dir });
    heads.set(script, repo.commit({ 'build.js': BUILDS[script] }, `A build that ${script}`));
  }
});

afterAll(async () => {
  await rm(repoRoot, { recursive: true, force: true });
});

describeBuilderContract(
  'ProcessBuilder',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'anchor-builder-contract-'));
    const defaultOpenNextConfig = join(root, 'open-next.config.ts');
    await writeFile(defaultOpenNextConfig, 'export default {};\n');
    const builder = new ProcessBuilder({
      workDir: join(root, 'work'),
      cacheDir: join(root, 'cache'),
      defaultOpenNextConfig,
      baseEnv: { PATH: process.env.PATH ?? '', HOME: join(root, 'home') },
      stopGraceMs: 1_000,
    });
    const pidsFile = (deploymentId: string) => join(root, `${deploymentId}.pids`);
    const pids = async (deploymentId: string) => (await readFile(pidsFile(deploymentId), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const deploymentOf = (buildId: string) => buildId.replace(/-[0-9a-f]{8}$/, '');
    return {
      builder,
      request: (script, input) => ({
        ...input,
        env: { ...input.env, PIDS_FILE: pidsFile(input.deploymentId) },
        projectName: 'shop',
        repoUrl: repo.dir,
        ref: script === 'succeeds' ? 'main' : script,
        commitSha: null,
        root: '',
      }),
      commitOf: (script) => heads.get(script) ?? '',
      failureText: 'Module not found: ./missing',
      end: async (started) => {
        if (!started.ended) throw new Error('ProcessBuilder returns ended');
        return started.ended;
      },
      // The fake open-next and the app's build script each note their pid once they run.
      underWay: async (started) => void (await eventually(async () => ((await pids(deploymentOf(started.buildId))).length >= 2 ? true : null), 60_000)),
      running: async (buildId) => (await pids(deploymentOf(buildId))).some(isAlive),
      readOutput: (dir, path) => readFile(join(dir, path), 'utf8').catch(() => null),
      cleanup: async () => {
        await builder.stopAll();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
  { inReach: true },
);
