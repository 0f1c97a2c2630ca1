import type { Context } from '../cli/context.js';
import { AnchorError } from '../core/errors.js';
import { platformUrl } from '../cli/platforms.js';
import { createSignInCode, resolveOwner } from '../core/use-cases/tokens.js';

/**
 * `anchor dashboard`: a one-time sign-in code (5 minutes, one use) in the dashboard's URL: anchor
 * server's locally, the platform's HTTP API on aws (the API function serves the dashboard there).
 */
export default async function dashboard(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const platform = await ctx.platform();
  const base = platformUrl(platform.config);
  if (base === '') {
    throw new AnchorError({ code: 'PLATFORM_OUTPUTS_MISSING', kind: 'usage', message: `Platform "${platform.config.name}" has no API address saved.`, hint: 'Run "anchor init --aws" again to update the platform and save its outputs.' });
  }
  const deps = { ...platform.ports, access: await platform.access() };
  const owner = await resolveOwner(deps, options.owner as string | undefined);
  const { code, expiresAt } = await createSignInCode(deps, { ownerId: owner.id });
  // In the fragment: browsers never send it to a server, so it stays out of access logs.
  const url = `${base}/#code=${code}`;
  const opened = options.open !== false && ctx.prompter.canAsk ? await ctx.openUrl(url) : false;
  ctx.ui.result({ url, owner: owner.name, expiresAt, opened }, () => [
    `${ctx.ui.colors.green('✔')} ${opened ? 'Opened' : 'Open'} the dashboard as ${owner.name} (the link works once, for 5 minutes):`,
    `  ${url}`,
  ]);
}
