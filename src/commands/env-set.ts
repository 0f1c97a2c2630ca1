import { AnchorError } from '../core/errors.js';
import { parseTargets } from '../core/env-var.js';
import type { Context } from '../cli/context.js';

export default async function envSet(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [project = '', assignment = ''] = args;
  const eq = assignment.indexOf('=');
  const key = eq === -1 ? assignment : assignment.slice(0, eq);
  const secret = options.secret === true;
  let value = eq === -1 ? null : assignment.slice(eq + 1);
  if (value === null) {
    if (!ctx.prompter.canAsk) {
      throw new AnchorError({ code: 'ENV_VALUE_MISSING', kind: 'usage', message: `No value given for ${key}.`, hint: `Pass it as ${key}=VALUE (quote it for your shell), e.g. anchor env set ${project} '${key}=...'.` });
    }
    value = await ctx.prompter.password(`Value for ${key}${secret ? ' (secret)' : ''}`, `${key}=VALUE`);
  }
  const result = await (await ctx.operations()).setEnv({ project, key, value, secret, targets: parseTargets(options.target as string | undefined) });
  ctx.ui.result({ project, ...result }, () => `${ctx.ui.colors.green('✔')} ${result.created ? 'Set' : 'Updated'} ${result.key}${result.secret ? ' (secret)' : ''} for ${result.targets.join(' + ')} on "${project}". It applies from the next deployment.`);
}
