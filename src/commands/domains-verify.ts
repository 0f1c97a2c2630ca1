import type { Context } from '../cli/context.js';
import { AnchorError } from '../core/errors.js';
import { verifyDomain } from '../core/use-cases/domains.js';
import { parsePositiveInt } from './flags.js';

export default async function domainsVerify(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [domain = ''] = args;
  const { ports, domains } = await ctx.platform();
  const deps = { ...ports, ...(await domains()) };
  const deadline = Date.now() + parsePositiveInt(options.timeout ?? 30, '--timeout') * 60_000;
  let result = await verifyDomain(deps, { domain });
  const spinner = options.wait && !result.ok ? await ctx.ui.spinner(`Waiting until every check of ${result.domain.name} passes…`) : null;
  while (spinner && !result.ok && Date.now() < deadline) {
    spinner.update(result.items.map((i) => `${i.check} ${i.ok ? 'ok' : 'not yet'}`).join(', '));
    await ports.clock.sleep(3000);
    result = await verifyDomain(deps, { domain });
  }
  spinner?.stop();
  const c = ctx.ui.colors;
  const lines = [`${result.domain.name} (${result.domain.project}): ${result.domain.state}`, ...result.items.flatMap((i) => [`  ${i.ok ? c.green('✔') : c.red('✖')} ${i.check.padEnd(12)} ${i.detail}`, ...(i.fix ? [`    ${c.dim('→')} ${i.fix}`] : [])])];
  if (result.ok) {
    ctx.ui.result(result, () => lines);
    return;
  }
  if (!ctx.flags.json) for (const line of lines) ctx.ui.out(line);
  const failing = result.items.filter((i) => !i.ok);
  throw new AnchorError({ code: 'DOMAIN_NOT_READY', kind: 'failed', message: `${failing.length} of ${result.items.length} checks fail for ${result.domain.name} (${failing.map((i) => i.check).join(', ')}).`, hint: failing[0]?.fix ?? undefined, details: { domain: result.domain.name, items: result.items } });
}
