import { z } from 'zod';
import { AnchorError } from '../errors.js';
import { normaliseDomain } from '../domain-name.js';
import { assertEnvKey } from '../env-var.js';
import { importEnv, listEnv, removeEnv, setEnv } from '../use-cases/env.js';
import { addDomain, listDomains, removeDomain } from '../use-cases/domains.js';
import { jsonResponse, noContent, type Route, type RouteContext } from './api-types.js';
import { ownedProject } from './owned-project.js';
import { parseBodyWith } from './routes-projects.js';

const V1 = '/api/v1';

async function project(ctx: RouteContext) {
  return ownedProject(ctx.deps, ctx.caller, ctx.params.name ?? '');
}

/** The key in the path: checked as `env set` checks it, and never longer than a store's key may be. */
function envKey(ctx: RouteContext): string {
  const key = ctx.params.key ?? '';
  assertKeyLength(key);
  assertEnvKey(key);
  return key;
}

function assertKeyLength(key: string): void {
  if (key.length > 255) throw new AnchorError({ code: 'ENV_KEY_INVALID', kind: 'usage', message: 'That variable name is longer than 255 characters.', hint: 'Use a short name, e.g. DATABASE_URL.' });
}

async function domainPorts(ctx: RouteContext) {
  if (!ctx.deps.domains) throw new AnchorError({ code: 'NOT_SUPPORTED', kind: 'conflict', message: 'This platform serves no custom domains through its API.', hint: 'Use "anchor domains" where the platform runs.' });
  return ctx.deps.domains();
}

/** Env vars (secrets write-only) and custom domains of the caller's projects. */
export const SETTINGS_ROUTES: Route[] = [
  {
    method: 'GET',
    path: `${V1}/projects/{name}/env`,
    scope: 'read',
    handler: async (ctx) => {
      const p = await project(ctx);
      const vars = await listEnv(ctx.deps, { project: p.name });
      return jsonResponse(200, { items: vars.map((v) => ({ key: v.key, secret: v.secret, value: v.secret ? null : v.value, targets: v.targets, updatedAt: v.updatedAt })), nextCursor: null });
    },
  },
  {
    method: 'PUT',
    path: `${V1}/projects/{name}/env/{key}`,
    scope: 'write',
    handler: async (ctx) => {
      const p = await project(ctx);
      const input = parseBodyWith(z.strictObject({ value: z.string(), secret: z.boolean().optional(), targets: z.array(z.enum(['build', 'runtime'])).min(1).optional() }), ctx.body);
      const result = await setEnv(ctx.deps, { project: p.name, key: envKey(ctx), value: input.value, secret: input.secret ?? false, targets: input.targets ?? ['build', 'runtime'] });
      return jsonResponse(200, { key: result.key, secret: result.secret, targets: result.targets, created: result.created });
    },
  },
  {
    // Many variables at once, all or nothing (anchor env import); secrets stay write-only: the answer names keys only.
    method: 'POST',
    path: `${V1}/projects/{name}/env:import`,
    scope: 'write',
    handler: async (ctx) => {
      const p = await project(ctx);
      const entry = z.strictObject({ key: z.string(), value: z.string(), secret: z.boolean().optional(), targets: z.array(z.enum(['build', 'runtime'])).min(1).optional() });
      const input = parseBodyWith(z.strictObject({ vars: z.array(entry) }), ctx.body);
      // The names' rules are the use case's, checked for every variable at once; the length is the store's.
      input.vars.forEach((v) => assertKeyLength(v.key));
      const vars = input.vars.map((v) => ({ key: v.key, value: v.value, secret: v.secret ?? false, targets: v.targets ?? ['build' as const, 'runtime' as const] }));
      return jsonResponse(200, await importEnv(ctx.deps, { project: p.name, vars }));
    },
  },
  {
    method: 'DELETE',
    path: `${V1}/projects/{name}/env/{key}`,
    scope: 'write',
    handler: async (ctx) => {
      const p = await project(ctx);
      await removeEnv(ctx.deps, { project: p.name, key: envKey(ctx) });
      return noContent();
    },
  },
  {
    method: 'GET',
    path: `${V1}/projects/{name}/domains`,
    scope: 'read',
    handler: async (ctx) => {
      const p = await project(ctx);
      const domains = await listDomains({ ...ctx.deps, ...(await domainPorts(ctx)) }, { project: p.name });
      const items = domains.map((d) => ({ domain: d.name, state: d.state, ...(d.certificate?.expiresAt ? { certificateExpiresAt: d.certificate.expiresAt } : {}), nextAction: d.nextAction }));
      return jsonResponse(200, { items, nextCursor: null });
    },
  },
  {
    method: 'POST',
    path: `${V1}/projects/{name}/domains`,
    scope: 'write',
    handler: async (ctx) => {
      const p = await project(ctx);
      const input = parseBodyWith(z.strictObject({ domain: z.string().min(1).max(253) }), ctx.body);
      const result = await addDomain({ ...ctx.deps, ...(await domainPorts(ctx)) }, { project: p.name, domain: input.domain, www: 'none', manageDns: true });
      const items = result.domains.map((d) => ({ domain: d.name, state: d.state, records: d.records, nextAction: d.nextAction }));
      return jsonResponse(202, { items, added: result.added });
    },
  },
  {
    method: 'DELETE',
    path: `${V1}/projects/{name}/domains/{domain}`,
    scope: 'write',
    handler: async (ctx) => {
      const p = await project(ctx);
      const ports = await domainPorts(ctx);
      const name = normaliseDomain(ctx.params.domain ?? '');
      const domain = await ports.domains.get(name);
      if (!domain || domain.projectId !== p.id) {
        throw new AnchorError({ code: 'DOMAIN_NOT_FOUND', kind: 'not-found', message: `Project "${p.name}" has no domain ${name}.`, hint: `GET ${V1}/projects/${p.name}/domains lists its domains.` });
      }
      await removeDomain({ ...ctx.deps, ...ports }, { domain: name });
      return noContent();
    },
  },
];
