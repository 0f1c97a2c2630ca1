/**
 * The OpenAPI 3.1 description of the platform API, written by hand (what a reader needs: what
 * each route takes, answers and needs) and checked against the real route table in a test.
 */
type Schema = Record<string, unknown>;
interface Operation {
  summary: string;
  scope: 'read' | 'deploy' | 'write' | 'admin' | null;
  body?: string;
  ok: [number, string | null];
  query?: string[];
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const page = (item: string): Schema => ({ type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } } });
const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };

const SCHEMAS: Record<string, Schema> = {
  Error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str, hint: str } },
  Owner: { type: 'object', required: ['id', 'name'], properties: { id: str, name: str } },
  Session: { type: 'object', required: ['owner', 'scope', 'expiresAt'], properties: { owner: ref('Owner'), scope: ref('Scope'), csrf: nullableStr, via: str, expiresAt: str } },
  SessionBody: { oneOf: [{ type: 'object', required: ['token'], properties: { token: str } }, { type: 'object', required: ['code'], properties: { code: str } }] },
  Scope: { type: 'string', enum: ['read', 'deploy', 'write', 'admin'] },
  Project: {
    type: 'object',
    required: ['name', 'id', 'repo', 'branch', 'url', 'live', 'latest'],
    properties: {
      name: str, id: str, repo: str, branch: str, url: nullableStr,
      live: { oneOf: [{ type: 'null' }, { type: 'object', properties: { deploymentId: str, commit: nullableStr, activatedAt: str } }] },
      latest: { oneOf: [{ type: 'null' }, { type: 'object', properties: { id: str, state: str, createdAt: str } }] },
    },
  },
  NewProject: { allOf: [ref('Project'), { type: 'object', required: ['webhook'], properties: { webhook: { type: 'object', properties: { url: str, secret: { type: 'string', description: 'shown once: paste it into GitHub' } } } } }] },
  ProjectBody: { type: 'object', required: ['name', 'repo'], properties: { name: str, repo: { type: 'string', description: 'GitHub owner/name or an https:// git URL' }, branch: str } },
  Deployment: {
    type: 'object',
    required: ['id', 'state', 'commit', 'ref', 'createdAt', 'live', 'phases'],
    properties: {
      id: str, state: str, commit: nullableStr, ref: str, message: str, trigger: str, pusher: str, from: str, createdAt: str, endedAt: str, live: { type: 'boolean' },
      phases: { type: 'array', items: { type: 'object', required: ['name', 'startedAt'], properties: { name: str, startedAt: str, endedAt: str, ms: { type: 'integer' } } } },
      error: { type: 'object', properties: { code: str, message: str } },
    },
  },
  OwnedDeployment: { allOf: [ref('Deployment'), { type: 'object', required: ['project'], properties: { project: str } }] },
  DeployBody: { type: 'object', properties: { ref: str } },
  RollbackBody: { type: 'object', properties: { to: str } },
  Rollback: { type: 'object', required: ['live'], properties: { live: ref('Deployment'), from: str, flipMs: { type: 'integer' } } },
  LogLine: { type: 'object', required: ['seq', 'at', 'text'], properties: { seq: { type: 'integer' }, at: str, text: str } },
  EnvVar: { type: 'object', required: ['key', 'secret', 'value'], properties: { key: str, secret: { type: 'boolean' }, value: nullableStr, targets: { type: 'array', items: str }, updatedAt: str } },
  EnvBody: { type: 'object', required: ['value'], properties: { value: str, secret: { type: 'boolean' }, targets: { type: 'array', items: { enum: ['build', 'runtime'] } } } },
  EnvSet: { type: 'object', required: ['key', 'secret'], properties: { key: str, secret: { type: 'boolean' }, targets: { type: 'array', items: str }, created: { type: 'boolean' } } },
  EnvImportBody: { type: 'object', required: ['vars'], properties: { vars: { type: 'array', items: { allOf: [ref('EnvBody'), { type: 'object', required: ['key'], properties: { key: str } }] } } } },
  EnvImport: { type: 'object', required: ['imported'], properties: { imported: { type: 'array', items: str } } },
  Domain: { type: 'object', required: ['domain', 'state', 'nextAction'], properties: { domain: str, state: str, certificateExpiresAt: str, nextAction: str } },
  DomainBody: { type: 'object', required: ['domain'], properties: { domain: str } },
  Token: { type: 'object', required: ['id', 'name', 'scope', 'expiresAt'], properties: { id: str, name: str, owner: str, scope: ref('Scope'), project: nullableStr, createdAt: str, expiresAt: str, lastUsedAt: nullableStr, revokedAt: nullableStr, expired: { type: 'boolean' } } },
  NewToken: { allOf: [ref('Token'), { type: 'object', required: ['token'], properties: { token: { type: 'string', description: 'shown once: only its SHA-256 is kept' } } }] },
  TokenBody: { type: 'object', required: ['name', 'scope'], properties: { name: str, project: str, scope: ref('Scope'), expiresIn: { type: 'string', description: 'e.g. 90d, 12h, 30m; at most 365d (default 90d)' } } },
  ProjectPage: page('Project'),
  DeploymentPage: page('Deployment'),
  LogPage: page('LogLine'),
  EnvPage: page('EnvVar'),
  DomainPage: page('Domain'),
  TokenPage: page('Token'),
};

const P = '/api/v1/projects/{name}';
const PAGED = ['limit', 'cursor'];

