import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { zipFiles } from '../../src/lib/zip-files.js';
import { buildDashboardInto } from '../browser/browser.js';
import { ACCOUNT, FakeAwsControlPlane } from '../fakes/aws-control-plane.js';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let aws: FakeAwsControlPlane;
let bundles: string;
let built: ReturnType<typeof tempHome>;
const BOOTSTRAP = `anchor-bootstrap-${ACCOUNT}-ap-southeast-1`;

const cli = (args: string[]) => runCli(args, { home: home.dir, env: { ANCHOR_AWS_POLL_MS: '0', ANCHOR_HANDLER_BUNDLES: bundles } });
const apiEnv = () => JSON.parse(aws.stacks.get('anchor-dev')!.template).Resources.ApiFunction.Properties.Environment.Variables as Record<string, unknown>;

beforeAll(() => {
  // Built once, as `npm run build` does; each test copies the prebuilt handler zips beside it.
  built = tempHome();
  buildDashboardInto(join(built.dir, 'dashboard'));
});
afterAll(() => built?.cleanup());

beforeEach(() => {
  home = tempHome();
  bundles = join(built.dir, `bundles-${Math.random().toString(36).slice(2)}`);
  mkdirSync(bundles);
  for (const name of ['webhook', 'orchestrator', 'deploy', 'domains', 'api']) {
    writeFileSync(join(bundles, `${name}.zip`), zipFiles([{ name: 'index.mjs', data: Buffer.from(`export const handler = async () => ${JSON.stringify(name)};\n`) }]));
  }
  aws = new FakeAwsControlPlane();
});
afterEach(() => {
  aws.restore();
  home.cleanup();
});

describe('anchor init --aws and the dashboard', () => {
  it('uploads the built dashboard beside the handler code, the manifest last, and points the API function at it; a rerun uploads nothing', async () => {
    cpSync(join(built.dir, 'dashboard'), join(bundles, 'dashboard'), { recursive: true });
    const first = await cli(['init', '--aws', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const out = first.json<{ dashboard: { bucket: string; prefix: string; uploaded: number; files: number } }>();
    expect(out.dashboard).toMatchObject({ bucket: BOOTSTRAP, prefix: expect.stringMatching(/^dashboard\/[0-9a-f]{64}\/$/) });
    const puts = aws.calls.filter((c) => c.startsWith(`s3:PutObject:${out.dashboard.prefix}`)).map((c) => c.slice(`s3:PutObject:${out.dashboard.prefix}`.length));
    expect(puts).toContain('index.html');
    expect(puts).toContain('index.html.br');
    expect(puts.at(-1)).toBe('manifest.json');
    expect(out.dashboard.uploaded).toBe(puts.length - 1);
    // The files are in S3 before the stack that serves them changes.
    expect(aws.calls.indexOf('cloudformation:CreateChangeSet:CREATE')).toBeGreaterThan(aws.calls.indexOf(`s3:PutObject:${out.dashboard.prefix}manifest.json`));
    expect(apiEnv()).toMatchObject({ ANCHOR_DASHBOARD_BUCKET: BOOTSTRAP, ANCHOR_DASHBOARD_PREFIX: out.dashboard.prefix });

    aws.calls.length = 0;
    const again = await cli(['init', '--aws']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(aws.calls.filter((c) => c.startsWith('s3:PutObject'))).toEqual([]);
  });

  it('without a built dashboard: the stack still deploys, the API function serves no build, and init says how to upload one', async () => {
    const result = await cli(['init', '--aws']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Dashboard: not built here, so not uploaded (npm run build, then anchor init --aws again).');
    expect(apiEnv()['ANCHOR_DASHBOARD_PREFIX']).toBe('');
    expect(aws.calls.some((c) => c.startsWith('s3:PutObject:dashboard/'))).toBe(false);
  });
});
