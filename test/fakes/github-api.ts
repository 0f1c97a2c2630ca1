/**
 * A local HTTP server that answers like GitHub's REST API for repository webhooks
 * (`/repos/{owner}/{repo}/hooks[/{id}]`), so the real @octokit/rest client can be pointed at it
 * with `baseUrl`. Status codes, error bodies and hook shapes follow api.github.com:
 * 401 "Bad credentials", 404 "Not Found" (also for a token that may not manage hooks, since GitHub
 * hides what it will not show), 422 "Validation Failed" for a duplicate hook URL or a URL GitHub
 * cannot reach, and `config.secret` masked as "********" in every response.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deploymentsRoute, type FakeCommitStatus, type FakeDeployment, type RepoDeploymentsState } from './github-deployments.js';

export interface FakeGitHubOptions {
  /** The token with the `repo` and `admin:repo_hook` scopes. Default: a fixed fake PAT. */
  token?: string;
  /** A token that authenticates but lacks `admin:repo_hook`: hooks endpoints answer 404 to it. */
  tokenWithoutHookScope?: string;
  /** Repositories that exist, as "owner/name". Default: ["acme/shop"]. */
  repos?: string[];
  /**
   * GitHub refuses hook URLs on loopback/private hosts ("isn't reachable over the public
   * Internet"). Default true; set false to accept any http(s) URL.
   */
  rejectPrivateUrls?: boolean;
}

/** A stored hook as the fake holds it (the secret unmasked, so tests can check it). */
export interface FakeHook {
  id: number;
  name: string;
  active: boolean;
  events: string[];
  config: { url: string; content_type: string; secret?: string; insecure_ssl: string };
  created_at: string;
  updated_at: string;
}

export interface FakeGitHubRequest {
  method: string;
  /** Path and query, e.g. "/repos/acme/shop/hooks?per_page=100". */
  path: string;
  status: number;
  body: unknown;
}

export interface FakeGitHub {
  /** Base URL to pass as Octokit's `baseUrl`, e.g. "http://127.0.0.1:54321". */
  url: string;
  token: string;
  /** Copies of the hooks on a repository, oldest first ([] for an unknown repository). */
  hooks(owner: string, repo: string): FakeHook[];
  /** Every request answered, in order. */
  requests: FakeGitHubRequest[];
  /** Make another repository exist. */
  addRepo(owner: string, repo: string): void;
  /** Accept another token with full access to every repository (a project's own token). */
  addToken(token: string): void;
  /** Deployments on a repository, oldest first, each with its statuses (github-deployments.ts). */
  deployments(owner: string, repo: string): FakeDeployment[];
  /** Commit statuses on a repository, oldest first. */
  commitStatuses(owner: string, repo: string): FakeCommitStatus[];
  /**
   * GitHub having trouble: from now on every request answers this status (a GitHub-like error
   * body), or 'hang' never answers; null answers normally again.
   */
  trouble: number | 'hang' | null;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest/repos/webhooks';

class HttpFailure extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(String(body['message']));
  }
}

function failure(status: number, message: string, docs: string, errors?: unknown[]): HttpFailure {
  return new HttpFailure(status, { message, ...(errors ? { errors } : {}), documentation_url: docs, status: String(status) });
}

