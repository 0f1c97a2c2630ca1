import type { Context } from '../cli/context.js';
import { table } from './table.js';

export default async function tokensLs(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  // On the platform's machine: every owner's tokens unless one is picked; remotely: the token's owner's.
  const tokens = await (await ctx.operations()).listTokens({ owner: options.owner === undefined ? undefined : String(options.owner) });
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