export const OPERATIONS: Record<string, Operation> = {
  'POST /api/v1/session': { summary: 'Sign in to the dashboard with a token or a one-time code (anchor dashboard); sets the anchor_session cookie', scope: null, body: 'SessionBody', ok: [200, 'Session'] },
  'GET /api/v1/session': { summary: 'Who is signed in, the scope, and the CSRF value cookie-authenticated writes send as x-anchor-csrf', scope: 'read', ok: [200, 'Session'] },
  'DELETE /api/v1/session': { summary: 'Sign out', scope: 'read', ok: [204, null] },
  'GET /api/v1/tokens': { summary: "The owner's tokens, with last use", scope: 'admin', ok: [200, 'TokenPage'] },
  'POST /api/v1/tokens': { summary: 'Create a token (shown once)', scope: 'admin', body: 'TokenBody', ok: [201, 'NewToken'] },
  'DELETE /api/v1/tokens/{id}': { summary: 'Revoke a token', scope: 'admin', ok: [204, null] },
  'GET /api/v1/openapi.json': { summary: 'This document', scope: null, ok: [200, null] },
  'GET /api/v1/projects': { summary: "The caller's projects with their live and latest deployments", scope: 'read', ok: [200, 'ProjectPage'], query: PAGED },
  'POST /api/v1/projects': { summary: 'Register a project (GitHub owner/name or https:// repository)', scope: 'write', body: 'ProjectBody', ok: [201, 'NewProject'] },
  [`GET ${P}`]: { summary: 'One project', scope: 'read', ok: [200, 'Project'] },
  [`DELETE ${P}`]: { summary: 'Remove a project with its site, deployments, env and files', scope: 'write', ok: [204, null] },
  [`GET ${P}/deployments`]: { summary: 'Deployments, newest first, with phase timings', scope: 'read', ok: [200, 'DeploymentPage'], query: PAGED },
  [`POST ${P}/deployments`]: { summary: 'Deploy the branch head (or ref) now', scope: 'deploy', body: 'DeployBody', ok: [202, 'Deployment'] },
  [`GET ${P}/deployments/{id}`]: { summary: 'One deployment', scope: 'read', ok: [200, 'Deployment'] },
  [`POST ${P}/rollback`]: { summary: 'Point live back at a retained deployment (default: the previous one)', scope: 'deploy', body: 'RollbackBody', ok: [200, 'Rollback'] },
  'GET /api/v1/deployments/{id}': { summary: 'One deployment by id alone, with its project (anchor deployments show, anchor logs <id>)', scope: 'read', ok: [200, 'OwnedDeployment'] },
  [`GET ${P}/deployments/{id}/logs`]: { summary: 'A page of log lines after cursor (default 200 lines, at most 1000)', scope: 'read', ok: [200, 'LogPage'], query: PAGED },
  [`GET ${P}/deployments/{id}/logs/stream`]: { summary: 'The log live as Server-Sent Events: line (id = seq), state, end; honours Last-Event-ID', scope: 'read', ok: [200, null] },
  [`GET ${P}/env`]: { summary: 'Env vars; secret values are null (write-only)', scope: 'read', ok: [200, 'EnvPage'] },
  [`PUT ${P}/env/{key}`]: { summary: 'Set an env var', scope: 'write', body: 'EnvBody', ok: [200, 'EnvSet'] },
  [`POST ${P}/env:import`]: { summary: 'Set many env vars at once, all or nothing (anchor env import): every one is checked before any is written', scope: 'write', body: 'EnvImportBody', ok: [200, 'EnvImport'] },
  [`DELETE ${P}/env/{key}`]: { summary: 'Remove an env var', scope: 'write', ok: [204, null] },
  [`GET ${P}/domains`]: { summary: 'Custom domains with state, certificate expiry and next action', scope: 'read', ok: [200, 'DomainPage'] },
  [`POST ${P}/domains`]: { summary: 'Add a custom domain; its certificate follows by itself', scope: 'write', body: 'DomainBody', ok: [202, null] },
  [`DELETE ${P}/domains/{domain}`]: { summary: 'Stop serving a domain', scope: 'write', ok: [204, null] },
};

const ERRORS: Record<string, string> = { '400': 'Bad input', '401': 'No, an invalid, revoked or expired token', '403': 'Scope too narrow, token restricted, or CSRF mismatch', '404': "Not found (another owner's resources are not found either)", '409': 'Conflict', '413': 'Body too large', '429': 'Rate limited' };

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method = '', path = ''] = key.split(' ');
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: str }));
    const query = (op.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: name === 'limit' ? { type: 'integer', minimum: 1 } : str }));
    const [status, schema] = op.ok;
    const content = path.endsWith('/stream') ? { 'text/event-stream': { schema: str } } : schema ? { 'application/json': { schema: ref(schema) } } : undefined;
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      summary: op.summary,
      ...(op.scope ? { security: [{ bearer: [] }, { session: [] }], 'x-anchor-scope': op.scope } : { security: [] }),
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } } : {}),
      responses: {
        [String(status)]: { description: 'OK', ...(content ? { content } : {}) },
        ...Object.fromEntries(Object.entries(ERRORS).map(([code, description]) => [code, { description, content: { 'application/json': { schema: ref('Error') } } }])),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'anchor platform API', version: '1.0.0', description: 'Owner-scoped: another owner\'s project is 404. Scopes: read ⊂ deploy ⊂ write ⊂ admin.' },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from "anchor tokens create" (anc_…)' },
        session: { type: 'apiKey', in: 'cookie', name: 'anchor_session', description: 'Writes also send x-anchor-csrf' },
      },
    },
  };
}
