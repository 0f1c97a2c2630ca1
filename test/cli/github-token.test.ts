import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api.js';
import { runCli, tempHome } from './run-cli.js';

/** A project's GitHub token through the CLI: given by variable name, stored sealed, never printed. */
const TOKEN = 'ghp_CliProjectToken00000000000000000000000';

let home: ReturnType<typeof tempHome>;
let github: FakeGitHub;
const cli = (args: string[], env?: Record<string, string>) => runCli(args, { home: home.dir, env: { ANCHOR_GITHUB_API_URL: github.url, ...env } });
const database = () => join(home.dir, '.anchor', 'platforms', 'local', 'anchor.db');
const storedTokens = (): Array<{ project_id: string; sealed: string }> => {
  const db = new Database(database(), { readonly: true });
  try {
    return db.prepare('SELECT project_id, sealed FROM project_github_tokens').all() as Array<{ project_id: string; sealed: string }>;
  } finally {
    db.close();
  }
};

beforeEach(async () => {
  home = tempHome();
  github = await startFakeGitHub({ repos: ['acme/shop'], rejectPrivateUrls: false });
  github.addToken(TOKEN);
  expect((await cli(['init', '--local'])).code).toBe(0);
});

afterEach(async () => {
  await github.close();
  home.cleanup();
});

describe('a project\'s GitHub token', () => {
  it('projects add --github-token-env stores it sealed, registers the webhook with it, and prints it nowhere', async () => {
    const added = await cli(['projects', 'add', 'shop', '--repo', 'acme/shop', '--github-token-env', 'SHOP_TOKEN', '--json'], { SHOP_TOKEN: TOKEN });

    expect(added.code).toBe(0);
    expect(added.json()).toMatchObject({ project: { name: 'shop', githubToken: true }, webhook: { registered: 'created' } });
    expect(`${added.stdout}${added.stderr}`).not.toContain(TOKEN);
    const [stored] = storedTokens();
    expect(stored?.sealed).toBeTruthy();
    expect(stored?.sealed).not.toContain(TOKEN);
    // Not in the database file in plain text either.
    expect(readFileSync(database()).includes(TOKEN)).toBe(false);
    const shown = await cli(['projects', 'show', 'shop', '--json']);
    expect(shown.json()).toMatchObject({ githubToken: true });
    expect(shown.stdout).not.toContain(TOKEN);
  });

  it('set-token replaces it, --remove forgets it, and projects rm takes it with the project', async () => {
    expect((await cli(['projects', 'add', 'shop', '--repo', 'acme/shop'])).code).toBe(0);
    expect(storedTokens()).toEqual([]);

    const set = await cli(['projects', 'set-token', 'shop', '--github-token-env', 'T', '--json'], { T: TOKEN });
    expect(set.json()).toEqual({ project: 'shop', githubToken: 'set', replaced: false });
    const first = storedTokens()[0]?.sealed;
    const replaced = await cli(['projects', 'set-token', 'shop', '--github-token-env', 'T', '--json'], { T: `${TOKEN}X` });
    expect(replaced.json()).toEqual({ project: 'shop', githubToken: 'set', replaced: true });
    expect(storedTokens().map((t) => t.sealed)).not.toContain(first);

    expect((await cli(['projects', 'set-token', 'shop', '--remove', '--json'])).json()).toEqual({ project: 'shop', githubToken: 'removed', replaced: true });
    expect(storedTokens()).toEqual([]);

    await cli(['projects', 'set-token', 'shop', '--github-token-env', 'T'], { T: TOKEN });
    expect(storedTokens()).toHaveLength(1);
    expect((await cli(['projects', 'rm', 'shop', '--yes'])).code).toBe(0);
    expect(storedTokens()).toEqual([]);
  });

  it('refuses a token given in a way that cannot work, with what to do instead', async () => {
    expect((await cli(['projects', 'add', 'shop', '--repo', 'acme/shop'])).code).toBe(0);

    const unset = await cli(['projects', 'set-token', 'shop', '--github-token-env', 'NOT_SET']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('the environment variable NOT_SET is not set');
    const value = await cli(['projects', 'set-token', 'shop', '--github-token-env', TOKEN.replace('ghp_', 'ghp-')]);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('takes the name of an environment variable');
    expect(value.stderr).not.toContain(TOKEN.slice(8));
    const broken = await cli(['projects', 'set-token', 'shop', '--github-token-env', 'T'], { T: 'two words' });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('GitHub token');
    // Without a terminal anchor does not ask: it names the flag.
    const silent = await cli(['projects', 'set-token', 'shop']);
    expect(silent.code).toBe(2);
    expect(silent.stderr).toContain('--github-token-env VAR');
    expect(storedTokens()).toEqual([]);
  });
});
