import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessBuilder } from '../../src/adapters/local/build/process-builder.js';
import { readIsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';
import type { BuildEnd, BuildRequest } from '../../src/core/ports/builder.js';
import { gitHttpBackendAvailable, startGitHttpServer, type GitHttpServer } from '../fakes/git-http-server.js';
import { testSandboxes } from '../fakes/test-sandboxes.js';
import { FixtureRepo, appFiles } from './process-builder-fixture.js';

const TOKEN = 'ghp_PrivateRepoToken0123456789abcdefABCDEF';

/**
 * The app's build looks for the token wherever user code could find it after the clone: its
 * environment, and every file under its repository, HOME and TMPDIR (git's config, a credential
 * store). It prints what it finds, so a leak shows in the build's own lines.
 */
const HUNT = `const fs = require('node:fs'), path = require('node:path'), os = require('node:os');
const pattern = /ghp_[A-Za-z0-9]{36}/;
const found = [];
for (const [key, value] of Object.entries(process.env)) if (pattern.test(value)) found.push('env ' + key);
const walk = (dir, depth) => {
  if (depth > 6) return;
  let entries = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') walk(full, depth + 1);
    else if (e.isFile()) { try { const text = fs.readFileSync(full, 'latin1'); if (pattern.test(text)) found.push('file ' + full); } catch {} }
  }
};
walk(path.resolve('..'), 0);
walk(os.homedir(), 0);
walk(os.tmpdir(), 0);
console.log(found.length === 0 ? 'hunt: no token anywhere' : 'hunt: FOUND ' + found.join(', '));
`;

const isolation = readIsolationFacts(process.env.PATH);
const sandboxAvailable = isolation.isRoot || (isolation.bwrap !== null && isolation.bwrapProblem === null);

let root: string;
let repo: FixtureRepo;
let server: GitHttpServer;
let defaultConfig: string;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'anchor-private-'));
  chmodSync(root, 0o711);
  repo = new FixtureRepo(mkdtempSync(join(root, 'repo-')));
  repo.commit(appFiles({ build: HUNT }), 'Private app');
  defaultConfig = join(root, 'default-open-next.config.ts');
  writeFileSync(defaultConfig, 'export default {};\n');
  server = await startGitHttpServer({ repoDir: repo.dir, token: TOKEN });
});

afterEach(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

async function build(builder: ProcessBuilder, overrides: Partial<BuildRequest>): Promise<{ end: BuildEnd; lines: string[] }> {
  const lines: string[] = [];
  const request: BuildRequest = { deploymentId: 'd_private', projectName: 'shop', repoUrl: server.url, ref: 'main', commitSha: null, root: '.', env: {}, secretKeys: [], onLine: (line) => lines.push(line), ...overrides };
  const { ended } = await builder.start(request);
  return { end: await (ended as Promise<BuildEnd>), lines };
}

function plainBuilder(): ProcessBuilder {
  // HOME has a git config that would store credentials: anchor's clone must not use it.
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.gitconfig'), '[credential]\n\thelper = store\n');
  return new ProcessBuilder({ workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: { PATH: process.env.PATH ?? '', HOME: home }, stopGraceMs: 1_000 });
}

describe.skipIf(!gitHttpBackendAvailable)('a private repository over HTTPS-like smart HTTP', () => {
  it('is cloned with the project token, which the build can find nowhere and the log never shows', async () => {
    const { end, lines } = await build(plainBuilder(), { repoToken: TOKEN });

    if (!end.ok) throw new Error(`${end.reason}\n${lines.join('\n')}`);
    expect(lines).toContain('hunt: no token anywhere');
    expect(lines.join('\n')).not.toContain(TOKEN);
    // git asked without credentials first, then with the token as the password of x-access-token.
    expect(server.requests.some((r) => r.status === 200 && r.user === 'x-access-token' && r.password === TOKEN)).toBe(true);
    // The operator's `credential.helper = store` was switched off for the clone: nothing saved.
    expect(existsSync(join(root, 'home', '.git-credentials'))).toBe(false);
  });

  it('(the hunt finds a token the build was given: it is a real search)', async () => {
    const { end, lines } = await build(plainBuilder(), { repoToken: TOKEN, env: { LEAKED: TOKEN } });

    if (!end.ok) throw new Error(end.reason);
    expect(lines.find((line) => line.startsWith('hunt:'))).toBe('hunt: FOUND env LEAKED');
  });

  it('fails without a token with a reason that says how to give one, and asks nothing', async () => {
    const { end, lines } = await build(plainBuilder(), { repoToken: null });

    expect(end.ok).toBe(false);
    if (end.ok) return;
    expect(end.checkedOut).toBe(false);
    expect(end.reason).toMatch(/^git fetch failed: http:\/\/127\.0\.0\.1:\d+\/acme\/shop\.git asks for credentials .*anchor projects set-token shop --github-token-env VAR/);
    expect(server.requests.every((r) => r.status === 401)).toBe(true);
    expect(lines.join('\n')).not.toContain('hunt:');
  });

  it('fails with a wrong token saying the token was refused, without printing it', async () => {
    const wrong = 'ghp_WrongToken000000000000000000000000000';
    const { end, lines } = await build(plainBuilder(), { repoToken: wrong });

    expect(end.ok).toBe(false);
    if (end.ok) return;
    expect(end.reason).toContain("refused the project's GitHub token");
    expect(`${end.reason}\n${lines.join('\n')}`).not.toContain(wrong);
  });

  it.skipIf(!sandboxAvailable)('in the project sandbox too: cloned with the token, unreadable afterwards', async () => {
    const sandbox = testSandboxes();
    try {
      const builder = new ProcessBuilder({ workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: { PATH: process.env.PATH ?? '', HOME: join(root, 'home') }, stopGraceMs: 1_000, sandboxes: sandbox.sandboxes });
      const { end, lines } = await build(builder, { repoToken: TOKEN });
      if (!end.ok) throw new Error(`${end.reason}\n${lines.join('\n')}`);
      expect(lines).toContain('hunt: no token anywhere');
      expect(lines.join('\n')).not.toContain(TOKEN);
    } finally {
      await sandbox.close(['shop']);
    }
  });
});
