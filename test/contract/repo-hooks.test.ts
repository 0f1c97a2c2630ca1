import { createServer } from 'node:net';
import { Octokit } from '@octokit/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OctokitRepoHooks } from '../../src/adapters/github/octokit-repo-hooks.js';
import { AnchorError } from '../../src/core/errors.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api.js';

// Octokit logs every failed request with console.error; the expected 404/422 paths would be noise.
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const PAYLOAD_URL = 'https://anchor.example.com/webhook/p_shop';

let github: FakeGitHub;

function hooksFor(token: string, baseUrl = github.url): OctokitRepoHooks {
  return new OctokitRepoHooks({ octokit: new Octokit({ auth: token, baseUrl, log: quiet }) });
}

async function rejection(promise: Promise<unknown>): Promise<AnchorError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AnchorError);
  return error as AnchorError;
}

beforeEach(async () => {
  github = await startFakeGitHub({ repos: ['acme/shop'], tokenWithoutHookScope: 'ghp_readonly' });
});
afterEach(async () => {
  await github.close();
});

describe('OctokitRepoHooks against the fake GitHub API', () => {
  it('creates a push hook with a JSON payload and the secret', async () => {
    const result = await hooksFor(github.token).ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 's3cret-1', hookId: null });

    expect(result.created).toBe(true);
    const hooks = github.hooks('acme', 'shop');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ id: result.hookId, name: 'web', active: true, events: ['push'], config: { url: PAYLOAD_URL, content_type: 'json', secret: 's3cret-1' } });
  });

  it('updates the existing hook when registering the same URL again without a hook id', async () => {
    const adapter = hooksFor(github.token);
    const first = await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 'old', hookId: null });
    const second = await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 'new', hookId: null });

    expect(second).toEqual({ hookId: first.hookId, created: false });
    const hooks = github.hooks('acme', 'shop');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.config.secret).toBe('new');
    expect(hooks[0]?.events).toEqual(['push']);
    // The path really went through GitHub's "already exists" answer.
    expect(github.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'POST 422', 'GET 200', 'PATCH 200']);
  });

  it('finds the existing hook among many (paginated list)', async () => {
    const adapter = hooksFor(github.token);
    for (let i = 0; i < 120; i++) {
      await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: `https://ci.example.com/hook/${i}`, secret: 'x', hookId: null });
    }
    const mine = await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 'a', hookId: null });
    const again = await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 'b', hookId: null });

    expect(again).toEqual({ hookId: mine.hookId, created: false });
    expect(github.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(['/repos/acme/shop/hooks?per_page=100', '/repos/acme/shop/hooks?per_page=100&page=2']);
    expect(github.hooks('acme', 'shop').filter((h) => h.config.url === PAYLOAD_URL).map((h) => h.config.secret)).toEqual(['b']);
  });

  it('updates the remembered hook in place when given its id', async () => {
    const adapter = hooksFor(github.token);
    const first = await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 'old', hookId: null });
    const moved = 'https://deploy.example.com/webhook/p_shop';
    const result = await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: moved, secret: 'rotated', hookId: first.hookId });

    expect(result).toEqual({ hookId: first.hookId, created: false });
    expect(github.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/repos/acme/shop/hooks/${first.hookId}`, status: 200 });
    expect(github.hooks('acme', 'shop')).toMatchObject([{ id: first.hookId, events: ['push'], config: { url: moved, content_type: 'json', secret: 'rotated' } }]);
  });

  it('creates a new hook when the remembered one was deleted on GitHub', async () => {
    const adapter = hooksFor(github.token);
    const result = await adapter.ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 's', hookId: 424242 });

    expect(result.created).toBe(true);
    expect(result.hookId).not.toBe(424242);
    expect(github.hooks('acme', 'shop')).toHaveLength(1);
  });

  it('reports a bad token as an auth error that names the scope it needs', async () => {
    const error = await rejection(hooksFor('ghp_wrong').ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 's', hookId: null }));

    expect(error).toMatchObject({ kind: 'auth', code: 'GITHUB_AUTH' });
    expect(error.hint).toContain('admin:repo_hook');
    expect(error.hint).toContain('GITHUB_TOKEN');
    expect(github.hooks('acme', 'shop')).toHaveLength(0);
  });

  it('reports an unknown repository as not-found, mentioning both likely causes', async () => {
    const error = await rejection(hooksFor(github.token).ensurePushHook({ owner: 'acme', repo: 'nope', url: PAYLOAD_URL, secret: 's', hookId: 7 }));

    expect(error).toMatchObject({ kind: 'not-found', code: 'GITHUB_REPO_NOT_FOUND' });
    expect(error.message).toContain('acme/nope');
    expect(error.hint).toMatch(/owner\/name/);
    expect(error.hint).toMatch(/admin:repo_hook/);
  });

  it('reports a token without the hook scope as not-found, like GitHub does', async () => {
    const error = await rejection(hooksFor('ghp_readonly').ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 's', hookId: null }));

    expect(error).toMatchObject({ kind: 'not-found', code: 'GITHUB_REPO_NOT_FOUND' });
  });

  it('explains that GitHub cannot deliver to a loopback URL', async () => {
    const error = await rejection(
      hooksFor(github.token).ensurePushHook({ owner: 'acme', repo: 'shop', url: 'http://127.0.0.1:8080/webhook/p_shop', secret: 's', hookId: null }),
    );

    expect(error).toMatchObject({ kind: 'usage', code: 'GITHUB_HOOK_REJECTED' });
    expect(error.message).toContain("isn't reachable over the public Internet");
    expect(error.hint).toMatch(/tunnel/);
  });

  it('reports an unreachable API as an external error with its URL', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const deadUrl = `http://127.0.0.1:${port}`;
    const error = await rejection(hooksFor(github.token, deadUrl).ensurePushHook({ owner: 'acme', repo: 'shop', url: PAYLOAD_URL, secret: 's', hookId: null }));

    expect(error).toMatchObject({ kind: 'external', code: 'GITHUB_UNREACHABLE' });
    expect(error.message).toContain(deadUrl);
  });
});

describe('the fake GitHub API', () => {
  it('answers like GitHub: masked secret, Bearer auth, 401 body', async () => {
    const created = await fetch(`${github.url}/repos/acme/shop/hooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${github.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config: { url: PAYLOAD_URL, content_type: 'json', secret: 'hidden' } }),
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as Record<string, unknown>;
    expect(hook).toMatchObject({ type: 'Repository', name: 'web', active: true, events: ['push'], config: { url: PAYLOAD_URL, content_type: 'json', secret: '********', insecure_ssl: '0' } });
    expect(created.headers.get('location')).toBe(hook['url']);

    const deleted = await fetch(`${github.url}/repos/acme/shop/hooks/${String(hook['id'])}`, { method: 'DELETE', headers: { authorization: `token ${github.token}` } });
    expect(deleted.status).toBe(204);
    expect(github.hooks('acme', 'shop')).toEqual([]);

    const anonymous = await fetch(`${github.url}/repos/acme/shop/hooks`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ message: 'Bad credentials' });
  });
});
