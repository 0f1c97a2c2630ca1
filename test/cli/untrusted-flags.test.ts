import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureRepo, appFiles } from '../unit/process-builder-fixture.js';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let repo: FixtureRepo;
const cli = (...args: string[]) => runCli(args, { home: home.dir });

beforeAll(async () => {
  home = tempHome();
  expect((await cli('init', '--local')).code).toBe(0);
  repo = new FixtureRepo(join(home.dir, 'repo'));
  repo.commit(appFiles(), 'first');
  expect((await cli('projects', 'add', 'shop', '--repo', repo.dir)).code).toBe(0);
});
afterAll(() => home.cleanup());

const projects = async () => (await cli('projects', 'ls', '--json')).json<Array<{ name: string }>>().map((p) => p.name);

describe('values that reach git are refused where they enter (exit 2)', () => {
  it.each([
    ['--branch', ['--branch', '--upload-pack=touch pwned'], 'BRANCH_INVALID'],
    ['--branch', ['--branch', 'main..x'], 'BRANCH_INVALID'],
    ['--root', ['--root', '../outside'], 'ROOT_INVALID'],
    ['--root', ['--root', '/etc'], 'ROOT_INVALID'],
    ['--repo', ['--repo', '--upload-pack=touch pwned'], 'REPO_INVALID'],
    ['--repo', ['--repo', 'https://example.com/a.git --upload-pack=x'], 'REPO_INVALID'],
  ])('projects add %s %j', async (_flag, flags, code) => {
    const args = flags.includes('--repo') ? flags : ['--repo', repo.dir, ...flags];
    const result = await cli('projects', 'add', 'web', ...args, '--json');
    expect(result.code).toBe(2);
    expect(result.json<{ error: { code: string } }>().error.code).toBe(code);
    expect(await projects()).toEqual(['shop']);
  });

  it('deploy --ref that git would read as an option', async () => {
    for (const ref of ['--upload-pack=touch pwned', '-x', 'main..other', 'a b']) {
      const result = await cli('deploy', 'shop', '--ref', ref, '--json');
      expect(result.code, ref).toBe(2);
      expect(result.json<{ error: { code: string } }>().error.code).toBe('REF_INVALID');
    }
    expect((await cli('deployments', 'ls', 'shop', '--json')).json<{ deployments: unknown[] }>().deployments).toEqual([]);
  });

  it('a --root inside the repository is kept, normalised', async () => {
    mkdirSync(join(home.dir, 'mono'), { recursive: true });
    const result = await cli('projects', 'add', 'mono', '--repo', repo.dir, '--root', './apps/web/', '--json');
    expect(result.code).toBe(0);
    expect(result.json<{ project: { root: string } }>().project.root).toBe('apps/web');
  });
});

describe('env values', () => {
  it('a value with a NUL byte is refused by env import (exit 2), and nothing is imported', async () => {
    writeFileSync(join(home.dir, 'nul.env'), 'GOOD=1\nBAD=before\u0000after\n');
    const result = await cli('env', 'import', 'shop', 'nul.env', '--json');
    expect(result.code).toBe(2);
    const error = result.json<{ error: { code: string; details: { problems: Array<{ line: number; message: string }> } } }>().error;
    expect(error.details.problems).toEqual([{ line: 2, message: expect.stringContaining('NUL byte') }]);
    expect((await cli('env', 'ls', 'shop', '--json')).json()).toEqual([]);
  });
});
