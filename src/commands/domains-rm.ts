import type { Context } from '../cli/context.js';
import { AnchorError } from '../core/errors.js';
import { getDomain, removeDomain } from '../core/use-cases/domains.js';
import { removeRemoteDomain } from './domains-remote.js';

export default async function domainsRm(ctx: Context, args: string[]): Promise<void> {
  const [domain = ''] = args;
  const ops = ctx.remotePlatform() && (await ctx.operations());
  if (ops && ops.remote) return removeRemoteDomain(ctx, ops, ops.remote, domain);
  const { ports, domains } = await ctx.platform();
  const deps = { ...ports, ...(await domains()) };
  const { domain: found, project } = await getDomain(deps, { domain });
  if (!ctx.flags.yes && !(await ctx.prompter.confirm(`Stop serving ${found.name} (project "${project.name}") and release its certificate?`, '--yes to confirm'))) {
    throw new AnchorError({ code: 'CANCELLED', kind: 'usage', message: `${found.name} was not removed.` });
  }
  const removed = await removeDomain(deps, { domain: found.name });
  ctx.ui.result(removed, () => `${ctx.ui.colors.green('✔')} ${removed.removed.join(' and ')} no longer serve${removed.removed.length === 1 ? 's' : ''} "${removed.project}"; the DNS records you created for ${removed.removed.length === 1 ? 'it' : 'them'} can go.`);
}
