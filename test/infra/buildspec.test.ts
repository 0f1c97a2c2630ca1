import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN_GUARD_FILE, ORIGIN_GUARD_HANDLER } from '../../src/core/origin-guard-wire.js';
import { originGuardCode } from '../../infra/stack/origin-guard.js';
import { buildspec } from '../../infra/stack/buildspec.js';
import { templatesDir } from '../../src/lib/templates-dir.js';
import { PACKAGING_DRIVER } from '../../src/core/build-recipe.js';
import { artifactKey, functionCodeKey } from '../../src/adapters/aws/resource-names.js';

/**
 * Runs the embedded buildspec's commands the way CodeBuild does (one bash, phase after phase),
 * against a real git repository, with stand-ins on PATH for the tools that need the network or
 * AWS: npm/npx (the install and `open-next build`) and aws (the S3 upload, into a directory).
 */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

function stub(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function setup(lockfile: string, options = { imageFunction: true }) {
  const root = mkdtempSync(join(tmpdir(), 'anchor-buildspec-'));
  dirs.push(root);
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'site'), { recursive: true });
  git(root, 'init', '-q', '-b', 'main', repo);
  writeFileSync(join(repo, 'site', 'package.json'), '{"name":"site"}');
  writeFileSync(join(repo, 'site', lockfile), '{}');
  writeFileSync(join(repo, 'site', 'page.txt'), 'first');
  writeFileSync(join(repo, 'site', 'open-next.config.ts'), 'export default {};');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'First version');
  const first = git(repo, 'rev-parse', 'HEAD');
  writeFileSync(join(repo, 'site', 'page.txt'), 'second');
  git(repo, 'commit', '-q', '-am', 'Second version');

  const bin = join(root, 'bin');
  mkdirSync(bin);
  const calls = join(root, 'calls.log');
  stub(bin, 'npm', `echo "npm $*" >> ${calls}`);
  stub(bin, 'corepack', `echo "corepack $*" >> ${calls}`);
  stub(bin, 'pnpm', `echo "pnpm $*" >> ${calls}`);
  // The app brings its own config, so the buildspec leaves it alone; `open-next build` leaves .open-next/ behind: assets, and each function's bundle with its index.mjs.
  stub(
    bin,
    'open-next',
    [
      `echo "open-next $*" >> ${calls}`,
      'mkdir -p .open-next/assets .open-next/server-functions/default/node_modules/next',
      'cp page.txt .open-next/assets/page.txt',
      "echo '{}' > .open-next/open-next.output.json",
      // Next's own cache, kept for the next build: each build adds its line.
      'mkdir -p .next/cache && cat page.txt >> .next/cache/builds',
      'echo "export const handler = () => 1; // built from $(cat page.txt)" > .open-next/server-functions/default/index.mjs',
      "echo '{}' > .open-next/server-functions/default/node_modules/next/package.json",
      ...(options.imageFunction
        ? [
            'mkdir -p .open-next/image-optimization-function/node_modules/sharp',
            "echo 'export const handler = () => 1;' > .open-next/image-optimization-function/index.mjs",
            "echo '{}' > .open-next/image-optimization-function/node_modules/sharp/package.json",
          ]
        : []),
    ].join('\n'),
  );
  stub(bin, 'aws', `echo "aws $*" >> ${calls}; dest="${root}/s3/\${@: -1}"; dest="\${dest/s3:\\/\\//}"; mkdir -p "$(dirname "$dest")"; cp "\${@: -2:1}" "$dest"`);
  return { root, repo, first, bin, calls };
}

function runBuildspec(env: Record<string, string>, bin: string, cwd: string): string {
  const spec = JSON.parse(buildspec({ nodeVersion: 22, functionArch: 'arm64' })) as { env: { variables: Record<string, string> }; phases: Record<string, { commands?: string[] }> };
  const commands = ['pre_build', 'build'].flatMap((phase) => spec.phases[phase]?.commands ?? []);
  const script = ['set -e', ...commands, 'echo "SHA=$ANCHOR_COMMIT_SHA"', 'echo "MESSAGE=$ANCHOR_COMMIT_MESSAGE"'].join('\n');
  // CodeBuild's cache (restored where BUILD_CACHE_PATHS say) stands beside the build's folder here.
  const cache = { ANCHOR_BUILD_CACHE: join(cwd, '..', 'anchor-cache') };
  return execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, ...spec.env.variables, ...cache, ...env, PATH: `${bin}:${process.env.PATH}` } });
}

