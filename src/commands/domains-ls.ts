import type { Context } from '../cli/context.js';
import { listDomains } from '../core/use-cases/domains.js';
import { certificateText, sinceText, stateText } from './domain-text.js';
import { table } from './table.js';
import { listRemoteDomains } from './domains-remote.js';

export default async function domainsLs(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const ops = ctx.remotePlatform() && (await ctx.operations());
  if (ops && ops.remote) return listRemoteDomains(ctx, ops, ops.remote, options.project as string | undefined);
  const { ports, domains } = await ctx.platform();
  const views = await listDomains({ ...ports, ...(await domains()) }, { project: options.project as string | undefined });
  const now = ports.clock.now();
  ctx.ui.result({ domains: views }, () =>
    views.length === 0
      ? 'No custom domains yet. Add one: anchor domains add <domain> --project <project>'
      : table(
          ['DOMAIN', 'PROJECT', 'STATE', 'CERTIFICATE', 'CHECKED', 'NEXT'],
          views.map((d) => [d.name, d.project, stateText(ctx, d.state), certificateText(d), sinceText(d.checkedAt, now), d.nextAction]),
        ),
  );
}
