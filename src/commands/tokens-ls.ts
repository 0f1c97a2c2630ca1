import type { Context } from '../cli/context.js';
import { listTokens, resolveOwner } from '../core/use-cases/tokens.js';
import { table } from './table.js';

export default async function tokensLs(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const platform = await ctx.platform();
  const deps = { ...platform.ports, access: await platform.access() };
  // The operator on the platform's machine sees every owner's tokens unless they pick one.
  const ownerId = options.owner === undefined ? null : (await resolveOwner(deps, String(options.owner))).id;
  const tokens = await listTokens(deps, { ownerId });
  const status = (t: (typeof tokens)[number]) => (t.revokedAt ? 'revoked' : t.expired ? 'expired' : 'active');
  ctx.ui.result(tokens, () =>
    tokens.length === 0
      ? 'No tokens yet. Create one with: anchor tokens create --name ci --scope deploy'
      : table(
          ['ID', 'NAME', 'OWNER', 'SCOPE', 'PROJECT', 'STATUS', 'EXPIRES', 'LAST USED'],
          tokens.map((t) => [t.id, t.name, t.owner, t.scope, t.project ?? '(all)', status(t), t.expiresAt.slice(0, 10), t.lastUsedAt ?? 'never']),
        ),
  );
}
