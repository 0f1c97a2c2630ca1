import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeHandlerBundles } from '../fakes/handler-bundles.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, FakeAwsControlPlane } from '../fakes/aws-control-plane.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api.js';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
const cli = (args: string[], env?: Record<string, string>) => runCli(args, { home: home.dir, env });
const platformDir = () => join(home.dir, '.anchor', 'platforms', 'local');

beforeEach(() => {
  home = tempHome();
});
afterEach(() => home.cleanup());

async function initWithProject(name = 'shop') {
  expect((await cli(['init', '--local'])).code).toBe(0);
  const repo = join(home.dir, 'repo');
  mkdirSync(repo, { recursive: true });
  expect((await cli(['projects', 'add', name, '--repo', repo])).code).toBe(0);
}

describe('anchor init', () => {
  it('creates the local platform: SQLite file, secret key with mode 0600, default platform', async () => {
    const result = await cli(['init', '--local', '--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ platform: 'local', backend: 'local', created: true, default: true });
    expect(existsSync(join(platformDir(), 'anchor.db'))).toBe(true);
    expect(statSync(join(platformDir(), 'secret.key')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(home.dir, '.anchor', 'config.json'), 'utf8'))).toEqual({ defaultPlatform: 'local' });
  });

  it('run again changes nothing and says so', async () => {
    await cli(['init', '--local']);
    const key = readFileSync(join(platformDir(), 'secret.key'));
    const again = await cli(['init', '--local']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already exists.*nothing changed/);
    expect(readFileSync(join(platformDir(), 'secret.key'))).toEqual(key);
  });

  it('asks local or aws only when it can; otherwise names the flag', async () => {
    const result = await cli(['init']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--local or --aws');
    expect(existsSync(join(home.dir, '.anchor', 'platforms'))).toBe(false);
  });

  it('--aws creates the platform stack in the AWS account (SDK clients mocked) and becomes the default', async () => {
    const aws = new FakeAwsControlPlane();
    try {
      const bundles = join(home.dir, 'bundles');
      mkdirSync(bundles);
      writeHandlerBundles(bundles);
      const result = await cli(['init', '--aws', '--region', 'ap-southeast-1', '--stage', 'dev', '--json'], { ANCHOR_AWS_POLL_MS: '0', ANCHOR_HANDLER_BUNDLES: bundles });
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toMatchObject({ platform: 'aws', backend: 'aws', account: ACCOUNT, stack: 'anchor-dev', action: 'create', default: true });
      expect(aws.stacks.get('anchor-dev')?.status).toBe('CREATE_COMPLETE');
      expect(JSON.parse(readFileSync(join(home.dir, '.anchor', 'config.json'), 'utf8'))).toEqual({ defaultPlatform: 'aws' });
    } finally {
      aws.restore();
    }
  });

  it('--platform creates and selects another platform', async () => {
    await cli(['init', '--local']);
    const staging = await cli(['init', '--local', '--platform', 'staging', '--json']);
    expect(staging.json()).toMatchObject({ platform: 'staging', created: true, default: false });
    expect(existsSync(join(home.dir, '.anchor', 'platforms', 'staging', 'anchor.db'))).toBe(true);
    await cli(['projects', 'add', 'blog', '--repo', 'acme/blog', '--platform', 'staging']);
    expect((await cli(['projects', 'ls', '--json', '--platform', 'staging'])).json()).toHaveLength(1);
    expect((await cli(['projects', 'ls', '--json'], { ANCHOR_PLATFORM: 'staging' })).json()).toHaveLength(1);
    expect((await cli(['projects', 'ls', '--json'])).json()).toHaveLength(0);
  });
});

describe('commands before init', () => {
  it.each([['projects', 'ls'], ['env', 'ls', 'shop'], ['deployments', 'ls', 'shop']])('%s %s says to run anchor init (exit 3)', async (...args) => {
    const result = await cli([...args, '--json']);
    expect(result.code).toBe(3);
    expect(result.json()).toMatchObject({ error: { code: 'NO_PLATFORM' } });
    expect(result.stderr).toContain('anchor init');
  });
});

describe('anchor projects', () => {
  it('adds a project with a local repo and prints the webhook to paste, with --json fields', async () => {
    await cli(['init', '--local']);
    const repo = join(home.dir, 'site');
    mkdirSync(repo);
    const result = await cli(['projects', 'add', 'shop', '--repo', 'site', '--json']);
    expect(result.code).toBe(0);
    const out = result.json<{ project: { repo: string; url: string }; webhook: { url: string; secret: string; registered: null } }>();
    expect(out.project.repo).toBe(repo);
    expect(out.project.url).toBe('http://shop.localhost:8080');
    expect(out.webhook.url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/webhook\/p_[0-9a-z]+$/);
    expect(out.webhook.secret.length).toBeGreaterThanOrEqual(40);
    expect(out.webhook.registered).toBeNull();
    const human = await cli(['projects', 'show', 'shop']);
    expect(human.stdout).toContain(out.webhook.secret);
  });

  it('gives each project its own webhook secret', async () => {
    await cli(['init', '--local']);
    const a = (await cli(['projects', 'add', 'a', '--repo', 'acme/a', '--json'])).json<{ webhook: { secret: string } }>();
    const b = (await cli(['projects', 'add', 'b', '--repo', 'acme/b', '--json'])).json<{ webhook: { secret: string } }>();
    expect(a.webhook.secret).not.toBe(b.webhook.secret);
  });

  it.each([
    ['https://github.com/acme/shop.git', 'acme/shop'],
    ['https://git.example.com/team/shop.git', 'https://git.example.com/team/shop.git'],
    ['file:///srv/git/shop.git', 'file:///srv/git/shop.git'],
    ['acme/shop', 'acme/shop'],
  ])('accepts --repo %s', async (repo, shown) => {
    await cli(['init', '--local']);
    const result = await cli(['projects', 'add', 'shop', '--repo', repo, '--json']);
    expect(result.code).toBe(0);
    expect(result.json<{ project: { repo: string } }>().project.repo).toBe(shown);
  });

  it.each(['Shop', 'my_site', 'shop-', 'a'.repeat(64), 'shop.com'])('refuses the invalid name %s with a hint and writes nothing', async (name) => {
    await cli(['init', '--local']);
    const result = await cli(['projects', 'add', name, '--repo', 'acme/shop', '--json']);
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { code: 'PROJECT_NAME_INVALID' } });
    expect(result.json<{ error: { hint: string } }>().error.hint).toMatch(/lower-case letters/);
    expect((await cli(['projects', 'ls', '--json'])).json()).toEqual([]);
  });

  it('refuses a duplicate name (exit 4) and keeps the first', async () => {
    await cli(['init', '--local']);
    const first = (await cli(['projects', 'add', 'shop', '--repo', 'acme/shop', '--json'])).json<{ project: { id: string } }>();
    const again = await cli(['projects', 'add', 'shop', '--repo', 'acme/other', '--json']);
    expect(again.code).toBe(4);
    expect(again.json()).toMatchObject({ error: { code: 'PROJECT_EXISTS' } });
    expect((await cli(['projects', 'ls', '--json'])).json()).toEqual([expect.objectContaining({ name: 'shop', id: first.project.id, repo: 'acme/shop' })]);
  });

  it('refuses a --repo that is none of the accepted forms', async () => {
    await cli(['init', '--local']);
    const result = await cli(['projects', 'add', 'shop', '--repo', './does-not-exist']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--repo ./my-site');
  });

  it('unknown project: exit 3 with a hint to list them', async () => {
    await cli(['init', '--local']);
    const result = await cli(['projects', 'show', 'nope']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('anchor projects ls');
  });

  it('rm asks first; without a terminal it needs --yes, and it removes the env vars too', async () => {
    await initWithProject();
    await cli(['env', 'set', 'shop', 'A=1']);
    const refused = await cli(['projects', 'rm', 'shop']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await cli(['projects', 'ls', '--json'])).json()).toHaveLength(1);
    const removed = await cli(['projects', 'rm', 'shop', '--yes', '--json']);
    expect(removed.code).toBe(0);
    expect((await cli(['projects', 'ls', '--json'])).json()).toEqual([]);
    // A new project of the same name starts with no variables.
    await cli(['projects', 'add', 'shop', '--repo', 'acme/shop']);
    expect((await cli(['env', 'ls', 'shop', '--json'])).json()).toEqual([]);
  });
});

describe('projects add with a GitHub token', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub({ repos: ['acme/shop'], rejectPrivateUrls: false });
  });
  afterEach(async () => github.close());

  it('creates the push webhook through the GitHub API, and updates it when it exists', async () => {
    await cli(['init', '--local']);
    const env = { ANCHOR_GITHUB_API_URL: github.url };
    const result = await cli(['projects', 'add', 'shop', '--repo', 'acme/shop', '--github-token', github.token, '--json'], env);
    expect(result.code).toBe(0);
    const out = result.json<{ webhook: { url: string; secret: string; registered: string } }>();
    expect(out.webhook.registered).toBe('created');
    const hooks = github.hooks('acme', 'shop');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ events: ['push'], active: true, config: { url: out.webhook.url, content_type: 'json', secret: out.webhook.secret } });

    // Same project added again on a fresh platform (same payload URL host): the hook is updated, not duplicated.
    await cli(['projects', 'rm', 'shop', '--yes']);
    const again = await cli(['projects', 'add', 'shop', '--repo', 'acme/shop', '--json'], { ...env, GITHUB_TOKEN: github.token });
    expect(again.json<{ webhook: { registered: string } }>().webhook.registered).toBe(again.json<{ webhook: { url: string } }>().webhook.url === out.webhook.url ? 'updated' : 'created');
  });

  it('a bad token fails with an auth error (exit 5) and adds nothing', async () => {
    await cli(['init', '--local']);
    const result = await cli(['projects', 'add', 'shop', '--repo', 'acme/shop', '--github-token', 'wrong'], { ANCHOR_GITHUB_API_URL: github.url });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('admin:repo_hook');
    expect((await cli(['projects', 'ls', '--json'])).json()).toEqual([]);
  });
});

