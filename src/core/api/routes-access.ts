import { z } from 'zod';
import { AnchorError } from '../errors.js';
import { createToken, listTokens, revokeToken } from '../use-cases/tokens.js';
import { jsonResponse, noContent, type Route } from './api-types.js';
import { clearedCookie, closeSession, openSession, sessionCookie } from './auth.js';
import { openApiDocument } from './openapi.js';
import { parseBodyWith } from './routes-projects.js';
import { DEFAULT_TOKEN_EXPIRY, scopeAllows, TOKEN_SCOPES } from './token-format.js';

const V1 = '/api/v1';

const createTokenBody = z.strictObject({
  name: z.string().max(64),
  project: z.string().max(63).optional(),
  scope: z.enum(TOKEN_SCOPES),
  expiresIn: z.string().max(10).optional(),
});

/** The dashboard's session, API tokens, and the OpenAPI document. */
export const ACCESS_ROUTES: Route[] = [
  {
    method: 'POST',
    path: `${V1}/session`,
    scope: null,
    handler: async (ctx) => {
      const input = parseBodyWith(z.union([z.strictObject({ token: z.string().max(200) }), z.strictObject({ code: z.string().max(200) })]), ctx.body);
      const { secret, session } = await openSession(ctx.deps, input);
      const owner = await ctx.deps.access.getOwner(session.ownerId);
      return jsonResponse(
        200,
        { owner: { id: session.ownerId, name: owner?.name ?? session.ownerId }, scope: session.scope, csrf: session.csrf, expiresAt: session.expiresAt },
        { 'set-cookie': sessionCookie(secret, session.expiresAt, ctx.request.secure, ctx.deps.clock.now()) },
      );
    },
  },
  {
    method: 'GET',
    path: `${V1}/session`,
    scope: 'read',
    handler: async (ctx) =>
      jsonResponse(200, { owner: { id: ctx.caller.ownerId, name: ctx.caller.ownerName }, scope: ctx.caller.scope, via: ctx.caller.via, csrf: ctx.caller.csrf, expiresAt: ctx.caller.expiresAt }),
  },
  {
    method: 'DELETE',
    path: `${V1}/session`,
    scope: 'read',
    handler: async (ctx) => {
      await closeSession(ctx.deps, ctx.request);
      return noContent({ 'set-cookie': clearedCookie(ctx.request.secure) });
    },
  },
  {
    method: 'GET',
    path: `${V1}/tokens`,
    scope: 'admin',
    handler: async (ctx) => jsonResponse(200, { items: await listTokens(ctx.deps, { ownerId: ctx.caller.ownerId }), nextCursor: null }),
  },
  {
    method: 'POST',
    path: `${V1}/tokens`,
    scope: 'admin',
    handler: async (ctx) => {
      const input = parseBodyWith(createTokenBody, ctx.body);
      if (ctx.caller.projectId !== null) {
        throw new AnchorError({ code: 'TOKEN_PROJECT_RESTRICTED', kind: 'auth', message: 'A token restricted to one project cannot create tokens.', hint: 'Use an admin token without --project.' });
      }
      if (!scopeAllows(ctx.caller.scope, input.scope)) throw new AnchorError({ code: 'SCOPE_INSUFFICIENT', kind: 'auth', message: `You cannot make a ${input.scope} token with a ${ctx.caller.scope} one.`, hint: 'Pick a narrower scope.' });
      const made = await createToken(ctx.deps, { ownerId: ctx.caller.ownerId, name: input.name, project: input.project, scope: input.scope, expires: input.expiresIn ?? DEFAULT_TOKEN_EXPIRY });
      return jsonResponse(201, { token: made.token, ...made.view });
    },
  },
  {
    method: 'DELETE',
    path: `${V1}/tokens/{id}`,
    scope: 'admin',
    handler: async (ctx) => {
      if (ctx.caller.projectId !== null) {
        throw new AnchorError({ code: 'TOKEN_PROJECT_RESTRICTED', kind: 'auth', message: 'A token restricted to one project cannot revoke tokens.', hint: 'Use an admin token without --project.' });
      }
      await revokeToken(ctx.deps, { id: ctx.params.id ?? '', ownerId: ctx.caller.ownerId });
      return noContent();
    },
  },
  {
    method: 'GET',
    path: `${V1}/openapi.json`,
    scope: null,
    handler: async () => jsonResponse(200, openApiDocument()),
  },
];
