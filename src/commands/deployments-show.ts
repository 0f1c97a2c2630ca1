import type { Context } from '../cli/context.js';
import { formatMs, stateText, triggerText } from './deployment-text.js';

export default async function deploymentsShow(ctx: Context, args: string[]): Promise<void> {
  const [id = ''] = args;
  const shown = await (await ctx.operations()).showDeployment({ id, tail: 20 });
  const d = shown.deployment;
  ctx.ui.result({ ...d, project: shown.project, isLive: shown.live, runtime: shown.runtime, phases: shown.phases, totalMs: shown.totalMs, lastLines: shown.lastLines.map((l) => l.text) }, () => [
    `${d.id}  ${stateText(d.state, shown.runtime)}${shown.live && shown.runtime?.state !== 'no-server' ? ' (serving now)' : ''}`,
    ...(shown.runtime?.lastCrash ? [`  crashed:  ${shown.runtime.lastCrash.at} (${shown.runtime.lastCrash.reason}); ${shown.runtime.crashes} recently, ${shown.runtime.restarts} restarts in all`] : []),
    `  project:  ${shown.project ?? '(removed)'}`,
    `  commit:   ${d.commitSha ?? '(not resolved yet)'}${d.commitMessage ? `  "${d.commitMessage.split('\n')[0]}"` : ''}`,
    `  ref:      ${d.ref}`,
    `  trigger:  ${triggerText(d.trigger)}`,
    ...(d.reason ? [`  reason:   ${d.reason}`] : []),
    `  created:  ${d.createdAt}`,
    '  phases:',
    ...shown.phases.map((p) => `    ${p.phase.padEnd(11)} ${p.ms === null ? '' : formatMs(p.ms)}`),
    ...(shown.totalMs !== null ? [`  total:    ${formatMs(shown.totalMs)}`] : []),
    ...(shown.lastLines.length ? ['  last log lines:', ...shown.lastLines.map((l) => `    ${l.text}`)] : []),
  ]);
}
