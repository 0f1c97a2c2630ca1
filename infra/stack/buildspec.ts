import { readFileSync } from 'node:fs';
import { ARTIFACT_ZIP, artifactFolder, FUNCTION_ZIPS, REVALIDATION_ZIP } from '../../src/adapters/aws/resource-names.js';
import { BUILD_ENV, DEFAULT_CONFIG_FILE, installCommand, LOCKFILES, OPEN_NEXT_CONFIG_NAMES, OUTPUT_CHECKS, RECIPE_LOG, YARN_BERRY_MARKER, type PackageManagerName } from '../../src/core/build-recipe.js';
import { GIT_CREDENTIAL_ARGS, GIT_TOKEN_VARIABLE } from '../../src/core/git-credentials.js';
import { defaultOpenNextConfigPath } from '../../src/lib/templates-dir.js';
import { ORIGIN_GUARD_FILE } from '../../src/core/origin-guard-wire.js';
import { BUILD_CACHE_DIR, BUILD_CACHE_PATHS, CACHE_STEPS, PACKAGING_STEP, writeDriver } from './buildspec-cache.js';
import { FUNCTION_WRAPPER, invokeModeOf, OPEN_NEXT_LAYOUT } from '../../src/core/opennext-output.js';
import { originGuardCode } from './origin-guard.js';

/**
 * The CodeBuild buildspec, embedded in the project so a build can never run a buildspec from the
 * repository being built. It runs the same steps as the local builder: clone at the commit,
 * install by the lockfile, `open-next build` (which runs `next build` itself), then zip
 * `.open-next/` and upload it to the deployment's artifact key, with each function's own zip beside it.
 *
 * Per-build values arrive as environment overrides from the orchestrator (StartBuild):
 *   ANCHOR_REPO_URL, ANCHOR_REF, ANCHOR_COMMIT (may be empty), ANCHOR_ROOT (may be empty),
 *   ANCHOR_PROJECT, ANCHOR_DEPLOYMENT_ID, plus the project's build variables. Secrets are passed
 *   only as PARAMETER_STORE references (their names), never as values, so CodeBuild resolves
 *   and masks them. ARTIFACTS_BUCKET is set on the project. A private repository's token arrives
 *   the same way as ANCHOR_GIT_TOKEN: git alone reads it (core git-credentials.ts), and it is
 *   unset right after the clone, before any of the repository's code runs.
 *
 * The build exports ANCHOR_COMMIT_SHA and ANCHOR_COMMIT_MESSAGE (BatchGetBuilds →
 * exportedEnvironmentVariables) for the deploy handler to record.
 */

/** Values the orchestrator must override per build; the project carries placeholders. */
export const BUILD_OVERRIDES = ['ANCHOR_REPO_URL', 'ANCHOR_REF', 'ANCHOR_COMMIT', 'ANCHOR_ROOT', 'ANCHOR_PROJECT', 'ANCHOR_DEPLOYMENT_ID'] as const;

/** What CodeBuild's image needs before a tool can run; the local builder finds the tool on PATH instead. */
const TOOL_SETUP: Record<PackageManagerName, string> = {
  npm: 'true',
  pnpm: 'corepack enable',
  yarn: 'corepack enable',
  bun: 'npm install -g bun',
};

const quote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;

/**
 * Recipe step 1 in bash: the first lockfile (LOCKFILES order) in the app's directory or a parent
 * up to the repository, then its tool's install run where the lockfile is.
 */
