import type { Context } from '../cli/context.js';
import type { RuntimeLogLine } from '../core/ports/index.js';
import { readRuntimeLogs, resolveRuntimeLogTarget } from '../core/use-cases/runtime-logs.js';

/** `anchor logs <project | deploymentId> --runtime [--follow]`: what the site's functions printed. */
export async function runtimeLogs(ctx: Context, target: string, follow: boolean): Promise<void> {
  const { ports } = await ctx.platform();
  const { deployment, ref } = await resolveRuntimeLogTarget(ports, target);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  let printed = 0;
  if (follow) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    ctx.ui.info(`Following the runtime log of ${deployment.id} (${deployment.state}); Ctrl-C stops.`);
  }
  try {
    await readRuntimeLogs(ports, {
      ref,
      ...(follow ? { follow: { signal: abort.signal } } : {}),
      onLines: (lines) => {
        printed += lines.length;
        for (const line of lines) {
          if (ctx.flags.json) ctx.ui.jsonLine({ type: 'line', deploymentId: deployment.id, ...line });
          else ctx.ui.out(runtimeLine(line));
        }
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (printed === 0 && !follow) ctx.ui.info(`${deployment.id} has no runtime log lines (its functions printed nothing, or never ran).`);
}

function runtimeLine(line: RuntimeLogLine): string {
  const stream = line.stream === 'stderr' && line.source !== 'anchor' ? ' [stderr]' : '';
  return `${line.at.replace('T', ' ').replace(/Z$/, '')} ${line.source}${stream}: ${line.text}`;
}
