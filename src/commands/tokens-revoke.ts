import type { Context } from '../cli/context.js';
import { revokeToken } from '../core/use-cases/tokens.js';

export default async function tokensRevoke(ctx: Context, args: string[]): Promise<void> {
  const [id = ''] = args;
  const platform = await ctx.platform();
  const view = await revokeToken({ ...platform.ports, access: await platform.access() }, { id, ownerId: null });
  ctx.ui.result(view, () => `${ctx.ui.colors.green('✔')} Revoked token "${view.name}" (${view.id}); requests and dashboard sessions with it now get 401.`);
}
