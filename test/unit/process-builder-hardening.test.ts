import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildEnd, BuildRequest } from '../../src/core/ports/builder.js';
import { ProcessBuilder } from '../../src/adapters/local/build/process-builder.js';
import { FixtureRepo, appFiles } from './process-builder-fixture.js';

let root: string;
let repo: FixtureRepo;
let defaultConfig: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'anchor-builder-hardening-'));
  repo = new FixtureRepo(mkdtempSync(join(root, 'repo-')));
  defaultConfig = join(root, 'default-open-next.config.ts');
  writeFileSync(defaultConfig, 'export default {};\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function builder(options: { timeoutMs?: number } = {}): ProcessBuilder {
  return new ProcessBuilder({ workDir: join(root, 'work'), cacheDir: join(root, 'cache'), defaultOpenNextConfig: defaultConfig, baseEnv: { PATH: process.env.PATH ?? '', HOME: join(root, 'home') }, stopGraceMs: 500, ...options });
}

async function build(overrides: Partial<BuildRequest>, using = builder()): Promise<{ end: BuildEnd; lines: string[]; checkedOut: string[] }> {
  const lines: string[] = [];
  const checkedOut: string[] = [];
  const { ended } = await using.start({
    deploymentId: 'd_test',
    projectName: 'shop',
    repoUrl: repo.dir,
    ref: 'main',
    commitSha: null,
    root: '',
    env: {},
    secretKeys: [],
    onLine: (line) => lines.push(line),
    onCheckedOut: (sha) => checkedOut.push(`${sha} ${lines.some((l) => l.startsWith('▸ Installing')) ? 'after' : 'before'} the install`),
    ...overrides,
  });
  return { end: await ended, lines, checkedOut };
}

describe('ProcessBuilder with values from outside', () => {
  it('a ref or commit that git would read as an option runs nothing, even if it got past the core', async () => {
    repo.commit(appFiles(), 'first');
    const pwned = join(root, 'pwned');
    const upload = `--upload-pack=touch ${pwned};git-upload-pack`;
    const byRef = await build({ ref: upload });
    expect(byRef.end).toMatchObject({ ok: false, checkedOut: false });
    const byCommit = await build({ commitSha: upload });
    expect(byCommit.end).toMatchObject({ ok: false, reason: `git checkout failed: "${upload}" is not a commit id`, checkedOut: false });
    expect(existsSync(pwned)).toBe(false);
  });

  it('says when the commit is checked out, before installing; never for a commit that does not exist', async () => {
    const sha = repo.commit(appFiles(), 'first');
    const good = await build({ commitSha: sha });
    expect(good.end).toMatchObject({ ok: true, commitSha: sha });
    expect(good.checkedOut).toEqual([`${sha} before the install`]);
    const missing = await build({ commitSha: 'f'.repeat(40) });
    expect(missing.end).toMatchObject({ ok: false, checkedOut: false });
    expect(missing.checkedOut).toEqual([]);
  });

  it('a build over its time says "1 second", not "1 seconds", starts no step after it, and leaves no process', async () => {
    repo.commit(appFiles({ build: 'setInterval(() => {}, 1000);\n' }), 'hangs');
    const using = builder({ timeoutMs: 1_000 });
    const lines: string[] = [];
    const { buildId, ended } = await using.start({ deploymentId: 'd_test', projectName: 'shop', repoUrl: repo.dir, ref: 'main', commitSha: null, root: '', env: {}, secretKeys: [], onLine: (line) => lines.push(line) });
    expect(await ended).toMatchObject({ ok: false, reason: expect.stringContaining('ran longer than 1 second and was stopped') });
    // Every process the build started carries its id in ANCHOR_BUILD_ID: none is left.
    expect(taggedProcesses(buildId)).toEqual([]);
  });
});

function taggedProcesses(buildId: string): number[] {
  const tag = `ANCHOR_BUILD_ID=${buildId}\0`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(tag) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
      } catch {
        return false;
      }
    })
    .map(Number);
}