function installByLockfile(): string {
  const names = LOCKFILES.map(([file]) => file).join(' ');
  const find = `anchor_lock=""; anchor_dir="$PWD"; while :; do for f in ${names}; do if [ -f "$anchor_dir/$f" ]; then anchor_lock="$anchor_dir/$f"; break 2; fi; done; if [ "$anchor_dir" = "$ANCHOR_REPO_DIR" ] || [ "$anchor_dir" = / ]; then break; fi; anchor_dir="$(dirname "$anchor_dir")"; done`;
  const run = (tool: PackageManagerName, hasLockfile: boolean, yarnBerry: boolean) => {
    const command = installCommand(tool, hasLockfile, yarnBerry);
    return `${TOOL_SETUP[tool]} && echo ${quote(RECIPE_LOG.install(command, hasLockfile))} && (cd "$anchor_dir" && ${command.label})`;
  };
  const arms = LOCKFILES.map(([file, tool]) =>
    tool === 'yarn'
      ? `${file}) if [ -f "$anchor_dir/${YARN_BERRY_MARKER}" ]; then ${run(tool, true, true)}; else ${run(tool, true, false)}; fi ;;`
      : `${file}) ${run(tool, true, false)} ;;`,
  );
  return [find, `case "$(basename "$anchor_lock")" in ${arms.join(' ')} *) anchor_dir="$PWD"; ${run('npm', false, false)} ;; esac`].join('; ');
}

/** Recipe step 2: anchor's default config, written from the buildspec itself (base64, so no quoting can break it). */
function defaultConfig(text: string): string {
  const none = OPEN_NEXT_CONFIG_NAMES.map((name) => `[ ! -f ${name} ]`).join(' && ');
  return `if ${none}; then echo ${quote(RECIPE_LOG.defaultConfig)}; echo '${Buffer.from(text).toString('base64')}' | base64 -d > ${DEFAULT_CONFIG_FILE}; fi`;
}

/** Recipe step 4. */
const OUTPUT_CHECK_STEPS = OUTPUT_CHECKS.map((check) => `[ -${check.kind === 'directory' ? 'd' : 'f'} ${check.path} ] || { echo ${quote(RECIPE_LOG.failed(check.failure))}; exit 1; }`);

const ARTIFACT_DIR = `s3://$ARTIFACTS_BUCKET/${artifactFolder('$ANCHOR_PROJECT', '$ANCHOR_DEPLOYMENT_ID')}`;

/**
 * Each function's own code, zipped with its index.mjs at the root (Lambda's `index.handler`),
 * so a function gets its bundle and not the whole `.open-next/` (assets and the other function
 * count against Lambda's 250 MB too). A bundle the build did not produce is skipped here: the
 * deploy names what is missing better than a failed `cd` would.
 */
const zipFunction = (dir: string, name: string): string =>
  `if [ -d ".open-next/${dir}" ]; then (cd ".open-next/${dir}" && zip -qry "$CODEBUILD_SRC_DIR/${name}" .) && aws s3 cp --only-show-errors "$CODEBUILD_SRC_DIR/${name}" "${ARTIFACT_DIR}/${name}"; fi`;

/**
 * The origin guard (infra/stack/origin-guard.ts) beside the function's index.mjs, in the mode of
 * the URL the function sits behind; the function host points the Handler at it.
 */
const writeGuard = (dir: string, kind: 'server' | 'image'): string => {
  const code = originGuardCode(invokeModeOf(FUNCTION_WRAPPER[kind]) === 'RESPONSE_STREAM' ? 'stream' : 'buffered');
  return `if [ -d ".open-next/${dir}" ]; then echo '${Buffer.from(code).toString('base64')}' | base64 -d > ".open-next/${dir}/${ORIGIN_GUARD_FILE}"; fi`;
};

// The keys are resource-names.ts artifactKey() / functionCodeKey(); the build role may write nothing else.
// The full artifact goes last: once it is there, so are the function zips beside it.
const ZIP_AND_UPLOAD = [
  writeGuard(OPEN_NEXT_LAYOUT.server, 'server'),
  writeGuard(OPEN_NEXT_LAYOUT.image, 'image'),
  zipFunction(OPEN_NEXT_LAYOUT.server, FUNCTION_ZIPS.server),
  zipFunction(OPEN_NEXT_LAYOUT.image, FUNCTION_ZIPS.image),
  zipFunction('revalidation-function', REVALIDATION_ZIP),
  `(cd .open-next && zip -qry "$CODEBUILD_SRC_DIR/${ARTIFACT_ZIP}" .)`,
  `aws s3 cp --only-show-errors "$CODEBUILD_SRC_DIR/${ARTIFACT_ZIP}" "${ARTIFACT_DIR}/${ARTIFACT_ZIP}"`,
];

