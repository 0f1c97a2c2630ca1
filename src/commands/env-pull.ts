import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';

export default async function envPull(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [project = '', file = '.env.local'] = args;
  const target = String(options.target ?? 'runtime');
  if (target !== 'build' && target !== 'runtime') {
    throw new AnchorError({ code: 'ENV_TARGET_INVALID', kind: 'usage', message: `--target must be build or runtime, not "${target}".`, hint: 'Pass --target runtime (the default) or --target build.' });
  }
  const path = ctx.resolvePath(file);
  const existing = readIfExists(path);
  const merged = await (await ctx.operations()).pullEnv({ project, existing, target });
  const tmp = `${path}.anchor-tmp`;
  writeFileSync(tmp, merged.text, { mode: 0o600 });
  renameSync(tmp, path);
  ctx.ui.result({ file: path, updated: merged.updated, added: merged.added, keptLocal: merged.keptLocal, secretsNotPulled: merged.secrets }, () => [
    `${ctx.ui.colors.green('✔')} Wrote ${file}: ${merged.added.length} added, ${merged.updated.length} updated, ${merged.keptLocal.length} local-only kept.`,
    ...(merged.secrets.length > 0 ? [`${ctx.ui.colors.yellow('!')} Secrets are write-only and were not pulled: ${merged.secrets.join(', ')}. Set them in ${file} by hand.`] : []),
  ]);
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
