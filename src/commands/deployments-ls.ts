import type { Context } from '../cli/context.js';
import { PIPELINE_ENDS } from '../core/deployment.js';
import { RETAINED_DEPLOYMENTS } from '../core/use-cases/retention.js';
import { parsePositiveInt } from './flags.js';
import { formatMs, stateText, triggerText } from './deployment-text.js';
import { table } from './table.js';

export default async function deploymentsLs(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [project = ''] = args;
  const { deployments, live, rollbackTargets } = await (await ctx.operations()).listDeployments({ project, limit: parsePositiveInt(options.limit ?? 20, '--limit') });
  const targets = new Set(rollbackTargets);
  ctx.ui.result({ project, live, rollbackTargets, deployments }, () =>
    deployments.length === 0
      ? `"${project}" has no deployments yet. Push to its branch, or run: anchor deploy ${project}`
      : `${table(
          ['ID', 'STATE', 'COMMIT', 'TRIGGER', 'CREATED', 'DURATION'],
          deployments.map((d) => {
            const end = d.transitions.find((t) => PIPELINE_ENDS.includes(t.state));
            return [d.id + (d.id === live ? ' ●' : targets.has(d.id) ? ' ↩' : ''), stateText(d.state, d.runtime ?? null), d.commitSha?.slice(0, 7) ?? d.ref, triggerText(d.trigger), d.createdAt.replace('T', ' ').slice(0, 19), end ? formatMs(Date.parse(end.at) - Date.parse(d.createdAt)) : '…'];
          }),
        )}\n● live   ↩ can be rolled back to (kept: the live one, the one before it and the newest ${RETAINED_DEPLOYMENTS} that went live)`,
  );
}