describe('anchor env', () => {
  beforeEach(() => initWithProject());

  it('sets plain and secret values; ls masks secrets and never prints them', async () => {
    expect((await cli(['env', 'set', 'shop', 'GREETING=hello world'])).code).toBe(0);
    expect((await cli(['env', 'set', 'shop', 'DB_PASSWORD=hunter2-very-secret', '--secret', '--target', 'runtime'])).code).toBe(0);
    const listing = await cli(['env', 'ls', 'shop', '--json']);
    expect(listing.json()).toEqual([
      { key: 'DB_PASSWORD', value: null, secret: true, targets: ['runtime'], updatedAt: expect.any(String) },
      { key: 'GREETING', value: 'hello world', secret: false, targets: ['build', 'runtime'], updatedAt: expect.any(String) },
    ]);
    const human = await cli(['env', 'ls', 'shop']);
    expect(human.stdout).toMatch(/DB_PASSWORD\s+•+\s+secret\s+runtime/);
    expect(human.stdout).toMatch(/GREETING\s+hello world\s+plain\s+build,runtime/);
    expect(human.stdout + human.stderr + listing.stdout).not.toContain('hunter2');
  });

  it('the SQLite file never holds a secret in plaintext', async () => {
    await cli(['env', 'set', 'shop', 'API_TOKEN=plaintext-needle-7c1f', '--secret']);
    for (const file of ['anchor.db', 'anchor.db-wal']) {
      const path = join(platformDir(), file);
      if (existsSync(path)) expect(readFileSync(path).includes(Buffer.from('plaintext-needle-7c1f'))).toBe(false);
    }
    expect((await cli(['env', 'ls', 'shop', '--json'])).json()).toEqual([expect.objectContaining({ key: 'API_TOKEN', secret: true, value: null })]);
  });

  it.each([
    ['1BAD=x', 'ENV_KEY_INVALID'],
    ['MY-KEY=x', 'ENV_KEY_INVALID'],
    ['AWS_REGION=x', 'ENV_KEY_RESERVED'],
    ['ANCHOR_X=x', 'ENV_KEY_RESERVED'],
    ['_HANDLER=x', 'ENV_KEY_RESERVED'],
    ['LAMBDA_TASK_ROOT=x', 'ENV_KEY_RESERVED'],
  ])('refuses %s (exit 2, hint, nothing written)', async (assignment, code) => {
    const result = await cli(['env', 'set', 'shop', assignment, '--json']);
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { code, hint: expect.any(String) } });
    expect((await cli(['env', 'ls', 'shop', '--json'])).json()).toEqual([]);
  });

  it('refuses a value over 64 KiB', async () => {
    const result = await cli(['env', 'set', 'shop', `BIG=${'x'.repeat(70_000)}`, '--target', 'build', '--json']);
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { code: 'ENV_VALUE_TOO_LARGE' } });
  });

  it('refuses a runtime set over Lambda\'s 4 KB, naming the size and the limit; build-only values do not count', async () => {
    expect((await cli(['env', 'set', 'shop', `A=${'a'.repeat(3000)}`])).code).toBe(0);
    const over = await cli(['env', 'set', 'shop', `B=${'b'.repeat(1200)}`, '--json']);
    expect(over.code).toBe(2);
    expect(over.json()).toMatchObject({ error: { code: 'ENV_RUNTIME_TOO_LARGE', details: { size: 3000 + 1 + 1200 + 1, limit: 4096 } } });
    expect(over.json<{ error: { message: string } }>().error.message).toContain('4202 bytes');
    expect((await cli(['env', 'set', 'shop', `B=${'b'.repeat(1200)}`, '--target', 'build'])).code).toBe(0);
    expect((await cli(['env', 'ls', 'shop', '--json'])).json()).toHaveLength(2);
    // anchor's own variables count too: a set that alone would fit Lambda's 4 KB, but not beside them.
    const beside = await cli(['env', 'set', 'shop', `C=${'c'.repeat(600)}`, '--json']);
    expect(beside.code).toBe(2);
    expect(beside.json()).toMatchObject({ error: { code: 'ENV_RUNTIME_TOO_LARGE', details: { size: 3001 + 601, reserved: 768 } } });
  });

  it('an unknown project is exit 3', async () => {
    const result = await cli(['env', 'set', 'nope', 'A=1']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('anchor projects ls');
  });

  it('a missing value without a terminal names the form to use', async () => {
    const result = await cli(['env', 'set', 'shop', 'TOKEN']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TOKEN=VALUE');
  });

  it('rm removes a variable; removing an unknown one is exit 3', async () => {
    await cli(['env', 'set', 'shop', 'A=1']);
    expect((await cli(['env', 'rm', 'shop', 'A'])).code).toBe(0);
    expect((await cli(['env', 'ls', 'shop', '--json'])).json()).toEqual([]);
    expect((await cli(['env', 'rm', 'shop', 'A'])).code).toBe(3);
  });

  it('pull merges into an existing file: keeps local-only keys, updates known ones, marks secrets instead of blanking them', async () => {
    await cli(['env', 'set', 'shop', 'GREETING=hello']);
    await cli(['env', 'set', 'shop', 'API_URL=https://api.example.com/v1']);
    await cli(['env', 'set', 'shop', 'DB_PASSWORD=s3cret', '--secret']);
    await cli(['env', 'set', 'shop', 'STRIPE_KEY=sk_live_x', '--secret']);
    const file = join(home.dir, '.env.local');
    writeFileSync(file, '# my local settings\nLOCAL_ONLY=keep me\nGREETING=old\nSTRIPE_KEY=sk_test_local\n');
    const result = await cli(['env', 'pull', 'shop', '--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ added: ['API_URL'], updated: ['GREETING'], keptLocal: ['LOCAL_ONLY'], secretsNotPulled: ['DB_PASSWORD', 'STRIPE_KEY'] });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# my local settings\nLOCAL_ONLY=keep me\nGREETING=hello\nSTRIPE_KEY=sk_test_local\n');
    expect(text).toContain('API_URL=https://api.example.com/v1');
    expect(text).toMatch(/# DB_PASSWORD: anchor: secret, not pulled.*\n# DB_PASSWORD=\n/);
    expect(text).not.toMatch(/^DB_PASSWORD=/m);
    expect(text).not.toContain('s3cret');
    const human = await cli(['env', 'pull', 'shop']);
    expect(human.stdout).toContain('write-only');
  });

  it('import reads quotes, multi-line values and export prefixes', async () => {
    const file = join(home.dir, 'prod.env');
    writeFileSync(file, ['# comment', 'export PLAIN=value', 'QUOTED="with spaces # not a comment"', "SINGLE='$NOT_EXPANDED'", 'MULTI="line one', 'line two"', 'EMPTY=', ''].join('\n'));
    const result = await cli(['env', 'import', 'shop', 'prod.env', '--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ imported: ['PLAIN', 'QUOTED', 'SINGLE', 'MULTI', 'EMPTY'] });
    const values = Object.fromEntries((await cli(['env', 'ls', 'shop', '--json'])).json<Array<{ key: string; value: string }>>().map((v) => [v.key, v.value]));
    expect(values).toEqual({ PLAIN: 'value', QUOTED: 'with spaces # not a comment', SINGLE: '$NOT_EXPANDED', MULTI: 'line one\nline two', EMPTY: '' });
  });

  it('import reports every bad line by number and imports nothing', async () => {
    const file = join(home.dir, 'bad.env');
    writeFileSync(file, ['GOOD=1', 'this is not an assignment', 'AWS_SECRET_ACCESS_KEY=x', 'ALSO_GOOD=2', '9LIVES=x'].join('\n'));
    const result = await cli(['env', 'import', 'shop', 'bad.env', '--json']);
    expect(result.code).toBe(2);
    const error = result.json<{ error: { code: string; details: { problems: Array<{ line: number }> } } }>().error;
    expect(error.code).toBe('ENV_IMPORT_INVALID');
    expect(error.details.problems.map((p) => p.line)).toEqual([2, 3, 5]);
    expect((await cli(['env', 'ls', 'shop', '--json'])).json()).toEqual([]);
  });

  it('import of a missing file says so', async () => {
    const result = await cli(['env', 'import', 'shop', 'nope.env']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Cannot read nope.env');
  });
});

describe('output rules', () => {
  it('--json prints exactly one JSON document on stdout, even for errors', async () => {
    await initWithProject();
    for (const args of [['projects', 'ls', '--json'], ['env', 'ls', 'shop', '--json'], ['projects', 'show', 'nope', '--json'], ['deployments', 'ls', 'shop', '--json']]) {
      const result = await cli(args);
      expect(() => JSON.parse(result.stdout)).not.toThrow();
    }
  });

  it('no colour codes without a TTY, and none with NO_COLOR on a TTY', async () => {
    const plain = await cli(['projects', 'ls']);
    expect(plain.stderr + plain.stdout).not.toContain('\u001b[');
    const tty = await runCli(['projects', 'ls'], { home: home.dir, tty: true, env: { NO_COLOR: '1' } });
    expect(tty.stderr + tty.stdout).not.toContain('\u001b[');
  });

  it('an unknown command or option is a usage error (exit 2)', async () => {
    expect((await cli(['fly'])).code).toBe(2);
    expect((await cli(['projects', 'ls', '--nope'])).code).toBe(2);
  });
});

describe('flag values', () => {
  it.each([
    [['init', '--local', '--port', 'eighty'], '--port must be a port number'],
    [['init', '--local', '--port', '70000'], '--port must be a port number'],
  ])('%j is refused, naming the flag', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(join(home.dir, '.anchor', 'platforms'))).toBe(false);
  });

  it('deployments ls --limit 0 is refused, naming the flag', async () => {
    await initWithProject();
    const result = await cli(['deployments', 'ls', 'shop', '--limit', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--limit must be a whole number of at least 1');
  });
});