describe('embedded buildspec', () => {
  it('keeps npm’s cache, .next/cache and the packaging cache in CodeBuild’s cache, and the next build starts from them', () => {
    const spec = JSON.parse(buildspec({ nodeVersion: 22, functionArch: 'arm64' })) as { cache: { paths: string[] }; env: { variables: Record<string, string> } };
    expect(spec.cache.paths).toEqual(['/root/.npm/**/*', '/root/.anchor-cache/**/*']);
    expect(spec.cache.paths).toContain(`${spec.env.variables.ANCHOR_BUILD_CACHE}/**/*`);

    const { root, first, bin } = setup('package-lock.json');
    const build = (deploymentId: string, commit: string) => {
      const src = join(root, `src-${deploymentId}`);
      mkdirSync(src);
      const output = runBuildspec(
        { CODEBUILD_SRC_DIR: src, ANCHOR_BUILD_CACHE: join(root, 'cache'), ANCHOR_REPO_URL: `file://${join(root, 'repo')}`, ANCHOR_REF: 'main', ANCHOR_COMMIT: commit, ANCHOR_ROOT: 'site', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: deploymentId, ARTIFACTS_BUCKET: 'artifacts' },
        bin,
        src,
      );
      return { src, output };
    };
    const one = build('d_01', first);
    expect(one.output).not.toContain('Restored .next/cache');
    // The driver is the template's, byte for byte; this app has no @opennextjs/aws, so it runs open-next build and says why.
    for (const file of PACKAGING_DRIVER.files) expect(readFileSync(join(one.src, 'anchor-packaging', file), 'utf8')).toBe(readFileSync(join(templatesDir(), file), 'utf8'));
    expect(one.output).toContain('▸ Packaging cache not used (@opennextjs/aws not found from the app): full OpenNext build');
    expect(readFileSync(join(root, 'cache', 'next', 'builds'), 'utf8')).toBe('first');

    const two = build('d_02', git(join(root, 'repo'), 'rev-parse', 'HEAD'));
    expect(two.output).toContain('▸ Restored .next/cache from the previous build');
    // The second build ran on the first one's .next/cache, and left both for the third.
    expect(readFileSync(join(root, 'cache', 'next', 'builds'), 'utf8')).toBe('firstsecond');
  });

  it('clones at the pushed commit, installs by the lockfile, builds with open-next and uploads the artifact under the deployment’s key', () => {
    const { root, first, bin, calls } = setup('package-lock.json');
    const src = join(root, 'codebuild-src');
    mkdirSync(src);
    const output = runBuildspec(
      { CODEBUILD_SRC_DIR: src, ANCHOR_REPO_URL: `file://${join(root, 'repo')}`, ANCHOR_REF: 'main', ANCHOR_COMMIT: first, ANCHOR_ROOT: 'site', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: 'd_01', ARTIFACTS_BUCKET: 'artifacts' },
      bin,
      src,
    );
    expect(output).toContain(`SHA=${first}`);
    expect(output).toContain('MESSAGE=First version');
    const log = readFileSync(calls, 'utf8');
    expect(log).toContain('npm ci');
    expect(log).toContain('open-next build');

    const uploaded = join(root, 's3', 'artifacts', artifactKey('shop', 'd_01'));
    expect(existsSync(uploaded)).toBe(true);
    // The artifact is the pushed commit's build, not the branch head's.
    expect(execFileSync('unzip', ['-p', uploaded, 'assets/page.txt'], { encoding: 'utf8' })).toBe('first');
    expect(execFileSync('unzip', ['-Z1', uploaded], { encoding: 'utf8' })).toContain('open-next.output.json');

    // Each function's own code beside it, its bundle's files at the zip root (Lambda's index.handler).
    const files = (key: string) => execFileSync('unzip', ['-Z1', join(root, 's3', 'artifacts', key)], { encoding: 'utf8' }).trim().split('\n').filter((f) => !f.endsWith('/')).sort();
    // …with the origin guard beside index.mjs, the file the function host's Handler names.
    expect(files(functionCodeKey('shop', 'd_01', 'server'))).toEqual([ORIGIN_GUARD_FILE, 'index.mjs', 'node_modules/next/package.json']);
    expect(files(functionCodeKey('shop', 'd_01', 'image'))).toEqual([ORIGIN_GUARD_FILE, 'index.mjs', 'node_modules/sharp/package.json']);
    const guard = execFileSync('unzip', ['-p', join(root, 's3', 'artifacts', functionCodeKey('shop', 'd_01', 'server')), ORIGIN_GUARD_FILE], { encoding: 'utf8' });
    expect(guard).toBe(originGuardCode('stream'));
    expect(ORIGIN_GUARD_HANDLER).toBe(`${ORIGIN_GUARD_FILE.replace(/\.mjs$/, '')}.handler`);
    expect(execFileSync('unzip', ['-p', join(root, 's3', 'artifacts', functionCodeKey('shop', 'd_01', 'server')), 'index.mjs'], { encoding: 'utf8' })).toContain('built from first');
    // The full artifact is uploaded last: once it is there, the function zips are too.
    const uploads = readFileSync(calls, 'utf8').split('\n').filter((l) => l.startsWith('aws s3 cp'));
    expect(uploads.map((l) => l.split('/').pop())).toEqual(['server.zip', 'image.zip', 'open-next.zip']);
  });

  it('uploads no function zip for a bundle the build did not produce, and still the artifact', () => {
    // This open-next build produces no image optimisation function.
    const { root, first, bin } = setup('package-lock.json', { imageFunction: false });
    const src = join(root, 'codebuild-src');
    mkdirSync(src);
    runBuildspec(
      { CODEBUILD_SRC_DIR: src, ANCHOR_REPO_URL: `file://${join(root, 'repo')}`, ANCHOR_REF: 'main', ANCHOR_COMMIT: first, ANCHOR_ROOT: 'site', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: 'd_03', ARTIFACTS_BUCKET: 'artifacts' },
      bin,
      src,
    );
    expect(existsSync(join(root, 's3', 'artifacts', artifactKey('shop', 'd_03')))).toBe(true);
    expect(existsSync(join(root, 's3', 'artifacts', functionCodeKey('shop', 'd_03', 'server')))).toBe(true);
    expect(existsSync(join(root, 's3', 'artifacts', functionCodeKey('shop', 'd_03', 'image')))).toBe(false);
  });

  it('builds the branch head when no commit is named, with the lockfile’s own package manager', () => {
    const { root, bin, calls } = setup('pnpm-lock.yaml');
    const src = join(root, 'codebuild-src');
    mkdirSync(src);
    const output = runBuildspec(
      { CODEBUILD_SRC_DIR: src, ANCHOR_REPO_URL: `file://${join(root, 'repo')}`, ANCHOR_REF: 'main', ANCHOR_COMMIT: '', ANCHOR_ROOT: 'site', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: 'd_02', ARTIFACTS_BUCKET: 'artifacts' },
      bin,
      src,
    );
    expect(output).toContain('MESSAGE=Second version');
    expect(readFileSync(calls, 'utf8')).toContain('pnpm install --frozen-lockfile');
    expect(execFileSync('unzip', ['-p', join(root, 's3', 'artifacts', artifactKey('shop', 'd_02')), 'assets/page.txt'], { encoding: 'utf8' })).toBe('second');
  });

  it('never lets git read a ref or commit as an option (--upload-pack runs nothing)', () => {
    const { root, bin } = setup('package-lock.json');
    const src = join(root, 'codebuild-src');
    mkdirSync(src);
    const pwned = join(root, 'pwned');
    for (const value of [{ ANCHOR_COMMIT: `--upload-pack=touch ${pwned};git-upload-pack` }, { ANCHOR_COMMIT: '', ANCHOR_REF: `--upload-pack=touch ${pwned};git-upload-pack` }]) {
      expect(() =>
        runBuildspec(
          { CODEBUILD_SRC_DIR: src, ANCHOR_REPO_URL: `file://${join(root, 'repo')}`, ANCHOR_REF: 'main', ANCHOR_ROOT: 'site', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: 'd_04', ARTIFACTS_BUCKET: 'artifacts', ...value },
          bin,
          src,
        ),
      ).toThrow();
      rmSync(join(src, 'repo'), { recursive: true, force: true });
    }
    expect(existsSync(pwned)).toBe(false);
  });
});
