import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildspec } from '../../infra/stack/buildspec.js';
import { gitHttpBackendAvailable, startGitHttpServer, type GitHttpServer } from '../fakes/git-http-server.js';

/**
 * The embedded buildspec cloning a private repository (issue #11 item 9), run as CodeBuild runs
 * it (one bash, phase after phase; buildspec.test.ts has the rest), against a git smart-HTTP
 * server that demands the token. CodeBuild resolves ANCHOR_GIT_TOKEN from SSM before the build;
 * here it is given as that resolved value.
 */
const TOKEN = 'ghp_BuildspecToken0123456789abcdefABCDEFGH';
const run = promisify(execFile);
const dirs: string[] = [];
const servers: GitHttpServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stub(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

async function setup() {
  const root = mkdtempSync(join(tmpdir(), 'anchor-buildspec-private-'));
  dirs.push(root);
  const repo = join(root, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'package-lock.json'), '{}');
  writeFileSync(join(repo, 'open-next.config.ts'), 'export default {};\n');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'Private');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const calls = join(root, 'calls.log');
  stub(bin, 'npm', `echo "npm $*" >> ${calls}`);
  // What the repository's own code would see: the build step's environment.
  stub(bin, 'open-next', [`env | grep -c ANCHOR_GIT_TOKEN >> ${calls} || true`, 'mkdir -p .open-next/assets', "echo '{}' > .open-next/open-next.output.json"].join('\n'));
  stub(bin, 'aws', 'true');
  const server = await startGitHttpServer({ repoDir: repo, token: TOKEN });
  servers.push(server);
  const src = join(root, 'codebuild-src');
  mkdirSync(src);
  return { root, bin, calls, server, src };
}

async function runBuildspec(env: Record<string, string>, bin: string, cwd: string): Promise<{ ok: boolean; output: string }> {
  const spec = JSON.parse(buildspec({ nodeVersion: 22, functionArch: 'arm64' })) as { env: { variables: Record<string, string> }; phases: Record<string, { commands?: string[] }> };
  const commands = ['pre_build', 'build'].flatMap((phase) => spec.phases[phase]?.commands ?? []);
  const script = ['set -e', ...commands].join('\n');
  // Asynchronously: the git server answers from this same process.
  const { HOME: _home, ...rest } = process.env;
  try {
    const { stdout, stderr } = await run('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...rest, HOME: cwd, ...spec.env.variables, ...env, PATH: `${bin}:${process.env.PATH}` } });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe.skipIf(!gitHttpBackendAvailable)('embedded buildspec, private repository', () => {
  it('clones with ANCHOR_GIT_TOKEN through the credential helper, and the build steps no longer have it', async () => {
    const { bin, calls, server, src } = await setup();
    const base = { CODEBUILD_SRC_DIR: src, ANCHOR_REPO_URL: server.url, ANCHOR_REF: 'main', ANCHOR_COMMIT: '', ANCHOR_ROOT: '', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: 'd_01', ARTIFACTS_BUCKET: 'artifacts' };

    const result = await runBuildspec({ ...base, ANCHOR_GIT_TOKEN: TOKEN }, bin, src);

    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain('anchor: artifact uploaded');
    expect(result.output).not.toContain(TOKEN);
    expect(server.requests.some((r) => r.status === 200 && r.user === 'x-access-token' && r.password === TOKEN)).toBe(true);
    // `env | grep -c ANCHOR_GIT_TOKEN` in the build step counted nothing.
    expect(readFileSync(calls, 'utf8').split('\n')).toContain('0');
    // The clone's config keeps no credentials.
    expect(readFileSync(join(src, 'repo', '.git', 'config'), 'utf8')).not.toContain(TOKEN);
  });

  it('fails in pre_build without a token, and never waits for a prompt', async () => {
    const { bin, server, src } = await setup();
    const base = { CODEBUILD_SRC_DIR: src, ANCHOR_REPO_URL: server.url, ANCHOR_REF: 'main', ANCHOR_COMMIT: '', ANCHOR_ROOT: '', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: 'd_02', ARTIFACTS_BUCKET: 'artifacts' };

    const result = await runBuildspec(base, bin, src);

    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/could not read Username|terminal prompts disabled|Authentication failed/i);
    expect(server.requests.every((r) => r.status === 401)).toBe(true);
  });
});
