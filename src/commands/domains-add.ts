import type { Context } from '../cli/context.js';
import { addDomain } from '../core/use-cases/domains.js';
import { getProject } from '../core/use-cases/projects.js';
import { parsePositiveInt } from './flags.js';
import { recordsTable, stateText } from './domain-text.js';
import { waitForDomains } from './domain-wait.js';
import { addRemoteDomain } from './domains-remote.js';

export default async function domainsAdd(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [domain = ''] = args;
  const remote = ctx.remotePlatform() && (await ctx.operations()).remote;
  if (remote) return addRemoteDomain(ctx, remote, domain, options);
  const { ports, domains } = await ctx.platform();
  const deps = { ...ports, ...(await domains()) };
  const www = options.redirectWww ? 'redirect' : options.withWww ? 'with' : 'none';
  const result = await addDomain(deps, { project: String(options.project ?? ''), domain, www, manageDns: options.dns !== false });
  const names = result.domains.map((d) => d.name);
  const records = result.domains.flatMap((d) => d.records);
  const data = { project: String(options.project), added: result.added, domains: result.domains.map(({ name, state, reason, records: r, nextAction }) => ({ name, state, reason, records: r, nextAction })) };
  ctx.ui.result(data, () => [
    result.added.length > 0 ? `${ctx.ui.colors.green('✔')} Added ${result.added.join(' and ')} to "${data.project}".` : `${names.join(' and ')} already belong${names.length === 1 ? 's' : ''} to "${data.project}"; nothing changed.`,
    ...result.domains.map((d) => `  ${d.name}: ${stateText(ctx, d.state)}${d.redirectTo ? ` (redirects to ${d.redirectTo})` : ''}${d.reason ? ` — ${d.reason}` : ''}`),
    ...(records.length > 0 ? ['', '  Create these DNS records (anchor keeps checking them by itself):', ...recordsTable(records)] : []),
    '',
    options.wait ? '' : `  Follow it with: anchor domains ls --project ${data.project}   (or add --wait)`,
  ]);
  if (options.wait) await waitForDomains(ctx, deps, await getProject(ports, data.project), names, { timeoutMs: parsePositiveInt(options.timeout ?? 30, '--timeout') * 60_000 });
}
