import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silenceAwsSdkNodeWarning } from '../../src/cli/env.js';
import { runCli, tempHome } from './run-cli.js';

const SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

let home: ReturnType<typeof tempHome>;
// vitest.config sets the switch for every test; this file needs the process as a user starts it.
const configured = process.env[SWITCH];
beforeAll(() => {
  home = tempHome();
  delete process.env[SWITCH];
});
afterAll(() => {
  if (configured === undefined) delete process.env[SWITCH];
  else process.env[SWITCH] = configured;
  home.cleanup();
});

describe('the AWS SDK’s Node version warning', () => {
  it('is not printed once the CLI has run: an SDK client made afterwards stays quiet', async () => {
    expect(process.env[SWITCH]).toBeUndefined();
    expect((await runCli(['--version'], { home: home.dir })).code).toBe(0);

    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      // The SDK decides when a client is made (the CLI imports it lazily, inside a command).
      const { S3Client } = await import('@aws-sdk/client-s3');
      new S3Client({ region: 'ap-southeast-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }).destroy();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.includes('NodeVersionSupportWarning'))).toEqual([]);
  });

  it('leaves a value the operator set alone', () => {
    const env: Record<string, string | undefined> = { [SWITCH]: 'false' };
    silenceAwsSdkNodeWarning(env);
    expect(env[SWITCH]).toBe('false');
    const unset: Record<string, string | undefined> = {};
    silenceAwsSdkNodeWarning(unset);
    expect(unset[SWITCH]).toBe('true');
  });
});
