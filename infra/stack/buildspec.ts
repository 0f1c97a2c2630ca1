import { FUNCTION_ZIPS } from '../../src/adapters/aws/resource-names.js';

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
 *   and masks them. ARTIFACTS_BUCKET is set on the project.
 *
 * The build exports ANCHOR_COMMIT_SHA and ANCHOR_COMMIT_MESSAGE (BatchGetBuilds →
 * exportedEnvironmentVariables) for the deploy handler to record.
 */

/** Values the orchestrator must override per build; the project carries placeholders. */
export const BUILD_OVERRIDES = ['ANCHOR_REPO_URL', 'ANCHOR_REF', 'ANCHOR_COMMIT', 'ANCHOR_ROOT', 'ANCHOR_PROJECT', 'ANCHOR_DEPLOYMENT_ID'] as const;

const INSTALL_BY_LOCKFILE = [
  'if [ -f pnpm-lock.yaml ]; then corepack enable && pnpm install --frozen-lockfile;',
  'elif [ -f yarn.lock ]; then corepack enable && (yarn install --immutable || yarn install --frozen-lockfile);',
  'elif [ -f bun.lock ] || [ -f bun.lockb ]; then npm install -g bun && bun install --frozen-lockfile;',
  'elif [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ]; then npm ci;',
  'else echo "anchor: no lockfile found, running npm install" && npm install; fi',
].join(' ');

const ARTIFACT_DIR = 's3://$ARTIFACTS_BUCKET/builds/$ANCHOR_PROJECT/$ANCHOR_DEPLOYMENT_ID';

/**
 * Each function's own code, zipped with its index.mjs at the root (Lambda's `index.handler`),
 * so a function gets its bundle and not the whole `.open-next/` (assets and the other function
 * count against Lambda's 250 MB too). A bundle the build did not produce is skipped here: the
 * deploy names what is missing better than a failed `cd` would.
 */
const zipFunction = (dir: string, name: string) =>
  `if [ -d ".open-next/${dir}" ]; then (cd ".open-next/${dir}" && zip -qry "$CODEBUILD_SRC_DIR/${name}" .) && aws s3 cp --only-show-errors "$CODEBUILD_SRC_DIR/${name}" "${ARTIFACT_DIR}/${name}"; fi`;

// The keys match names.ts artifactKey() / functionCodeKey(); the build role may write nothing else.
// The full artifact goes last: once it is there, so are the function zips beside it.
const ZIP_AND_UPLOAD = [
  zipFunction('server-functions/default', FUNCTION_ZIPS.server),
  zipFunction('image-optimization-function', FUNCTION_ZIPS.image),
  '(cd .open-next && zip -qry "$CODEBUILD_SRC_DIR/open-next.zip" .)',
  `aws s3 cp --only-show-errors "$CODEBUILD_SRC_DIR/open-next.zip" "${ARTIFACT_DIR}/open-next.zip"`,
];

export function buildspec(input: { nodeVersion: number }): string {
  // YAML is a superset of JSON, so the buildspec is written as JSON: no YAML library, no
  // indentation mistakes, and commands keep their quotes exactly.
  const spec = {
    version: '0.2',
    env: {
      shell: 'bash',
      variables: { NEXT_TELEMETRY_DISABLED: '1', CI: '1' },
      'exported-variables': ['ANCHOR_COMMIT_SHA', 'ANCHOR_COMMIT_MESSAGE'],
    },
    phases: {
      install: {
        'runtime-versions': { nodejs: String(input.nodeVersion) },
      },
      pre_build: {
        commands: [
          'git init -q "$CODEBUILD_SRC_DIR/repo"',
          // Values from outside come after --end-of-options: git never reads one as an option.
          'git -C "$CODEBUILD_SRC_DIR/repo" remote add --end-of-options origin "$ANCHOR_REPO_URL"',
          // A push names its commit; a manual deploy names a branch or tag. Shallow either way.
          'git -C "$CODEBUILD_SRC_DIR/repo" fetch -q --depth 1 --end-of-options origin "${ANCHOR_COMMIT:-$ANCHOR_REF}"',
          'git -C "$CODEBUILD_SRC_DIR/repo" checkout -q FETCH_HEAD',
          'export ANCHOR_COMMIT_SHA="$(git -C "$CODEBUILD_SRC_DIR/repo" rev-parse HEAD)"',
          'export ANCHOR_COMMIT_MESSAGE="$(git -C "$CODEBUILD_SRC_DIR/repo" log -1 --format=%s)"',
          'echo "anchor: building $ANCHOR_COMMIT_SHA for deployment $ANCHOR_DEPLOYMENT_ID"',
        ],
      },
      build: {
        commands: [
          'cd "$CODEBUILD_SRC_DIR/repo/${ANCHOR_ROOT:-.}"',
          INSTALL_BY_LOCKFILE,
          'npx --no-install open-next build',
          ...ZIP_AND_UPLOAD,
          'echo "anchor: artifact uploaded"',
        ],
      },
    },
  };
  return JSON.stringify(spec, null, 2);
}