const repoKey = (owner: string, repo: string): string => `${owner}/${repo}`.toLowerCase();

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const token = options.token ?? 'ghp_fakeAnchorToken000000000000000000000';
  const rejectPrivateUrls = options.rejectPrivateUrls ?? true;
  const repos = new Map<string, { owner: string; repo: string; hooks: FakeHook[] } & RepoDeploymentsState>();
  const addRepo = (owner: string, repo: string): void => {
    if (!repos.has(repoKey(owner, repo))) repos.set(repoKey(owner, repo), { owner, repo, hooks: [], deployments: [], commitStatuses: [] });
  };
  const fullTokens = new Set<string>([token]);
  for (const full of options.repos ?? ['acme/shop']) {
    const [owner, repo] = full.split('/');
    if (!owner || !repo) throw new Error(`startFakeGitHub: repo "${full}" is not "owner/name"`);
    addRepo(owner, repo);
  }
  const requests: FakeGitHubRequest[] = [];
  let nextId = 500_000_001;
  let baseUrl = '';

  const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const present = (owner: string, repo: string, hook: FakeHook): Record<string, unknown> => {
    const self = `${baseUrl}/repos/${owner}/${repo}/hooks/${hook.id}`;
    const { secret, ...config } = hook.config;
    return {
      type: 'Repository',
      id: hook.id,
      name: hook.name,
      active: hook.active,
      events: [...hook.events],
      config: secret === undefined ? config : { ...config, secret: '********' },
      updated_at: hook.updated_at,
      created_at: hook.created_at,
      url: self,
      test_url: `${self}/test`,
      ping_url: `${self}/pings`,
      deliveries_url: `${self}/deliveries`,
      last_response: { code: null, status: 'unused', message: null },
    };
  };

  const checkUrl = (url: unknown, hooks: FakeHook[], selfId: number | null, docs: string): string => {
    if (typeof url !== 'string' || url === '') {
      throw failure(422, 'Validation Failed', docs, [{ resource: 'Hook', code: 'custom', message: 'Config must contain URL for webhooks' }]);
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw failure(422, 'Validation Failed', docs, [{ resource: 'Hook', code: 'custom', message: 'url is not a valid URL' }]);
    }
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (rejectPrivateUrls && /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+)$/i.test(host)) {
      throw failure(422, 'Validation Failed', docs, [
        { resource: 'Hook', code: 'custom', message: `url is not supported because it isn't reachable over the public Internet (${host})` },
      ]);
    }
    if (hooks.some((h) => h.id !== selfId && h.config.url === url)) {
      throw failure(422, 'Validation Failed', docs, [{ resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' }]);
    }
    return url;
  };

  const handle = (method: string, url: URL, auth: string | undefined, body: Record<string, unknown>): { status: number; body?: unknown; headers?: Record<string, string> } => {
    const presented = /^(?:token|bearer)\s+(\S+)$/i.exec(auth ?? '')?.[1];
    if (presented === undefined || (!fullTokens.has(presented) && presented !== options.tokenWithoutHookScope)) {
      throw failure(401, 'Bad credentials', 'https://docs.github.com/rest');
    }
    const other = /^\/repos\/([^/]+)\/([^/]+)\/((?:deployments|statuses)(?:\/.*)?)$/.exec(url.pathname);
    if (other) {
      const [, owner = '', repo = '', rest = ''] = other;
      const record = repos.get(repoKey(owner, repo));
      if (!record || !fullTokens.has(presented)) throw failure(404, 'Not Found', 'https://docs.github.com/rest');
      const answer = deploymentsRoute(record, { method, rest, url, body, baseUrl, owner: record.owner, repo: record.repo, now: now() }, failure);
      if (answer) return answer;
      throw failure(404, 'Not Found', 'https://docs.github.com/rest');
    }
    const match = /^\/repos\/([^/]+)\/([^/]+)\/hooks(?:\/(\d+))?\/?$/.exec(url.pathname);
    if (!match) throw failure(404, 'Not Found', 'https://docs.github.com/rest');
    const [, owner = '', repo = '', idText] = match;
    const docs = `${DOCS}#${idText === undefined ? (method === 'POST' ? 'create-a-repository-webhook' : 'list-repository-webhooks') : 'update-a-repository-webhook'}`;
    const record = repos.get(repoKey(owner, repo));
    // GitHub answers 404, not 403, when the token may not see or manage the resource.
    if (!record || !fullTokens.has(presented)) throw failure(404, 'Not Found', docs);
    const hooks = record.hooks;

    if (idText === undefined) {
      if (method === 'GET') {
        const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1), 100);
        const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
        const slice = hooks.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        const last = Math.ceil(hooks.length / perPage);
        if (page < last) {
          const link = (p: number): string => `${baseUrl}${url.pathname}?per_page=${perPage}&page=${p}`;
          headers['link'] = `<${link(page + 1)}>; rel="next", <${link(last)}>; rel="last"`;
        }
        return { status: 200, body: slice.map((h) => present(record.owner, record.repo, h)), headers };
      }
      if (method === 'POST') {
        const name = body['name'] ?? 'web';
        if (name !== 'web') {
          throw failure(422, 'Validation Failed', docs, [{ resource: 'Hook', code: 'custom', field: 'name', message: 'name is not a valid service' }]);
        }
        const config = (body['config'] ?? {}) as Record<string, unknown>;
        const hookUrl = checkUrl(config['url'], hooks, null, docs);
        const at = now();
        const hook: FakeHook = {
          id: nextId++,
          name: 'web',
          active: body['active'] === undefined ? true : Boolean(body['active']),
          events: Array.isArray(body['events']) ? body['events'].map(String) : ['push'],
          config: {
            url: hookUrl,
            content_type: typeof config['content_type'] === 'string' ? config['content_type'] : 'form',
            ...(typeof config['secret'] === 'string' && config['secret'] !== '' ? { secret: config['secret'] } : {}),
            insecure_ssl: String(config['insecure_ssl'] ?? '0'),
          },
          created_at: at,
          updated_at: at,
        };
        hooks.push(hook);
        return { status: 201, body: present(record.owner, record.repo, hook), headers: { location: `${baseUrl}/repos/${record.owner}/${record.repo}/hooks/${hook.id}` } };
      }
      throw failure(404, 'Not Found', docs);
    }

    const id = Number(idText);
    const index = hooks.findIndex((h) => h.id === id);
    const hook = hooks[index];
    if (!hook) throw failure(404, 'Not Found', docs);
    if (method === 'GET') return { status: 200, body: present(record.owner, record.repo, hook) };
    if (method === 'DELETE') {
      hooks.splice(index, 1);
      return { status: 204 };
    }
    if (method === 'PATCH') {
      if (body['config'] !== undefined) {
        const config = body['config'] as Record<string, unknown>;
        const hookUrl = checkUrl(config['url'] ?? hook.config.url, hooks, hook.id, docs);
        // As documented: a config without the secret removes the secret.
        hook.config = {
          url: hookUrl,
          content_type: typeof config['content_type'] === 'string' ? config['content_type'] : hook.config.content_type,
          ...(typeof config['secret'] === 'string' && config['secret'] !== '' ? { secret: config['secret'] } : {}),
          insecure_ssl: config['insecure_ssl'] === undefined ? hook.config.insecure_ssl : String(config['insecure_ssl']),
        };
      }
      if (Array.isArray(body['events'])) hook.events = body['events'].map(String);
      if (Array.isArray(body['add_events'])) hook.events = [...new Set([...hook.events, ...body['add_events'].map(String)])];
      if (Array.isArray(body['remove_events'])) {
        const removed = new Set(body['remove_events'].map(String));
        hook.events = hook.events.filter((e) => !removed.has(e));
      }
      if (body['active'] !== undefined) hook.active = Boolean(body['active']);
      hook.updated_at = now();
      return { status: 200, body: present(record.owner, record.repo, hook) };
    }
    throw failure(404, 'Not Found', docs);
  };

  const state = { trouble: null as number | 'hang' | null };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', baseUrl);
      const raw = Buffer.concat(chunks).toString('utf8');
      let answer: { status: number; body?: unknown; headers?: Record<string, string> };
      let parsed: unknown = undefined;
      try {
        if (state.trouble === 'hang') {
          requests.push({ method, path: `${url.pathname}${url.search}`, status: 0, body: raw === '' ? undefined : JSON.parse(raw) });
          return;
        }
        if (state.trouble !== null) throw failure(state.trouble, state.trouble >= 500 ? 'Server Error' : 'Trouble', 'https://docs.github.com/rest');
        try {
          parsed = raw === '' ? {} : JSON.parse(raw);
        } catch {
          throw failure(400, 'Problems parsing JSON', 'https://docs.github.com/rest');
        }
        const body = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
        answer = handle(method, url, req.headers.authorization, body);
      } catch (error) {
        answer = error instanceof HttpFailure ? { status: error.status, body: error.body } : { status: 500, body: { message: String(error) } };
      }
      requests.push({ method, path: `${url.pathname}${url.search}`, status: answer.status, body: raw === '' ? undefined : parsed });
      const headers: Record<string, string> = {
        'x-github-media-type': 'github.v3; format=json',
        'x-github-request-id': `FAKE:${requests.length}`,
        'x-oauth-scopes': req.headers.authorization?.endsWith(token) ? 'admin:repo_hook, repo' : 'repo',
        ...answer.headers,
      };
      if (answer.body === undefined) {
        res.writeHead(answer.status, headers).end();
        return;
      }
      res.writeHead(answer.status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer.body));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    token,
    hooks: (owner, repo) => structuredClone(repos.get(repoKey(owner, repo))?.hooks ?? []),
    requests,
    addRepo,
    addToken: (extra) => void fullTokens.add(extra),
    deployments: (owner, repo) => structuredClone(repos.get(repoKey(owner, repo))?.deployments ?? []),
    commitStatuses: (owner, repo) => structuredClone(repos.get(repoKey(owner, repo))?.commitStatuses ?? []),
    get trouble() {
      return state.trouble;
    },
    set trouble(value) {
      state.trouble = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
