import { AnchorError } from '../core/errors.js';
import { isDiskFullReason } from '../core/failure-reasons.js';
import type { LogTarget, PlatformOperations } from '../core/operations/platform-operations.js';
import type { Context } from '../cli/context.js';

/** Prints a deployment's log until it ends; a failed deployment is an error (non-zero exit). */
export async function followDeployment(ctx: Context, ops: Pick<PlatformOperations, 'followLogs'>, target: LogTarget, siteUrl: string, after = 0): Promise<void> {
  const { deploymentId } = target;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const end = await ops.followLogs(target, {
      after,
      signal: abort.signal,
      onLines: (lines) => {
        for (const line of lines) {
          if (ctx.flags.json) ctx.ui.jsonLine({ type: 'line', deploymentId, n: line.n, at: line.at, text: line.text });
          else ctx.ui.out(line.text);
        }
      },
    });
    if (ctx.flags.json) ctx.ui.jsonLine({ type: 'end', deploymentId, state: end.state, reason: end.reason, url: end.state === 'live' ? siteUrl : null });
    else if (end.state === 'live') ctx.ui.success(`${deploymentId} is live: ${siteUrl}`);
    if (abort.signal.aborted) return;
    if (end.state === 'failed' && isDiskFullReason(end.reason)) {
      // The machine failed, not the site: external, like a failure of git or npm.
      throw new AnchorError({ code: 'DISK_FULL', kind: 'external', message: `Deployment ${deploymentId} failed: ${end.reason}`, hint: 'Free space on the disk the platform builds on (ANCHOR_HOME, or --build-dir), then deploy again; the live site was not changed.' });
    }
    if (end.state === 'failed' || end.state === 'cancelled') {
      throw new AnchorError({ code: 'DEPLOYMENT_FAILED', kind: 'failed', message: `Deployment ${deploymentId} ${end.state}${end.reason ? `: ${end.reason}` : '.'}`, hint: `Run "anchor deployments show ${deploymentId}" for the details; the live site was not changed.` });
    }
    if (end.state === 'superseded') ctx.ui.warn(`${deploymentId} was superseded${end.reason ? `: ${end.reason}` : ''}`);
  } finally {
    process.off('SIGINT', onSignal);
  }
}
