import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
const cli = (args: string[]) => runCli(args, { home: home.dir });

beforeEach(async () => {
  home = tempHome();
  expect((await cli(['init', '--local'])).code).toBe(0);
  mkdirSync(join(home.dir, 'repo'), { recursive: true });
});
afterEach(() => home.cleanup());

describe('anchor projects add --build-size / projects set', () => {
  it('stores the size given at add, changes it with projects set, and refuses an unknown size with exit 2 and the sizes', async () => {
    const added = await cli(['projects', 'add', 'shop', '--repo', join(home.dir, 'repo'), '--build-size', 'medium', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json<{ project: { buildSize: string } }>().project.buildSize).toBe('medium');

    const set = await cli(['projects', 'set', 'shop', '--build-size', 'large', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json()).toEqual({ project: 'shop', buildSize: 'large' });

    const bad = await cli(['projects', 'set', 'shop', '--build-size', 'huge']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('small (4 GB), medium (8 GB) or large (16 GB)');
    const refused = await cli(['projects', 'add', 'blog', '--repo', join(home.dir, 'repo'), '--build-size', 'xl']);
    expect(refused.code).toBe(2);
    expect((await cli(['projects', 'ls', '--json'])).stdout).not.toContain('blog');
  });
});
