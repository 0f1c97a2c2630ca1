import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The fast project: tests that need no child process, emulator, build or network (loopback
 * sockets are fine), so `npm run test:fast` runs in seconds without `npm run build`. A unit test
 * that starts a process (git, npm, a node worker) is named in SLOW_UNITS. Everything else is the
 * `slow` project; `npm test` runs both.
 */
const SLOW_UNITS = 'process-builder|npm-package-store|file-build-logs|sqlite-deployments';
const FAST = [
  `test/unit/!(${SLOW_UNITS}).test.ts`,
  'test/unit/*/**/*.test.ts',
  'test/contract/{memory,local,aws-sdk-fakes}.test.ts',
  'test/aws/{cloudwatch-build-logs,codebuild-builder,key-value-store-client,lambda-function-host}.test.ts',
  'test/infra/role-permissions.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one file per core but one: on a 2-core machine, one file at a time. Most
    // slow files spend their time waiting on builds, child processes and emulators, so two at once
    // take less time, and a file's own timeouts are long enough for it.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    env: { NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      // Threads that keep their loaded modules from file to file: most of a fast file's time is
      // importing (the AWS SDK, zod), and these tests share no state through modules.
      { extends: true, test: { name: 'fast', include: FAST, pool: 'threads', isolate: false } },
      { extends: true, test: { name: 'slow', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...FAST] } },
    ],
  },
});
