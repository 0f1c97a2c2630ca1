import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildspec } from '../../infra/stack/buildspec.js';
import { ProcessBuilder } from '../../src/adapters/local/build/process-builder.js';
import { artifactKey } from '../../src/adapters/aws/resource-names.js';
import { recipeStepsIn } from '../../src/core/build-recipe.js';
import { appFiles, FixtureRepo, outputDir } from '../unit/process-builder-fixture.js';

/**
 * One build recipe, two builders: the same app is built by the local ProcessBuilder and by the
 * generated CodeBuild buildspec (run the way CodeBuild does: one bash, pre_build then build), and
 * both must take the same steps and produce the same output. Real npm, git and zip; stand-ins
 * only where the network or AWS would be needed: `aws` (the S3 upload, into a directory),
 * `corepack` (it would rewrite the machine's Node install) and `pnpm` (not installed here: it
 * installs the app with npm, offline, which its `file:` dependency allows).
 */
let root: string;
let bin: string;
let calls: string;
const DEFAULT_CONFIG = '// anchor default config\nexport default {};\n';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'anchor-recipe-'));
  bin = join(root, 'bin');
  calls = join(root, 'calls.log');
  mkdirSync(bin);
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> ${calls}\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  stub('corepack', 'true');
  stub('pnpm', 'exec npm install --offline --no-audit --no-fund --loglevel=error');
  stub('aws', `dest="${root}/s3/\${@: -1}"; dest="\${dest/s3:\\/\\//}"; mkdir -p "$(dirname "$dest")"; cp "\${@: -2:1}" "$dest"`);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

type AppKind = 'npm' | 'pnpm' | 'no-config';

function app(kind: AppKind): { repo: FixtureRepo; sha: string } {
  const repo = new FixtureRepo(mkdtempSync(join(root, `repo-${kind}-`)));
  const files: Record<string, string> = appFiles();
  if (kind !== 'no-config') files['open-next.config.ts'] = `// ${kind} app's own config\nexport default {};\n`;
  if (kind === 'pnpm') {
    delete files['package-lock.json'];
    files['pnpm-lock.yaml'] = "lockfileVersion: '9.0'\n";
  }
  return { repo, sha: repo.commit(files, `A ${kind} app`) };
}

async function buildLocally(repo: FixtureRepo): Promise<{ steps: string[]; config: string }> {
  const builder = new ProcessBuilder({
    workDir: join(root, 'work'),
    cacheDir: join(root, 'cache'),
    defaultOpenNextConfig: (writeFileSync(join(root, 'default.ts'), DEFAULT_CONFIG), join(root, 'default.ts')),
    baseEnv: { PATH: `${bin}:${process.env.PATH}`, HOME: join(root, 'home') },
  });
  const lines: string[] = [];
  const { buildId, ended } = await builder.start({ deploymentId: 'd_local', projectName: 'shop', repoUrl: repo.dir, ref: 'main', commitSha: null, root: '.', env: {}, secretKeys: [], onLine: (line) => lines.push(line) });
  const end = await ended;
  if (!end.ok) throw new Error(`local build failed: ${end.reason}\n${lines.join('\n')}`);
  const config = readFileSync(join(outputDir(end), 'config.txt'), 'utf8');
  await builder.cleanup(buildId);
  return { steps: recipeStepsIn(lines), config };
}

function buildOnCodeBuild(repo: FixtureRepo, sha: string): { steps: string[]; config: string; env: Record<string, string> } {
  const spec = JSON.parse(buildspec({ nodeVersion: 22, functionArch: 'arm64', defaultOpenNextConfig: DEFAULT_CONFIG })) as { env: { variables: Record<string, string> }; phases: Record<string, { commands?: string[] }> };
  const src = join(root, `codebuild-${sha.slice(0, 8)}`);
  mkdirSync(src);
  const commands = ['pre_build', 'build'].flatMap((phase) => spec.phases[phase]?.commands ?? []);
  const env = { ANCHOR_REPO_URL: `file://${repo.dir}`, ANCHOR_REF: 'main', ANCHOR_COMMIT: sha, ANCHOR_ROOT: '', ANCHOR_PROJECT: 'shop', ANCHOR_DEPLOYMENT_ID: 'd_cb', ARTIFACTS_BUCKET: 'artifacts', CODEBUILD_SRC_DIR: src };
  const output = execFileSync('bash', ['-c', ['set -e', ...commands].join('\n')], { cwd: src, encoding: 'utf8', env: { ...process.env, ...spec.env.variables, ...env, HOME: join(root, 'home'), PATH: `${bin}:${process.env.PATH}` } });
  const zip = join(root, 's3', 'artifacts', artifactKey('shop', 'd_cb'));
  return { steps: recipeStepsIn(output.split('\n')), config: execFileSync('unzip', ['-p', zip, 'config.txt'], { encoding: 'utf8' }), env: spec.env.variables };
}

describe('the build recipe', () => {
  it.each<[AppKind, string[]]>([
    ['npm', ['▸ Installing with npm ci', '▸ Building with OpenNext']],
    ['pnpm', ['▸ Installing with pnpm install --frozen-lockfile', '▸ Building with OpenNext']],
    ['no-config', ['▸ Installing with npm ci', "▸ No open-next.config.ts in the app; using anchor's default", '▸ Building with OpenNext']],
  ])('a %s app: the local builder and the buildspec take the same steps and build with the same config', async (kind, expected) => {
    const { repo, sha } = app(kind);

    const local = await buildLocally(repo);
    const codebuild = buildOnCodeBuild(repo, sha);

    expect(local.steps).toEqual(expected);
    expect(codebuild.steps).toEqual(expected);
    expect(codebuild.config).toBe(local.config);
    expect(local.config).toBe(kind === 'no-config' ? DEFAULT_CONFIG : `// ${kind} app's own config\nexport default {};\n`);
  }, 120_000);

  it('fails both builds with the same reason when the build leaves no manifest', async () => {
    const repo = new FixtureRepo(mkdtempSync(join(root, 'repo-broken-')));
    const files = appFiles({ scripts: { build: 'node build.js' } });
    // This open-next writes .open-next/ but no open-next.output.json.
    files['vendor/fake-open-next/bin.js'] = "#!/usr/bin/env node\nrequire('node:fs').mkdirSync('.open-next', { recursive: true });\n";
    const sha = repo.commit(files, 'No manifest');

    const localError = await buildLocally(repo).then(() => null, (error: Error) => error.message);
    let codebuildOutput = '';
    try {
      buildOnCodeBuild(repo, sha);
    } catch (error) {
      codebuildOutput = String((error as { stdout?: string }).stdout);
    }

    expect(localError).toContain('wrote no open-next.output.json');
    expect(recipeStepsIn(codebuildOutput.split('\n')).at(-1)).toContain('▸ Build failed: OpenNext build finished but wrote no open-next.output.json');
  }, 120_000);

  it('installs sharp for the functions’ CPU, and uploads the artifact last', () => {
    const { repo, sha } = app('npm');
    const { env } = buildOnCodeBuild(repo, sha);

    expect(env['ANCHOR_IMAGE_ARCH']).toBe('arm64');
    expect(existsSync(join(root, 's3', 'artifacts', artifactKey('shop', 'd_cb')))).toBe(true);
    const uploads = readFileSync(calls, 'utf8').split('\n').filter((l) => l.startsWith('aws s3 cp'));
    expect(uploads.at(-1)).toContain('open-next.zip');
  }, 120_000);
});
