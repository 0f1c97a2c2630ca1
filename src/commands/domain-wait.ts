import { AnchorError } from '../core/errors.js';
import type { Project } from '../core/project.js';
import { checkProjectDomains, type CheckDomainsDeps } from '../core/use-cases/check-domains.js';
import { isSettled } from '../core/use-cases/domains.js';
import type { Domain } from '../core/domain.js';
import type { Context } from '../cli/context.js';

/**
 * `--wait`: checks the project's domains again and again (the same measured check the platform
 * runs) with a spinner, until each named one is active, or has failed / is in conflict (exit 7),
 * or the timeout passes (exit 7, it goes on without the CLI).
 */
export async function waitForDomains(ctx: Context, deps: CheckDomainsDeps, project: Project, names: readonly string[], options: { timeoutMs: number; pollMs?: number }): Promise<Domain[]> {
  const spinner = await ctx.ui.spinner(`Waiting for ${names.join(', ')}…`);
  const deadline = Date.now() + options.timeoutMs;
  let watched: Domain[] = [];
  for (;;) {
    watched = (await checkProjectDomains(deps, project)).filter((d) => names.includes(d.name));
    spinner.update(watched.map((d) => `${d.name}: ${d.state}${d.reason ? ` (${d.reason})` : ''}`).join('; '));
    if (watched.length === 0 || watched.every((d) => isSettled(d.state))) break;
    if (Date.now() > deadline) {
      spinner.fail(`Still waiting after ${Math.round(options.timeoutMs / 60_000)} min.`);
      throw new AnchorError({ code: 'DOMAIN_WAIT_TIMEOUT', kind: 'failed', message: `${watched.map((d) => `${d.name} is ${d.state}`).join(', ')}.`, hint: 'The platform keeps going without the CLI: follow it with "anchor domains ls", or run "anchor domains verify <domain>".' });
    }
    await deps.clock.sleep(options.pollMs ?? 3000);
  }
  const bad = watched.filter((d) => d.state !== 'active');
  if (bad.length > 0) {
    spinner.fail(bad.map((d) => `${d.name} is ${d.state}`).join(', '));
    throw new AnchorError({ code: 'DOMAIN_FAILED', kind: 'failed', message: bad.map((d) => `${d.name} is ${d.state}: ${d.reason ?? ''}`).join('; '), hint: 'Run "anchor domains verify <domain>" for what to fix.' });
  }
  spinner.succeed(`${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} active.`);
  return watched;
}
