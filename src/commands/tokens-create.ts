import type { Context } from '../cli/context.js';
import { DEFAULT_TOKEN_EXPIRY, parseScope } from '../core/api/token-format.js';

export default async function tokensCreate(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const { token, view } = await (await ctx.operations()).createToken({
    owner: options.owner as string | undefined,
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
