import type { Context } from '../cli/context.js';
import { HIDDEN_VALUE } from '../core/use-cases/env.js';
import { table } from './table.js';

export default async function envLs(ctx: Context, args: string[]): Promise<void> {
  const [project = ''] = args;
  const vars = await (await ctx.operations()).listEnv(project);
  ctx.ui.result(
    vars,
    () =>
      vars.length === 0
        ? `No variables on "${project}". Set one with: anchor env set ${project} KEY=VALUE`
        : table(
            ['KEY', 'VALUE', 'TYPE', 'TARGETS'],
            vars.map((v) => [v.key, v.secret ? HIDDEN_VALUE : (v.value ?? ''), v.secret ? 'secret' : 'plain', v.targets.join(',')]),
          ),
  );
}
