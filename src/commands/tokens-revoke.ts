import type { Context } from '../cli/context.js';

export default async function tokensRevoke(ctx: Context, args: string[]): Promise<void> {
  const [id = ''] = args;
  const view = await (await ctx.operations()).revokeToken(id);
  ctx.ui.result(view, () => `${ctx.ui.colors.green('✔')} Revoked token "${view.name}" (${view.id}); requests and dashboard sessions with it now get 401.`);
}