export interface BuildspecInput {
  nodeVersion: number;
  /** The CPU the project's functions run on: sharp is installed for it (ANCHOR_IMAGE_ARCH), and the build image must match it. */
  functionArch: 'arm64' | 'x64';
  /** anchor's default open-next.config.ts (default: the one in templates/). */
  defaultOpenNextConfig?: string;
}

export function buildspec(input: BuildspecInput): string {
  const config = input.defaultOpenNextConfig ?? readFileSync(defaultOpenNextConfigPath(), 'utf8');
  // YAML is a superset of JSON, so the buildspec is written as JSON: no YAML library, no
  // indentation mistakes, and commands keep their quotes exactly.
  const spec = {
    version: '0.2',
    env: {
      shell: 'bash',
      variables: { ...BUILD_ENV, ANCHOR_IMAGE_ARCH: input.functionArch, ANCHOR_BUILD_CACHE: BUILD_CACHE_DIR },
      'exported-variables': ['ANCHOR_COMMIT_SHA', 'ANCHOR_COMMIT_MESSAGE'],
    },
    // CodeBuild's S3 cache, in the project's own folder (StartBuild's cacheOverride, CodeBuildBuilder):
    // restored before the build, saved after it.
    cache: { paths: [...BUILD_CACHE_PATHS] },
    phases: {
      install: {
        'runtime-versions': { nodejs: String(input.nodeVersion) },
      },
      pre_build: {
        commands: [
          'export ANCHOR_REPO_DIR="$CODEBUILD_SRC_DIR/repo"',
          'git init -q "$CODEBUILD_SRC_DIR/repo"',
          // Values from outside come after --end-of-options: git never reads one as an option.
          'git -C "$CODEBUILD_SRC_DIR/repo" remote add --end-of-options origin "$ANCHOR_REPO_URL"',
          // A push names its commit; a manual deploy names a branch or tag. Shallow either way.
          `GIT_TERMINAL_PROMPT=0 git -C "$CODEBUILD_SRC_DIR/repo" ${GIT_CREDENTIAL_ARGS.map(quote).join(' ')} fetch -q --depth 1 --end-of-options origin "\${ANCHOR_COMMIT:-$ANCHOR_REF}"`,
          `unset ${GIT_TOKEN_VARIABLE}`,
          'git -C "$CODEBUILD_SRC_DIR/repo" checkout -q FETCH_HEAD',
          'export ANCHOR_COMMIT_SHA="$(git -C "$CODEBUILD_SRC_DIR/repo" rev-parse HEAD)"',
          'export ANCHOR_COMMIT_MESSAGE="$(git -C "$CODEBUILD_SRC_DIR/repo" log -1 --format=%s)"',
          'echo "anchor: building $ANCHOR_COMMIT_SHA for deployment $ANCHOR_DEPLOYMENT_ID"',
        ],
      },
      build: {
        commands: [
          'cd "$CODEBUILD_SRC_DIR/repo/${ANCHOR_ROOT:-.}"',
          installByLockfile(),
          defaultConfig(config),
          writeDriver(),
          CACHE_STEPS.restoreNext,
          PACKAGING_STEP,
          ...OUTPUT_CHECK_STEPS,
          CACHE_STEPS.saveNext,
          ...ZIP_AND_UPLOAD,
          'echo "anchor: artifact uploaded"',
        ],
      },
    },
  };
  return JSON.stringify(spec, null, 2);
}
