import type { Context } from '../cli/context.js';
import { DEFAULT_TOKEN_EXPIRY, parseScope } from '../core/api/token-format.js';
import { createToken, resolveOwner } from '../core/use-cases/tokens.js';

export default async function tokensCreate(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const platform = await ctx.platform();
  const access = await platform.access();
  const deps = { ...platform.ports, access };
  const owner = await resolveOwner(deps, options.owner as string | undefined);
  const { token, view } = await createToken(deps, {
    ownerId: owner.id,
    name: String(options.name ?? ''),
    project: options.project as string | undefined,
    scope: parseScope(String(options.scope ?? 'read')),
    expires: String(options.expires ?? DEFAULT_TOKEN_EXPIRY),
  });
  ctx.ui.result({ token, ...view }, () => [
    `${ctx.ui.colors.green('✔')} Created token "${view.name}" (${view.id}) for ${view.owner}: scope ${view.scope}${view.project ? `, project ${view.project} only` : ''}, expires ${view.expiresAt}.`,
    '',
    `  ${token}`,
    '',
    '  It is shown this once: anchor keeps only its SHA-256. Revoke it with: anchor tokens revoke ' + view.id,
  ]);
}
